"""Template lines: the portal's learned boilerplate cut off the head and tail
of published articles (``kabar.dedup.templatelines``), deterministically."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from kabar import statefile
from kabar.dedup import content_hash
from kabar.dedup.boilerplate import BoilerplateLines, line_keys
from kabar.dedup.deduper import Deduper
from kabar.dedup.fingerprint import body_lines
from kabar.dedup.templatelines import paragraph_span, published, trimmed_span
from kabar.metrics import REGISTRY
from kabar.models import Article, DedupResult
from kabar.settings import DedupSettings
from tests.core.test_pipeline import BASE, Sender, make, page, requests_for
from tests.dedup.samples import OWN_BODIES
from tests.dedup.state_support import store_of

PROMPT = "Ikuti kabar terbaru Warta Contoh lewat kanal WhatsApp kami."
MIDDLE = "Simak juga rangkuman video di bawah ini."
FOOTER = "Hak cipta 2026 Warta Contoh. Seluruh hak dilindungi."


def _flags(*flags: bool) -> tuple[int, int]:
    return trimmed_span(lambda i: flags[i], len(flags))


def test_span_cuts_head_and_tail_runs_only() -> None:
    assert _flags(True, True, False, True, False, True) == (2, 5)
    assert _flags(False, True, False) == (0, 3)  # a middle line stays
    assert _flags(False, False) == (0, 2)
    assert _flags(True, True, True) == (0, 3)  # never an empty body
    assert _flags() == (0, 0)


def test_counted_respects_threshold_and_portal() -> None:
    learner = BoilerplateLines(min_articles=3)
    lines = [b"berita pertama hari ini", b"hak cipta 2026 warta contoh"]
    for _ in range(2):
        learner.learn(line_keys("contoh", lines[1:]))
    assert trimmed_span(learner.counted("contoh", lines, 3), 2) == (0, 2)  # 2 < 3 articles
    learner.learn(line_keys("contoh", lines[1:]))
    assert trimmed_span(learner.counted("contoh", lines, 3), 2) == (0, 1)
    assert trimmed_span(learner.counted("lain", lines, 3), 2) == (0, 2)  # another portal's


def test_paragraph_span_skips_wordless_paragraphs_with_their_run() -> None:
    paragraphs = ("Isi berita yang panjang.", "***", FOOTER)
    lines = body_lines(paragraphs)
    assert len(lines) == 2
    assert paragraph_span(paragraphs, lines, (0, 1)) == (0, 1)
    assert paragraph_span(paragraphs, lines, (0, 2)) == (0, 3)


def _article(n: int, portal: str = "contoh") -> Article:
    body = OWN_BODIES[n]
    paragraphs = (PROMPT, *body[:2], MIDDLE, *body[2:], FOOTER)
    return Article(url=f"https://www.{portal}.co.id/berita/{n}", title=f"Judul {n}",
                   paragraphs=paragraphs, portal=portal)


def test_deduper_trims_lines_learned_before_the_article() -> None:
    deduper = Deduper(DedupSettings(store="memory", template_min_articles=3),
                      clustering=False)
    kept = []
    for n in range(len(OWN_BODIES)):
        article = _article(n)
        result, _ = deduper.process(article)
        assert result.verdict == "new"
        out = published(article, result).paragraphs
        assert MIDDLE in out  # never from the middle
        kept.append((out[0] == PROMPT, out[-1] == FOOTER))
    # Three new articles before it make a line a template's (template_min_articles).
    assert kept == [(True, True)] * 3 + [(False, False)] * 3
    other, _ = deduper.process(_article(0, portal="lain"))
    assert other.kept is None  # learned for "contoh" only
    again, _ = deduper.process(_article(0))
    assert again.verdict == "unchanged" and again.kept is None  # not published


def test_a_line_of_a_few_articles_is_not_cut_by_default() -> None:
    # The default asks for far more articles than a few follow-ups of one story that
    # end on the same background paragraph.
    deduper = Deduper(DedupSettings(store="memory"), clustering=False)
    results = [deduper.process(_article(n))[0] for n in range(len(OWN_BODIES))]
    assert all(result.kept is None for result in results)


def test_deduper_trims_nothing_when_turned_off() -> None:
    deduper = Deduper(DedupSettings(store="memory", trim_template_lines=False,
                                    template_min_articles=3),
                      clustering=False)
    results = [deduper.process(_article(n))[0] for n in range(len(OWN_BODIES))]
    assert all(result.kept is None for result in results)


def _cli(lines: list[dict[str, Any]], seed: str, tmp_path: Path) -> bytes:
    config = tmp_path / "kabar.toml"
    config.write_text("[dedup]\ntemplate_min_articles = 3\n")
    stdin = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    proc = subprocess.run(
        [sys.executable, "-m", "kabar", "dedup", "--config", str(config)], input=stdin,
        capture_output=True, timeout=120, cwd=tmp_path, check=False,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def test_cli_trims_consistently_and_deterministically(tmp_path: Path) -> None:
    lines: list[dict[str, Any]] = []
    for n in range(len(OWN_BODIES)):
        article = _article(n)
        lines.append({"url": article.url, "title": article.title, "portal": "contoh",
                      "published_at": f"2026-03-0{n + 1}T08:00:00Z",
                      "paragraphs": list(article.paragraphs),
                      "body": article.body, "word_count": article.word_count})
    first = _cli(lines, "1", tmp_path)
    assert _cli(lines, "2", tmp_path) == first
    assert _cli(lines, "1", tmp_path) == first
    out = [orjson.loads(line) for line in first.splitlines()]
    assert [line["paragraphs"][-1] == FOOTER for line in out] == [True] * 3 + [False] * 3
    for line, given in zip(out, lines, strict=True):
        assert line["body"] == "\n".join(line["paragraphs"])
        assert line["word_count"] == sum(len(p.split()) for p in line["paragraphs"])
        assert line["content_hash"] == content_hash(given["paragraphs"])  # as extracted
        assert line["paragraphs"] == given["paragraphs"][slice(*_cut(line, given))]


def _cut(line: dict[str, Any], given: dict[str, Any]) -> tuple[int, int]:
    start = given["paragraphs"].index(line["paragraphs"][0])
    return start, start + len(line["paragraphs"])


class _CuttingDeduper:
    """A stand-in deduper that names the first paragraph as the one to publish."""

    def process(
        self, article: Article, *, when: datetime | None = None
    ) -> tuple[DedupResult, list[dict[str, object]]]:
        return DedupResult(verdict="new", kept=(0, 1)), []


async def test_pipeline_publishes_the_cut_body(tmp_path: Path) -> None:
    pages = {f"{BASE}/1": page(1)}
    sender = Sender()
    pipe, _ = make(tmp_path, pages, requests_for(*pages), sender,
                   deduper=_CuttingDeduper())  # type: ignore[arg-type]
    await pipe.run(once=True)
    (event,) = sender.values(pipe.settings.broker.articles_topic)
    assert event["paragraphs"] == ["paragraf pertama 1"] and event["word_count"] == 3


# -- counted once ------------------------------------------------------------------------


def _dropped(portal: str) -> float:
    return REGISTRY.get_sample_value("kabar_template_lines_dropped_total",
                                     {"portal": portal}) or 0.0


def _on_sqlite(path: Path) -> Deduper:
    """As the stories role runs it: its verdicts durable when it commits."""
    settings = DedupSettings(store="sqlite", state_path=str(path), template_min_articles=3,
                             checkpoint_interval_s=0.0)
    deduper = Deduper(settings, clustering=False)
    deduper.defer_commits(freeze_heap=False)
    return deduper


def _cut_paragraphs(results: list[DedupResult], articles: list[Article]) -> int:
    return sum(len(a.paragraphs) - (r.kept[1] - r.kept[0])
               for r, a in zip(results, articles, strict=True) if r.kept is not None)


def _crash_and_replay(tmp_path: Path, articles: list[Article]) -> list[DedupResult]:
    """The stories role restarts from its last snapshot (state and offset together) and
    processes the records after it again: the same verdicts, the same cuts, which the
    process that crashed had already made. The replayed results."""
    first = _on_sqlite(tmp_path / "crash.db")
    for article in articles[:4]:
        first.process(article)
    first.commit()
    first.store.put_blob("stories_offset", b"4")  # as the stories role does
    assert store_of(first).sync(30.0)
    for article in articles[4:]:
        first.process(article)  # never committed: lost in the crash
    store_of(first)._writer.close(0.0)  # the process dies; nothing more reaches the file

    resumed = _on_sqlite(tmp_path / "crash.db")
    offset = int(resumed.store.get_blob("stories_offset") or b"0")
    assert offset == 4
    replayed = [resumed.process(a)[0] for a in articles[offset:]]
    resumed.commit()
    resumed.close()
    return replayed


def test_a_replay_after_a_crash_counts_each_articles_cut_once(tmp_path: Path) -> None:
    portal = "ulang"
    articles = [_article(n, portal) for n in range(len(OWN_BODIES))]
    straight = _on_sqlite(tmp_path / "straight.db")
    expected = _cut_paragraphs([straight.process(a)[0] for a in articles], articles)
    straight.close()
    assert expected == 3 * 2  # the last three lose the prompt and the footer
    before = _dropped(portal)
    replayed = _crash_and_replay(tmp_path, articles)
    assert _cut_paragraphs(replayed, articles[4:]) == 2 * 2  # cut as the first time
    assert _dropped(portal) - before == expected


def _verdicts(portal: str) -> float:
    return REGISTRY.get_sample_value("kabar_dedup_verdicts_total",
                                     {"portal": portal, "verdict": "new"}) or 0.0


def test_a_replay_after_a_crash_counts_each_verdict_once(tmp_path: Path) -> None:
    portal = "ulangvonis"
    articles = [_article(n, portal) for n in range(len(OWN_BODIES))]
    before = _verdicts(portal)
    replayed = _crash_and_replay(tmp_path, articles)
    assert [r.verdict for r in replayed] == ["new"] * (len(articles) - 4)
    assert _verdicts(portal) - before == len(articles)


def test_cuts_are_counted_when_the_verdicts_are_committed(tmp_path: Path) -> None:
    portal = "tunda"
    deduper = _on_sqlite(tmp_path / "state.db")
    before = _dropped(portal)
    for n in range(len(OWN_BODIES)):
        deduper.process(_article(n, portal))
    assert _dropped(portal) == before  # not durable yet: a crash would make them again
    deduper.commit()
    assert store_of(deduper).sync(30.0)
    assert _dropped(portal) - before == 3 * 2
    deduper.close()
    assert _dropped(portal) - before == 3 * 2


def test_cuts_and_verdicts_count_once_the_commit_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After ``commit`` returns its writes may still wait (here: the disk refuses them);
    # a crash then makes the articles again after the restart, which counts them.
    portal = "tertulis"
    refused = tmp_path / "read-only"
    monkeypatch.setenv(statefile.FAULT_ENV, str(refused))
    deduper = _on_sqlite(tmp_path / "state.db")
    before, verdicts = _dropped(portal), _verdicts(portal)
    for n in range(len(OWN_BODIES)):
        deduper.process(_article(n, portal))
    refused.touch()
    deduper.commit()
    assert (_dropped(portal), _verdicts(portal)) == (before, verdicts)  # not written
    refused.unlink()
    assert store_of(deduper).sync(30.0)
    assert _dropped(portal) - before == 3 * 2
    assert _verdicts(portal) - verdicts == len(OWN_BODIES)
    deduper.close()


def test_without_deferred_commits_cuts_are_counted_at_once() -> None:
    portal = "langsung"
    deduper = Deduper(DedupSettings(store="memory", template_min_articles=3),
                      clustering=False)
    before = _dropped(portal)
    for n in range(len(OWN_BODIES)):
        deduper.process(_article(n, portal))
    assert _dropped(portal) - before == 3 * 2


# -- a revision and its own earlier version ------------------------------------------------


def _revised(article: Article, word: str) -> Article:
    # The same URL, its story text changed between the prompt and the footer.
    paragraphs = article.paragraphs
    return replace(article, paragraphs=(paragraphs[0], f"Pembaruan: {word}.",
                                        *paragraphs[1:]))


def test_a_revisions_own_earlier_version_does_not_count_for_its_cut(tmp_path: Path) -> None:
    portal = "revisi"
    path = tmp_path / "state.db"
    deduper = _on_sqlite(path)
    first = [_article(n, portal) for n in range(3)]
    results = [deduper.process(a)[0] for a in first]
    assert all(r.kept is None for r in results)  # 0, 1, 2 articles before each: < 3
    deduper.commit()
    deduper.close()

    again = _on_sqlite(path)  # what counts survives the restart
    revision, _ = again.process(_revised(first[0], "banjir surut"))
    assert revision.verdict == "revision"
    # Three articles counted the prompt and the footer, but one is this one's first
    # version: two others are below the three a cut asks for.
    assert revision.kept is None
    newcomer, _ = again.process(_article(3, portal))
    assert newcomer.verdict == "new" and newcomer.kept is not None  # three others
    again.close()


def test_revisions_never_count_their_lines_again() -> None:
    # Passes without the change as well: only new articles are counted, once per URL,
    # however often it is revised.
    deduper = Deduper(DedupSettings(store="memory", template_min_articles=3),
                      clustering=False)
    tail = "Kisah ini akan terus diperbarui oleh redaksi."
    base = _article(0, "sering")
    base = replace(base, paragraphs=(*base.paragraphs, tail))
    deduper.process(base)
    for n in range(5):
        result, _ = deduper.process(_revised(base, f"kabar ke-{n}"))
        assert result.verdict == "revision" and result.kept is None
    other = _article(1, "sering")
    result, _ = deduper.process(replace(other, paragraphs=(*other.paragraphs, tail)))
    assert result.kept is None  # one article counted the tail, not six versions
