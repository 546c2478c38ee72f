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


async def test_bare_rate_over_the_article_server() -> None:
    with bench.serve_articles(paragraphs=5) as base:
        urls = [base + bench.PAGE_PATH.format(i) for i in range(30)]
        assert await bench.bare_rate(urls, 4) > 0


def test_main_prints_both_figures_and_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--pages", "20", "--rounds", "1", "--workers", "2", "--goal", "0"])
    assert bench.main(args) == 0
    out = capsys.readouterr().out
    assert "bare httpx" in out and "fetcher" in out and "ratio" in out and "20 pages" in out


def test_main_fails_below_its_goal(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    # No client reaches 1000 times a bare loop: the verdict and the exit status say so.
    args = parser.parse_args(["--pages", "10", "--rounds", "1", "--workers", "2",
                              "--goal", "1000"])
    assert bench.main(args) == 1
    assert "BELOW GOAL" in capsys.readouterr().out


def test_compare_flags_a_slow_fetcher() -> None:
    assert "ok" in bench.compare(100.0, 90.0)
    assert "BELOW" in bench.compare(100.0, 50.0)
