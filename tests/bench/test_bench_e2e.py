"""``kabar bench e2e``: its site serves distinct real-looking articles, some over
several pages that Kabar's own pagination finder follows, and the command runs
the whole path and prints its figures (the figures themselves are not asserted)."""

from __future__ import annotations

import argparse
import urllib.request
from pathlib import Path

import pytest

from kabar.bench import e2e
from kabar.bench.e2e_site import SiteSpec, article_path, page_urls, render_site, serve_site
from kabar.bench.e2e_site import site_templates as templates_of
from kabar.dedup import content_hash
from kabar.extract import extract

GENERATED = SiteSpec(articles=8, multi_page_share=0.25, pages_per_article=3, corpus="")


def test_generated_site_has_distinct_articles_and_multi_page_ones() -> None:
    pages = render_site(GENERATED)
    templates = templates_of(GENERATED)
    urls = page_urls(GENERATED, templates, "")
    assert sorted(pages) == sorted(u for group in urls for u in group)
    assert [len(group) for group in urls].count(3) == 2  # a quarter of 8 articles
    hashes = set()
    for i, group in enumerate(urls):
        article = extract(pages[group[0]], "http://site.invalid" + group[0])
        hashes.add(content_hash(article.paragraphs))
        assert len(article.paragraphs) >= 10
        # Kabar finds exactly the further pages the site serves.
        assert [u.removeprefix("http://site.invalid") for u in article.next_pages] == group[1:]
        assert group[0] == article_path(templates[i % len(templates)], i)
    assert len(hashes) == GENERATED.articles


def test_corpus_templates_keep_their_portal_rules(shared: Path) -> None:
    spec = SiteSpec(articles=6, multi_page_share=0.0, corpus=str(shared / "corpus" / "idn"))
    pages = render_site(spec)
    templates = templates_of(spec)
    for i, group in enumerate(page_urls(spec, templates, "")):
        portal = templates[i % len(templates)].portal
        article = extract(pages[group[0]], "http://site.invalid" + group[0], portal=portal)
        assert article.extractor.startswith("rules:"), (group[0], article.extractor)


def test_site_is_served_from_a_child_process() -> None:
    with serve_site(GENERATED) as site:
        path = page_urls(GENERATED, templates_of(GENERATED), "")[0][0]
        with urllib.request.urlopen(site.base + path, timeout=10) as answer:
            assert answer.status == 200 and b"</html>" in answer.read()
    assert site.pages == sum(len(g) for g in page_urls(GENERATED, templates_of(GENERATED), ""))


def test_main_runs_the_whole_path_and_prints_the_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser()
    e2e.add_arguments(parser)
    args = parser.parse_args([
        "--articles", "8", "--multi-page-share", "0.25", "--corpus", "", "--workers", "4",
        "--paced-rate", "50", "--paced-articles", "4", "--stage-sample", "4",
        "--min-ratio", "0", "--min-articles-s", "0", "--max-p99-ms", "1e9",
        "--min-paced-share", "0", "--processes", "2",
    ])
    assert e2e.main(args) == 0
    out = capsys.readouterr().out
    assert "bare httpx loop:" in out
    assert "measured: processes=2 (2 crawl processes beside discovery + stories)" in out
    # The measured run and the one-process run beside it, each publishing everything.
    assert out.count("(8 articles of 8, 12 pages") == 2
    assert "processes=2 against processes=1: ratio" in out
    assert "cpu: this process" in out and "2 crawl processes" in out
    assert "their own event loops" in out and "decode" in out
    assert "paced run, processes=2" in out and "paced run, processes=1" in out
    assert "fetch-to-ack p50" in out and "extract" in out
    assert out.count("beside it: site server, broker and this bench's consumer") == 2
    assert "targets: all met" in out


def test_the_cpu_beside_the_run_counts_this_process_and_its_live_children() -> None:
    import subprocess
    import sys

    before = e2e.bystander_cpu()
    assert before is not None
    # A child that burns a fixed amount of work, then waits (alive) for its stdin.
    code = "import sys; sum(range(30_000_000)); print('done', flush=True); sys.stdin.read()"
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "done\n"
        after = e2e.bystander_cpu()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    assert after is not None and after - before > 0.1  # the child's work is in it


