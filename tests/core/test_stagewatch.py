"""The stage-occupancy debugging aid: off by default, and when on, one log line with
the mean of each probe and worker count and how often each bounded queue sat empty
or full."""

from __future__ import annotations

import logging

import pytest

from kabar import stagewatch


def test_a_sampler_reports_means_and_empty_and_full_shares(
    caplog: pytest.LogCaptureFixture,
) -> None:
    depths = iter([0, 4, 4, 2])
    occupancy = stagewatch.Occupancy()
    sampler = stagewatch.Sampler({"q": lambda: next(depths)}, {"q": 4}, occupancy)
    occupancy.enter("fetching")
    for _ in range(4):
        sampler.sample()
    occupancy.leave("fetching")
    with caplog.at_level(logging.INFO, logger="kabar.stagewatch"):
        sampler.report()
    [line] = [r.getMessage() for r in caplog.records]
    assert "q=2.5(empty 25% full 50%)" in line and "fetching=1.0" in line


async def test_watching_is_off_unless_the_variable_is_set(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(stagewatch.ENV, raising=False)
    with caplog.at_level(logging.INFO, logger="kabar.stagewatch"):
        async with stagewatch.watching({}, {}, stagewatch.Occupancy()):
            pass
        assert not caplog.records
        monkeypatch.setenv(stagewatch.ENV, "1")
        async with stagewatch.watching({}, {}, stagewatch.Occupancy()):
            pass
    assert [r.getMessage().startswith("stage occupancy") for r in caplog.records] == [True]


def test_doing_counts_a_worker_while_its_block_runs_and_after_an_error_no_more() -> None:
    occupancy = stagewatch.Occupancy()
    with occupancy.doing("fetching"):
        assert occupancy["fetching"] == 1
        with occupancy.doing("fetching"):
            assert occupancy["fetching"] == 2
    with pytest.raises(RuntimeError), occupancy.doing("dedup"):
        raise RuntimeError("a failed stage")
    assert occupancy["fetching"] == 0 and occupancy["dedup"] == 0
