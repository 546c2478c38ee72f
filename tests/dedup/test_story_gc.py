"""The stories role's commits freeze the heap (``Deduper.commit``): safe only because
dedup and story clustering leave no cyclic garbage, which these tests hold them to."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import Deduper, stories
from kabar.dedup.store import SqliteStore
from kabar.settings import DedupSettings


@pytest.fixture
def collector() -> Iterator[None]:
    """The cyclic GC off (only ``gc.collect`` runs it) and unfrozen after the test."""
    was = gc.isenabled()
    gc.unfreeze()  # (another test's deduper may have frozen the heap)
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was:
            gc.enable()


def _deduper(path: Path, *, freeze_heap: bool) -> Deduper:
    settings = DedupSettings(store="sqlite", state_path=str(path), checkpoint_interval_s=0.0)
    deduper = Deduper(settings)
    assert deduper.defer_commits(freeze_heap=freeze_heap)
    return deduper


def _feed(deduper: Deduper, stream: StoryStream, count: int, every: int = 100) -> None:
    store = deduper.store
    assert isinstance(store, SqliteStore)
    for n in range(1, count + 1):
        article, when = stream.next()
        deduper.process(article, when=when)
        if n % every == 0:
            deduper.commit()
            store.put_blob("stories_offset", str(n).encode("ascii"))
    assert store.sync(30.0)


def test_dedup_and_stories_past_the_cap_leave_no_cyclic_garbage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    # Stories created, updated, merged, frozen, thawed, dropped at the cap and
    # checkpointed (encoded on the writer thread), between two full collections.
    monkeypatch.setattr(stories, "MAX_STORIES", 60)
    monkeypatch.setattr(stories, "READ_THAWED", 8)
    stream = StoryStream(seed=5, per_day=300)  # an hour of event time every ~12 articles
    deduper = _deduper(tmp_path / "state.sqlite3", freeze_heap=False)
    _feed(deduper, stream, 200)
    gc.collect()
    _feed(deduper, stream, 600)
    assert deduper.clusterer is not None and deduper.clusterer.held_count <= 80
    assert gc.collect() == 0  # nothing was left to the cyclic GC
    deduper.close()


def test_a_commit_freezes_the_heap_and_the_frozen_stay_bounded_in_a_steady_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector: None
) -> None:
    monkeypatch.setattr(stories, "MAX_STORIES", 60)
    stream = StoryStream(seed=6, per_day=300)
    deduper = _deduper(tmp_path / "state.sqlite3", freeze_heap=True)
    _feed(deduper, stream, 400)
    # Frozen at the commits: what a full collection walks is a small part of the heap.
    assert len(gc.get_objects()) * 10 < gc.get_freeze_count()
    steady = gc.get_freeze_count()
    _feed(deduper, stream, 800)  # twice as many articles: stories go as they come
    # Frozen objects are freed when they go (by reference count): no growth with the stream.
    assert gc.get_freeze_count() < steady * 1.1
    deduper.close()


class _Node:
    loop: list[_Node]


def _cycle() -> tuple[_Node, weakref.ref[_Node]]:
    """An object in a reference cycle, and a weak reference that tells when it goes."""
    node = _Node()
    node.loop = [node]
    return node, weakref.ref(node)


def test_cyclic_garbage_made_before_a_commit_is_collected_not_frozen(
    tmp_path: Path, collector: None
) -> None:
    deduper = _deduper(tmp_path / "state.sqlite3", freeze_heap=True)
    _feed(deduper, StoryStream(seed=8, per_day=300), 50)
    gone = _cycle()[1]  # garbage, but only the cyclic GC can tell
    assert gone() is not None
    deduper.commit()
    assert gone() is None
    deduper.close()


def test_cyclic_garbage_frozen_while_alive_is_freed_once_the_frozen_heap_grows(
    tmp_path: Path, collector: None
) -> None:
    deduper = _deduper(tmp_path / "state.sqlite3", freeze_heap=True)
    _feed(deduper, StoryStream(seed=9, per_day=300), 50)
    deduper.commit()
    deduper.commit()  # the frozen heap's size after a whole collection is known
    node, gone = _cycle()
    deduper.commit()  # alive: frozen with the rest
    del node
    deduper.commit()
    assert gone() is not None  # frozen garbage: kept until a whole collection
    ballast = [[n] for n in range(gc.get_freeze_count() // 3)]  # the heap grows by a third
    deduper.commit()
    assert gone() is None
    assert len(ballast) > 0
    deduper.close()


def test_commits_freeze_nothing_when_told_not_to(tmp_path: Path, collector: None) -> None:
    deduper = _deduper(tmp_path / "state.sqlite3", freeze_heap=False)
    _feed(deduper, StoryStream(seed=7, per_day=300), 100)
    assert gc.get_freeze_count() == 0
    deduper.close()
