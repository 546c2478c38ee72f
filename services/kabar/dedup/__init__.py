"""Deduplication and story clustering: exact, revision and near-duplicate
verdicts over a persistent state store (``Deduper``), plus the story
clusterer and language detection it feeds.

The public names are imported on first use (PEP 562): extraction workers
import ``kabar.dedup.language`` only, and must not pay for the deduper's
imports (numpy, SQLite store, metrics, settings) at every process start."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        # Not ours: ``from kabar.dedup import language`` then imports the submodule.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
