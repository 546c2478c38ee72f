"""Article extraction: page bytes in, a clean ``Article`` out.

``extract`` decodes and parses the page once (selectolax/lexbor), reads the
metadata, finds the body container (portal rules first, generic scoring
otherwise), drops clutter blocks and lines, and returns the paragraphs.
``stitch`` joins the pages of a multi-page article."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

# Stitching lives with the assembly of multi-page articles, so a crawl process stitches
# without importing the extractor (its extraction runs in worker processes).
from kabar.assembly import stitch
from kabar.errors import BadInputError, EmptyBodyError, ExtractError, NotAnArticleError
from kabar.extract.body import (
    container_lines,
    drop_selectors,
    prune_container,
    ranked_containers,
    rule_container,
    slide_gallery,
    strip_noise,
)
from kabar.extract.clutter import (
    SET_APART_MIN_EMPHASIS,
    Line,
    Vocabulary,
    caption_vocabulary,
    caption_words,
    clean_lines,
    normalize,
    vocabulary,
)
from kabar.extract.decode import BOM_PREFIXES as _BOM_PREFIXES
from kabar.extract.decode import is_binary, parser_input
from kabar.extract.metadata import Metadata, authors_from_lines, extract_metadata, text_language
from kabar.extract.pagination import find_next_pages
from kabar.extract.rules import PortalRules, rules_by_name, rules_for_url
from kabar.models import Article
from kabar.settings import ExtractSettings

__all__ = ["extract", "stitch"]

MAX_HTML_BYTES = ExtractSettings().max_html_bytes
#: A portal rule's body shorter than this is checked against the generic candidate, which
#: replaces it when it holds this many times the text in enough story paragraphs.
RULE_DOUBT_CHARS = 400
RULE_DOUBT_GAIN = 3.0
MIN_STORY_PARAGRAPHS = 3
STORY_PARAGRAPH_WORDS = 12
#: A rule body of at most this many paragraphs ending in "..." is a teaser, which any
#: generic story body with this many times its text replaces.
TEASER_MAX_PARAGRAPHS = 2
TEASER_GAIN = 1.5
#: A description of at least this many words stands for the body of a page with none
#: (photo galleries, videos). A thin body (a caption) is kept as it is: real photo pages
#: print the photo's own caption there, and the description is the gallery's blurb.
DESCRIPTION_MIN_WORDS = 8
log = logging.getLogger(__name__)


def extract(
    html: bytes | str, url: str | None = None, *, portal: str | None = None, utf8: bool = False
) -> Article:
    """Extract the article from one page; raise an ``ExtractError`` subclass if impossible.

    ``utf8=True`` vouches that ``html`` (bytes) is valid UTF-8, as the fetcher found while
    decoding it: the parser then reads the bytes as they are, with no second check."""
    size = _size(html)
    if size > MAX_HTML_BYTES:
        raise BadInputError(f"page is {size} bytes", reason="too_large", url=url)
    try:
        return _extract(_trusted(html) if utf8 else parser_input(html), url, portal)
    except ExtractError as exc:
        exc.url = exc.url or url
        raise
    except (
        RecursionError,
        MemoryError,
        ValueError,
        TypeError,
        AttributeError,
        SelectolaxError,
    ) as exc:
        raise BadInputError(
            f"{type(exc).__name__}: {exc}", reason="malformed_html", url=url
        ) from exc


def _size(html: bytes | str) -> int:
    """Bytes of the page; text is encoded to count only when its length leaves it in doubt
    (a character is 1 to 4 bytes)."""
    if isinstance(html, bytes):
        return len(html)
    if len(html) > MAX_HTML_BYTES or 4 * len(html) <= MAX_HTML_BYTES:
        return len(html)
    return len(html.encode("utf-8", "replace"))


def _trusted(html: bytes | str) -> bytes | str:
    if isinstance(html, str) or not html.startswith(_BOM_PREFIXES):
        if isinstance(html, bytes) and is_binary(html):
            raise BadInputError("input looks binary, not HTML", reason="binary_input")
        return html
    return parser_input(html)


def _extract(page: bytes | str, url: str | None, portal: str | None) -> Article:
    if not page or page.isspace():
        raise NotAnArticleError("empty page", reason="not_article")
    tree = LexborHTMLParser(page)
    rules = (rules_by_name(portal) if portal else None) or rules_for_url(url)
    meta = _metadata(tree, url)
    next_pages = _next_pages(tree, url, rules, meta.next_link)
    vocab = vocabulary(rules.line_patterns, rules.tail_patterns) if rules else vocabulary()
    title = meta.title or _fallback_title(tree)
    misses: list[str] = []
    return _first_body(tree, rules, vocab, meta, url, title, next_pages, portal, misses)


def _first_body(
    tree: LexborHTMLParser,
    rules: PortalRules | None,
    vocab: Vocabulary,
    meta: Metadata,
    url: str | None,
    title: str,
    next_pages: tuple[str, ...],
    portal: str | None,
    misses: list[str],
) -> Article:
    """The article from the first container that yields a body (see ``_containers``),
    with the rule selectors that matched nothing (``misses``, all noted by the time a
    body is read)."""
    tried = False
    held: _Body | None = None
    held_nodes: list[LexborNode] = []
    gain = 0.0  # how much more text the generic body needs to replace the held one
    for nodes, extractor, removed in _containers(tree, rules, vocab, misses):
        tried = True
        body = _read_body(nodes, extractor, removed, title, vocab)
        if body is None:
            continue
        trusted = rules is not None and rules.verified
        if held is None and extractor != "generic" and (gain := _doubt(body, trusted)):
            # A portal selector that matched a teaser, a caption or a stub: weigh it
            # against the generic best candidate before publishing it.
            held, held_nodes = body, nodes
            continue
        if held is not None and not _clearly_fuller(body, held, gain):
            body, nodes = held, held_nodes
        body = _with_slides(nodes, body, vocab, title)
        return _finish(body, meta, url, title, next_pages, rules, portal, misses)
    if held is not None:
        held = _with_slides(held_nodes, held, vocab, title)
        return _finish(held, meta, url, title, next_pages, rules, portal, misses)
    captioned = _captions_body(tree, vocab, title) if tried else None
    if captioned is not None:
        # A photo page: the captions of its pictures tell the story.
        return _finish(captioned, meta, url, title, next_pages, rules, portal, misses)
    described = _described(meta)
    if described is not None:
        # A photo or video page: its description is the article's text.
        return _finish(described, meta, url, title, next_pages, rules, portal, misses)
    if not tried:
        raise NotAnArticleError("no article body found", reason="not_article")
    raise EmptyBodyError("body is empty after removing clutter", reason="empty_body")


@dataclass(frozen=True, slots=True)
class _Body:
    """One candidate container's cleaned paragraphs, before they become an article."""

    found: tuple[Line, ...]
    paragraphs: tuple[str, ...]
    extractor: str
    removed: int


