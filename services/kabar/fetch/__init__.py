"""Polite, safe HTTP fetching: ``Fetcher`` for pages, ``fetch_source`` for feeds and sitemaps.

The client is imported on first use of its names, not with the package: an
extraction process needs ``kabar.fetch.charset`` only, and importing httpx,
httpcore and the metrics with it cost every such process a tenth of a second
of CPU at its start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kabar.fetch.client import Fetcher, RequestHook, SourceResponse

__all__ = ["Fetcher", "RequestHook", "SourceResponse"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from kabar.fetch import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
