"""The stretch of page around an article's headline: where portals print the date and byline.

Read only when the page's structured metadata lacks a date or an author. A CSS
query over the whole document costs about a third of the parse on a portal page
and the body text more than that, so this works on the raw bytes instead: the
headline is found by a string search for the title where it starts a text node
(not inside an attribute or a script string), and a few kilobytes around it are
cut out, stripped of scripts, and read as markup (dated and byline tags) and as
text (printed dates, "Penulis: X" lines).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from kabar.extract.dates import date_near, find_dates

ANCHOR_CHARS = 30
MIN_ANCHOR_CHARS = 5
MAX_ANCHOR_HITS = 20
#: Text allowed between a tag and the title ("In Picture: ", "FOTO: ").
MAX_PREFIX_CHARS = 30
BEFORE_BYTES = 1500
AFTER_BYTES = 4000
#: How much text a dated or byline tag contributes.
TAG_TEXT_CHARS = 160
MAX_TAGS = 40
#: How much markup past a label ``text_near`` reads (a credit block's names).
NEAR_AFTER_CHARS = 600
#: How much markup from its first label a credit block elsewhere on the page spans, and
#: how far past the headline it is looked for (the story, then its credits).
CREDIT_BLOCK_BYTES = 1200
CREDIT_SEARCH_BYTES = 24576
#: Credit labels as printed, looked for in the bytes after the headline (a byte search
#: per label is several times cheaper than one regex pass of their alternation).
PAGE_CREDIT_LABELS = (b"Penulis", b"Reporter", b"Pewarta", b"Penerjemah", b"Translator")
#: How far back a photo/caption container may open before a byline tag.
MEDIA_LOOKBACK_BYTES = 200

DATE_CLASSES = ("date", "time", "tanggal", "tgl", "waktu", "publish")
BYLINE_CLASSES = ("author", "byline", "reporter", "penulis", "writer", "contributor")
MEDIA_CLASSES = ("photo", "foto", "caption", "figure", "image", "gallery", "video")

# The lookahead lets the regex engine drop a "<" on one character test instead of trying
# the three case-blind names (half the cost of the cut).
_SCRIPT = re.compile(
    r"<(?=[sn])(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
#: ``_SCRIPT`` in two steps: its opening tag, then the first closing tag of that name
#: (a search from the opening tag, where the lazy ``.*?`` steps a character at a time).
_SCRIPT_OPEN = re.compile(r"<(?=[sn])(script|style|noscript)\b", re.IGNORECASE)
_SCRIPT_CLOSE = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style", "noscript")
}
#: Characters a case-blind name matches that its case-blind back-reference does not
#: ("ſ" for "s", the Kelvin sign for "k"): text holding one takes ``_SCRIPT`` itself.
_CASE_ODD = ("\u017f", "\u212a")
#: Characters whose lowercase is ASCII or longer than one character ("\u212a" is "k").
_LOWER_ODD = ("\u0130", "\u212a")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_OPEN_TAG = re.compile(r"<([a-zA-Z][\w-]*)(\s[^>]*)?>")
#: The attributes ``_sort`` reads; the class words it sorts by (one regex search of a
#: short attribute text costs less than a generator of ``in`` tests).
_SORTED_BY = re.compile("class|itemprop|rel|data-component|/author/")
_DATE_CLASS = re.compile("|".join(DATE_CLASSES))
_BYLINE_CLASS = re.compile("|".join(BYLINE_CLASSES))
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_MEDIA_OPEN = re.compile(
    r"<(?:figure|figcaption|picture)\b|class\s*=\s*[\"'][^\"']*(?:" + "|".join(MEDIA_CLASSES) + ")",
    re.IGNORECASE,
)
_MEDIA_WORDS = ("<fig", "<pic", *MEDIA_CLASSES)
_MEDIA_CLOSE = ("</figure", "</figcaption", "</picture", "</div")
_ANCHOR_STOP = re.compile(r"[&<>\"']")
_LINK_OPEN = re.compile(rb"<a[\s>]", re.IGNORECASE)
#: A byte that puts a copy of the title inside a tag, an attribute or a script string.
_NOT_TEXT_PREFIX = re.compile(rb"[<\"'={}]")


@dataclass(slots=True)
class _Marks:
    """Tags around the headline that may carry a date or a byline, as offsets into the
    markup (start of the tag, end of its opening): their text is read only when asked."""

    marked: list[tuple[str, dict[str, str], int]] = field(default_factory=list)  # time, itemprop
    stamps: list[tuple[int, int]] = field(default_factory=list)  # class*=date/tgl/...
    bylines: list[tuple[int, int]] = field(default_factory=list)  # class*=author/...


class HeadlineRegion:
    """Lazy, cached access to the raw neighbourhood of one page's headline."""

    def __init__(
        self, tree: LexborHTMLParser, h1: Callable[[], LexborNode | None], title: str | None
    ) -> None:
        self._tree = tree
        self._h1 = h1
        self._title = title or ""
        self._cut: tuple[str, int] | None = None  # markup without scripts, headline offset
        self._raw_at = 0  # where the headline starts in the raw bytes (else <body>)
        self._text: tuple[str, int] | None = None
        self._marks: _Marks | None = None
        self._byline_marks: list[tuple[int, int]] | None = None
        self._bylines: list[str] | None = None
        self._low: str | None = None
        #: Where each looked-for word first occurs in the lowercased markup (-1: nowhere):
        #: the same words are asked about by several readers.
        self._firsts: dict[str, int] = {}

    def credit_block(self) -> str:
        """The visible text of the first credit block ("Penulis: X / Editor: Y") printed
        after the headline, beyond the stretch read around it: for a page whose headline
        region names nobody (credits printed under the story)."""
        self._markup()
        raw = self._tree.raw_html
        start, stop = self._raw_at, self._raw_at + CREDIT_SEARCH_BYTES
        first = -1
        for label in PAGE_CREDIT_LABELS:
            # Only a label opening before the first one found so far can come first.
            end = stop if first < 0 else min(stop, first + len(label))
            at = raw.find(label, start, end)
            if at >= 0:
                first = at
        if first < 0:
            return ""
        at = raw.rfind(b"<", start, first)
        at = at if at >= 0 else first
        chunk = raw[at : at + CREDIT_BLOCK_BYTES].decode("utf-8", "replace")
        return _visible(_uncommented(_unscripted(chunk)))

    def marked_dates(self, itemprop: str) -> list[str]:
        """Raw dates of ``[itemprop=...]`` tags, then of ``<time>`` (for datePublished)."""
        # The tag scan costs a good part of a parse; skip it when no tag can qualify.
        timed = itemprop == "datePublished" and self._mentions(("<time",))
        if itemprop not in self._markup()[0] and not timed:
            return []
        marked = self._found().marked
        exact = [(a, end) for _, a, end in marked if a.get("itemprop") == itemprop]
        if itemprop == "datePublished":
            exact += [(a, end) for tag, a, end in marked if tag == "time" and "itemprop" not in a]
        markup = self._markup()[0]
        raws = (
            a.get("datetime") or a.get("content") or _following_text(markup, end)
            for a, end in exact[:3]
        )
        return [raw for raw in raws if raw]

    def stamped_date(self) -> str | None:
        """The date-with-time of a date-classed tag ("tgl", "post-date", ...) nearest the
        headline: the first after it, else the last before it (lists of other stories
        print their stamps further off).

        Date-only stamps are skipped: related-article lists show those.
        """
        if not self._mentions(DATE_CLASSES):
            return None
        markup, headline_at = self._markup()
        stamps = self._found().stamps
        after = [end for at, end in stamps if at >= headline_at]
        before = [end for at, end in reversed(stamps) if at < headline_at]
        for end in (*after, *before):
            text = _following_text(markup, end)
            timed = next((f.value for f in find_dates(text, limit=2) if f.has_time), None)
            if timed:
                return timed
        return None

    def printed_date(self) -> str | None:
        """The date printed next to the headline."""
        text, at = self.text()
        return date_near(text, at) if text else None

    def byline_texts(self) -> list[str]:
        """Texts of byline-classed tags near the headline, photo credits left out."""
        if not self._mentions(BYLINE_CLASSES):  # "author" covers itemprop and rel too
            return []
        if self._bylines is None:
            markup = self._markup()[0]
            self._bylines = [
                _following_text(markup, end)
                for start, end in self._found_bylines()
                if not _inside_media(markup, start)
            ]
        return self._bylines

    def text(self) -> tuple[str, int]:
        """The visible text around the headline and where the headline starts in it."""
        if self._text is None:
            markup, at = self._markup()
            before = _visible(markup[:at]) if at > 0 else ""
            self._text = (before + _visible(markup[at:]), len(before)) if markup else ("", -1)
        return self._text

    def mentions(self, words: tuple[str, ...]) -> bool:
        """Whether the text around the headline mentions any of the (lowercase) words."""
        return self._mentions(words)

    def text_near(self, words: tuple[str, ...], after: int = NEAR_AFTER_CHARS) -> str:
        """The visible text from the first mention of any of the (lowercase) words to
        ``after`` characters past the last: only that stretch is cut from its tags."""
        if not self._mentions(words) or self._low is None:
            return ""
        low = self._low
        found = [word for word in words if self._first(word) >= 0]
        firsts = [self._first(word) for word in found]
        last = max(low.rfind(word) for word in found)
        start = low.rfind("<", 0, min(firsts)) + 1  # from the tag holding the label
        return _visible("<" + self._markup()[0][start : last + after])

    def _mentions(self, words: tuple[str, ...]) -> bool:
        """Whether the markup holds any of the (lowercase) words: a cheap test that
        spares the tag scan when no tag can qualify."""
        return any(self._first(word) >= 0 for word in words)

    def _first(self, word: str) -> int:
        at = self._firsts.get(word)
        if at is None:
            if self._low is None:
                self._low = _lowered(self._markup()[0])
            at = self._firsts[word] = self._low.find(word)
        return at

    def _found(self) -> _Marks:
        """The dated tags (``marked`` and ``stamps``): those holding a date word."""
        if self._marks is None:
            self._marks = self._scanned(DATE_CLASSES)
        return self._marks

    def _found_bylines(self) -> list[tuple[int, int]]:
        """The byline tags: those holding a byline word (a scan of its own, as the dates
        are mostly settled by the metadata: the date words, "time" above all, are most of
        the hits and of the cost of a scan)."""
        if self._byline_marks is None:
            self._byline_marks = self._scanned(BYLINE_CLASSES).bylines
        return self._byline_marks

    def _scanned(self, words: tuple[str, ...]) -> _Marks:
        markup = self._markup()[0]
        if self._low is None:
            self._low = _lowered(markup)
        if len(self._low) == len(markup):
            return _scan(markup, self._low, self._first, words)
        # Lowering moved offsets (rare scripts): search the markup as it is.
        return _scan(markup, markup, markup.find, words)

    def _markup(self) -> tuple[str, int]:
        if self._cut is None:
            self._cut = self._cut_out()
        return self._cut

    def _cut_out(self) -> tuple[str, int]:
        raw = self._tree.raw_html
        # The search starts past the <title> (whose text is the title): the anchor, tens
        # of bytes long, skips through the rest of <head> faster than a search for
        # "<body" would (copies there sit in attributes and scripts, which are passed
        # over). <body> is looked for only in the stretch before the headline.
        start = raw.find(b"</title")
        if start < 0:
            start = max(raw.find(b"<body"), 0)
        elif (opened := raw.find(b"<body", 0, start)) >= 0:
            start = opened  # no <title> in <head>: the first is an SVG's in <body>
        at = _headline_offset(raw, start, self._anchor())
        if at < 0:
            body = raw.find(b"<body")
            self._raw_at = body if body >= 0 else start
            return "", -1
        self._raw_at = at
        body = raw.rfind(b"<body", max(start, at - BEFORE_BYTES), at)
        low = body if body >= 0 else max(start, at - BEFORE_BYTES)
        # Decoded apart: ``at - low`` counts bytes, and any character of more than one
        # byte before the headline would move a split of the decoded text past its start.
        head = _uncommented(_unscripted(raw[low:at].decode("utf-8", "replace")))
        tail = _uncommented(_unscripted(raw[at : at + AFTER_BYTES].decode("utf-8", "replace")))
        return head + tail, len(head)

    def _anchor(self) -> bytes:
        """The title's first characters as they would appear in the markup."""
        text = self._title
        if not text:
            node = self._h1()
            text = " ".join(node.text(deep=True).split()) if node is not None else ""
        stop = _ANCHOR_STOP.search(text)
        if stop is not None and stop.start() < MIN_ANCHOR_CHARS and stop.group() == "'":
            # "It's ...", "Town's ...": too short cut at the apostrophe, which text nodes
            # seldom escape; the anchor reads past it.
            stop = _ANCHOR_STOP.search(text, stop.end())
        anchor = (text[: stop.start()] if stop else text)[:ANCHOR_CHARS].rstrip()
        return anchor.encode("utf-8") if len(anchor) >= MIN_ANCHOR_CHARS else b""


