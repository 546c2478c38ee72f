"""Article metadata (title, authors, dates, section, tags, image, canonical URL,
language, description, site name) from one parsed page.

Sources, most trusted first: JSON-LD, OpenGraph/article:*, other meta tags
(description, author, pubdate, dtk:*, parsely-*, dc.*), ``<link rel=canonical>``,
``<html lang>``, then the stretch of page around the headline (``<time>``,
itemprop, date/byline-classed tags, printed dates, "Penulis: X" lines; see
headline.py), read only when the structured sources lack a date or an author.
Bylines printed at the end of a long body are out of that stretch: the body
extractor can pass its lines to ``authors_from_lines``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from kabar.dedup.language import detect_language
from kabar.extract.bylines import (
    authors_in_text,
    branded_byline,
    byline_names,
    dated_byline,
    is_desk,
    is_site_like,
    names_beside,
    normalize_authors,
    only_agencies,
    photographers,
    printed_credits,
)
from kabar.extract.clutter import generic_tag_re, signed_name
from kabar.extract.dates import parse_date
from kabar.extract.headline import HeadlineRegion
from kabar.extract.jsonld import LinkedData, read_linked_data
from kabar.extract.rules import rules_for_host

TITLE_KEYS = ("og:title", "twitter:title", "parsely-title", "dc.title", "title", "headline")
AUTHOR_KEYS = (
    "author", "article:author", "parsely-author", "dc.creator", "dc.contributor", "byl",
    "sailthru.author", "dtk:author", "content_author", "dable:author", "twitter:creator",
)  # fmt: skip
PUBLISHED_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "publish_date", "content_publisheddate", "dtk:publishdate",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date", "date", "datecreated",
    "article:published", "release_date", "originalpublicationdate",
)  # fmt: skip
MODIFIED_KEYS = (
    "article:modified_time", "og:updated_time", "datemodified", "lastmod", "last-modified",
    "dc.date.modified", "dtk:updatedate", "content_updateddate",
)  # fmt: skip
SECTION_KEYS = (
    "article:section", "article:section2", "parsely-section", "section", "dtk:kanal", "category",
)  # fmt: skip
TAG_KEYS = ("news_keywords", "parsely-tags", "keywords", "dtk:keywords")
IMAGE_KEYS = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image",
              "twitter:image:src", "image", "thumbnailurl")  # fmt: skip
DESCRIPTION_KEYS = ("og:description", "description", "twitter:description", "dc.description")
#: Values portals put in article:section that say nothing about the section.
SECTION_NOISE = frozenset({"article", "articles", "berita", "read", "detail", "home", "index"})
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " » ", ": ")
MAX_SUFFIX_WORDS = 6
#: Leading keywords compared with the description's leading words.
MIRROR_WORDS = 6
#: Opening paragraphs whose function words vote on the article's language.
LANGUAGE_PARAGRAPHS = 8
#: Share of tags that, being single words of the description, make the keywords its copy.
MIRROR_SHARE = 0.7
# The common path queries <head> for its tags, then looks the <h1> and <script>
# elements up by tag name: a C walk of the elements, cheaper than one byte search of
# the whole page.
_HEAD_SELECTOR = 'meta, link[rel="canonical"][href], link[rel~="next"][href], title'
#: What a JSON-LD block's type holds, any case ("application/ld+json", maybe with
#: parameters): the CSS ``script[type*="ld+json" i]``.
_LD_TYPE = "ld+json"
#: og:title tags: one in <body> means the parser moved the head's tags there. Asked only
#: when <head> has none (each selector of a query is one more walk of the tree).
_TITLED_SELECTOR = 'meta[property="og:title" i], meta[name="og:title" i]'

MAX_LD_BLOCKS = 20
#: A zoned stamp is WIB wall time under a wrong zone when, read as wall time, it is this
#: close to the time the page prints, and read with its zone at least this far from it.
SLIP_AGREE = timedelta(hours=1)
SLIP_OFF = timedelta(hours=5)
#: Zones some portals stamp on WIB wall time: "-07:00" (a sign slip), "Z" (detik's
#: "2015-11-05 T10:08:58Z" for 10:08 WIB). Trusted only when the page prints otherwise.
_SIGN_SLIP = re.compile(r"(-0[789]:?00|\s*(?:z|gmt|utc|\+00:?00))$", re.IGNORECASE)
#: How much text after the metadata author's printed name its byline may span.
BESIDE_CHARS = 200
#: The visible text around the headline where a byline prints the metadata's author:
#: a name met only further on (an editor's name closing the story) is not the byline's.
BYLINE_BEFORE_CHARS = 300
BYLINE_REACH_CHARS = 600
#: How much text from the headline on is read for a "Name - Brand" byline.
BRANDED_CHARS = 600
#: Words of a printed credit block ("Penulis: A | Editor: B"), lowercase.
#: ("kontributor": "Kontributor Klaten, A | Editor: B", the town between label and name;
#: "laporan:": a radio newsroom's "Laporan: A | Editor: B", with its colon: the word alone
#: is prose)
CREDIT_WORDS = (
    "penulis", "reporter", "pewarta", "kontributor", "writer", "editor", "redaktur", "edited by",
    "laporan:", "ditulis oleh",
)
#: A date alone on a byline's first line: "22 April 2024", "8 Feb 2024, 06:12".
_DATE_ONLY = re.compile(r"\d{1,2}\s[^\W\d_]{3,9}\.?,?\s\d{4}(,?\s\d{1,2}[:.]\d{2})?")
#: A desk as author: "Tim detikBali", "Tim Redaksi - Contoh.com" (the name before a dash).
_TEAM = re.compile(r"^((?:tim|team)\s+[^\s\-–|][^\-–|]{0,40}?)\s*(?:[-–|].*)?$", re.IGNORECASE)
#: A printed <h1> is the headline when this share of its words are in a declared title,
#: or at least this many and this smaller share: an SEO rewrite of a headline keeps its
#: subject and rewords the rest ("... Turun hingga 40 Persen, Apa Penyebabnya?" printed,
#: "... Anjlok, Ini Penyebabnya" declared).
HEADLINE_SHARE = 0.6
HEADLINE_REWORDED_WORDS = 4
HEADLINE_REWORDED_SHARE = 0.4
MAX_H1 = 3
#: Elements inside a headline whose text is not shown as text.
_UNSEEN_TAGS = frozenset({"svg", "script", "style", "noscript", "template"})
_WORD = re.compile(r"\w+")
#: Punctuation a keyword or a description's word is compared without (``_word``).
_WORD_EDGES = ".,;:!?\"'`"
_KEYWORD_SPLIT = re.compile(r"\s*[,;]\s*")
#: "Topic: Indra Birowo" in JSON-LD keywords: the label goes, the topic stays.
_TAG_LABEL = re.compile(r"^\s*(?:topic|topik|tags?|keywords?|kata kunci)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a page says about its article, normalised (dates in UTC ISO 8601)."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None
    updated_at: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    image: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    #: A desk named as the author ("Tim detikBali"): the author when no person is named.
    team: str | None = None
    #: The href of the first ``<link rel=next>`` in <head> ("" for none), read with the
    #: other tags for pagination (None: not read). Not about the article: left out of ==.
    next_link: str | None = field(default=None, compare=False)


@dataclass(slots=True)
class _Head:
    """The page's tags, gathered in one pass."""

    metas: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    scripts: list[str] = field(default_factory=list)
    title: str | None = None
    lang: str | None = None
    tree: LexborHTMLParser | None = None
    _h1s: list[LexborNode] | None = None

    def h1s(self) -> list[LexborNode]:
        """The page's first ``MAX_H1`` <h1> elements, looked up once."""
        if self._h1s is None:
            self._h1s = self.tree.css("h1")[:MAX_H1] if self.tree is not None else []
        return self._h1s

    def h1(self) -> LexborNode | None:
        """The first <h1>."""
        found = self.h1s()
        return found[0] if found else None

    def first(self, keys: Iterable[str]) -> str | None:
        metas = self.metas
        for key in keys:
            if key in metas:
                return metas[key][0]
        return None

    def all(self, keys: Iterable[str]) -> list[str]:
        return [v for k in keys for v in self.metas.get(k, ())]


