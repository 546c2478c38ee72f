"""Story expiry is spread over articles (``kabar.dedup.storyexpiry``): a bounded
number of stories go per article, the oldest first, instead of one hourly batch
that held the event loop 776 ms at 1M articles (issue 14)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import Deduper, deduper, stories
from kabar.settings import DedupSettings


def _counting(clusterer: Any) -> tuple[list[int], list[float]]:
    """Stories dropped per ``expire`` call, and the last update of each dropped by expiry."""
    per_call: list[int] = []
    dropped: list[float] = []
    drop, expire = clusterer._drop, clusterer.expire
    inside = [False]

    def counted_drop(story: Any) -> None:
        if inside[0]:
            per_call[-1] += 1
            dropped.append(story.last_seen)
        drop(story)

    def counted_expire(now: Any, budget: int | None = None) -> None:
        per_call.append(0)
        inside[0] = True
        try:
            expire(now, budget)
        finally:
            inside[0] = False

    clusterer._drop = counted_drop
    clusterer.expire = counted_expire
    return per_call, dropped


def _feed(dedup: Deduper, *, seed: int, articles: int) -> None:
    """Run ``articles`` of a synthetic stream of 2,400 a day through ``dedup``."""
    stream = StoryStream(seed=seed, per_day=2_400)
    for _ in range(articles):
        article, when = stream.next()
        dedup.process(article, when=when)


def test_the_deduper_expires_a_bounded_number_of_stories_per_article_oldest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two hours of event time to live: at 2,400 articles a day, stories go by the
    # hundred an hour (the hourly batch dropped them all in one call).
    settings = DedupSettings(store="memory", story_ttl_days=2 / 24)
    dedup = Deduper(settings)
    assert dedup.clusterer is not None
    per_call, dropped = _counting(dedup.clusterer)
    _feed(dedup, seed=7, articles=1_200)
    assert sum(per_call) > 10 * deduper.EXPIRE_PER_ARTICLE  # stories did expire
    assert max(per_call) <= deduper.EXPIRE_PER_ARTICLE
    assert dropped == sorted(dropped)  # in event-time order (whole seconds apart here)
    # ... and keeping up: nothing held is older than the TTL by more than a minute.
    clusterer: Any = dedup.clusterer
    oldest = min(s.last_seen for s in clusterer._stories.values())
    latest = dedup._story_clock.timestamp()
    assert oldest >= latest - 2 * 3600.0 - 60.0


def test_past_the_cap_the_oldest_stories_go_a_few_per_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stories, "MAX_STORIES", 50)
    dedup = Deduper(DedupSettings(store="memory"))
    assert dedup.clusterer is not None
    per_call, _ = _counting(dedup.clusterer)
    _feed(dedup, seed=8, articles=400)
    assert max(per_call) <= deduper.EXPIRE_PER_ARTICLE
    assert dedup.clusterer.held_count <= 51  # at most the story just created over the cap


def test_without_a_budget_every_story_due_goes_in_one_call() -> None:
    settings = DedupSettings(store="memory", story_ttl_days=1.0)
    clusterer = stories.StoryClusterer(settings)
    stream = StoryStream(seed=9, per_day=2_400)
    last = None
    for n in range(300):
        article, when = stream.next()
        clusterer.assign(f"a{n}", article, when)
        last = when
    assert last is not None
    held: Any = clusterer
    before = {s.id: s.last_seen for s in held._stories.values()}
    now = last + timedelta(hours=23)  # the last hour of stories stays
    clusterer.expire(now)
    cutoff = now.timestamp() - 86400.0
    kept = {i for i, seen in before.items() if seen >= cutoff}
    assert set(held._stories) == kept
    assert kept and len(kept) < len(before)
