"""Packed stories whose row is committed hold no bytes: the row is read back when used."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup.stories import StoryClusterer
from kabar.dedup.storystate import StoredRows, StoryJournal, is_frozen
from tests.dedup.state_support import Stream, clusterer_of, store_of, story_ids, stream_deduper


@pytest.fixture(autouse=True)
def _every_story_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every story is packed a few articles after it changed: most are, at any time."""
    from kabar.dedup import stories

    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)


def _stream(count: int) -> Stream:
    source = StoryStream(seed=5, per_day=2_000)
    return [source.next() for _ in range(count)]


def _read_back(clusterer: StoryClusterer) -> int:
    return sum(isinstance(s.raw, StoredRows) for s in clusterer._stories.values())


def _state(clusterer: StoryClusterer) -> Any:
    return orjson.loads(clusterer.dump())


def test_stories_read_back_from_their_rows_cluster_as_stories_held_in_memory(
    tmp_path: Path,
) -> None:
    items = _stream(260)
    held = stream_deduper(None)
    expected = story_ids(held, items)
    stored = stream_deduper(tmp_path / "state.db")
    got = []
    most = 0
    for first in range(0, len(items), 20):
        got += story_ids(stored, items[first : first + 20], commit_every=20)
        clusterer = clusterer_of(stored)
        most = max(most, _read_back(clusterer))
        read = set(map(id, clusterer._read))  # (thawed to be scored, not yet frozen again)
        assert all(is_frozen(s) for s in clusterer._stories.values()
                   if isinstance(s.raw, StoredRows) and id(s) not in read)  # fmt: skip
    assert got == expected
    assert most > len(clusterer_of(stored)._stories) / 2
    assert _state(clusterer_of(stored)) == _state(clusterer_of(held))  # (unpacks every story)
    stored.close()


def test_a_crash_with_stories_read_back_resumes_as_an_uninterrupted_run(tmp_path: Path) -> None:
    items = _stream(300)
    straight = stream_deduper(tmp_path / "straight.db")
    expected = story_ids(straight, items, commit_every=20)

    first = stream_deduper(tmp_path / "crash.db")
    story_ids(first, items[:160], commit_every=20)
    first.store.put_blob("stories_offset", b"160")  # as the stories role does
    assert store_of(first).sync(30.0)
    assert _read_back(clusterer_of(first)) > 0
    story_ids(first, items[160:230])  # never committed: lost in the crash
    store_of(first)._writer.close(0.0)  # the process dies; nothing more reaches the file

    resumed = stream_deduper(tmp_path / "crash.db")
    offset = int(resumed.store.get_blob("stories_offset") or b"0")
    assert offset == 160
    assert story_ids(resumed, items[offset:], commit_every=20) == expected[offset:]
    assert _read_back(clusterer_of(resumed)) > 0  # the reopened stories dropped their bytes too
    assert _state(clusterer_of(resumed)) == _state(clusterer_of(straight))
    resumed.close()
    straight.close()


def test_packed_bytes_are_dropped_only_once_the_cut_holding_them_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kabar.dedup import storystate

    trims: list[int] = []
    monkeypatch.setattr(storystate, "TRIM_AFTER_BYTES", 4)  # bytes dropped before a trim
    monkeypatch.setattr(storystate, "release_freed_memory", lambda: trims.append(1))
    rows = StoredRows(tmp_path / "absent.db")  # (never read here)
    journal = StoryJournal()
    journal.stored_in(rows)
    kept, changed, dropped = (SimpleNamespace(id=name, raw=name.encode())
                              for name in ("kept", "changed", "dropped"))  # fmt: skip
    held = {"kept": kept, "changed": changed}
    for story in (kept, changed, dropped):
        journal.note(story, story.raw, 2)
    journal.committed(1)
    journal._swap(held)
    assert (kept.raw, changed.raw, dropped.raw) == (b"kept", b"changed", b"dropped")
    assert not trims
    changed.raw = b"changed again"  # unpacked and packed anew since
    journal.committed(2)
    journal._swap(held)
    assert kept.raw is rows  # four bytes dropped: the heap is due for a trim ...
    assert not trims  # ... not at the cut (on the event loop: it walks the whole heap)
    assert changed.raw == b"changed again" and dropped.raw == b"dropped"
    assert not journal._packed
    journal.committed(3)  # ... but at the next commit, on the writer thread
    assert trims == [1]
    journal.committed(4)
    assert trims == [1]


@pytest.mark.parametrize("saved_postings", [True, False])
def test_a_reopen_holds_no_packed_bytes_and_resumes_as_an_uninterrupted_run(
    tmp_path: Path, saved_postings: bool
) -> None:
    items = _stream(240)
    straight = stream_deduper(tmp_path / "straight.db")
    expected = story_ids(straight, items, commit_every=20)
    first = stream_deduper(tmp_path / "reopen.db")
    story_ids(first, items[:160], commit_every=20)
    first.close()
    index = Path(f"{tmp_path / 'reopen.db'}.stories.index")
    assert index.exists()
    if not saved_postings:  # the stories are indexed from their rows instead
        index.unlink()
    again = stream_deduper(tmp_path / "reopen.db")
    packed = [s for s in clusterer_of(again)._stories.values() if s.raw is not None]
    # Every packed story reads its committed row back: none holds its bytes.
    assert packed and all(isinstance(s.raw, StoredRows) for s in packed)
    assert story_ids(again, items[160:], commit_every=20) == expected[160:]
    assert _state(clusterer_of(again)) == _state(clusterer_of(straight))
    again.close()
    straight.close()


def test_the_heap_is_trimmed_every_few_committed_checkpoints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kabar.dedup import storystate

    trims: list[int] = []
    journal = StoryJournal()
    monkeypatch.setattr(storystate, "release_freed_memory", lambda: trims.append(journal.cuts))
    for cut in range(1, 3 * storystate.TRIM_EVERY_CUTS + 2):
        journal.cuts = cut
        journal.committed(cut)
    every = storystate.TRIM_EVERY_CUTS
    assert trims == [every, 2 * every, 3 * every]


def test_the_terms_of_many_stories_are_read_from_their_rows_a_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from kabar.dedup import storystate
    from kabar.dedup.stories import _Story

    monkeypatch.setattr(storystate, "READ_BATCH", 7)
    path = tmp_path / "rows.db"
    db = sqlite3.connect(path)
    db.executescript(storystate.SCHEMA)
    rows = StoredRows(path)
    held = []
    for n in range(20):
        story = _Story(f"st_{n:03d}", "judul", "id", 0.0, 0.0, member_count=1,
                       centroid={f"kata{n}": 1.0, f"kata{n} lain": 0.5, "umum": 0.2})  # fmt: skip
        assert storystate.freeze(story)
        db.execute(storystate._PUT_STORY, (story.id, n, story.raw))
        if n % 3:  # the others keep their bytes
            story.raw = rows
        held.append(story)
    db.commit()
    monkeypatch.setattr(StoredRows, "read", lambda *_: pytest.fail("read one at a time"))
    got = list(storystate.held_terms_of(held))
    assert got == [[f"kata{n}", f"kata{n} lain", "umum"] for n in range(20)]
    db.close()