def extract_metadata(tree: LexborHTMLParser, url: str | None) -> Metadata:
    """Read the metadata of one parsed page; ``url`` resolves relative links."""
    head = _read_head(tree)
    ld = read_linked_data(head.scripts)
    base = url or head.links.get("canonical")
    site_name = _clean(head.first(("og:site_name", "application-name")) or ld.publisher)
    brands = _brands(site_name, base)
    title = _title(ld, head, brands)
    region = HeadlineRegion(tree, head.h1, title)
    published, updated = _dates(ld, head, region, base)
    authors = _authors(ld, head, region, brands)
    return Metadata(
        title=title,
        authors=authors,
        published_at=published,
        updated_at=updated,
        section=_section(ld, head, brands),
        tags=_tags(ld, head, title),
        image=_first_url([ld.image, *head.all(IMAGE_KEYS)], base),
        canonical_url=_absolute(head.links.get("canonical") or head.first(("og:url",)), base),
        language=_language(ld.language or head.lang or head.first(("og:locale", "language"))),
        description=_clean(ld.description or head.first(DESCRIPTION_KEYS)),
        site_name=site_name,
        team=None if authors else team_author(ld, head, region, brands),
        next_link=head.links.get("next", ""),
    )


def authors_from_lines(
    lines: Iterable[str], site_name: str | None = None, url: str | None = None
) -> tuple[str, ...]:
    """Authors named by byline lines ("Reporter: X", "Penulis: X") of an article body.

    For pages whose metadata names nobody: the body extractor has the lines anyway.
    """
    lines = list(lines)
    brands = _brands(site_name, url)
    # On a photo page with no byline, the credited photographer is the author; on an
    # older page, the writer signing the story off in capitals.
    found = normalize_authors(authors_in_text("\n".join(lines)), brands) or normalize_authors(
        photographers(lines), brands
    )
    if found:
        return found
    signed = signed_name(lines)
    return normalize_authors((signed,), brands) if signed else ()


