"""Deduplication and story clustering: exact, revision and near-duplicate
verdicts over a persistent state store (``Deduper``), plus the story
clusterer and language detection it feeds."""

from kabar.dedup.deduper import Deduper
from kabar.dedup.fingerprint import content_hash
from kabar.dedup.store import StateStore, open_store

__all__ = ["Deduper", "StateStore", "content_hash", "open_store"]