def _read_body(
    nodes: list[LexborNode], extractor: str, removed: int, title: str, vocab: Vocabulary
) -> _Body | None:
    found = container_lines(nodes, vocab)
    cleaned = clean_lines(found.lines, title, vocab)
    if not cleaned.lines:
        return None
    paragraphs = tuple(line.text for line in cleaned.lines)
    return _Body(found.lines, paragraphs, extractor, removed + found.removed + cleaned.removed)


def _captions_body(tree: LexborHTMLParser, vocab: Vocabulary, title: str) -> _Body | None:
    """The body of a page whose only text left is in picture captions (a photo gallery),
    read again with caption blocks kept; None when that finds none either. Only pages
    that would otherwise have no body pay for this second reading."""
    root = tree.body or tree.root
    if root is None:
        return None
    captions = caption_vocabulary(vocab)
    for nodes in ranked_containers(root):
        body = _read_body(nodes, "captions", 0, title, captions)
        if body is not None:
            return body
    return None


def _with_slides(nodes: list[LexborNode], body: _Body, vocab: Vocabulary, title: str) -> _Body:
    """A thin body (a photo page's description) read again with the gallery whose slides'
    captions tell the story (see ``slide_gallery``); the body as it is otherwise. Only
    bodies shorter than RULE_DOUBT_CHARS pay for the look."""
    chars = _chars(body)
    if chars >= RULE_DOUBT_CHARS or not nodes:
        return body
    joined = slide_gallery(nodes, chars, caption_words())
    if joined is None:
        return body  # (the caption reading's vocabulary is compiled only when needed)
    captions = caption_vocabulary(vocab)
    slides = _read_body(joined, body.extractor, body.removed, title, captions)
    return slides if slides is not None and _chars(slides) > chars else body


