"""`kabar bench metrics`: the replayed calls and the cost arithmetic (no timing asserts)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kabar import metrics
from kabar.bench import metrics as bench
from kabar.cli import main as cli_main


def _value(name: str, labels: dict[str, str]) -> float:
    value = metrics.REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_replay_makes_the_pipelines_calls_for_one_article() -> None:
    portal = "bench-replay"
    before = {
        "extract": _value("kabar_stage_items_total", {"stage": "extract", "outcome": "ok"}),
        "publish": _value("kabar_stage_items_total", {"stage": "publish", "outcome": "ok"}),
    }
    bench.instrument_article(bench.real_metrics(), portal)
    assert _value("kabar_extractions_total", {"portal": portal, "reason": "ok"}) == 1
    assert _value("kabar_body_words_count", {"portal": portal}) == 1
    assert _value("kabar_fetches_total", {"portal": portal, "status": "ok"}) == 1
    assert _value("kabar_freshness_lag_seconds_count", {"portal": portal}) == 1
    extract_ok = _value("kabar_stage_items_total", {"stage": "extract", "outcome": "ok"})
    publish_ok = _value("kabar_stage_items_total", {"stage": "publish", "outcome": "ok"})
    assert extract_ok - before["extract"] == 1
    assert publish_ok - before["publish"] == 2  # the article and its story event


def test_noop_metrics_leave_the_registry_alone() -> None:
    portal = "bench-noop"
    bench.instrument_article(bench.noop_metrics(), portal)
    assert (
        metrics.REGISTRY.get_sample_value(
            "kabar_extractions_total", {"portal": portal, "reason": "ok"}
        )
        is None
    )


def test_share_is_overhead_over_time_with_metrics() -> None:
    cost = bench.MetricsCost(real_s=30e-6, noop_s=10e-6, article_s=980e-6, articles=5)
    assert cost.overhead_s == pytest.approx(20e-6)
    assert cost.share == pytest.approx(0.02)
    faster = bench.MetricsCost(real_s=1e-6, noop_s=2e-6, article_s=1e-3, articles=1)
    assert faster.overhead_s == 0 and faster.share == 0


def test_demo_pages_are_article_pages() -> None:
    pages = bench.demo_pages()
    assert pages
    assert all("/read/" in url and html for html, url, _ in pages)
    assert {portal for _, _, portal in pages} >= {"kabarkota", "wartadesa"}


def test_article_seconds_extracts_the_pages() -> None:
    assert bench.article_seconds(bench.demo_pages()[:2], rounds=1) > 0


def test_command_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["bench", "metrics", "--calls", "50", "--rounds", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1)  # 1 only when over target, which timing on a busy box may cause
    for label in ("metric calls per article", "no-op", "CPU per article", "metrics share"):
        assert label in out


def test_main_rejects_an_empty_corpus(tmp_path: Path) -> None:
    args = argparse.Namespace(corpus=tmp_path, calls=1, rounds=1)
    assert bench.main(args) == 2
