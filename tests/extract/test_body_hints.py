"""The block hints table of a vocabulary's pattern is found by the pattern's identity:
hashing a compiled pattern hashes its whole compiled code (microseconds for the block
pattern, on every walker of every page)."""

from __future__ import annotations

import re
from typing import cast

from kabar.extract import body


class _Unhashable:
    """Stands for a compiled pattern that must not be hashed."""

    def __hash__(self) -> int:
        raise AssertionError("the pattern was hashed")


def test_hints_table_is_found_without_hashing_the_pattern() -> None:
    pattern = cast(re.Pattern[str], _Unhashable())
    table = body._hints(pattern)
    table["x y"] = "x"
    assert body._hints(pattern) is table
    other = cast(re.Pattern[str], _Unhashable())
    assert body._hints(other) is not table


def test_walkers_of_one_vocabulary_share_the_table() -> None:
    from kabar.extract.clutter import vocabulary

    vocab = vocabulary()
    assert body._Walker(vocab, [])._hints is body._Walker(vocab, [])._hints
