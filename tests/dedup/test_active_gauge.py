"""The active-stories gauge walks every story, so its refreshes are spaced by the
story count: the walk costs a bounded share per article however large the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from kabar.bench.dedup import ArticleFactory
from kabar.dedup import Deduper
from kabar.dedup.store import MemoryStore
from kabar.settings import DedupSettings


class _ManyStories:
    """Stands in for a clusterer holding a million stories; counts the walks."""

    held_count = 1_000_000

    def __init__(self) -> None:
        self.walks = 0

    @property
    def active_count(self) -> int:
        self.walks += 1
        return 42

    def assign(self, article_id: str, article: Any, when: datetime, words: Any = None) -> Any:
        return SimpleNamespace(story_id="st_" + article_id[4:24], events=())

    def resolve(self, story_id: str) -> str:
        return story_id

    def expire(self, now: datetime, budget: int | None = None) -> None:
        return None

    def dump(self) -> bytes:
        return b"{}"


def test_the_gauge_walk_is_spaced_by_the_story_count() -> None:
    deduper = Deduper(DedupSettings(store="memory"), store=MemoryStore(86400.0),
                      clustering=False)
    stories = _ManyStories()
    deduper.clusterer = stories
    factory = ArticleFactory(seed=3)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(1500):
        deduper.process(factory.article(), when=start + timedelta(seconds=n))
    # Once at the first article; the next walk is a million / 8 articles away (every
    # 256 articles, as before, would have walked the million stories 5 more times).
    assert stories.walks == 1
