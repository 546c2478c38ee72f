"""Polite, safe HTTP fetching: ``Fetcher`` for pages, ``fetch_source`` for feeds and sitemaps."""

from kabar.fetch.client import Fetcher, RequestHook, SourceResponse

__all__ = ["Fetcher", "RequestHook", "SourceResponse"]