def _headline_offset(raw: bytes, start: int, anchor: bytes) -> int:
    """Offset of the first copy of ``anchor`` that starts (or nearly starts) a text node,
    preferring one that is not a link's text: a linked copy is usually a teaser of the
    story in a carousel or a list of popular stories above the article."""
    if not anchor:
        return -1
    linked = -1
    at = raw.find(anchor, start)
    for _ in range(MAX_ANCHOR_HITS):
        if at < 0:
            break
        tag_end = raw.rfind(b">", max(0, at - MAX_PREFIX_CHARS - 1), at)
        # One regex search of the few prefix bytes, not a generator over seven characters
        # (a page's <head> scripts repeat the title a dozen times or more).
        if tag_end >= 0 and _NOT_TEXT_PREFIX.search(raw, tag_end + 1, at) is None:
            if not _LINK_OPEN.match(raw, raw.rfind(b"<", 0, tag_end)):
                return at
            if linked < 0:
                linked = at
        at = raw.find(anchor, at + len(anchor))
    return linked


def _unscripted(markup: str) -> str:
    """``markup`` with each script, style and noscript element (opening tag to the first
    closing tag of its name) replaced by a space: ``_SCRIPT.sub(" ", markup)``, a third
    cheaper. An element left open is kept, and its content searched for further ones."""
    if any(odd in markup for odd in _CASE_ODD):
        return _SCRIPT.sub(" ", markup)
    out: list[str] = []
    kept = at = 0
    while (opened := _SCRIPT_OPEN.search(markup, at)) is not None:
        closed = _SCRIPT_CLOSE[opened.group(1).lower()].search(markup, opened.end())
        if closed is None:
            at = opened.start() + 1
            continue
        out += (markup[kept : opened.start()], " ")
        kept = at = closed.end()
    if not out:
        return markup
    out.append(markup[kept:])
    return "".join(out)


