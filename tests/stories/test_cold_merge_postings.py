"""Merging stories while others' terms are cold, then warming those: every story's
terms stay found (in its postings, cold for it alone, or counted dropped), and no
posting holds a story that is gone (``kabar.dedup.storycold``, ``stories._merge``)."""

from __future__ import annotations

import random

import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import stories
from kabar.dedup.stories import StoryClusterer
from kabar.dedup.storycold import term_hashes
from kabar.dedup.storystate import held_terms
from kabar.settings import DedupSettings

#: Small postings trim: the stream is short (as ``test_posting_trim``).
KEEP, TRIM, SMALL = 3, 5, 3


def _entries(clusterer: StoryClusterer) -> dict[str, list[bytes]]:
    return {t: [bytes(p[i : i + 4]) for i in range(0, len(p), 4)]
            for t, p in clusterer._postings.items()}  # fmt: skip


def _cold_for(clusterer: StoryClusterer, term: str, story: stories._Story) -> bool:
    return story.cold and bool(clusterer._cold.hits_of(term_hashes([term]), story.number)[0])


def _faults(clusterer: StoryClusterer) -> list[tuple[str, str]]:
    """What the postings, the cold table and the dropped counts get wrong."""
    postings, faults = _entries(clusterer), []
    live = {story.key for story in clusterer._numbered.values()}
    users: dict[str, list[stories._Story]] = {}
    for story in clusterer._numbered.values():
        for term in held_terms(story):
            users.setdefault(term, []).append(story)
    for term, keys in postings.items():
        faults += [("gone story posted", term) for key in keys if key not in live]
        missing = [s for s in users.get(term, []) if s.key not in keys]
        cold = [s for s in missing if _cold_for(clusterer, term, s)]
        if cold:
            faults.append(("posted while cold", term))
        if len(missing) - len(cold) != clusterer._dropped.get(term, 0):
            faults.append(("dropped count", term))
    for term, using in users.items():
        if term not in postings:
            faults += [("lost", term) for s in using if not _cold_for(clusterer, term, s)]
    return faults


def test_merges_among_cold_stories_keep_the_postings_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)  # every story packed and cooled
    monkeypatch.setattr(stories, "COOL_BATCH", 64)
    monkeypatch.setattr(stories, "POSTING_KEEP", KEEP)
    monkeypatch.setattr(stories, "POSTING_TRIM", TRIM)
    monkeypatch.setattr(stories, "_KEEP_BYTES", 4 * KEEP)
    monkeypatch.setattr(stories, "_TRIM_BYTES", 4 * TRIM)
    monkeypatch.setattr(stories, "_SMALL_BYTES", 4 * (SMALL - 1))
    clusterer = StoryClusterer(DedupSettings(store="memory"))
    source, pick = StoryStream(seed=11, per_day=2_000), random.Random(3)
    merged_beside_cold = trimmed = 0
    for i in range(240):
        article, when = source.next()
        clusterer.assign(f"art_{i:024x}", article, when)  # (warms the stories it hits)
        clusterer.expire(when)
        while clusterer._to_freeze:
            clusterer._freeze_some()
        if i % 3 == 2 and len(clusterer._numbered) > 3:
            keep, other = pick.sample(sorted(clusterer._numbered), 2)
            cold = [s for n, s in clusterer._numbered.items() if s.cold and n not in (keep, other)]
            merged_beside_cold += bool(cold)
            clusterer._merge(clusterer._numbered[keep], clusterer._numbered[other])
        assert _faults(clusterer) == [], i
        trimmed += bool(clusterer._dropped)
    assert merged_beside_cold > 50
    assert trimmed > 50 and clusterer._cold.size, (trimmed, clusterer._cold.size)
