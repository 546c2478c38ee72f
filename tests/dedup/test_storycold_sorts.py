"""The cold table's sort-based helpers answer as ``np.unique`` does (issue 14: its
hashing path was most of the cost of moving packed stories' terms to the table)."""

from __future__ import annotations

import numpy as np

from kabar.dedup.storycold import _distinct, _firsts


def test_firsts_and_distinct_answer_as_unique() -> None:
    rng = np.random.default_rng(5)
    for size in (1, 2, 7, 500, 4096):
        for spread in (3, 1 << 10, 1 << 40):
            values = rng.integers(-spread, spread, size)
            _, first, counts = np.unique(values, return_index=True, return_counts=True)
            got_first, got_counts = _firsts(values)
            assert got_first.tolist() == first.tolist()
            assert got_counts.tolist() == counts.tolist()
            assert _distinct(values) == (len(np.unique(values)) == size)
