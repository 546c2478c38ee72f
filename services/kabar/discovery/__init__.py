"""Discovery of new article URLs: feeds, sitemaps, section pages, scheduling, seen URLs."""

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
