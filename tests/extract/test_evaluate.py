"""Scoring, corpus layouts, the `kabar eval`/`kabar extract` commands, the bench
entry point, and the quality targets over ../shared."""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from pathlib import Path

import orjson
import pytest

from kabar.bench import extract as bench
from kabar.cli import main as cli_main
from kabar.extract import extract
from kabar.extract.evaluate import (
    evaluate,
    kept_clutter,
    load_pages,
    seed_page_html,
    word_scores,
)
from tests.extract.extract_support import STORY, page, story_html


def _body(html: bytes, url: str | None) -> str:
    return extract(html, url).body


def test_word_scores() -> None:
    assert word_scores("a b c", "a b c") == (1.0, 1.0, 1.0)
    precision, recall, f1 = word_scores("A a b x", "a a b c")
    assert (precision, recall) == (0.75, 0.75) and f1 == pytest.approx(0.75)
    assert word_scores("", "") == (1.0, 1.0, 1.0)
    assert word_scores("x", "y")[2] == 0.0


def test_kept_clutter_only_counts_lines_missing_from_gold() -> None:
    output = "Isi berita.\nBaca juga: Judul lain\nEditor: Rina"
    assert kept_clutter(output, "Isi berita.\nEditor: Rina") == ("Baca juga: Judul lain",)


def test_seed_page_layout() -> None:
    html = seed_page_html("Judul <Berita>\nBaris satu\n\nBaris dua\n")
    assert "<title>Judul &lt;Berita&gt;</title>" in html and "<h1>Judul &lt;Berita&gt;</h1>" in html
    assert html.count("<p>") == 2


def _html_txt_corpus(tmp_path: Path) -> Path:
    (tmp_path / "a.html").write_text(page(story_html()))
    (tmp_path / "a.txt").write_text("\n".join(STORY))
    (tmp_path / "b.html").write_text(page(story_html("<p>Baca juga: Judul lain</p>")))
    (tmp_path / "b.txt").write_text("\n".join(STORY[:2]))
    (tmp_path / "PROVENANCE.tsv").write_text("file\turl\na.html\thttps://contoh.id/a\n")
    return tmp_path


def test_html_txt_layout_with_provenance_urls(tmp_path: Path) -> None:
    pages = list(load_pages(_html_txt_corpus(tmp_path)))
    assert [(p.name, p.url) for p in pages] == [("a", "https://contoh.id/a"), ("b", None)]
    report = evaluate(tmp_path, _body)
    assert report.pages[0].f1 == 1.0
    assert report.pages[1].recall == 1.0 and report.pages[1].precision < 1.0
    assert report.pages_with_clutter == ()


def test_seed_layout(tmp_path: Path) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "s1.txt").write_text("Judul Seed\n" + "\n".join(STORY) + "\nPenulis: Andi\n")
    (tmp_path / "clean" / "s1.txt").write_text("\n".join(STORY))
    report = evaluate(tmp_path, _body)
    assert [p.name for p in report.pages] == ["s1"]
    assert report.mean_f1 == 1.0


def test_scrapinghub_layout_with_gzip(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "k1.html.gz").write_bytes(gzip.compress(page(story_html()).encode()))
    (tmp_path / "html" / "k2.html").write_text(page(story_html()))
    truth = {"k1": {"articleBody": "\n\n".join(STORY), "url": "https://e.org/1"},
             "k2": {"articleBody": STORY[0]}, "k3": {"articleBody": "missing html"}}  # fmt: skip
    (tmp_path / "ground-truth.json").write_bytes(orjson.dumps(truth))
    report = evaluate(tmp_path, _body)
    assert [p.name for p in report.pages] == ["k1", "k2"]
    assert report.pages[0].f1 == 1.0 and report.pages[1].precision < 0.5


def test_errors_score_zero(tmp_path: Path) -> None:
    (tmp_path / "e.html").write_bytes(b"")
    (tmp_path / "e.txt").write_text("gold")
    report = evaluate(tmp_path, _body)
    assert report.pages[0].error == "not_article" and report.mean_f1 == 0.0


def test_eval_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _html_txt_corpus(tmp_path)
    assert cli_main(["eval", str(corpus), "--json"]) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert [p["name"] for p in data["pages"]] == ["a", "b"] and 0 < data["mean_f1"] <= 1
    assert cli_main(["eval", str(corpus), "--min-f1", "0.999"]) == 1
    assert "MEAN" in capsys.readouterr().out
    assert cli_main(["eval", str(corpus / "nope")]) == 2