def _lowered(markup: str) -> str:
    """``markup.lower()`` as the searches for lowercase ASCII words see it: only ASCII
    letters lowered, through the bytes (``str.lower`` looks up every character of text
    that is not all ASCII, several times the cost). The two characters whose lowercase
    holds ASCII letters or is longer (Kelvin sign, dotted capital I) take ``str.lower``."""
    if markup.isascii() or any(odd in markup for odd in _LOWER_ODD):
        return markup.lower()
    return markup.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")


def _uncommented(markup: str) -> str:
    """``_COMMENT.sub(" ", markup)`` by plain searches: each comment, from its opening to
    the first "-->" after it, becomes a space (the regex's lazy ``.*?`` steps through a
    comment a character at a time); one left open ends the matches, as in the regex."""
    opened = markup.find("<!--")
    if opened < 0:
        return markup
    out: list[str] = []
    kept = 0
    while opened >= 0 and (closed := markup.find("-->", opened + 4)) >= 0:
        out += (markup[kept:opened], " ")
        kept = closed + 3
        opened = markup.find("<!--", kept)
    if not out:
        return markup
    out.append(markup[kept:])
    return "".join(out)


def _visible(markup: str) -> str:
    text = _TAG.sub("\n", markup)
    return html.unescape(text) if "&" in text else text


