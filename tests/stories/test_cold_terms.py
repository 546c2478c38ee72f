"""The one-story terms of packed stories held as hashes (``kabar.dedup.storycold``)."""

from __future__ import annotations

from datetime import datetime

import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import stories
from kabar.dedup.stories import StoryClusterer
from kabar.dedup.storycold import ColdTerms, term_hashes
from kabar.models import Article
from kabar.settings import DedupSettings

Stream = list[tuple[Article, datetime]]


def _stream(count: int) -> Stream:
    source = StoryStream(seed=5, per_day=2_000)
    return [source.next() for _ in range(count)]


def _postings(clusterer: StoryClusterer) -> dict[str, bytes]:
    return {term: bytes(p) for term, p in clusterer.saved_postings()[1].items()}


def _packing_all(clusterer: StoryClusterer, items: Stream, start: int = 0) -> list[object]:
    """Assignments, every idle story packed (and cooled) after each article."""
    got: list[object] = []
    for i, (article, when) in enumerate(items, start):
        got.append(clusterer.assign(f"art_{i:024x}", article, when))
        clusterer.expire(when)
        while clusterer._to_freeze:
            clusterer._freeze_some()
    return got


def test_the_table_holds_finds_and_forgets_hashes_across_growth() -> None:
    table = ColdTerms()
    placed = 0
    for number in range(3000):
        terms = [f"kata{number} lain{i}" for i in range(20)]
        placed += int(table.add(term_hashes(terms), number).sum())  # a full bucket keeps some out
    assert table.size == placed > 0.9 * 3000 * 20
    kept = [n for n in (7, 2999) if table.hits_of(term_hashes([f"kata{n} lain3"]), n).all()]
    probe = term_hashes(["kata7 lain3", "kata2999 lain3", "tidak ada"])
    assert table.hits(probe) == kept and kept
    assert table.hits_of(term_hashes(["kata7 lain3", "kata7 lain4"]), 8).tolist() == [False] * 2
    held = table.hits_of(term_hashes(["kata7 lain3"]), 7)
    size = table.size
    assert table.take(term_hashes(["kata7 lain3"]), 7).tolist() == held.tolist()
    assert table.size == size - int(held.sum())
    assert table.hits_of(term_hashes(["kata7 lain3"]), 7).tolist() == [False]


def test_a_hash_held_already_or_repeated_is_not_held_again() -> None:
    table = ColdTerms()
    assert table.add(term_hashes(["banjir bandang"]), 1).tolist() == [True]
    assert table.add(term_hashes(["banjir bandang", "gempa", "gempa"]), 2).tolist() == [
        False, False, False,
    ]  # fmt: skip
    assert table.hits(term_hashes(["banjir bandang", "gempa"])) == [1]


def test_cooled_stories_cluster_as_held_ones_and_the_saved_postings_are_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _stream(400)
    held = StoryClusterer(DedupSettings(store="memory"))
    expected = [held.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items)]
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)  # every story packed (and cooled)
    cooled = StoryClusterer(DedupSettings(store="memory"))
    got, warmed = [], 0
    for i, item in enumerate(items):
        got += _packing_all(cooled, [item], i)
        warmed += sum(1 for s in cooled._stories.values() if not s.cold)
        assert cooled._cold.size > 0 or i < 2
        assert len(cooled._postings) < len(held._postings) or i < 2
    assert got == expected
    assert warmed > 0
    assert _postings(cooled) == _postings(held)
    assert cooled.dump() == held.dump()


def test_a_reopened_clusterer_cools_its_packed_stories_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _stream(300)
    held = StoryClusterer(DedupSettings(store="memory"))
    expected = [held.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items)]
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)
    first = StoryClusterer(DedupSettings(store="memory"))
    got = _packing_all(first, items[:200])
    rows = first.checkpoint().encode()
    again = StoryClusterer.restore(
        rows.header, [(n, d) for _, n, d in rows.upserts], rows.terms, first.settings,
        postings=dict(first.saved_postings()[1]),
    )  # fmt: skip
    saved = first.saved_postings()[1]
    assert again._cold.size > 0 and len(again._postings) + again._cold.size == len(saved)
    got += _packing_all(again, items[200:], 200)
    assert got == expected
    assert again._cold.size > 0
    assert _postings(again) == _postings(held)


def test_packed_stories_terms_go_cold_together_when_the_batch_fills_or_the_queue_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)  # every story idle at once
    clusterer = StoryClusterer(DedupSettings(store="memory"))
    for i, (article, when) in enumerate(_stream(120)):
        clusterer.assign(f"art_{i:024x}", article, when)
    clusterer.expire(when)
    assert len(clusterer._to_freeze) > 2 * stories.FREEZE_PER_ARTICLE
    terms = len(clusterer._postings)
    clusterer._freeze_some()  # a few packed: their terms wait for the batch
    assert clusterer._packed and not clusterer._cold.size
    assert len(clusterer._postings) == terms
    while clusterer._to_freeze:
        clusterer._freeze_some()
    assert not clusterer._packed and clusterer._cold.size > 0
    assert len(clusterer._postings) + clusterer._cold.size == terms


def test_stories_unpacked_or_terms_shared_while_waiting_for_the_batch_stay_in_the_postings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _stream(400)
    held = StoryClusterer(DedupSettings(store="memory"))
    expected = [held.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items)]
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)
    monkeypatch.setattr(stories, "FREEZE_PER_ARTICLE", 1)  # packed slowly ...
    monkeypatch.setattr(stories, "COOL_BATCH", 1 << 30)  # ... and cooled when the queue ends
    cooled = StoryClusterer(DedupSettings(store="memory"))
    got, unpacked_waiting = [], 0
    for i, (article, when) in enumerate(items):
        got.append(cooled.assign(f"art_{i:024x}", article, when))
        cooled.expire(when, 16)  # (as the deduper: a sweep an hour of event time)
        unpacked_waiting += sum(1 for s, _ in cooled._packed.values() if s.raw is None)
        for story in cooled._stories.values():  # a cold story's terms are its own, and held
            if story.cold:
                assert story.raw is not None
    assert unpacked_waiting > 0
    assert got == expected
    assert cooled._cold.size > 0
    assert _postings(cooled) == _postings(held)
