"""`kabar bench dedup` ends with a verdict line and an exit status that follows it."""

from __future__ import annotations

import argparse

import pytest

from kabar.bench import dedup as bench


def test_verdict_line_names_what_missed() -> None:
    assert bench.verdict_line([]).startswith("ok")
    line = bench.verdict_line(["dedup + stories 900/s < 2,000/s"])
    assert line.startswith("BELOW TARGET") and "900/s" in line


def test_small_run_prints_rates_and_a_verdict_that_matches_the_exit_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--indexed", "300", "--measure", "200", "--skip-memory",
                              "--dense-measure", "0"])
    code = bench.main(args)
    out = capsys.readouterr().out
    assert "dedup + story clustering" in out and "articles/s" in out
    last = out.strip().splitlines()[-1]
    assert code == (1 if last.startswith("BELOW TARGET") else 0)
    assert last.startswith(("ok", "BELOW TARGET"))
