"""Kabar's Python API: what the CLI does, as functions.

    from kabar import extract                 # extract(html, url=None, *, portal=None)
    from kabar.api import fetch_article, page_id, load_settings

``kabar.extract`` is the extraction package and is callable (same as
``kabar.extract.extract``, the spelling type checkers understand).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kabar.extract import extract
from kabar.models import Article, FetchRequest
from kabar.settings import FetchSettings, load_settings

__all__ = ["Article", "extract", "fetch_article", "load_settings", "page_id"]


async def fetch_article(
    url: str, settings: FetchSettings | None = None, *, portal: str = ""
) -> Article:
    """Fetch one page politely (robots.txt, the address guard, the proxy) and extract it.

    Raises a ``FetchError`` or ``ExtractError`` with a ``reason``."""
    import asyncio

    from kabar.fetch import Fetcher

    async with Fetcher(settings or FetchSettings()) as fetcher:
        result = await fetcher.fetch(FetchRequest(url=url, portal=portal or ""))
    article = await asyncio.to_thread(extract, result.html, result.final_url,
                                      portal=portal or None)
    return article


def page_id(name: str, data: bytes) -> str:
    """A stable id for a page read from a file (its ``file://`` URI) or from stdin (its
    content hash), so pages extracted without ``--url`` never share one URL."""
    if name != "-":
        return Path(name).resolve().as_uri()
    return "urn:kabar:page:" + hashlib.sha256(data).hexdigest()[:32]
