"""Deduplication and story clustering: exact, revision and near-duplicate
verdicts over a persistent state store (``Deduper``), plus the story
clusterer and language detection it feeds.

The public names are imported on first use (PEP 562): extraction workers
import ``kabar.dedup.language`` only, and must not pay for the deduper's
imports (numpy, SQLite store, metrics, settings) at every process start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kabar.lazyexports import lazy_exports

if TYPE_CHECKING:
    from kabar.dedup.deduper import Deduper
    from kabar.dedup.fingerprint import content_hash
    from kabar.dedup.store import StateStore, open_store

__all__ = ["Deduper", "StateStore", "content_hash", "open_store"]

#: Public name → the submodule defining it.
_HOMES = {
    "Deduper": "kabar.dedup.deduper",
    "content_hash": "kabar.dedup.fingerprint",
    "StateStore": "kabar.dedup.store",
    "open_store": "kabar.dedup.store",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