def _scan(
    markup: str,
    lowered: str,
    first: Callable[[str], int],
    words: tuple[str, ...],
) -> _Marks:
    """The dated and byline tags of ``markup`` (``lowered``: its lowercase copy, offsets
    kept; ``first``: where a word first occurs in it) among those holding one of
    ``words``."""
    marks = _Marks()
    for start in _tags_with_words(lowered, first, words)[:MAX_TAGS]:
        match = _OPEN_TAG.match(markup, start)
        if match is None:
            continue
        tag, attr_text = match.group(1).lower(), match.group(2) or ""
        if tag != "time" and not _SORTED_BY.search(attr_text.lower()):
            continue  # only these attributes sort a tag ("Times New Roman" in a style)
        attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(attr_text)}
        _sort(marks, tag, attrs, match)
    return marks


def _tags_with_words(
    lowered: str, first: Callable[[str], int], words: tuple[str, ...]
) -> list[int]:
    """Starts of the tags whose name or attributes mention a date or byline word.

    str.find per word plus two rfinds per hit is far cheaper than a regex over
    every tag's attributes.
    """
    starts: set[int] = set()
    for word in words:
        at = first(word)
        while at >= 0:
            opened = lowered.rfind("<", 0, at)
            if opened > lowered.rfind(">", 0, at):
                starts.add(opened)
            at = lowered.find(word, at + len(word))
    return sorted(starts)


