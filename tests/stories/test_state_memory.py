"""The compact forms the story state is held in (issue 14): small postings as
bytes, the cold table's batched lookups, the batched row reads of a clean stop."""

from __future__ import annotations

import struct

import numpy as np

from kabar.dedup import stories
from kabar.dedup.stories import SMALL_POSTING, StoryClusterer
from kabar.dedup.storycold import ColdTerms, term_hashes
from kabar.settings import DedupSettings

_PACK = struct.Struct("<I").pack


def _numbers(posting: bytes | bytearray) -> list[int]:
    return [n for (n,) in struct.iter_unpack("<I", posting)]


def test_a_posting_stays_bytes_while_small_and_grows_into_a_bytearray() -> None:
    postings: dict[str, bytes | bytearray] = {}
    for number in range(SMALL_POSTING - 1):
        stories._post(postings, "banjir", _PACK(number))
        assert type(postings["banjir"]) is bytes  # no bytearray (24 bytes more, spare room)
    stories._post(postings, "banjir", _PACK(500))
    assert type(postings["banjir"]) is bytearray  # long ones grow in place
    assert _numbers(postings["banjir"]) == [*range(SMALL_POSTING - 1), 500]


def test_a_small_bytes_posting_forgets_a_story_as_bytes_in_order() -> None:
    postings: dict[str, bytes | bytearray] = {"banjir": b"".join(map(_PACK, [3, 4, 5, 6]))}
    before = postings["banjir"]
    stories._unpost(postings, "banjir", _PACK(5))
    assert type(postings["banjir"]) is bytes and _numbers(postings["banjir"]) == [3, 4, 6]
    assert _numbers(before) == [3, 4, 5, 6]  # a shared bytes object is never changed
    stories._unpost(postings, "banjir", _PACK(3))
    stories._unpost(postings, "banjir", _PACK(6))
    assert _numbers(postings["banjir"]) == [4]
    stories._unpost(postings, "banjir", _PACK(4))
    assert "banjir" not in postings


def test_a_long_bytes_posting_read_from_an_index_becomes_a_bytearray_when_changed() -> None:
    numbers = list(range(100, 100 + 2 * SMALL_POSTING))
    postings: dict[str, bytes | bytearray] = {"banjir": b"".join(map(_PACK, numbers))}
    stories._unpost(postings, "banjir", _PACK(130))
    numbers.remove(130)
    assert type(postings["banjir"]) is bytearray and _numbers(postings["banjir"]) == numbers


def test_the_cold_table_tells_which_hashes_each_number_holds_in_one_call() -> None:
    cold = ColdTerms()
    terms = [f"kata{i} lain{i}" for i in range(300)]
    hashes = term_hashes(terms)
    owners = np.arange(300, dtype=np.int64) % 7
    placed = cold.add(hashes, owners)
    asked = np.where(np.arange(300) % 2 == 0, owners, owners + 1)  # half asked of another story
    held = cold.hits_of(hashes, asked)
    expected = [bool(p) and i % 2 == 0 for i, p in enumerate(placed.tolist())]
    assert held.tolist() == expected
    assert cold.hits_of(hashes[:5], 0).tolist() == [
        bool(placed[i]) and owners[i] == 0 for i in range(5)
    ]


def test_saved_postings_put_back_the_cold_terms_of_many_stories(
    settings: DedupSettings,
) -> None:
    clusterer = StoryClusterer(settings)
    for number in range(stories.SAVE_BATCH + 40):  # more than one batch of cold stories
        story = stories._Story(f"st_{number:04d}", "judul", "id", 0.0, 0.0, member_count=1,
                               centroid={f"kata{number} khusus": 1.0, "umum": 0.5})  # fmt: skip
        clusterer._index(story)
    before = {term: bytes(p) for term, p in clusterer.saved_postings()[1].items()}
    own = [t for t, p in clusterer._postings.items() if len(p) == 4]
    owners = np.frombuffer(b"".join(clusterer._postings[t] for t in own), "<u4").astype(np.int64)
    placed = clusterer._cold.add(term_hashes(own), owners)
    assert placed.all()
    for term in own:
        del clusterer._postings[term]
    for story in clusterer._stories.values():
        story.cold = True
    _, saved = clusterer.saved_postings()
    assert {term: bytes(p) for term, p in saved.items()} == before


def test_a_packed_story_held_under_its_number_costs_at_most_its_bound() -> None:
    # What each of the ~200k stories held at the story cap costs while packed (its
    # object, id, times, norms, number and the two maps' entries): no key bytes (made
    # when posted), and one float object for its first and last sighting when equal.
    import tracemalloc

    from kabar.dedup.stories import _Story
    from kabar.dedup.storystate import StoredRows, pack_story

    story = _Story("st_" + "0" * 20, "Banjir di hulu", "id", 1.7e9, 1.7e9, member_count=1,
                   member_ids=("a1",), outlets={"warta": 1}, centroid={"banjir": 0.5},
                   titles={"banjir": 1.0}, entities={"Kapuas": 1.0})  # fmt: skip
    story.norms, story.norms_at = (1.25, 0.5), 12_345
    row = pack_story(story)
    assert row is not None
    rows = [row.replace(b"0" * 20, f"{i:020d}".encode()) for i in range(2000)]
    stored = StoredRows.__new__(StoredRows)  # (never read here)
    held: dict[str, _Story] = {}
    numbered: dict[int, _Story] = {}
    tracemalloc.start()
    try:
        for number, data in enumerate(rows, start=70_000):
            packed = _Story.frozen(data, stored)
            assert packed is not None
            packed.number = number
            numbered[number] = held[packed.id] = packed
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(s.last_seen is s.first_seen for s in held.values())
    assert numbered[70_001].key == struct.pack("<I", 70_001)
    # 442 bytes; before, 474 without the key bytes a reopen gave each story (514 with).
    assert size / len(rows) < 460
