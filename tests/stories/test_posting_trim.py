"""Long postings keep their last entries and count the others (``stories.POSTING_TRIM``)."""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path

import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import stories, storystate
from kabar.dedup.stories import StoryClusterer
from kabar.models import Article
from kabar.settings import DedupSettings

_PACK = struct.Struct("<I").pack
#: Small: the stream is short. (A bytes posting, below SMALL_POSTING, is never trimmed.)
CAP, KEEP, TRIM, SMALL = 3, 6, 9, 4
#: Stories expire within the stream (short TTL): entries leave postings as well.
SETTINGS = DedupSettings(store="memory", story_ttl_days=0.25)


def _trimming(monkeypatch: pytest.MonkeyPatch, keep: int = KEEP, trim: int = TRIM) -> None:
    monkeypatch.setattr(stories, "POSTING_CAP", CAP)
    monkeypatch.setattr(stories, "POSTING_KEEP", keep)
    monkeypatch.setattr(stories, "POSTING_TRIM", trim)
    monkeypatch.setattr(stories, "_KEEP_BYTES", 4 * keep)
    monkeypatch.setattr(stories, "_TRIM_BYTES", 4 * trim)
    monkeypatch.setattr(stories, "_SMALL_BYTES", 4 * (SMALL - 1))


def _stream(count: int) -> list[tuple[Article, datetime]]:
    source = StoryStream(seed=5, per_day=2_000)
    return [source.next() for _ in range(count)]


def _run(clusterer: StoryClusterer, items: list[tuple[Article, datetime]], start: int = 0,
         ) -> list[object]:  # fmt: skip
    got: list[object] = []
    for i, (article, when) in enumerate(items, start):
        got.append(clusterer.assign(f"art_{i:024x}", article, when))
        clusterer.expire(when, budget=16)  # as the deduper does
    return got


def _numbers(posting: bytes | bytearray) -> list[int]:
    return [n for (n,) in struct.iter_unpack("<I", posting)]


def test_a_long_posting_keeps_its_last_entries_and_counts_the_others() -> None:
    postings: dict[str, bytes | bytearray] = {}
    dropped: dict[str, int] = {}
    for number in range(stories.POSTING_TRIM - 1):
        stories._post(postings, "banjir", _PACK(number), dropped)
    assert not dropped and len(_numbers(postings["banjir"])) == stories.POSTING_TRIM - 1
    stories._post(postings, "banjir", _PACK(1000), dropped)
    kept = [*range(stories.POSTING_TRIM - stories.POSTING_KEEP, stories.POSTING_TRIM - 1), 1000]
    assert _numbers(postings["banjir"]) == kept
    assert dropped == {"banjir": stories.POSTING_TRIM - stories.POSTING_KEEP}
    assert type(postings["banjir"]) is bytearray
    stories._unpost(postings, "banjir", _PACK(3), dropped)  # among those dropped: counted
    assert dropped == {"banjir": stories.POSTING_TRIM - stories.POSTING_KEEP - 1}
    assert _numbers(postings["banjir"]) == kept
    stories._unpost(postings, "banjir", _PACK(1000), dropped)  # among those kept: gone
    assert _numbers(postings["banjir"]) == kept[:-1]
    assert dropped == {"banjir": stories.POSTING_TRIM - stories.POSTING_KEEP - 1}


def test_a_posting_whose_entries_kept_all_left_lives_on_while_dropped_ones_remain() -> None:
    postings: dict[str, bytes | bytearray] = {"gempa": bytearray(_PACK(7))}
    dropped = {"gempa": 2}
    stories._unpost(postings, "gempa", _PACK(7), dropped)
    assert postings["gempa"] == b"" and dropped == {"gempa": 2}
    stories._unpost(postings, "gempa", _PACK(1), dropped)
    stories._unpost(postings, "gempa", _PACK(2), dropped)
    assert "gempa" not in postings and not dropped


def test_trimmed_postings_cluster_as_whole_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _stream(800)
    _trimming(monkeypatch, trim=1 << 30)  # never trimmed
    whole = StoryClusterer(SETTINGS)
    expected = _run(whole, items)
    _trimming(monkeypatch)
    trimmed = StoryClusterer(SETTINGS)
    assert _run(trimmed, items) == expected
    assert not whole._dropped and len(trimmed._dropped) > 20
    assert max(map(len, trimmed._postings.values())) < 4 * TRIM
    assert sum(trimmed._dropped.values()) > 200
    for term, posting in whole._postings.items():
        assert trimmed._using(term) == whole._using(term) == len(posting) // 4
        assert bytes(posting).endswith(bytes(trimmed._postings[term]))
    assert set(trimmed._postings) == set(whole._postings)


def test_a_reopen_from_saved_postings_keeps_the_counts_dropped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    items = _stream(700)
    _trimming(monkeypatch)
    whole = StoryClusterer(SETTINGS)
    expected = _run(whole, items)
    first = StoryClusterer(SETTINGS)
    got = _run(first, items[:400])
    rows = first.checkpoint().encode()
    cut, saved = first.saved_postings()
    path = tmp_path / "state.stories.index"
    storystate.write_index(path, "token", cut, saved)
    postings = storystate.read_index(path, "token", cut)
    assert postings is not None
    again = StoryClusterer.restore(
        rows.header, [(n, d) for _, n, d in rows.upserts], rows.terms, SETTINGS,
        postings=postings,
    )  # fmt: skip
    assert again._dropped == first._dropped
    assert {t: bytes(p) for t, p in again.saved_postings()[1].items()} == {
        t: bytes(p) for t, p in first.saved_postings()[1].items()
    }  # (cold terms put back: a reopen holds one packed story's terms cold)
    got += _run(again, items[400:], 400)
    assert got == expected


def test_whole_postings_of_an_older_index_are_trimmed_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _stream(400)
    _trimming(monkeypatch, trim=1 << 30)
    whole = StoryClusterer(SETTINGS)
    _run(whole, items)
    rows = whole.checkpoint().encode()
    _trimming(monkeypatch)
    again = StoryClusterer.restore(
        rows.header, [(n, d) for _, n, d in rows.upserts], rows.terms, SETTINGS,
        postings=dict(whole.saved_postings()[1]),
    )  # fmt: skip
    assert again._dropped and max(map(len, again._postings.values())) < 4 * TRIM
    cold = set(again.saved_postings()[1]) - set(again._postings)  # one packed story's each
    assert all(len(whole._postings[term]) == 4 for term in cold)
    for term, posting in whole._postings.items():
        if term in cold:
            continue
        assert again._using(term) == len(posting) // 4
        assert bytes(posting).endswith(bytes(again._postings[term]))