def _sort(marks: _Marks, tag: str, attrs: dict[str, str], match: re.Match[str]) -> None:
    itemprop = attrs.get("itemprop", "")
    classes = attrs.get("class", "").lower()
    if "data-component" in attrs:  # a template's component name where its classes are hashed
        classes = f"{classes} {attrs['data-component'].lower()}"
    dated = _DATE_CLASS.search(classes) is not None
    # a reader's name over a comment ("comment-author") is no byline of the story
    named = not dated and _BYLINE_CLASS.search(classes) is not None and "comment" not in classes
    # a link to the writer's archive ("/author/name/") where no class names the byline
    archive = tag == "a" and "/author/" in attrs.get("href", "")
    if itemprop == "author" or "author" in attrs.get("rel", "") or named or archive:
        marks.bylines.append((match.start(), match.end()))
    elif tag == "time" or itemprop in ("datePublished", "dateModified"):
        marks.marked.append((tag, attrs, match.end()))
    elif dated:
        marks.stamps.append((match.start(), match.end()))


def _inside_media(markup: str, at: int) -> bool:
    """Whether a tag sits in a still-open figure/caption/photo block (a photo credit)."""
    start = max(0, at - MEDIA_LOOKBACK_BYTES)
    window = markup[start:at]
    # Every match holds one of these words: an ASCII window without them spares the
    # case-blind regex, which tries each offset (other scripts' case folds stay with it).
    if window.isascii():
        low = window.lower()  # once, not once per word
        if not any(word in low for word in _MEDIA_WORDS):
            return False
    opened = list(_MEDIA_OPEN.finditer(markup, start, at))
    if not opened:
        return False
    between = markup[opened[-1].end() : at].lower()
    return not any(close in between for close in _MEDIA_CLOSE)


def _following_text(markup: str, at: int) -> str:
    """The first text after a tag (its content, give or take a closing tag)."""
    text = _visible(markup[at : at + TAG_TEXT_CHARS * 3])
    lines = [kept for line in text.splitlines() if (kept := line.strip())]
    return "\n".join(lines)[:TAG_TEXT_CHARS]
