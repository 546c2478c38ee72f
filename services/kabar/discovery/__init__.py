"""Discovery of new article URLs: feeds, sitemaps, section pages, scheduling, seen URLs.

The public names are imported on first use (PEP 562): a crawl process needs
``kabar.discovery.seen`` (the frontier's ``RedisSeen``) and the revisit stamps only,
and must not pay for the feed, sitemap and section parsers at every start."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kabar.discovery.discovery import Discovery, ErrorHook
    from kabar.discovery.schedule import Intervals, Schedule, SourceKey, Validators
    from kabar.discovery.seen import SeenStore
    from kabar.discovery.sources import (
        Link,
        RobotsFile,
        RobotsReader,
        SourceDocument,
        SourceFetcher,
        SourceKind,
    )

__all__ = [
    "Discovery",
    "ErrorHook",
    "Intervals",
    "Link",
    "RobotsFile",
    "RobotsReader",
    "Schedule",
    "SeenStore",
    "SourceDocument",
    "SourceFetcher",
    "SourceKey",
    "SourceKind",
    "Validators",
]

#: Public name → the submodule defining it.
_HOMES = {
    "Discovery": "kabar.discovery.discovery",
    "ErrorHook": "kabar.discovery.discovery",
    "Intervals": "kabar.discovery.schedule",
    "Schedule": "kabar.discovery.schedule",
    "SourceKey": "kabar.discovery.schedule",
    "Validators": "kabar.discovery.schedule",
    "SeenStore": "kabar.discovery.seen",
    "Link": "kabar.discovery.sources",
    "RobotsFile": "kabar.discovery.sources",
    "RobotsReader": "kabar.discovery.sources",
    "SourceDocument": "kabar.discovery.sources",
    "SourceFetcher": "kabar.discovery.sources",
    "SourceKind": "kabar.discovery.sources",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        # Not ours: ``from kabar.discovery import sections`` then imports the submodule.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