def _described(meta: Metadata) -> _Body | None:
    """The page's description as its body, for a dated page with no body text (a photo
    gallery, a video): None when the description is missing or too short to be one."""
    text = meta.description or ""
    if len(text.split()) < DESCRIPTION_MIN_WORDS or meta.published_at is None:
        return None
    return _Body((Line(text),), (text,), "description", 0)


def _chars(body: _Body) -> int:
    return sum(len(p) for p in body.paragraphs)


def _doubt(body: _Body, verified: bool) -> float:
    """How many times its text a generic body must hold to replace this rule body: for a
    teaser (a paragraph or two cut off with "..."), or, from a rule not checked on real
    pages, one too short to be sure of; 0 when the rule body is trusted. A verified rule's
    short body is a photo or video page's caption far more often than a wrong match (and
    the generic pass it would cost is the dearest step of extraction)."""
    last = body.paragraphs[-1]
    if len(body.paragraphs) <= TEASER_MAX_PARAGRAPHS and last.endswith(("...", "\u2026")):
        return TEASER_GAIN
    short = _chars(body) < RULE_DOUBT_CHARS
    return RULE_DOUBT_GAIN if short and not verified else 0.0


def _clearly_fuller(generic: _Body, rule: _Body, gain: float) -> bool:
    """Whether the generic body is the story a doubtful rule body missed: ``gain`` times
    the text, in several sentence-length paragraphs (not a list of teaser titles)."""
    story = [p for p in generic.paragraphs if len(p.split()) >= STORY_PARAGRAPH_WORDS]
    return len(story) >= MIN_STORY_PARAGRAPHS and _chars(generic) >= gain * _chars(rule)


def _finish(
    body: _Body,
    meta: Metadata,
    url: str | None,
    title: str,
    next_pages: tuple[str, ...],
    rules: PortalRules | None,
    portal: str | None,
    misses: Sequence[str] = (),
) -> Article:
    body = _without_described_dek(body, meta.description)
    # The article's own authors, language and rule misses are handed on as they are, not
    # through copies (a dataclass ``replace`` costs a hundredth of a page).
    authors = meta.authors
    if not authors:
        # Bylines printed at the end of the body ("Penulis: X"): dropped as clutter
        # lines, but they name the authors the page's metadata lacks.
        authors = _body_authors(body.found, meta, url)
    if not authors and meta.team:
        authors = (meta.team,)  # a desk rather than nobody
    language = text_language(body.paragraphs, meta.language)
    return _article(
        meta,
        url,
        title,
        body.paragraphs,
        next_pages,
        rules,
        body.extractor,
        portal,
        body.removed,
        authors,
        language,
        tuple(misses),
    )


#: Story paragraphs a dek needs under it; how far its length may be from the description's.
DEK_STORY_MIN_PARAGRAPHS = 3
_DEK_SLACK_CHARS = 8


def _without_described_dek(body: _Body, description: str | None) -> _Body:
    """The body without its first paragraph when that is the page's description printed
    apart from the story (wholly in emphasis) over it: the template's dek, set in the
    story's block with no dateline under it to tell it by. A plain first paragraph the
    description copies is the story's lead, and stays."""
    paragraphs = body.paragraphs
    if not description or len(paragraphs) <= DEK_STORY_MIN_PARAGRAPHS:
        return body
    first = paragraphs[0]
    if abs(len(first) - len(description)) > _DEK_SLACK_CHARS:
        return body
    if first.casefold() != normalize(description).casefold():
        return body
    line = next((found for found in body.found if found.text == first), None)
    if line is None or line.emphasis < SET_APART_MIN_EMPHASIS:
        return body
    return _Body(body.found, paragraphs[1:], body.extractor, body.removed + 1)