def test_span_cores_count_only_the_samples_from_the_first_fetch_to_the_last_send() -> None:
    seen = [e2e.Seen(fetched_at=10.0, sent_at=11.0, read_at=11.0, pages=1),
            e2e.Seen(fetched_at=12.0, sent_at=14.0, read_at=14.0, pages=1)]
    # (time, CPU of the run, CPU beside it, of its own process): start-up at 2 cores
    # before 10 s is left out.
    samples = ((5.0, 0.0, 0.0, 0.0), (10.0, 10.0, 1.0, 4.0), (12.0, 13.0, 1.5, 5.0),
               (14.0, 16.0, 2.0, 6.0), (16.0, 16.5, 2.1, 6.1))
    run = e2e.RunResult(seen, e2e.Counter(), 11.0, 16.5, 0, "", cpu_samples=samples)
    assert run.span_cores() == (1.5, 0.25)
    assert e2e.RunResult([], e2e.Counter(), 1.0, 1.0, 0, "").span_cores() is None


def test_a_missed_target_fails_the_bench() -> None:
    failures: list[str] = []
    e2e._check(failures, "articles/s", 100.0, 300.0, higher=True)
    e2e._check(failures, "p99", 100.0, 500.0, higher=False)
    assert failures == ["articles/s 100.00 (target ≥ 300)"]


def test_articles_keep_their_function_words_and_change_the_rest(shared: Path) -> None:
    from kabar.dedup.text import stopwords

    spec = SiteSpec(articles=60, multi_page_share=0.0, corpus=str(shared / "corpus" / "idn"))
    pages, templates = render_site(spec), templates_of(spec)
    urls = page_urls(spec, templates, "")
    # Two articles from one template: the same function words in the same places.
    first, second = urls[0][0], urls[len(templates)][0]
    texts = [
        extract(pages[path], "http://site.invalid" + path, portal=templates[0].portal).body
        for path in (first, second)
    ]
    kept = stopwords()
    words = [text.lower().split() for text in texts]
    assert [w for w in words[0] if w in kept] == [w for w in words[1] if w in kept]
    assert len([w for w in words[0] if w in kept]) >= 20
    assert texts[0] != texts[1]


def test_pages_and_idle_share_of_each_crawl_process(tmp_path: Path) -> None:
    config = tmp_path / "kabar.toml"
    config.write_text('[pipeline]\nprocesses = "2"\n[cluster]\nhost_shards = 1\n'
                      '[[portals]]\nname = "a"\nurls = ["http://a.test/1"]\n'
                      '[[portals]]\nname = "b"\nurls = ["http://b.test/1"]\n', "utf-8")

    def seen(portal: str, n: int, done: float) -> e2e.Seen:
        return e2e.Seen(fetched_at=0.0, sent_at=done, read_at=done, pages=2, extracted_at=done,
                        url=f"http://{portal}.test/{n}", portal=portal)

    # Portal a (partition 0: the first process) ends at 10 s, b at 5 s: b idles half.
    run = e2e.RunResult([seen("a", 1, 10.0), seen("a", 2, 8.0), seen("b", 1, 5.0)],
                        e2e.Counter(), 12.0, 1.0, 0, "")
    line = e2e.per_process(config, run)
    assert "pages 4 / 2" in line and "10.0 / 5.0 s" in line and "idle share at the end 25%" in line
    one = tmp_path / "one.toml"
    one.write_text('[pipeline]\nprocesses = "1"\n', "utf-8")
    assert e2e.per_process(one, run) == ""


def test_paced_only_keeps_its_files_and_splits_the_latency(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    parser = argparse.ArgumentParser()
    e2e.add_arguments(parser)
    args = parser.parse_args([
        "--articles", "6", "--multi-page-share", "0.5", "--corpus", "", "--workers", "4",
        "--paced-rate", "50", "--paced-articles", "6", "--stage-sample", "0",
        "--max-p99-ms", "1e9", "--min-paced-share", "0", "--processes", "2",
        "--compare", "0", "--full", "0", "--run-slots", "off", "--workdir", str(tmp_path),
    ])
    assert e2e.main(args) == 0
    out = capsys.readouterr().out
    assert "bare httpx loop" not in out  # no full-speed run, no throughput target
    assert "paced run, processes=2" in out and "paced run, processes=1" not in out
    assert "single-page p50" in out and "multi-page p50" in out and "load average" in out
    config = (tmp_path / "paced" / "kabar.toml").read_text("utf-8")
    assert "run_slots = false" in config
    assert "done:" in (tmp_path / "paced" / "run.log").read_text("utf-8")
