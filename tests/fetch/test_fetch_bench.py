"""The fetch bench's building blocks work end to end (figures are not asserted)."""

from __future__ import annotations

import argparse

import pytest

from kabar.bench import fetch as bench


async def test_fetch_only_rate_over_the_article_server() -> None:
    with bench.serve_articles(paragraphs=5) as base:
        urls = [base + bench.PAGE_PATH.format(i) for i in range(30)]
        rate = await bench.fetch_only_rate(urls, bench.bench_settings(workers=4))
    assert rate > 0


def test_main_prints_the_figure(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--pages", "20", "--rounds", "1", "--workers", "2"])
    code = bench.main(args)
    out = capsys.readouterr().out
    assert "pages/s" in out and "20 pages" in out
    assert code == (1 if "BELOW" in out else 0)  # a pipeline below the goal fails the command


def test_compare_flags_a_slow_pipeline() -> None:
    assert "ok" in bench.compare(100.0, 90.0)
    assert "BELOW" in bench.compare(100.0, 50.0)