def clean_title(title: str, brands: Iterable[str] = ()) -> str:
    """Strip site-name prefixes/suffixes: "X - Kompas.com", "X | Liputan6", "Site: X"."""
    keys = tuple(brands)
    text = title
    while (cut := _split_last(text)) and is_site_like(cut[1], keys) and _short(cut[1]):
        text = cut[0]
    first = _split_first(text)
    if first and is_site_like(first[0], keys) and _short(first[0]):
        text = first[1]
    return text


def _read_head(tree: LexborHTMLParser) -> _Head:
    head = _Head(tree=tree)
    scope = tree.head
    _read_tags(head, scope.css(_HEAD_SELECTOR) if scope is not None else [])
    _read_marks(head, tree)
    # Stray text or tags in <head> make the parser move the rest of it into <body>.
    body = tree.body
    if body is not None and "og:title" not in head.metas and tree.css_first(_TITLED_SELECTOR):
        _read_tags(head, body.css("meta"))
    root = tree.root
    if root is not None and root.tag == "html":
        head.lang = root.attributes.get("lang") or root.attributes.get("xml:lang")
    return head


def _read_marks(head: _Head, tree: LexborHTMLParser) -> None:
    """Note the first <h1> elements and the JSON-LD script bodies in ``head``. Two
    lookups by tag name, the scripts' types read in Python, cost a fifth fewer
    instructions than one CSS query for both (``h1, script[type*="ld+json" i]``): a query
    sets up a selector engine and tests every element against each selector; a byte
    search for JSON-LD costs more (the page is some tenfold the size of its element list).
    The type's lowercase holds "ld+json" just when its ASCII lowercase does (lexbor's
    case-blind match): no other character lowers to one of those letters."""
    head._h1s = tree.tags("h1")[:MAX_H1]
    for node in tree.tags("script"):
        kind = node.attributes.get("type")
        if kind and _LD_TYPE in kind.lower():
            head.scripts.append(node.text())
            if len(head.scripts) >= MAX_LD_BLOCKS:
                break


def _read_tags(head: _Head, nodes: list[LexborNode]) -> None:
    """Add meta/link/script/title tags to ``head``."""
    metas = head.metas
    for node in nodes:
        attrs = node.attributes
        tag = node.tag
        if tag == "meta":
            # Locals and early exits: a page has dozens of meta tags, each read here.
            get = attrs.get
            key = get("property") or get("name") or get("itemprop") or get("http-equiv")
            content = get("content") if key else None
            if key and content and (content := content.strip()):
                metas.setdefault(key.strip().lower(), []).append(content)
        elif tag == "link":
            # Matched as rel="canonical" (lexbor compares rel values case-blind) or else
            # as a rel=next link.
            if (attrs.get("rel") or "").lower() == "canonical":
                head.links.setdefault("canonical", (attrs.get("href") or "").strip())
            else:
                head.links.setdefault("next", attrs.get("href") or "")
        elif tag == "title" and head.title is None:
            head.title = node.text(deep=True)


