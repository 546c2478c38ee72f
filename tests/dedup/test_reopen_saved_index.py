"""A reopen from the postings saved at a clean stop (``storystate.SavedIndex``): the
terms one packed story uses go straight to the cold table, the stories go on as
if never reopened, and an index of an older version on disk is still read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import stories, storystate
from kabar.dedup.stories import StoryClusterer
from kabar.dedup.storycold import ColdTerms, term_hashes
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.dedup.state_support import clusterer_of, store_of, story_ids, stream_deduper

Stream = list[tuple[Article, datetime]]


def _stream(count: int) -> Stream:
    source = StoryStream(seed=11, per_day=2_000)
    return [source.next() for _ in range(count)]


def _saved(clusterer: StoryClusterer) -> dict[str, bytes]:
    """The postings as a clean stop saves them (cold terms put back)."""
    return {term: bytes(p) for term, p in clusterer.saved_postings()[1].items()}


def test_a_reopen_holds_one_packed_storys_terms_cold_and_goes_on_as_never_reopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _stream(360)
    straight = stream_deduper(tmp_path / "straight.db")
    expected = story_ids(straight, items)
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", 1800.0)  # most stories idle, packed
    first = stream_deduper(tmp_path / "state.db")
    got = story_ids(first, items[:240], commit_every=80)
    packed = sum(s.raw is not None for s in clusterer_of(first)._stories.values())
    before = _saved(clusterer_of(first))
    first.close()  # a clean stop: the postings are saved with the last checkpoint
    again = stream_deduper(tmp_path / "state.db")
    reopened = clusterer_of(again)
    stored = store_of(again).story_state("stories")
    assert stored is not None and stored.index() is not None
    single = sum(len(p) == 4 for p in before.values())
    # Nearly every one-story term is cold at once; no dict entry is built for it.
    assert reopened._cold.size > 0.9 * single > 0 and packed > 0
    assert len(reopened._postings) + reopened._cold.size == len(before)
    assert _saved(reopened) == before
    got += story_ids(again, items[240:], commit_every=80)
    assert got == expected
    assert _saved(reopened) == _saved(clusterer_of(straight))
    again.close()
    straight.close()


def test_an_index_of_version_2_on_disk_is_still_read(tmp_path: Path) -> None:
    items = _stream(200)
    whole = StoryClusterer(DedupSettings(store="memory"))
    expected = [whole.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items)]
    first = StoryClusterer(DedupSettings(store="memory"))
    got = [first.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items[:120])]
    rows = first.checkpoint().encode()
    cut, saved = first.saved_postings()
    assert not first._dropped  # (version 2 knew no trimmed postings)
    path = tmp_path / "state.stories.index"
    storystate.write_index(path, "token", cut, saved)
    data = path.read_bytes()
    path.write_bytes(data.replace(storystate.INDEX_MAGIC, b"KABAR-STORY-INDEX-2\n", 1))
    index = storystate.read_index(path, "token", cut)
    assert index is not None and dict(index) == {t: bytes(p) for t, p in saved.items()}
    again = StoryClusterer.restore(
        rows.header, [(n, d) for _, n, d in rows.upserts], rows.terms, first.settings,
        postings=index,
    )  # fmt: skip
    assert again._cold.size > 0  # (every restored story is packed)
    assert _saved(again) == _saved(first)
    got += [again.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items[120:], 120)]
    assert got == expected
    assert again.dump() == whole.dump()


def test_a_saved_index_reads_each_posting_and_one_storys_number_at_any_offset() -> None:
    postings = {
        "satu": b"\x07\x00\x00\x00", "dua": b"\x01\x00\x00\x00\x02\x00\x00\x00",
        "tiga": b"\x05\x01\x00\x00", "kosong": b"", "besar": b"\xff\xff\xff\x0f",
    }  # fmt: skip
    saved = storystate.SavedIndex.of(postings)  # "tiga" starts at byte 12, "besar" at 16
    assert dict(saved) == postings and saved == postings
    which, numbers = saved.single()
    assert saved.names(which) == ["satu", "tiga", "besar"]
    assert numbers.tolist() == [7, 261, 0x0FFFFFFF]
    assert saved.names(saved.longer()) == ["dua", "kosong"] == saved.words()[1:4:2]


def test_a_filled_cold_table_holds_as_one_filled_by_adding() -> None:
    terms = [f"kata{n} lain{i}" for n in range(400) for i in range(30)]
    owners = np.repeat(np.arange(400), 30)
    hashes = term_hashes(terms)
    table, placed = ColdTerms.filled(hashes, owners)  # (a full bucket leaves some out)
    assert table.size == int(placed.sum()) > 0.9 * len(terms)
    assert table.hits_of(hashes, owners).tolist() == placed.tolist()
    assert not table.hits_of(hashes[:10], owners[:10] + 1).any()
    assert table.hits(term_hashes(["kata3 lain4"])) == ([3] if placed[3 * 30 + 4] else [])
    more = term_hashes([f"baru{i}" for i in range(20_000)])  # grows on as ever
    assert table.add(more, 999).sum() > 0.9 * len(more)
    assert table.hits_of(hashes, owners).tolist() == placed.tolist()
    taken = table.take(hashes[:30], 0)
    assert taken.tolist() == placed[:30].tolist()
    assert not table.hits_of(hashes[:30], 0).any()
    # Two terms of one hash: held for each (a hit warms both stories, as any collision).
    twice, held = ColdTerms.filled(term_hashes(["ulang", "ulang", "lain"]), np.array([4, 5, 6]))
    assert held.all() and twice.hits(term_hashes(["ulang"])) == [4, 5]
    empty, none = ColdTerms.filled(term_hashes([]), np.zeros(0, dtype=np.int64))
    assert empty.size == 0 and len(none) == 0


def test_without_saved_postings_the_stories_are_indexed_from_the_rows_at_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _stream(300)
    straight = stream_deduper(tmp_path / "straight.db")
    expected = story_ids(straight, items)
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", 1800.0)
    first = stream_deduper(tmp_path / "state.db")
    got = story_ids(first, items[:200], commit_every=100)
    first.close()
    Path(f"{tmp_path / 'state.db'}.stories.index").unlink()  # as after a crash
    reads: list[str] = []
    real = storystate.StoredRows.read

    def read(rows: storystate.StoredRows, story_id: str) -> bytes:
        reads.append(story_id)
        return real(rows, story_id)

    monkeypatch.setattr(storystate.StoredRows, "read", read)
    again = stream_deduper(tmp_path / "state.db")
    held = clusterer_of(again)._stories.values()
    assert not reads  # (a row read back a story while indexing: a query each)
    assert any(isinstance(s.raw, storystate.StoredRows) for s in held)
    got += story_ids(again, items[200:])
    assert got == expected
    again.close()
    straight.close()
