"""The per-phase timers of `kabar bench dedup --index N` name where an item's time went."""

from __future__ import annotations

import numpy as np

from kabar.bench.phases import Phases
from kabar.dedup import lsh


def test_an_item_is_credited_to_its_named_phases_each_without_the_calls_inside() -> None:
    phases = Phases()
    phases.install()
    try:
        index = lsh.SortedMultiIndex(np.uint32)
        for n in range(3):
            with phases.item("article", n):
                index.add(list(range(n * 100, n * 100 + 50)), n)
                index.flush()  # calls _merge_runs: its own phase, not the flush's
    finally:
        phases.uninstall()
    assert lsh.SortedMultiIndex.flush.__name__ == "flush"
    assert not hasattr(lsh.SortedMultiIndex.flush, "__wrapped__")  # uninstalled
    kept = phases.slowest["article"]
    assert sorted(t.n for t in kept) == [0, 1, 2]
    for timed in kept:
        assert {"lsh flush", "lsh merge"} <= set(timed.phases)
        named = sum(wall for wall, _ in timed.phases.values())
        assert named <= timed.wall_ms + 1e-6  # exclusive times never count twice
    lines = phases.report()
    assert lines[0].startswith("slowest articles")
    assert all("rest" in line for line in lines[1:4])  # phases under 1 ms fold into the rest