def _dates(
    ld: LinkedData, head: _Head, region: HeadlineRegion, base: str | None
) -> tuple[str | None, str | None]:
    raw_published = ld.published or head.first(PUBLISHED_KEYS) or None
    raw_updated = ld.modified or head.first(MODIFIED_KEYS) or None
    published = _date(raw_published) or _date(*region.marked_dates("datePublished"))
    updated = _date(raw_updated) or _date(*region.marked_dates("dateModified"))
    if published is None:
        return region.stamped_date() or region.printed_date(), updated
    if raw_published and _slip_suspected(raw_published, lambda: _indonesian(head, base)):
        # WIB wall time with a wrong zone: read it as local time if the page prints that.
        local = _date(_SIGN_SLIP.sub("", raw_published))
        if local and _zone_slipped(published, local, region.printed_date()):
            fixed = _date(_SIGN_SLIP.sub("", raw_updated)) if raw_updated else None
            return local, fixed or updated
    return published, updated


def _slip_suspected(raw: str, indonesian: Callable[[], bool]) -> bool:
    """A "-07:00" stamp always; a UTC one only on an Indonesian page (a known portal, an
    .id host or lang="id"; asked only of such a stamp): English pages are spared the
    look at the printed date."""
    match = _SIGN_SLIP.search(raw)
    return match is not None and (match.group(0).startswith("-") or indonesian())


def _indonesian(head: _Head, url: str | None) -> bool:
    if _language(head.lang) in ("id", "in"):
        return True
    host = (urlsplit(url).hostname or "") if url else ""
    return host.endswith(".id") or rules_for_host(host) is not None


def _zone_slipped(zoned: str, local: str, printed: str | None) -> bool:
    """Whether the page's printed time agrees with the stamp read as local wall time (to
    the hour: the stamp may be when it went live, the print when it was written) while
    the stamp read with its zone is hours off."""
    if not printed or local == zoned:
        return False
    try:
        shown, wall, stamped = (datetime.fromisoformat(x) for x in (printed, local, zoned))
    except ValueError:
        return False
    return abs(wall - shown) <= SLIP_AGREE and abs(stamped - shown) >= SLIP_OFF


def _date(*candidates: str | None) -> str | None:
    for raw in candidates:
        if raw and (value := parse_date(raw)):
            return value
    return None


def _title(ld: LinkedData, head: _Head, brands: tuple[str, ...]) -> str | None:
    declared = head.first(TITLE_KEYS)
    raw = _clean(ld.headline or declared or head.title)
    visible = _visible_headline(head, (ld.headline, declared, head.title), brands)
    if visible:
        return visible  # what the reader sees beats SEO variants and cut copies
    if raw is not None and not any(sep in raw for sep in TITLE_SEPARATORS):
        return raw  # nothing to strip, no need to look at the page
    node = head.h1()
    h1 = _clean(node.text(deep=True)) if node is not None else None
    if raw is None:
        return h1
    title = clean_title(raw, brands)
    # A headline that is the title minus some decoration is the better title.
    if h1 and h1 != title and h1 in title and len(h1) >= 0.5 * len(title) and " " in h1:
        return h1
    if h1 is None and title == raw:
        return _printed_prefix(head.tree, raw) or title
    return title


def _printed_prefix(tree: LexborHTMLParser | None, title: str) -> str | None:
    """The title's part before its last separator when the page prints it alone in an
    element (an older template's headline cell with no ``<h1>``, "td.contentheading"): the
    short rest is the site's name, whatever its host is called."""
    cut = _split_last(title)
    if tree is None:
        return None
    if cut is None or not _short(cut[1]) or len(cut[0].split()) < 3:
        # ... or after its first one, the site's name printed before it ("Pos Kota - X")
        first = _split_first(title)
        if first is None or not _short(first[0]) or len(first[1].split()) < 3:
            return None
        cut = (first[1], first[0])
    printed = f">{html.escape(cut[0], quote=False)}<".encode()
    return cut[0] if printed in tree.raw_html else None


def _visible_headline(
    head: _Head, declared: Iterable[str | None], brands: tuple[str, ...]
) -> str | None:
    """The page's printed headline: the first of its first ``<h1>`` elements that shares
    most of its words with a declared title (JSON-LD, og:title, ``<title>``), so a logo or
    section name set in ``<h1>`` is passed over."""
    if head.tree is None:
        return None
    # The declared titles are mostly one text said two or three times: each is read once.
    titles = list(dict.fromkeys(t for t in (_clean(x) for x in declared) if t))
    words = {w for t in titles for w in _title_words(t)}
    if not words:
        return None
    beside: str | None = None
    cuts: list[tuple[str, str] | None] | None = None  # the titles' last separator cuts
    for text in _h1_texts(head):
        own = _title_words(text)
        shared = len(own & words)
        if len(own) < 2 or (shared < HEADLINE_SHARE * len(own) and not _reworded(shared, own)):
            continue
        cuts = cuts if cuts is not None else [_split_last(t) for t in titles]
        side = _side_segment(text, cuts)
        if side is not None or (side := _site_prefix(text, titles, head.tree)) is not None:
            # The site's name or motto set in <h1>, printed beside the title: the
            # title's main part is the headline, unless a later <h1> prints it.
            beside = beside or side
            continue
        if _decorated(text):
            # An <h1> printing the site's <title> ("Site Title - Section :: Site"): the
            # declared title stripped of the site name is the headline.
            return next((t for t in _stripped(titles, brands) if t in text), text)
        return text
    return beside or _article_headline(head)