def _body_authors(lines: Sequence[Line], meta: Metadata, url: str | None) -> tuple[str, ...]:
    try:
        return authors_from_lines((line.text for line in lines), meta.site_name, url)
    except Exception:
        log.warning("byline lookup failed", exc_info=True, extra={"url": url})
        return ()


def _metadata(tree: LexborHTMLParser, url: str | None) -> Metadata:
    # The body is worth publishing even when a metadata reader trips on odd markup.
    try:
        return extract_metadata(tree, url)
    except Exception:
        log.warning("metadata extraction failed", exc_info=True, extra={"url": url})
        return Metadata()


def _next_pages(
    tree: LexborHTMLParser, url: str | None, rules: PortalRules | None, next_link: str | None
) -> tuple[str, ...]:
    try:
        pattern = rules.pagination_pattern if rules else None
        return find_next_pages(tree, url, pattern, next_link)
    except Exception:
        log.warning("pagination lookup failed", exc_info=True, extra={"url": url})
        return ()


def _containers(
    tree: LexborHTMLParser,
    rules: PortalRules | None,
    vocab: Vocabulary,
    misses: list[str] | None = None,
) -> Iterator[tuple[list[LexborNode], str, int]]:
    """Body containers to try in order, with the clutter blocks dropped before: the
    portal rule's (cleaned inside only: the rest of the page is never read), then the
    generic ranking (which weighs the whole page, so the whole page is cleaned).
    Rule selectors that match nothing are noted in ``misses`` ("body", "clutter"): a
    template that changed under its rule shows there first."""
    if rules and rules.body:
        nodes = rule_container(tree, rules.body)
        if not nodes:
            _note(misses, "body")
        else:
            removed = prune_container(nodes, vocab, rules.clutter_selectors, rules.body)
            if rules.clutter_selectors and not removed:
                _note(misses, "clutter")
            yield nodes, f"rules:{rules.name}", removed
    strip_noise(tree, vocab)
    removed = drop_selectors(tree, rules.clutter_selectors, rules.body) if rules else 0
    root = tree.body or tree.root
    if root is not None:
        for nodes in ranked_containers(root):
            yield nodes, "generic", removed


def _note(misses: list[str] | None, kind: str) -> None:
    if misses is not None:
        misses.append(kind)


def _fallback_title(tree: LexborHTMLParser) -> str:
    for selector in ("h1", "title"):
        node = tree.css_first(selector)
        if node is not None:
            text = normalize(node.text())
            if text:
                return text
    return ""


def _article(
    meta: Metadata,
    url: str | None,
    title: str,
    paragraphs: tuple[str, ...],
    next_pages: tuple[str, ...],
    rules: PortalRules | None,
    extractor: str,
    portal_hint: str | None,
    removed: int,
    authors: tuple[str, ...],
    language: str | None,
    misses: tuple[str, ...] = (),
) -> Article:
    return Article(
        url=url or meta.canonical_url or "",
        title=title,
        paragraphs=paragraphs,
        canonical_url=meta.canonical_url,
        portal=rules.portal_for(url) if rules else (portal_hint or meta.site_name),
        authors=tuple(authors),
        published_at=meta.published_at,
        updated_at=meta.updated_at,
        section=meta.section,
        tags=tuple(meta.tags),
        image=meta.image,
        description=meta.description,
        language=language,
        next_pages=next_pages,
        clutter_removed=removed,
        extractor=extractor,
        rule_misses=misses,
    )


# `from kabar import extract` names this package, so the package itself is made callable.
import sys as _sys  # noqa: E402
import types as _types  # noqa: E402


class _CallablePackage(_types.ModuleType):
    """Lets ``from kabar import extract`` be called like ``kabar.extract.extract``
    (the name is this package, so the function is reached through the package)."""

    def __call__(
        self, html: bytes | str, url: str | None = None, *, portal: str | None = None
    ) -> Article:
        return extract(html, url, portal=portal)


_sys.modules[__name__].__class__ = _CallablePackage