def test_extract_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good.html"
    good.write_text(page(story_html()))
    bad = tmp_path / "bad.html"
    bad.write_bytes(b"")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(page(story_html()).encode())))
    code = cli_main(["extract", "--url", "https://contoh.id/a", str(good), str(bad), "-"])
    lines = [orjson.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert lines[0]["paragraphs"] == STORY and lines[0]["body"] == "\n".join(STORY)
    assert lines[0]["word_count"] == sum(len(p.split()) for p in STORY)
    fields = {"url", "canonical_url", "portal", "title", "authors", "published_at", "language",
              "section", "tags", "image", "description", "next_pages", "extractor"}  # fmt: skip
    assert fields <= set(lines[0])
    assert lines[1] == {"file": str(bad), "error": "not_article", "detail": "empty page"}
    assert lines[2]["paragraphs"] == STORY


def test_extract_command_reads_gzipped_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = gzip.compress(page(story_html()).encode())
    archived = tmp_path / "page.html.gz"
    archived.write_bytes(packed)
    misnamed = tmp_path / "page.html"  # told by its magic bytes, not its name
    misnamed.write_bytes(packed)
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(packed[: len(packed) // 2])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(packed)))
    code = cli_main(["extract", str(archived), str(misnamed), "-", str(broken)])
    lines = [orjson.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [line.get("paragraphs") for line in lines[:3]] == [STORY, STORY, STORY]
    assert lines[3]["file"] == str(broken) and lines[3]["error"] == "unreadable"


def test_gzip_bomb_is_cut_at_the_page_size_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kabar.extract import MAX_HTML_BYTES

    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b"<p>" + b"a" * (MAX_HTML_BYTES + 10) + b"</p>"))
    assert cli_main(["extract", str(bomb)]) == 1
    line = orjson.loads(capsys.readouterr().out)
    assert line["error"] == "too_large"


def test_bench_entry_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _html_txt_corpus(tmp_path)
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    code = bench.main(parser.parse_args([str(tmp_path), "--rounds", "1", "--no-compare"]))
    out = capsys.readouterr().out
    assert "pages/s" in out and "ratio" in out and "trafilatura" in out
    # Two tiny pages time nothing reliably: the exit code only has to tell the verdict.
    assert code == (1 if "BELOW TARGET" in out else 0)
    code = bench.run(parser.parse_args([str(tmp_path), "--rounds", "1", "--no-compare"]))
    assert code == (1 if "BELOW TARGET" in capsys.readouterr().out else 0)
    result = bench.measure(tmp_path, rounds=1, compare=False)
    assert result.trafilatura is None
    assert result.extract.pages == result.parse.pages == 2 and result.errors == 0


def test_bench_stage_breakdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _html_txt_corpus(tmp_path)
    stages = bench.stage_costs(tmp_path, rounds=1)
    assert [name for name, _ in stages] == ["parse", *bench.STAGES, "rest of extract"]
    assert stages[0][1] > 0
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args([str(tmp_path), "--rounds", "1", "--stages", "--no-compare"])
    code = bench.main(args)
    out = capsys.readouterr().out
    assert code == (1 if "BELOW TARGET" in out else 0)
    assert all(name in out for name in bench.STAGES)
    assert bench.stage_costs(tmp_path / "missing") == []


# --- quality targets over ../shared -------------------------------------------------------


@pytest.mark.shared
def test_idn_corpus_target(shared: Path) -> None:
    report = evaluate(shared / "corpus" / "idn", _body)
    assert len(report.pages) >= 20
    assert report.mean_f1 >= 0.97, [(p.name, round(p.f1, 3)) for p in report.pages]
    assert report.pages_with_clutter == ()


@pytest.mark.shared
def test_seeds_target(shared: Path) -> None:
    report = evaluate(shared / "seeds", _body)
    assert report.pages
    for scored in report.pages:
        assert scored.f1 >= 0.99, scored
    assert report.pages_with_clutter == ()


@pytest.mark.shared
def test_scrapinghub_target(shared: Path) -> None:
    report = evaluate(shared / "corpus" / "scrapinghub", _body)
    assert len(report.pages) >= 150
    assert report.mean_f1 >= 0.96


def test_bench_compares_with_trafilatura_when_installed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _html_txt_corpus(tmp_path)

    def crawl(html: bytes, url: str | None) -> bool:
        for _ in range(25):  # a stand-in far slower than extraction
            bench.extract(html, url)
        return True

    monkeypatch.setattr(bench, "_trafilatura", lambda: crawl)
    result = bench.measure(tmp_path, rounds=1)
    assert result.trafilatura is not None and result.trafilatura.pages == 2
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    bench.main(parser.parse_args([str(tmp_path), "--rounds", "1"]))
    assert "vs trafilatura" in capsys.readouterr().out