#: An <h1> sharing few words with the declared titles is still the printed headline when
#: the template marks it as the article's headline (``itemprop="headline"``, a class or
#: test hook naming the headline or the article's title), it is the page's only one, inside
#: its <article>, unlinked and at least this many words: a magazine prints its own
#: headline over the web and search titles ("The Last Keepers of the Light" printed, "The
#: Lighthouse Keepers Who Stayed On" declared). A section name or another story's title
#: set in a bare <h1> is passed over.
ARTICLE_HEADLINE_MIN_WORDS = 4
#: How far up from the <h1> its <article> is looked for.
ARTICLE_HEADLINE_LEVELS = 8
_HEADLINE_MARK = re.compile(r"headline|(?<![a-z])(?:article|entry|post|story)[-_]?title")


def _article_headline(head: _Head) -> str | None:
    found = head.h1s()
    if len(found) != 1 or found[0].css_first("a") is not None:
        return None
    attrs = found[0].attributes
    marks = " ".join(v or "" for k, v in attrs.items() if k in _HEADLINE_ATTRS).lower()
    if _HEADLINE_MARK.search(marks) is None:
        return None
    node: LexborNode | None = found[0].parent
    for _ in range(ARTICLE_HEADLINE_LEVELS):
        if node is None or node.tag in ("a", "nav", "body"):
            return None
        if node.tag == "article":
            text = next(iter(_h1_texts(head)), "")
            return text if len(text.split()) >= ARTICLE_HEADLINE_MIN_WORDS else None
        node = node.parent
    return None


#: The attributes a template marks its headline with.
_HEADLINE_ATTRS = frozenset({"class", "id", "itemprop", "data-qa", "data-testid"})


def _reworded(shared: int, own: set[str]) -> bool:
    return shared >= HEADLINE_REWORDED_WORDS and shared >= HEADLINE_REWORDED_SHARE * len(own)


def _decorated(text: str) -> bool:
    return any(sep in text for sep in TITLE_SEPARATORS if sep != ": ")


def _stripped(titles: Sequence[str], brands: tuple[str, ...]) -> list[str]:
    cleaned = (clean_title(t, brands) for t in titles)
    return [t for t in cleaned if not _decorated(t) and len(t.split()) >= 3]


def _side_segment(text: str, cuts: Sequence[tuple[str, str] | None]) -> str | None:
    """The rest of a declared title that ends in ``text`` after a separator ("Story |
    Site Motto"), or None when no declared title does: a site's name or motto printed
    in ``<h1>`` is the suffix its titles carry (``cuts``: the titles' ``_split_last``)."""
    key = text.casefold()
    for cut in cuts:
        # A shorter rest is a section label before the headline ("Berita Terkini | X").
        if cut and cut[1].casefold() == key and len(cut[0].split()) > len(key.split()):
            return cut[0]
    return None


def _site_prefix(
    text: str, titles: Sequence[str], tree: LexborHTMLParser | None = None
) -> str | None:
    """The rest of a declared title that opens with ``text`` ("Blog Name: Post Title")
    when another declared title is that rest, or an ``<h2>``/``<h3>`` of the page prints
    it: the site's name set in ``<h1>`` before the title (a blog's template, the post's
    title a lower heading), the rest is the headline."""
    key = text.casefold()
    for title in titles:
        if len(title) <= len(text) or not title.casefold().startswith(key):
            continue  # most pages: the headline is no title's opening part
        cut = _split_first(title)
        if cut and cut[0].casefold() == key and any(
            t.casefold() == cut[1].casefold() for t in titles
        ):
            return cut[1]
        # "Blog: Post" (or an older portal's "Site : Post"), not "Post | Site"
        colon = title[len(text) : len(text) + 3].lstrip(" ")[:2] == ": "
        if colon and cut and cut[0].casefold() == key and _printed_heading(tree, cut[1]):
            return cut[1]
    return None


