"""The parts of a SQLite-backed ``Deduper`` the story-state tests look into, and the
deduper and stream runner they share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kabar.dedup import Deduper
from kabar.dedup.store import SqliteStore
from kabar.dedup.stories import StoryClusterer
from kabar.models import Article
from kabar.settings import DedupSettings

Stream = list[tuple[Article, datetime]]


def clusterer_of(deduper: Deduper) -> StoryClusterer:
    assert isinstance(deduper.clusterer, StoryClusterer)
    return deduper.clusterer


def store_of(deduper: Deduper) -> SqliteStore:
    assert isinstance(deduper.store, SqliteStore)
    return deduper.store


def stream_deduper(path: Path | None) -> Deduper:
    """In memory (``path`` None), or on SQLite committing only when told, as the stories
    role runs it (the heap left unfrozen for the tests' measures)."""
    if path is None:
        return Deduper(DedupSettings(store="memory"))
    settings = DedupSettings(store="sqlite", state_path=str(path), checkpoint_interval_s=0.0)
    deduper = Deduper(settings)
    deduper.defer_commits(freeze_heap=False)
    return deduper


def story_ids(deduper: Deduper, items: Stream, commit_every: int = 0) -> list[str | None]:
    """Story ids; a commit (waited for) every ``commit_every`` articles."""
    out = []
    for n, (article, when) in enumerate(items, 1):
        out.append(deduper.process(article, when=when)[0].story_id)
        if commit_every and n % commit_every == 0:
            deduper.commit()
            assert store_of(deduper).sync(30.0)
    return out
