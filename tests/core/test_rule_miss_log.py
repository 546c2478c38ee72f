"""A portal rule that stops matching logs one line per portal and kind per
interval (it misses on every page of a new template), counting the pages."""

from __future__ import annotations

import logging

import pytest

from kabar import pipeline
from kabar.pipeline import RuleMissLog


def test_one_line_per_portal_and_kind_per_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(pipeline.time, "monotonic", lambda: clock[0])
    misses = RuleMissLog(interval_s=300.0)
    with caplog.at_level(logging.INFO, logger="kabar.pipeline"):
        for n in range(50):
            misses.seen(("detik", "body"), f"https://detik.example/{n}")
        misses.seen(("detik", "clutter"), "https://detik.example/x")
        clock[0] += 301
        misses.seen(("detik", "body"), "https://detik.example/late")
    lines = [(r.portal, r.selector_kind, r.pages) for r in caplog.records  # type: ignore[attr-defined]
             if r.getMessage() == "portal rule matched nothing"]
    assert lines == [("detik", "body", 1), ("detik", "clutter", 1), ("detik", "body", 50)]
