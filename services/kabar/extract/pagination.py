"""The further pages of a multi-page article, or its single-page "show all" view.

Portals split long articles over ``?page=2``, ``/2`` or ``-2`` URLs, link them
as numbers ("Halaman 2/3"), "Selanjutnya"/"Berikutnya"/"Next" or
``rel=next``, and some offer the whole text at ``?page=all``/``?single=1``
("Tampilkan semua"). Only links to the same article count: same host, same
path once the page marker is removed. To stay cheap on big pages the anchors
are pre-filtered by CSS on the article's slug instead of walking every link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

#: Query parameters that number the pages of one article.
PAGE_PARAMS = frozenset({"page", "p", "hal", "halaman", "pg", "paging", "pages", "pagenum"})
#: Query parameters (with values) that ask for the whole article on one page.
SHOW_ALL_QUERY = frozenset(
    {("page", "all"), ("single", "1"), ("showall", "1"), ("all", "1"), ("view", "all"),
     ("halaman", "all"), ("hal", "all"), ("page", "single"), ("full", "1")}
)  # fmt: skip
MAX_PAGE = 50
#: Mentions of the slug in the raw page inspected before walking the DOM anyway.
MAX_SLUG_HITS = 200
MAX_QUERY_MARKS = 5000
#: Bytes after a mention of the slug that may carry a page marker.
TAIL_BYTES = 24
MIN_SLUG_CHARS = 4

_NEXT_TEXT = re.compile(
    r"^\W*(?:halaman\s+)?(?:selanjutnya|berikutnya|lanjut(?:kan)?|next(?:\s+page)?|›|»|>|>>)\W*$",
    re.IGNORECASE,
)
_SHOW_ALL_TEXT = re.compile(
    r"tampilkan\s+semua|lihat\s+semua\s+halaman|baca\s+(?:dalam\s+)?satu\s+halaman|"
    r"show\s+all|view\s+all\s+pages|single\s+page|semua\s+halaman",
    re.IGNORECASE,
)
_PATH_PAGE = re.compile(r"(?:/(?:page|halaman|hal)?/?|[-_])(\d{1,2})/?$", re.IGNORECASE)
_PATH_ALL = re.compile(r"/(?:all|semua|full)/?$", re.IGNORECASE)
_EXTENSION = re.compile(r"\.(?:html?|php|aspx?)$", re.IGNORECASE)
#: Query keys that number an article's pages; any "?key=" in the raw page opens the DOM walk.
_QUERY_PAGE_KEYS = (b"page=", b"hal=", b"halaman=", b"paging=", b"single=", b"showall=")
_QUERY_KEY_FIRST = frozenset(key[0] for key in _QUERY_PAGE_KEYS)
_PAGED_TAIL = re.compile(
    rb"(?:\.[A-Za-z]{3,5})?(?:[/_-]\d{1,2}(?!\d)|/(?:all|page|halaman|hal|semua|full)\b"
    rb"|/?\?(?:[\w%.-]*=[^&\"'\s<>]*&(?:amp;)?)*(?:page|p|hal|halaman|pg|paging|pages|single"
    rb"|showall|all|view|full)=)"
)
_SLUG_CHARS = re.compile(r"[^\w.~-]")


@dataclass(frozen=True, slots=True)
class _Link:
    """One candidate link: where it points and what it says."""

    url: str
    text: str
    rel_next: bool


@dataclass(frozen=True, slots=True)
class _Where:
    """An article URL split into what identifies the article and its page number."""

    host: str
    stem: str
    page: int | None  # None: not a page link; 0: the show-all view
    show_all: bool


def find_next_pages(
    tree: LexborHTMLParser,
    url: str | None,
    pattern: str | None = None,
    next_link: str | None = None,
) -> tuple[str, ...]:
    """Absolute URLs of this article's later pages in order, or just its show-all view.
    ``next_link``: the href of <head>'s first ``<link rel=next>`` ("" for none) when the
    caller read it already (the metadata's head pass), else it is looked up."""
    base = url or _canonical(tree)
    if not base:
        return ()
    hint = _compile(pattern)
    slug = _slug(urlsplit(base).path)
    if not _worth_a_walk(tree, slug, hint):
        return _rel_next_only(tree, base, next_link)
    here = _locate(base, hint)
    # The current URL read literally too: "judul-10" may be a slug, not page 10.
    literal_stem = _strip_path(urlsplit(base).path)
    pages: dict[str, int] = {}
    # Pages link the same URL many times (numbers, arrows, rel=next): each is read once.
    located: dict[str, _Where | None] = {}
    base_key = _comparable(base)
    for link in _candidates(tree, base, slug):
        if link.url in located:
            there = located[link.url]
        else:
            parts = urlsplit(link.url)  # split once for both readings of the link
            there = _locate(link.url, hint, parts)
            if there.host != here.host or _comparable(link.url, parts) == base_key:
                there = None  # another site, or this very page
            located[link.url] = there
        if there is None:
            continue
        if there.stem == literal_stem:
            current = 1
        elif there.stem == here.stem:
            current = here.page or 1
        else:
            continue
        if there.show_all or _SHOW_ALL_TEXT.search(link.text):
            return (link.url,)
        if there.page is not None and there.page > current:
            pages.setdefault(link.url, there.page)
        elif there.page is None and (link.rel_next or _NEXT_TEXT.match(link.text)):
            pages.setdefault(link.url, MAX_PAGE + 1)
    return _ordered(pages)


def _ordered(pages: dict[str, int]) -> tuple[str, ...]:
    numbered = sorted(pages.items(), key=lambda item: item[1])
    return tuple(_dedupe(u for u, _ in numbered))


def _dedupe(urls: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for url in urls:
        key = url.split("#", 1)[0].rstrip("/")
        if key not in seen:
            seen.add(key)
            yield url.split("#", 1)[0]


def _worth_a_walk(tree: LexborHTMLParser, slug: str, hint: re.Pattern[str] | None) -> bool:
    """Whether the raw page has a page-number query or links this article with a marker.

    Searching for the long slug and hopping over "?" with memchr cost a few
    hundredths of the parse, against a third of it for one DOM query; most pages stop here.
    """
    raw = tree.raw_html
    if not slug or _has_page_query(raw):
        return True
    needle = slug.encode("utf-8")
    # A page mentions its own URL many times in the same few contexts (meta tags, share
    # links): each distinct tail is judged once.
    judged: set[bytes] = set()
    at = raw.find(needle)
    for _ in range(MAX_SLUG_HITS):
        if at < 0:
            return False
        tail = raw[at + len(needle) : at + len(needle) + TAIL_BYTES]
        if tail not in judged:
            if _PAGED_TAIL.match(tail):
                return True
            # The slug is whole UTF-8 characters: its text is the slug, the tail's follows.
            if hint is not None and hint.search(slug + tail.decode("utf-8", "replace")):
                return True
            judged.add(tail)
        at = raw.find(needle, at + len(needle))
    return True  # too many mentions to judge cheaply


def _has_page_query(raw: bytes) -> bool:
    find = raw.find
    last = len(raw) - 1
    at = find(b"?")
    for _ in range(MAX_QUERY_MARKS):
        if at < 0:
            return False
        # Most "?" open other queries ("?v=", "?utm_"): one byte rules them out more
        # cheaply than trying each key (a fifth less work on a page).
        if (
            at < last
            and raw[at + 1] in _QUERY_KEY_FIRST
            and raw.startswith(_QUERY_PAGE_KEYS, at + 1)
        ):
            return True
        at = find(b"?", at + 1)
    return True  # too many to judge cheaply


def _rel_next_only(
    tree: LexborHTMLParser, base: str, next_link: str | None = None
) -> tuple[str, ...]:
    """``<link rel=next>`` in <head>, when the page has no paged links to this article."""
    if next_link is None:
        head = tree.head
        node = head.css_first('link[rel~="next"][href]') if head is not None else None
        next_link = (node.attributes.get("href") or "") if node is not None else ""
    href = next_link.strip()
    if not href:
        return ()
    url = urljoin(base, href)
    here, there = urlsplit(base), urlsplit(url)
    same_host = (here.hostname or "").removeprefix("www.") == (there.hostname or "").removeprefix(
        "www."
    )
    return (url,) if same_host and not _same(url, base) else ()


def _candidates(tree: LexborHTMLParser, base: str, slug: str) -> Iterator[_Link]:
    host = (urlsplit(base).hostname or "").removeprefix("www.")
    for node in tree.css(_selector(slug)):
        href = (node.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        if href.startswith(("http://", "https://")) and _host(href) != host:
            continue  # share buttons and the like carry the slug to other hosts
        rel = (node.attributes.get("rel") or "").lower().split()
        text = node.text(deep=True).strip() if node.tag == "a" else ""
        yield _Link(urljoin(base, href), _label(node, text), "next" in rel)


def _label(node: LexborNode, text: str) -> str:
    """Link text, or its title/aria-label when the link is an icon."""
    if text:
        return text
    attrs = node.attributes
    return (attrs.get("title") or attrs.get("aria-label") or "").strip()


def _host(href: str) -> str:
    return href.split("/", 3)[2].split(":", 1)[0].lower().removeprefix("www.")


def _selector(slug: str) -> str:
    """Links that can belong to this article: rel=next, query-only, or containing its slug."""
    # One compound selector for the anchors: lexbor tests each element against every
    # selector of a list, and ``:is`` shares the tag test (a sixth less work on a page).
    if not slug:
        return 'link[rel~="next"][href], a[href]'
    return f'link[rel~="next"][href], a:is([rel~="next"][href], [href^="?"], [href*="{slug}"])'


def _slug(path: str) -> str:
    """The most specific part of the article's path, case kept (hrefs are matched as-is)."""
    segments = [s for s in _EXTENSION.sub("", path).split("/") if s]
    for segment in reversed(segments):
        cleaned = _SLUG_CHARS.sub("", _EXTENSION.sub("", segment))
        if len(cleaned) >= MIN_SLUG_CHARS:
            return cleaned
    return ""


def _locate(url: str, hint: re.Pattern[str] | None, parts: SplitResult | None = None) -> _Where:
    """Where ``url`` (``parts``: its ``urlsplit``, when already split) sits among
    its article's pages."""
    parts = parts or urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = _EXTENSION.sub("", parts.path)
    # Most links have no query: nothing to parse.
    query = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    if any((k.lower(), v.lower()) in SHOW_ALL_QUERY for k, v in query) or _PATH_ALL.search(path):
        return _Where(host, _strip_path(_PATH_ALL.sub("", path)), 0, True)
    hinted = _hinted(path, parts.query, hint) if hint else None
    if hinted is not None:
        return _Where(host, _strip_path(hinted[0]), hinted[1], False)
    page = _query_page(query)
    path_match = _PATH_PAGE.search(path)
    if page is None and path_match and 1 <= int(path_match.group(1)) <= MAX_PAGE:
        return _Where(
            host, _strip_path(path[: path_match.start()]), int(path_match.group(1)), False
        )
    return _Where(host, _strip_path(path), page, False)


def _hinted(path: str, query: str, hint: re.Pattern[str]) -> tuple[str, int] | None:
    """The path without the portal's page marker, and the page number, per the rules hint."""
    target = path + ("?" + query if query else "")
    match = hint.search(target)
    if match is None:
        return None
    digits = match.groupdict().get("page") or next((g for g in match.groups() if g), None)
    if not digits or not digits.isdigit() or not 1 <= int(digits) <= MAX_PAGE:
        return None
    stem = path[: match.start()] + path[match.end() :] if match.end() <= len(path) else path
    return stem, int(digits)


def _query_page(query: list[tuple[str, str]]) -> int | None:
    for key, value in query:
        if key.lower() in PAGE_PARAMS and value.isdigit() and 1 <= int(value) <= MAX_PAGE:
            return int(value)
    return None


def _strip_path(path: str) -> str:
    return _EXTENSION.sub("", path).rstrip("/").lower()


def _same(url: str, base: str) -> bool:
    return _comparable(url) == _comparable(base)


def _comparable(url: str, parts: SplitResult | None = None) -> str:
    parts = parts or urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True))) if parts.query else ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    return urlunsplit(("", host, parts.path.rstrip("/"), query, ""))


def _canonical(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first('link[rel="canonical"][href]')
    href = node.attributes.get("href") if node is not None else None
    return href.strip() if href and href.strip().startswith("http") else None


@lru_cache(maxsize=256)
def _compile(pattern: str | None) -> re.Pattern[str] | None:
    # Cached here: each page asks for its portal's pattern, and the re module's own cache
    # lookup (flag enum unwrapped, key built, type checks) costs more than this one.
    if not pattern:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return None
