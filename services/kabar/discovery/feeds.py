"""News feeds: RSS 2.0, RSS 1.0 (RDF) and Atom entries, and feed autodiscovery.

All three formats come down to "items with a link, a title and a date", so
entries are read by local tag name whatever the namespace. FeedBurner's
``origLink`` wins over its redirecting ``link``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from selectolax.lexbor import LexborHTMLParser

from kabar.discovery.dates import source_date
from kabar.discovery.safexml import DEFAULT_LIMITS, XmlLimits, child_text, children, parse_entries
from kabar.discovery.sources import Link, absolute_url
from kabar.htmlguard import check_html

_ENTRY_TAGS = frozenset({"item", "entry"})
_PUBLISHED_TAGS = ("pubdate", "published", "date", "issued")
_UPDATED_TAGS = ("updated", "modified")
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})


def parse_feed(text: str, base_url: str, limits: XmlLimits = DEFAULT_LIMITS) -> list[Link]:
    """Article links of a feed, in feed order; raises ContentError if it is not XML
    or is over ``limits``."""
    found = parse_entries(text, _ENTRY_TAGS, lambda entry: _entry_link(entry, base_url), limits)
    return found.entries


def _entry_link(entry: ET.Element, base_url: str) -> Link | None:
    url = _entry_url(entry, base_url)
    if url is None:
        return None
    title = child_text(entry, "title")
    published = source_date(child_text(entry, *_PUBLISHED_TAGS))
    updated = source_date(child_text(entry, *_UPDATED_TAGS))
    return Link(url, title, published, updated)


def find_feed_links(html: str, base_url: str) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml">``;
    raises ContentError when the page is over the HTML limits (``kabar.htmlguard``)."""
    check_html(html)
    return feed_links_in(LexborHTMLParser(html), base_url)


def feed_links_in(tree: LexborHTMLParser, base_url: str) -> list[str]:
    """``find_feed_links`` on a page already parsed."""
    found: list[str] = []
    for node in tree.css("link[href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        kind = (node.attributes.get("type") or "").lower().split(";")[0].strip()
        href = (node.attributes.get("href") or "").strip()
        if "alternate" not in rel or kind not in _FEED_TYPES or not href:
            continue
        url = absolute_url(href, base_url)
        if url is not None and url not in found:
            found.append(url)
    return found


def _entry_url(entry: ET.Element, base_url: str) -> str | None:
    candidates = [child_text(entry, "origlink"), *_atom_links(entry), child_text(entry, "link")]
    guid = next(children(entry, "guid"), None)
    if guid is not None and (guid.get("isPermaLink") or "true").lower() != "false":
        candidates.append((guid.text or "").strip())
    for candidate in candidates:
        url = absolute_url(candidate, base_url)
        if url is not None:
            return url
    return None


def _atom_links(entry: ET.Element) -> list[str]:
    """Atom ``<link href>`` alternates (a missing rel means alternate), HTML ones first."""
    ranked: list[tuple[int, str]] = []
    for link in children(entry, "link"):
        href = (link.get("href") or "").strip()
        if not href or (link.get("rel") or "alternate") != "alternate":
            continue
        html = (link.get("type") or "text/html").startswith("text/html")
        ranked.append((0 if html else 1, href))
    return [href for _, href in sorted(ranked, key=lambda pair: pair[0])]
