"""The seam between discovery and the fetch layer, and what sources yield.

Discovery needs one thing from the fetcher: a conditional GET of a feed,
sitemap or section page. ``SourceFetcher`` states that as a ``Protocol`` so
``kabar.fetch.Fetcher`` (or a test double) fits without an import. A fetcher
that can also read robots.txt (``RobotsReader``, optional) lets discovery use
the ``Sitemap:`` lines of portals configured without sitemaps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

SourceKind = Literal["feed", "sitemap", "section"]

_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s#]*)?", re.IGNORECASE)


class SourceDocument(Protocol):
    """A fetched source (``kabar.fetch.SourceResponse`` has this shape)."""

    @property
    def status(self) -> int: ...  # 200, or 304 when the validators still match

    @property
    def url(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def etag(self) -> str | None: ...

    @property
    def last_modified(self) -> str | None: ...

    @property
    def content_type(self) -> str: ...


class SourceFetcher(Protocol):
    """Fetches one source document; raises ``kabar.errors.FetchError`` on failure."""

    async def fetch_source(
        self,
        url: str,
        portal: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> SourceDocument: ...


class RobotsFile(Protocol):
    """What discovery reads of a robots.txt (``kabar.fetch.RobotsPolicy`` has it)."""

    @property
    def sitemaps(self) -> Sequence[str]: ...


@runtime_checkable
class RobotsReader(Protocol):
    """Optional fetcher capability: the (cached) robots.txt of ``url``'s origin."""

    async def robots(self, url: str) -> RobotsFile: ...


@dataclass(frozen=True, slots=True)
class Link:
    """An article URL found in a source, with the hints the source gave."""

    url: str
    title: str | None = None
    published: str | None = None  # ISO 8601 UTC
    #: Last modification (sitemap ``lastmod``, Atom ``updated``): not a publication date.
    updated: str | None = None

    @property
    def newest_date(self) -> str | None:
        """The date the age filter uses: publication when known, else last change."""
        return self.published or self.updated


def absolute_url(href: str | None, base_url: str) -> str | None:
    """``href`` resolved against ``base_url`` without its fragment; None unless http(s)."""
    if not href or not href.strip():
        return None
    href = href.strip()
    if _PLAIN_ABSOLUTE.fullmatch(href):  # the common case, without urljoin's cost
        return href
    try:
        parts = urlsplit(urljoin(base_url, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts._replace(fragment="").geturl()