def _printed_heading(tree: LexborHTMLParser | None, title: str) -> bool:
    """Whether an ``<h2>`` or ``<h3>`` of the page prints ``title`` (case aside)."""
    if tree is None:
        return False
    key = title.casefold()
    return any(
        " ".join(node.text(deep=True).split()).casefold() == key for node in tree.css("h2, h3")
    )


def _title_words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _h1_texts(head: _Head) -> Iterable[str]:
    """Texts of the first few ``<h1>`` elements, whitespace collapsed."""
    for node in head.h1s():
        # A walk of the few nodes in a headline costs less than setting up a CSS query.
        if not any(child.tag in _UNSEEN_TAGS for child in node.traverse()):
            raw = node.text(deep=True, separator=" ")
        else:
            raw = " ".join(_seen_texts(node))
        text = " ".join(raw.split()).strip(" -|")
        if text:
            yield text


def _seen_texts(node: LexborNode) -> Iterator[str]:
    """The text a reader sees in ``node``: not scripts, nor an SVG logo's <title>."""
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            yield child.text_content or ""
        elif child.tag not in _UNSEEN_TAGS:
            yield from _seen_texts(child)


def _authors(
    ld: LinkedData, head: _Head, region: HeadlineRegion, brands: tuple[str, ...]
) -> tuple[str, ...]:
    meta_authors = head.all(AUTHOR_KEYS)
    structured: tuple[str, ...] = ()
    for raws in (ld.authors, meta_authors):
        structured = normalize_authors(raws, brands)
        if structured:
            break
    writers = _printed_writers(region, structured, brands)
    if writers:
        return writers
    if structured and not only_agencies(structured):
        return (
            _beside(region, structured, brands)
            or _printed_instead(region, structured, brands)
            or structured
        )
    # An agency alone in the metadata ("The Associated Press") stands for the writers a
    # printed byline may name: it is the author only when none is printed.
    for text in region.byline_texts():
        names = byline_names(text, _first_line(text), brands)
        if names:
            return names
    names = normalize_authors(authors_in_text(region.text()[0]), brands)
    if names:
        return names
    # Credits printed under the story, beyond the stretch around the headline.
    writers = printed_credits(region.credit_block())[0]
    return (
        normalize_authors(writers, brands)
        or structured
        or _branded(region, head, brands)
        or _dated(region, brands)
        or _photographer(region, brands)
    )


#: "Fotografer: Nama" printed near a photo page's headline (a picture's credit line).
_PHOTOGRAPHER = re.compile(
    r"(?:fotografer|pewarta foto|photographer)\s*:\s*([^\n|:•·]{3,60})", re.IGNORECASE
)


def _photographer(region: HeadlineRegion, brands: tuple[str, ...]) -> tuple[str, ...]:
    """The photographer a page labels as such near its headline, where nothing names a
    writer: a photo page's author (its story is the picture's description)."""
    found = _PHOTOGRAPHER.search(region.text_near(("fotografer", "pewarta foto", "photographer")))
    return normalize_authors((found.group(1),), brands) if found else ()


def _branded(region: HeadlineRegion, head: _Head, brands: tuple[str, ...]) -> tuple[str, ...]:
    """A "Name - Brand" line under the headline, the brand being the site's (its name, its
    host, or the author field that names the site rather than a person)."""
    text, at = region.text()
    if at < 0:
        return ()
    return branded_byline(text[at : at + BRANDED_CHARS], (*brands, *head.all(AUTHOR_KEYS)))


def _dated(region: HeadlineRegion, brands: tuple[str, ...]) -> tuple[str, ...]:
    """A "Name  date" line under the headline: the writer printed unlabelled before the
    date."""
    text, at = region.text()
    if at < 0:
        return ()
    return dated_byline(text[at : at + BRANDED_CHARS], brands)


def _printed_instead(
    region: HeadlineRegion, structured: tuple[str, ...], brands: tuple[str, ...]
) -> tuple[str, ...]:
    """The writer the byline under the headline prints where the metadata's one author is
    printed nowhere near it (some templates fill the author field with the editor, whose
    name closes the story): a byline tag's names, else a "Name  date" line, sharing no
    word with the metadata's name."""
    if len(structured) != 1:
        return ()
    text, at = region.text()
    if at < 0:
        return ()
    key = structured[0].casefold()
    if key in text[max(0, at - BYLINE_BEFORE_CHARS) : at + BYLINE_REACH_CHARS].casefold():
        return ()
    own = set(key.split())
    for tag_text in region.byline_texts():
        names = byline_names(tag_text, _first_line(tag_text), brands)
        if names:
            return names if _other_people(names, own) else ()
    names = _dated(region, brands)
    return names if _other_people(names, own) else ()


