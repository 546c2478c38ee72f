"""Idle stories are found for packing from a heap of story changes, not by a sweep
over every held story (``kabar.dedup.storyexpiry``): the sweep's work per article
grew with the stories held (issue 14)."""

from __future__ import annotations

import sys
from typing import Any

from kabar.bench.dedup import StoryStream
from kabar.dedup.stories import StoryClusterer
from kabar.dedup.storyexpiry import SWEEP_EVERY_S
from kabar.dedup.storystate import FREEZE_AFTER_S
from kabar.settings import DedupSettings


class _Held(dict[str, Any]):
    """The held stories, counting the walks the expiry makes over them."""

    walks = 0

    def values(self) -> Any:
        if sys._getframe(1).f_code.co_filename.endswith("storyexpiry.py"):
            _Held.walks += 1
        return super().values()


def _run(clusterer: StoryClusterer, articles: int) -> None:
    """A stream of 2,000 articles a day, expired as the deduper does (a budget an article)."""
    stream = StoryStream(seed=11, per_day=2_000)
    for i in range(articles):
        article, when = stream.next()
        clusterer.expire(when, 16)
        clusterer.assign(f"art_{i:024x}", article, when)


def test_idle_stories_are_packed_without_walking_the_held_ones() -> None:
    clusterer = StoryClusterer(DedupSettings(store="memory"))
    held: Any = clusterer
    held._stories = _Held()
    _Held.walks = 0
    _run(clusterer, 1_500)  # 18 hours of event time
    assert _Held.walks == 0
    # Every story idle since before the last sweep (and its packing) is packed,
    # those updated after they were first packed too.
    before = held._latest - FREEZE_AFTER_S - SWEEP_EVERY_S - 3600.0
    idle = [s for s in held._stories.values() if s.last_seen < before]
    assert len(idle) > 100
    assert all(s.raw is not None for s in idle)
    updated = [s for s in idle if s.member_count > 1]
    assert updated
