"""`kabar bench dedup --index N`: the target's cost ratio does not hang on the load
drift between the 10k window and the last one. The small window is redone on a
reference index beside the last window (the same articles on the same state, so
the same outputs), and the target is checked against that cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from kabar.bench import storyindex


def test_the_reference_redoes_the_small_window_beside_the_last_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storyindex.run(600, 40_000, 100, 100, str(tmp_path))
    out = capsys.readouterr().out
    assert "the reference's window: outputs the same as the window at 300" in out
    assert "(100 articles)" in out
    cost = next(line for line in out.splitlines() if line.startswith("cost per article"))
    assert "measured beside the last window" in cost and "as first measured at 300" in cost
    assert "outputs: sha1 " in out


def test_the_target_is_checked_on_the_cost_measured_beside_the_last_window(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def below(first: float, fair: float) -> list[str]:
        return storyindex._report(2_000, {1_000: first, 2_000: 1_250.0}, fair, 10.0,
                                  storyindex._Checkpoints(), (0.1, 0.1), 5, 5, 1.0)  # fmt: skip

    # The first window was taken while the machine was quieter: 1.56x as first
    # measured, but 1.14x beside the last window, under the same load.
    assert not any("cost at" in miss for miss in below(800.0, 1_100.0))
    assert any("cost at 2,000 is 1.56x" in miss for miss in below(1_100.0, 800.0))
    assert "1.14x (target <= 1.3x); as first measured at 1,000: 800 us, 1.56x" in (
        capsys.readouterr().out)