def _other_people(names: Sequence[str], words: set[str]) -> bool:
    """Whether ``names`` are capitalised names ("kumparanBISNIS" is a desk, when the page's
    address is not known to tell it) sharing no word with the metadata's (``words``)."""
    for name in names:
        if not words.isdisjoint(name.casefold().split()):
            return False
        if not all(word[:1].isupper() for word in name.split()):
            return False
    return bool(names)


def _beside(
    region: HeadlineRegion, structured: tuple[str, ...], brands: tuple[str, ...]
) -> tuple[str, ...]:
    """The byline printing the metadata's one author in full or with co-writers."""
    if len(structured) != 1:
        return ()
    name = structured[0]
    return names_beside(name, region.text_near((name.lower(),), BESIDE_CHARS), brands)


def _printed_writers(
    region: HeadlineRegion, structured: tuple[str, ...], brands: tuple[str, ...]
) -> tuple[str, ...]:
    """The writers a credit block near the headline prints, when they should replace the
    structured authors: those are missing, name the printed editor (some templates put
    the editor in the author field), or only some of the printed writers. Without printed
    writers, the structured authors less those printed as editors ("Edited by B" under
    a story whose metadata lists writer and editor alike)."""
    raw_writers, raw_editors = printed_credits(region.text_near(CREDIT_WORDS))
    writers = normalize_authors(raw_writers, brands)
    editors = {n.casefold() for n in normalize_authors(raw_editors, brands)}
    if not writers:
        if len(structured) < 2:
            return ()
        kept = tuple(n for n in structured if n.casefold() not in editors)
        return kept if len(kept) < len(structured) else ()
    if all(_TEAM.match(n) for n in structured):
        return writers  # a desk in the metadata ("Tim tvOne") gives way to a printed writer
    mine = {n.casefold() for n in structured}
    printed = {n.casefold() for n in writers}
    # Structured authors beyond the printed writers are the site or a desk ("Tribun Jogja").
    if not mine or (mine <= editors and not mine & printed) or mine < printed or printed < mine:
        return writers
    return ()


def team_author(
    ld: LinkedData, head: _Head, region: HeadlineRegion, brands: tuple[str, ...]
) -> str | None:
    """A desk named as author ("Tim detikBali", "Tim Redaksi"), for a page that names no
    person; "Tim" must name the site's desk ("Tim Childers" is a person)."""
    for raw in (*ld.authors, *head.all(AUTHOR_KEYS), *region.byline_texts()):
        match = _TEAM.match(_clean(raw) or "")
        if match is None:
            continue
        if is_desk(match.group(1).split(None, 1)[1], brands):
            return match.group(1)
    return None


def _first_line(text: str) -> tuple[str, ...]:
    """The byline's first line, past a bare date printed above the writer's name."""
    lines = (kept for ln in text.splitlines() if (kept := ln.strip()))
    line = next(lines, "")
    if line[:1].isdigit() and _DATE_ONLY.fullmatch(line):
        line = next(lines, "")
    return (line,) if line else ()


def _section(ld: LinkedData, head: _Head, brands: tuple[str, ...]) -> str | None:
    candidates = [ld.section, *head.all(SECTION_KEYS)]
    if len(ld.breadcrumbs) >= 2:
        candidates.append(ld.breadcrumbs[-2] if len(ld.breadcrumbs) > 2 else ld.breadcrumbs[-1])
    for raw in candidates:
        value = _clean(raw)
        if value and value.lower() not in SECTION_NOISE and not is_site_like(value, brands):
            return value
    return None


def _tags(ld: LinkedData, head: _Head, title: str | None) -> tuple[str, ...]:
    description = _clean(head.first(DESCRIPTION_KEYS)) or ""
    generic = generic_tag_re()
    own = (title or "").casefold()
    words: list[str] | None = None  # the description's words, split once if asked
    for group in _tag_groups(ld, head):
        tags = _group_tags(group)
        if len(tags) >= 5 and description:
            if words is None:
                words = [w.strip(_WORD_EDGES).lower() for w in description.split()]
            tags = _unmirrored(tags, words)
        # The headline repeated and site-wide boilerplate ("berita terkini") name no topic.
        topical = tuple(t for t in tags if t.casefold() != own and not generic.fullmatch(t.lower()))
        if topical:
            return topical
    return ()


