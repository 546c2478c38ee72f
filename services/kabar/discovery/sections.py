"""Article links on section and index pages.

A portal's extraction rules may say what its article URLs look like
(``article_url_pattern``); otherwise a heuristic does: same site, not a tag,
category, author, search, media or service page, and a path that carries an
article's marks — a long numeric id, a date, or a long word slug.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from kabar.discovery.feeds import feed_links_in
from kabar.discovery.sources import Link, absolute_url
from kabar.errors import ContentError
from kabar.htmlguard import DEFAULT_LIMITS as DEFAULT_HTML_LIMITS
from kabar.htmlguard import HtmlLimits, check_html

_NOT_ARTICLE_SEGMENT = re.compile(
    r"/(?:tags?|topi[ck]s?|kategori|category|categories|kanal|author|authors|penulis|editor"
    r"|reporter|profil|profile|user|users|member|search|cari|pencarian|video|videos|foto"
    r"|fotos?|photos?|galeri|gallery|infografis|indeks|index|login|logout|register|daftar"
    r"|masuk|about|tentang|redaksi|pedoman|privacy|kebijakan|kontak|contact|karir|career"
    r"|rss|feed|sitemap|live|tv|streaming|podcast|newsletter|subscribe|langganan|page"
    r"|halaman|terpopuler|popular|terkini|latest|jadwal|cuaca|kurs)(?=/|$|\.)",
    re.IGNORECASE,
)
_MEDIA_EXTENSION = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|pdf|xml|rss|mp[34]|zip|css|js|json)$", re.IGNORECASE
)
_NUMERIC_ID = re.compile(r"\d{5,}")
_DATED = re.compile(r"/(?:19|20)\d{2}/\d{1,2}/\d{1,2}(?=/|$)|(?:^|[/-])(?:19|20)\d{6}")
_QUERY_ID = re.compile(r"(?:^|&)(?:id|p|newsid|artid|berita)=\d{3,}", re.IGNORECASE)
_READ_MARKER = frozenset({"read", "berita", "news", "artikel", "article", "story", "baca"})
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?)$", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")
_SECOND_LEVEL = frozenset({"co", "go", "ac", "or", "web", "my", "sch", "net", "biz", "com", "org"})


@dataclass(frozen=True, slots=True)
class SectionPage:
    """What discovery reads of a section page: article links and announced feeds."""

    links: list[Link]
    feeds: list[str]


def read_section(
    html: str,
    page_url: str,
    limits: HtmlLimits = DEFAULT_HTML_LIMITS,
    max_links: int = 50_000,
) -> SectionPage:
    """Parse a section page once for its article links and its feed links.

    Raises ContentError when the page is over ``limits`` (checked before lexbor
    sees it) or holds more than ``max_links`` article links (``too_many_entries``).
    """
    check_html(html, limits)
    tree = LexborHTMLParser(html)
    return SectionPage(_article_links(tree, page_url, max_links), feed_links_in(tree, page_url))


def article_links(html: str, page_url: str) -> list[Link]:
    """Links on ``html`` that look like articles of the same portal, in page order."""
    return read_section(html, page_url).links


def _article_links(tree: LexborHTMLParser, page_url: str, max_links: int) -> list[Link]:
    is_article = article_matcher(page_url)
    seen: set[str] = {page_url}
    found: list[Link] = []
    for node in tree.css("a[href]"):
        url = absolute_url(node.attributes.get("href"), page_url)
        if url is None or url in seen or not is_article(url):
            continue
        seen.add(url)
        text = " ".join(node.text(separator=" ", strip=True).split())
        title = text or (node.attributes.get("title") or "").strip()
        found.append(Link(url, title if len(title) >= 10 else None))
        if len(found) > max_links:
            raise ContentError(f"more than {max_links} article links", reason="too_many_entries")
    return found


def article_matcher(page_url: str) -> Callable[[str], bool]:
    """A test for article URLs of the portal ``page_url`` belongs to."""
    rules = _rules_for(page_url)
    hosts = tuple(getattr(rules, "hosts", ()) or ())
    pattern = getattr(rules, "article_url_pattern", None)
    site = registrable_domain(urlsplit(page_url).hostname or "")

    def is_article(url: str) -> bool:
        host = urlsplit(url).hostname or ""
        if registrable_domain(host) != site and not _covers(hosts, host):
            return False
        if isinstance(pattern, str) and pattern:
            return re.search(pattern, url) is not None
        return looks_like_article(url)

    return is_article


def looks_like_article(url: str) -> bool:
    """The generic article-URL heuristic (no portal rules needed)."""
    parts = urlsplit(url)
    path = parts.path
    if _NOT_ARTICLE_SEGMENT.search(path) or _MEDIA_EXTENSION.search(path):
        return False
    segments = [s for s in path.split("/") if s]
    if not segments:
        return bool(_QUERY_ID.search(parts.query))
    slug_words = len(_WORD.findall(_PAGE_SUFFIX.sub("", segments[-1])))
    long_slug = slug_words >= 4 and len(segments[-1]) >= 25
    marked = bool(_NUMERIC_ID.search(path) or _DATED.search(path))
    read = any(s.lower() in _READ_MARKER for s in segments[:-1])
    return (
        long_slug
        or (marked and len(segments) >= 2)
        or (read and slug_words >= 3)
        or bool(_QUERY_ID.search(parts.query))
    )


def registrable_domain(host: str) -> str:
    """``news.detik.com`` -> ``detik.com``; ``www.republika.co.id`` -> ``republika.co.id``."""
    labels = host.lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _covers(hosts: tuple[str, ...], host: str) -> bool:
    host = host.lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def _rules_for(url: str) -> Any:
    finder = _rules_finder()
    if finder is None:
        return None
    try:
        return finder(url)
    except Exception:  # another helper's rules must not break discovery
        return None


@cache
def _rules_finder() -> Callable[[str], Any] | None:
    try:
        module = importlib.import_module("kabar.extract.rules")
    except ImportError:
        return None
    finder = getattr(module, "rules_for_url", None)
    return finder if callable(finder) else None
