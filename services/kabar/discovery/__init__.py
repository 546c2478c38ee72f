"""Discovery of new article URLs: feeds, sitemaps, section pages, scheduling, seen URLs.

The public names are imported on first use (PEP 562): a crawl process needs
``kabar.discovery.seen`` (the frontier's ``RedisSeen``) and the revisit stamps only,
and must not pay for the feed, sitemap and section parsers at every start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kabar.lazyexports import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