def _tag_groups(ld: LinkedData, head: _Head) -> Iterator[Sequence[str]]:
    """Keyword lists, most trusted first; a meta list is split only when reached."""
    yield ld.keywords
    yield head.metas.get("article:tag", ())
    for key in TAG_KEYS:
        if key in head.metas:
            yield _KEYWORD_SPLIT.split(head.metas[key][0])


def _group_tags(group: Sequence[str]) -> tuple[str, ...]:
    """The distinct tags of a keyword list (case aside, first spelling kept), labels cut
    off and cleaned, leaving out those still holding a colon. One loop: a tag costs a
    few calls, where generators and helpers per tag cost as many again."""
    seen: dict[str, str] = {}
    for raw in group:
        tag = _clean(_TAG_LABEL.sub("", raw) if ":" in raw else raw)
        if tag and ":" not in tag:
            seen.setdefault(tag.lower(), tag)
    return tuple(seen.values())


def _unmirrored(tags: tuple[str, ...], words: list[str]) -> tuple[str, ...]:
    """The tags, or when the keywords are just the description's words (``words``,
    as ``_word`` leaves them) split up, the real keywords some portals put before that
    copy ("Forest Fire, Peatlands, cover, ...")."""
    head = [t.strip(_WORD_EDGES).lower() for t in tags[:MIRROR_WORDS]]
    copied = sum(a == b for a, b in zip(words, head, strict=False)) >= 0.8 * len(head)
    vocabulary = set(words)
    single = [t for t in tags if " " not in t and t.strip(_WORD_EDGES).lower() in vocabulary]
    if not copied and len(single) < MIRROR_SHARE * len(tags):
        return tags
    lead: list[str] = []
    for tag in tags:
        if " " not in tag and _word(tag) in vocabulary:
            break
        lead.append(tag)
    return tuple(lead)


def _word(text: str) -> str:
    return text.strip(_WORD_EDGES).lower()


def text_language(paragraphs: Sequence[str], declared: str | None) -> str | None:
    """The article's language as its opening paragraphs tell it (function words, then
    py3langid, as the pipeline and dedup detect it), else the declared one: templates
    ship ``lang="en"`` on Indonesian stories, or no lang at all."""
    sample = "\n".join(islice(paragraphs, LANGUAGE_PARAGRAPHS))
    return detect_language(sample) or declared


def _language(raw: str | None) -> str | None:
    if not raw:
        return None
    primary = raw.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _first_url(candidates: Iterable[str | None], base: str | None) -> str | None:
    return next((u for u in (_absolute(c, base) for c in candidates) if u), None)


def _absolute(raw: str | None, base: str | None) -> str | None:
    if not raw:
        return None
    raw = raw.strip()
    given = urlsplit(raw)
    if given.scheme and not given.netloc:
        return None  # "http:http://..." and other mangled absolute URLs
    value = raw if given.netloc and given.scheme else urljoin(base, raw) if base else raw
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or "://" in parts.path:
        return None
    return value


def _brands(site_name: str | None, url: str | None) -> tuple[str, ...]:
    brands = [site_name] if site_name else []
    host = (urlsplit(url).hostname or "") if url else ""
    labels = [x for x in host.split(".") if x and x not in ("www", "m", "amp")]
    if len(labels) >= 2:
        labels.pop()
        if len(labels) >= 2 and labels[-1] in ("co", "or", "ac", "go", "web", "my", "com", "net"):
            labels.pop()
        brands.append(labels[-1])
    return tuple(brands)


def _clean(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = html.unescape(raw) if "&" in raw else raw
    text = " ".join(text.split()).strip(" -|")
    return text or None


def _split_last(text: str) -> tuple[str, str] | None:
    best = max(
        ((text.rfind(sep), sep) for sep in TITLE_SEPARATORS if sep != ": "), default=(-1, "")
    )
    if best[0] <= 0:
        return None
    return text[: best[0]].strip(), text[best[0] + len(best[1]) :].strip()


def _split_first(text: str) -> tuple[str, str] | None:
    hits = [(i, sep) for sep in TITLE_SEPARATORS if (i := text.find(sep)) > 0]
    if not hits:
        return None
    index, sep = min(hits)
    return text[:index].strip(), text[index + len(sep) :].strip()


def _short(segment: str) -> bool:
    return 0 < len(segment.split()) <= MAX_SUFFIX_WORDS
