"""The parts of a SQLite-backed ``Deduper`` the story-state tests look into."""

from __future__ import annotations

from kabar.dedup import Deduper
from kabar.dedup.store import SqliteStore
from kabar.dedup.stories import StoryClusterer


def clusterer_of(deduper: Deduper) -> StoryClusterer:
    assert isinstance(deduper.clusterer, StoryClusterer)
    return deduper.clusterer


def store_of(deduper: Deduper) -> SqliteStore:
    assert isinstance(deduper.store, SqliteStore)
    return deduper.store
