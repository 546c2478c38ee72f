"""A short run of `kabar bench faults` in the default suite: a small local site,
`kabar run` subprocesses and a real broker, two faults (the full list runs in
`kabar bench faults`)."""

from __future__ import annotations

import pytest

from kabar.bench.faults import run_faults


def test_full_state_disk_and_truncated_state_lose_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    results = {r.fault: r for r in run_faults(["disk_full", "truncated"], pages=40, portals=2,
                                               seed=3)}
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].startswith("lost=")

    full = results["disk_full"]
    if not full.skipped:
        assert (full.published, full.lost, full.silent_drops) == (40, 0, 0), full.line()
        assert full.duplicated_new_id == 0, full.line()

    cut = results["truncated"]
    assert cut.lost == 0 and cut.silent_drops == 0, cut.line()
    # The truncated files stop the run with one line naming them, not a traceback;
    # `kabar state repair` moves them aside and the rerun publishes everything.
    assert any("is corrupt" in note and "seen.sqlite3" in note for note in cut.notes), cut.line()
    assert cut.published == 40, cut.line()


def test_state_turning_read_only_mid_run_is_said_and_loses_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (outcome,) = run_faults(["read_only_mid"], pages=150, portals=2, seed=5)
    assert capsys.readouterr().out.splitlines()[-1] == (
        "lost=0 duplicated_new_id=0 silent_drops=0")
    # While state could not be written: /readyz 503, the write-error metric and a log
    # line with reason state_unwritable; ready again once it cleared.
    (said,) = [n for n in outcome.notes if n.startswith("read-only:")]
    assert "/readyz 503=True" in said and "ready_again=True" in said, said
    assert "write_errors=0 " not in said and "log_lines=0 " not in said, said
    # Held, not dropped: every page published; a copy sent again (the restart) carries
    # the same ce_id, never a new one.
    assert (outcome.published, outcome.lost) == (150, 0), outcome.line()
    assert outcome.duplicated_new_id == 0 and outcome.clean, outcome.line()
