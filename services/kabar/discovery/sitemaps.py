"""XML sitemaps: URL sets, sitemap indexes, Google News sitemaps, gzip and text.

An index is followed to a bounded depth and fan-out, newest child first by
``lastmod``, skipping children whose ``lastmod`` predates the age window (they
cannot hold fresh articles). News sitemaps add ``news:publication_date`` and
``news:title``; plain sitemaps give only ``lastmod``. A recent ``lastmod`` shared
by every entry of a sitemap is dropped: it dates the file, not the articles.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kabar.discovery.dates import epoch_of, source_date
from kabar.discovery.offloop import ParseRunner
from kabar.discovery.revisits import without_generation_stamps
from kabar.discovery.safexml import (
    DEFAULT_LIMITS,
    XmlLimits,
    child_text,
    children,
    local,
    parse_entries,
)
from kabar.discovery.sources import Link, SourceDocument, absolute_url
from kabar.errors import ContentError, FetchError

#: The sitemap protocol's own ceiling on an uncompressed sitemap.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = "\x1f\x8b"
#: What may precede the markup of an XML sitemap (control bytes are repaired away).
_LEADING_JUNK = "\ufeff \t\r\n" + "".join(map(chr, range(0x20)))
_ENTRY_TAGS = frozenset({"url", "sitemap"})
#: Control characters a text sitemap never has (gzip and other binary bodies do).
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")

#: Conditional GET of a sitemap for a portal: the document, or None when unchanged (304).
FetchDocument = Callable[[str, str], Awaitable[SourceDocument | None]]
#: Told about a child sitemap that failed (url, portal, error); the crawl goes on.
ReportError = Callable[[str, str, FetchError], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChildSitemap:
    url: str
    lastmod: str | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    links: tuple[Link, ...] = ()
    children: tuple[ChildSitemap, ...] = ()


@dataclass(frozen=True, slots=True)
class CrawlLimits:
    max_depth: int = 2
    max_children: int = 5
    #: Indexes whose children are remembered for when they answer 304.
    max_indexes: int = 1000
    xml: XmlLimits = field(default_factory=XmlLimits)


def parse_sitemap(text: str, base_url: str, limits: XmlLimits = DEFAULT_LIMITS) -> Sitemap:
    """Read a URL set, an index or a one-URL-per-line text sitemap.

    A body that yields nothing readable raises (``not_sitemap``) rather than
    passing for an empty sitemap: a failure must be seen, not look like quiet.
    """
    text = gunzip_text(text)
    if not text.lstrip(_LEADING_JUNK).startswith("<"):
        return Sitemap(links=tuple(_text_urls(text, base_url, limits.max_entries)))
    found = parse_entries(text, _ENTRY_TAGS, lambda entry: _entry(entry, base_url), limits)
    if found.root == "sitemapindex":
        return Sitemap(children=tuple(e for e in found.entries if isinstance(e, ChildSitemap)))
    return Sitemap(links=tuple(e for e in found.entries if isinstance(e, Link)))


def newest_children(
    found: tuple[ChildSitemap, ...], limit: int, not_before: float | None = None
) -> list[ChildSitemap]:
    """The children worth fetching: not older than ``not_before``, newest first, ``limit``."""

    def age_key(child: ChildSitemap) -> float:
        moment = epoch_of(child.lastmod) if child.lastmod else None
        return -(moment if moment is not None else float("-inf"))

    fresh = [child for child in found if not _stale(child, not_before)]
    # Undated children keep document order after the dated ones (sort is stable).
    return sorted(fresh, key=age_key)[:limit]


class SitemapCrawler:
    """Follows sitemap indexes within limits. An index that answers 304 still leads
    to its children (remembered from its last 200): portals often keep a fixed index
    while the sitemaps it lists change."""

    def __init__(
        self,
        fetch: FetchDocument,
        report: ReportError,
        limits: CrawlLimits,
        parser: ParseRunner | None = None,
    ) -> None:
        self._fetch = fetch
        self._report = report
        self._limits = limits
        self._parser = parser or ParseRunner()
        self._indexes: OrderedDict[str, tuple[ChildSitemap, ...]] = OrderedDict()

    async def crawl(self, url: str, portal: str, not_before: float | None) -> list[Link]:
        """Links of the sitemap at ``url`` and its children; a failing root raises."""
        return await self._visit(url, portal, not_before, depth=0)

    async def _visit(
        self, url: str, portal: str, not_before: float | None, depth: int
    ) -> list[Link]:
        try:
            sitemap = await self._load(url, portal)
        except FetchError as exc:
            if depth == 0:
                raise
            await self._report(url, portal, exc)
            return []
        links = without_generation_stamps(sitemap.links, not_before)
        if depth < self._limits.max_depth:
            for child in newest_children(sitemap.children, self._limits.max_children, not_before):
                links.extend(await self._visit(child.url, portal, not_before, depth + 1))
        return links

    async def _load(self, url: str, portal: str) -> Sitemap:
        document = await self._fetch(url, portal)
        if document is None:
            return Sitemap(children=self._indexes.get(url, ()))
        sitemap = await self._parser.run(
            parse_sitemap, document.text, document.url, self._limits.xml
        )
        if sitemap.children:
            self._indexes[url] = sitemap.children
            self._indexes.move_to_end(url)  # the least recently refreshed index goes first
            while len(self._indexes) > self._limits.max_indexes:
                self._indexes.popitem(last=False)
        return sitemap


def gunzip_text(text: str) -> str:
    """Undo gzip on a body that reached us as text (bytes decoded as Latin-1)."""
    if not text.startswith(_GZIP_MAGIC):
        return text
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ContentError("gzip body was decoded lossily", reason="bad_charset") from exc
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(raw, MAX_SITEMAP_BYTES)
    except zlib.error as exc:
        raise ContentError(f"bad gzip: {exc}", reason="malformed_xml") from exc
    if inflater.unconsumed_tail:
        raise ContentError("sitemap inflates past 50 MB", reason="decompression_bomb")
    return data.decode("utf-8", errors="replace")


def _entry(element: ET.Element, base_url: str) -> Link | ChildSitemap | None:
    url = absolute_url(child_text(element, "loc"), base_url)
    if url is None:
        return None
    if local(element.tag) == "sitemap":
        return ChildSitemap(url, source_date(child_text(element, "lastmod")))
    news = next(children(element, "news"), None)
    title = child_text(news, "title") if news is not None else None
    published = child_text(news, "publication_date") if news is not None else None
    updated = source_date(child_text(element, "lastmod"))
    return Link(url, title, source_date(published), updated)


def _stale(child: ChildSitemap, not_before: float | None) -> bool:
    if not_before is None or child.lastmod is None:
        return False
    moment = epoch_of(child.lastmod)
    return moment is not None and moment < not_before


def _text_urls(text: str, base_url: str, max_entries: int) -> list[Link]:
    if _BINARY.search(text, 0, 512):
        raise ContentError("binary body (compressed twice?) is not a sitemap",
                           reason="not_sitemap")
    found: list[Link] = []
    for line in text.splitlines():
        line = line.strip()
        url = absolute_url(line, base_url) if line.startswith(("http://", "https://")) else None
        if url is None:
            continue
        found.append(Link(url))
        if len(found) > max_entries:
            raise ContentError(f"more than {max_entries} entries", reason="too_many_entries")
    if not found and text.strip():
        raise ContentError("neither XML nor a list of URLs", reason="not_sitemap")
    return found
