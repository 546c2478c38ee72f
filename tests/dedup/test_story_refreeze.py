"""The frozen heap is collected whole again only when it outgrows what the held
stories account for (``Deduper._freeze``): growth of the story state itself no
longer earns a whole collection, which held the event loop hundreds of ms each
time while the index grew (issue 14)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kabar.dedup import deduper as deduper_module
from kabar.dedup.deduper import FROZEN_PER_STORY, Deduper
from kabar.settings import DedupSettings


class _Stories:
    """A clusterer that only reports how many stories it holds."""

    def __init__(self) -> None:
        self.held_count = 0
        self.active_count = 0

    def assign(self, *args: Any) -> Any:
        raise AssertionError("not used")

    def resolve(self, story_id: str) -> str:
        return story_id

    def expire(self, now: datetime, budget: int | None = None) -> None:
        return None

    def dump(self) -> bytes:
        return b"{}"


@pytest.fixture
def wholes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Whole collections of the frozen heap made by the deduper (its ``gc.unfreeze``)."""
    count: list[int] = []

    def unfreeze() -> None:
        count.append(1)
        gc.unfreeze()

    proxy = SimpleNamespace(collect=gc.collect, freeze=gc.freeze, unfreeze=unfreeze,
                            get_freeze_count=gc.get_freeze_count,
                            get_objects=gc.get_objects)  # fmt: skip
    monkeypatch.setattr(deduper_module, "gc", proxy)
    gc.unfreeze()
    gc.collect()
    try:
        yield count
    finally:
        gc.unfreeze()


def _node(n: int) -> list[int]:
    return [n]  # a container: tracked by the cyclic GC


def test_frozen_growth_the_held_stories_explain_earns_no_whole_collection(
    tmp_path: Path, wholes: list[int]
) -> None:
    settings = DedupSettings(store="sqlite", state_path=str(tmp_path / "s.sqlite3"))
    dedup = Deduper(settings, clustering=False)
    held = _Stories()
    dedup.clusterer = held
    assert dedup.defer_commits(freeze_heap=True)
    dedup.commit()  # the first: a whole collection sets the baseline
    dedup.commit()
    assert len(wholes) == 1
    # The state grows by half the heap, as stories would: objects and stories together.
    grown = gc.get_freeze_count() // 2
    stories = [_node(n) for n in range(grown)]
    held.held_count = grown // FROZEN_PER_STORY + 1
    dedup.commit()
    assert len(wholes) == 1  # (before: a whole collection at every quarter of growth)
    # Growth the stories do not explain (cyclic garbage of other code, frozen while
    # alive, looks like this) still earns one.
    ballast = [_node(n) for n in range(gc.get_freeze_count() // 3)]
    dedup.commit()
    assert len(wholes) == 2
    assert stories and ballast
    dedup.close()
