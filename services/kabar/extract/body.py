"""Find the article body in a parsed page and turn it into text lines.

Two ways to the container: a portal rule's body selector when it matches, else a
generic content score (paragraph text, commas, link density and class/id hints,
propagated to parents and grandparents). The container is then walked once,
skipping clutter blocks, and cut into paragraph-level lines."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from kabar.extract.clutter import (
    CAPTION_TAG,
    DEK_TAG,
    Line,
    Vocabulary,
    caption_vocabulary,
    class_text,
    is_clutter_class,
    is_clutter_line,
    is_dateline,
    normalize,
    story_paragraph_class,
    summary_class,
    summary_label,
)

_BLOCKS = (
    "address article aside blockquote caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p pre "
    "section summary table tbody tfoot thead tr ul"
)
#: Elements that end a text line (table cells do not: a row is one line).
BLOCK_TAGS = frozenset(_BLOCKS.split())
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Paragraph-ish elements whose text scores their ancestors.
SCORED_SELECTOR = "p, pre, blockquote, h2, h3"
#: Elements whose own (not descendants') text scores them: long text straight in a
#: <div>, or <br>-broken lines.
_HOLDER_TAGS = frozenset({"div", "span", "font", "article", "section", "td"})
_HOLDER_SELECTOR = ", ".join(["br", *sorted(_HOLDER_TAGS)])
MIN_PARAGRAPH_CHARS = 25
#: Siblings of the best candidate scoring at least this share of it join the body.
SIBLING_SHARE = 0.25
#: A clutter-classed block holding more than this share of the body text is not clutter.
CLUTTER_MAX_SHARE = 0.5
#: Clutter-classed blocks longer than this are kept unless they are mostly links.
LONG_BLOCK_CHARS = 300
#: Paragraphs sharing a clutter-worded class are the story's when at least this many of a
#: block's paragraphs, of at least this many characters each, carry it.
STORY_CLASS_MIN_RUN = 3
STORY_CLASS_MIN_CHARS = 120
#: A picture-classed block holding at most this much text is a caption with its credit.
CAPTION_MAX_CHARS = 300
LINKY_BLOCK = 0.3
#: How far up the container may grow, and on what evidence: the ancestor must hold this
#: many times the paragraph text, and paragraphs must be this share of its text.
ANCESTOR_LEVELS = 3
EXPAND_GAIN = 1.3
EXPAND_MIN_PARA_SHARE = 0.6
#: Candidates inside comment/related blocks (this many levels up) keep this share of score.
ANCESTOR_PENALTY = 0.1
OUTSIDE_LEVELS = 6
#: Same-classed blocks elsewhere in the page scoring this share of the best join it.
COUSIN_SHARE = 0.25
#: How many of the top raw scores are weighed by link density (a text() and CSS each).
SHORTLIST = 10
#: A listicle's numbered entries, each its own box beside the intro ("<div class=item><h2>1.
#: ...</h2><p>...</p></div>" x N): a run of at least this many same-shaped boxes of these
#: tags, each headed and with paragraph text, continues the body it follows. Blocks with
#: less text than a paragraph between them (ad slots, spacers) do not break the run.
ITEM_MIN_RUN = 3
_ITEM_TAGS = frozenset({"div", "section"})
_ITEM_HEADINGS = "h2, h3, h4"
ITEM_MAX_HEADINGS = 2

#: Inline elements that may carry a "Baca juga:" label inside a paragraph.
INLINE_LABEL_TAGS = frozenset({"strong", "b", "em", "i", "span"})
#: Inline elements setting text apart from the story's paragraphs: a line wholly inside
#: them is printed differently (see ``Line.emphasis``). "/em" closes one on the stack.
EMPHASIS_TAGS = frozenset({"strong", "b", "em", "i", "small"})
_EMPHASIS_END = "/em"
#: Closes a summary block on the walk's stack (see ``_Walker._dek_depth``).
_DEK_END = "/dek"
#: Closes a box on the walk's stack (see ``_Walker._boxes``).
_BOX_END = "/box"
MAX_READ_ALSO_CHARS = 200
#: A bare "read also" label ending the text before a link, and how far back it is read.
_TRAILING_LABEL = re.compile(r"\b(?:baca|simak|lihat|read|see)\s+(?:juga|pula|also)\s*[:»>|-]*\s*$")
_LABEL_TAIL_CHARS = 24
#: How many inline levels up an element's surroundings are read for running text.
INLINE_LEVELS = 3
_WORDY = re.compile(r"[^\W\d_]{2}")
#: A block of one of these opening on one of these headings is a box the heading names;
#: only a box of at most this much text goes with a clutter heading (a story's section
#: under a heading is longer).
_BOX_TAGS = frozenset({"div", "aside", "section"})
_BOX_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
HEADED_BOX_MAX_CHARS = 300
#: A <figure> holding this many captioned <figure>s is a gallery, not one picture.
GALLERY_MIN_PICTURES = 2
#: A thin body's photo gallery is looked for this many blocks up from it.
GALLERY_LEVELS = 2
#: A caption a blog sets in the block after a picture's: one of these, at most this long,
#: centred or in one of these font sizes.
_STYLED_CAPTION_TAGS = frozenset({"div", "p", "span", "center"})
STYLED_CAPTION_MAX_CHARS = 160
_SMALL_FONTS = ("font-size:x-small", "font-size:xx-small", "font-size:small", "font-size:smaller")
_SMALL, _CENTRED = "small", "centred"
#: A dek (standfirst) under the headline: one of these, at most this long.
DEK_TAGS = frozenset({"p", "h2"})
DEK_MAX_CHARS = 300
#: A dek's header siblings hold at most this much paragraph text (a byline, a caption).
DEK_MAX_STORY_BELOW = 200
#: How a sentence ends (a subtitle set in ``<h2>`` is one).
_SENTENCE_MARKS = (".", "!", "?", "\u2026")
#: Embedded players and frames (the rest of their block is the embed's title or caption),
#: lists in a classed block (a labelled list box at the story's edge), choice controls
#: (a poll), email fields (a sign-up box), links to an anchor (a skippable box) and linked
#: pictures (a teaser card), looked up in one query that leaves the rest of the lists to C.
_LIST_TAGS = frozenset({"ul", "ol"})
_BOXED_SELECTOR = (
    "div[class] > ul, div[class] > ol, section[class] > ul, section[class] > ol, "
    "iframe, embed, object, video, amp-iframe, amp-video, amp-youtube, "
    "input[type=radio], input[type=checkbox], input[type=email], a[href^='#'], a[href] img"
)
#: A box the template lets the reader skip (a promo between a "Skip X" link and its
#: anchor at the box's end) is found this many blocks up from its link, and holds at most
#: EDGE_BOX_MAX_CHARS of text.
SKIP_BOX_LEVELS = 3
#: A teaser card of another story in the story's block: a linked picture and a title
#: (its only text, in a heading), found this many blocks up from the link.
CARD_LEVELS = 3
#: A link to a picture file is the picture's own, full size: no card's.
_PICTURE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:[?#].*)?$", re.I)
#: The widget around a radio button, checkbox or email field holds at most this much text;
#: a sign-up box around an email field may hold more (an offer over the field, the terms
#: under it: no story paragraph stands in a form's box).
WIDGET_MAX_CHARS = 300
SIGN_UP_BOX_MAX_CHARS = 500
#: A labelled list box opening the story's block (a key-points or summary box over the
#: lead, a contents box): one of these blocks holding a heading and a list, at most this
#: much text, before the first of the story's paragraphs (at least this many ``<p>``
#: children sharing one class) and classed apart from them. One after the last paragraph
#: may be the story's own (a recipe's steps), so the edge read is the top one only.
_EDGE_BOX_TAGS = frozenset({"div", "section"})
_EDGE_BOX_HEADINGS = ", ".join(sorted(_BOX_HEADINGS))  # (the headed box's headings)
EDGE_BOX_MAX_CHARS = 500
#: ... its heading may be a label set as a paragraph or a line (``_labelled``): one of
#: these, at most this long.
_LABEL_TAGS = frozenset({"p", "div", "span", "strong", "b"})
EDGE_LABEL_MAX_CHARS = 40
EDGE_LABEL_MAX_WORDS = 5
EDGE_STORY_MIN_PARAGRAPHS = 3
#: Elements that are one line of text: hidden and short, one is never shown.
_HIDDEN_LINE_TAGS = frozenset({"p", "span", "small", "label", "em", "i", "b", "strong"})
#: What makes a <figure> content rather than a picture: a table, a list, code, a quote.
_FIGURE_CONTENT = "table, ul, ol, pre, code, blockquote"
_CSS_IDENT = re.compile(r"-?[A-Za-z_][\w-]*")
_GOOD_HINTS = re.compile(
    r"(?<![a-z])(article|artikel|content|konten|entry|post|body|detail|read|text|story|main|"
    r"isi|berita|news|txt|itp|caption-text|paragraph)",
)
# The hint patterns run on lowercased class/id strings: case-blind matching (re.I) of
# these alternations is three times slower, and they are tried on every candidate.
#: Anything inside a block with one of these classes is not the article.
_OUTSIDE_HINTS = re.compile(
    r"(?<![a-z])(comment|komentar|disqus|respond|reply|replies|related|terkait|recommend\w*|"
    r"rekomendasi)s?(?![a-z])",
)
_BAD_HINTS = re.compile(
    r"(?<![a-z])(comment|komentar|related|terkait|sidebar|footer|widget|menu|nav|share|social|"
    r"promo|ads?|banner|popular|populer|trending|terkini|terbaru|rekomendasi|recommend|"
    r"breadcrumb|header|masthead|tags?|meta|author|byline|list|index|teaser|card|caption|credit|"
    r"photo|foto|image|img|thumb|gallery|video)s?(?![a-z])",
)


@dataclass(frozen=True, slots=True)
class BodyResult:
    lines: tuple[Line, ...]
    removed: int


def _attr_string(attrs: dict[str, str | None]) -> str:
    """Class and id, lowercased, for the hint patterns."""
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()


def strip_noise(tree: LexborHTMLParser, vocab: Vocabulary) -> None:
    """Drop elements whose text is never visible (scripts, styles) from the whole page."""
    tree.strip_tags(list(vocab.strip_tags))


def _class_weight(node: LexborNode) -> float:
    attrs = node.attributes
    attr = _attr_string(attrs)
    weight = 50.0 if attrs.get("itemprop") == "articleBody" else 0.0
    if _GOOD_HINTS.search(attr):
        weight += 25.0
    if _BAD_HINTS.search(attr):
        weight -= 25.0
    return weight


def _link_density(node: LexborNode, text_len: int) -> float:
    if text_len <= 0:
        return 1.0
    link_len = sum(len(a.text(strip=True)) for a in node.css("a"))
    return min(1.0, link_len / text_len)


def _paragraph_score(text: str) -> float:
    return 1.0 + text.count(",") + text.count("،") + min(len(text) / 100.0, 3.0)


@dataclass(slots=True)
class _Scores:
    """Content scores per element, and good-paragraph characters under each ancestor."""

    score: dict[int, tuple[LexborNode, float]]
    para_chars: dict[int, int]

    def add(self, node: LexborNode | None, value: float) -> None:
        if node is None or node.tag in ("html", "-document"):
            return
        prev = self.score.get(node.mem_id)
        self.score[node.mem_id] = (node, (prev[1] if prev else 0.0) + value)

    def add_chars(self, node: LexborNode, chars: int) -> None:
        ancestor: LexborNode | None = node
        for _ in range(ANCESTOR_LEVELS + 2):
            if ancestor is None:
                return
            self.para_chars[ancestor.mem_id] = self.para_chars.get(ancestor.mem_id, 0) + chars
            ancestor = ancestor.parent


def _score_candidates(root: LexborNode) -> _Scores:
    scores = _Scores({}, {})
    for para in root.css(SCORED_SELECTOR):
        text = para.text(strip=True)
        if len(text) < MIN_PARAGRAPH_CHARS:
            continue
        score = _paragraph_score(text)
        parent = para.parent
        scores.add(parent, score)
        scores.add(parent.parent if parent is not None else None, score / 2)
        if para.tag in ("p", "pre", "blockquote"):
            scores.add_chars(para, len(text))
    for holder, broken in _direct_text_holders(root):
        text = holder.text(deep=False, strip=True)
        score = _paragraph_score(text) * max(1, text.count(". ") // 2)
        # A <br>-broken text block is a container; a plain text div is one paragraph.
        target = holder if broken else holder.parent
        scores.add(target, score)
        scores.add(target.parent if target is not None else None, score / 2)
        scores.add_chars(holder, len(text))
    return scores


def _score_captions(root: LexborNode) -> _Scores:
    """Scores from picture captions, for a page with no paragraph text at all (a photo
    story whose ``<figure>``s hold its text in their ``<figcaption>``s): each scores the
    block holding its figure, as a paragraph scores its parent."""
    scores = _Scores({}, {})
    for caption in root.css("figure figcaption"):
        text = caption.text(strip=True)
        figure = caption.parent
        if len(text) < MIN_PARAGRAPH_CHARS or figure is None:
            continue
        score = _paragraph_score(text)
        holder = figure.parent
        scores.add(holder, score)
        scores.add(holder.parent if holder is not None else None, score / 2)
        scores.add_chars(figure, len(text))
    return scores


def _direct_text_holders(root: LexborNode) -> Iterable[tuple[LexborNode, bool]]:
    """Elements holding long text directly, and whether it is ``<br>``-broken, in
    document order (a ``<br>`` stands for its parent)."""
    broken: set[int] = set()
    for br in root.css("br"):
        if br.parent is not None:
            broken.add(br.parent.mem_id)
    root_id = root.mem_id
    if len(root.text(deep=False, strip=True)) >= 2 * MIN_PARAGRAPH_CHARS:
        yield root, True  # text straight in <body>: the body is the container
    nodes = root.css(_HOLDER_SELECTOR)
    # The walk reads each element once: a <br> under a holder-tagged element (read as
    # itself just before) or under the root is skipped without bookkeeping per element.
    read: set[int] = set()
    for node in nodes:
        if node.tag != "br":
            if len(node.text(deep=False, strip=True)) >= 2 * MIN_PARAGRAPH_CHARS:
                node_id = node.mem_id
                if node_id != root_id:
                    yield node, node_id in broken
            continue
        parent = node.parent
        if parent is None or parent.tag in _HOLDER_TAGS:
            continue
        parent_id = parent.mem_id
        if parent_id in read or parent_id == root_id:
            continue
        read.add(parent_id)
        if len(parent.text(deep=False, strip=True)) >= 2 * MIN_PARAGRAPH_CHARS:
            yield parent, True


def ranked_containers(root: LexborNode, limit: int = 3) -> Iterator[list[LexborNode]]:
    """The best containers (each with its body-text siblings), best first, lazily."""
    scores = _score_candidates(root)
    if not scores.score:
        scores = _score_captions(root)  # a photo page: its captions are all its text
    ranked: list[tuple[float, LexborNode]] = []
    # Only strong candidates can win; weighing each costs a text() and a CSS query.
    weighted = [(raw + _class_weight(node), node) for node, raw in scores.score.values()]
    weighted.sort(key=lambda item: -item[0])
    for base, node in weighted[:SHORTLIST]:
        text_len = len(node.text(strip=True))
        final = base * (1.0 - _link_density(node, text_len))
        if _inside_clutter(node):
            final *= ANCESTOR_PENALTY
        if final > 0:
            ranked.append((final, node))
    ranked.sort(key=lambda item: -item[0])
    final_by_id = {node.mem_id: score for score, node in ranked}
    used: set[int] = set()
    for score, node in ranked:
        top = _expand_up(node, scores.para_chars)
        if top.mem_id in used:
            continue
        used.add(top.mem_id)
        cousins = _same_class_sections(root, top, scores)
        if cousins:
            yield _with_item_runs(cousins)
        else:
            best = max(score, final_by_id.get(top.mem_id, 0.0))
            yield _with_item_runs(_with_siblings(top, best, final_by_id, scores.para_chars))
        if len(used) >= limit:
            return


def slide_gallery(
    nodes: Sequence[LexborNode], chars: int, caption_words: Sequence[str]
) -> list[LexborNode] | None:
    """A thin body's nodes with the photo gallery beside them, in document order, when the
    gallery's captions hold more text than the body (``chars``): a photo page whose story
    is told in its slides' caption blocks (each a picture's sibling: "<div class=slide>
    <img><div class=slide__caption>...</div></div>"), over or under a short description.
    The nodes alone when they hold the gallery (its captions went as clutter); None when
    there is no such gallery. It is looked for near the body (GALLERY_LEVELS up), not in
    the whole page."""
    root = nodes[0]
    for _ in range(GALLERY_LEVELS):
        if root.parent is None or root.tag == "body" or root.parent.tag == "html":
            break
        root = root.parent
    query = ", ".join(f"[class*={word}]" for word in caption_words)
    found: dict[int, tuple[LexborNode, int, int]] = {}
    for caption in root.css(query):
        length = len(caption.text(strip=True))
        item = caption.parent
        if length < MIN_PARAGRAPH_CHARS or item is None or item.css_first("img") is None:
            continue
        gallery = item.parent
        if gallery is None:
            continue
        _, items, total = found.get(gallery.mem_id, (gallery, 0, 0))
        found[gallery.mem_id] = (gallery, items + 1, total + length)
    found = _slides_up(found)
    slides = [(total, g) for g, items, total in found.values() if items >= GALLERY_MIN_PICTURES]
    if not slides:
        return None
    total, gallery = max(slides, key=lambda item: item[0])
    ids = {n.mem_id for n in nodes}
    if total <= chars or _has_ancestor_in(nodes[0], {gallery.mem_id}):
        return None  # (a gallery around the body would bring in the whole page)
    if _has_ancestor_in(gallery, ids):
        return list(nodes)
    for node in root.traverse():
        if node.mem_id == gallery.mem_id:
            return [gallery, *nodes]
        if node.mem_id in ids:
            return [*nodes, gallery]
    return None


def _slides_up(
    found: dict[int, tuple[LexborNode, int, int]],
) -> dict[int, tuple[LexborNode, int, int]]:
    """The galleries with each block holding a single captioned picture counted in its
    parent instead: a slider whose every slide wraps its picture in a ``<figure>`` of its
    own ("<div class=slide><figure><img><figcaption>...</figcaption></figure><div
    class=credit>"), one level deeper than a slide holding its picture and caption."""
    if all(items > 1 for _, items, _ in found.values()):
        return found
    merged: dict[int, tuple[LexborNode, int, int]] = {}
    for block, items, total in found.values():
        if items == 1 and block.parent is not None:
            block = block.parent
        _, had, chars = merged.get(block.mem_id, (block, 0, 0))
        merged[block.mem_id] = (block, had + items, chars + total)
    return merged


def _same_class_sections(
    root: LexborNode, top: LexborNode, scores: _Scores
) -> list[LexborNode] | None:
    """The article's other sections, when it is split into same-classed blocks that are
    not siblings (sectioned layouts); in document order, or None."""
    cls = top.attributes.get("class") or ""
    first = cls.split()[0] if cls.split() else ""
    if not _CSS_IDENT.fullmatch(first):
        return None
    # Two blocks with this exact class attribute print it twice: a string search costs a
    # fraction of the CSS query's walk over the whole page.
    raw = root.parser.raw_html
    needle = cls.encode("utf-8")
    if raw.find(needle, raw.find(needle) + 1) < 0:
        return None
    own = scores.score.get(top.mem_id, (top, 0.0))[1]
    matches = [n for n in root.css(f"{top.tag}.{first}") if n.attributes.get("class") == cls]
    if len(matches) < 2:
        return None
    ids = {n.mem_id for n in matches}
    chosen = [
        n
        for n in matches
        if n.mem_id == top.mem_id
        or (
            scores.score.get(n.mem_id, (n, 0.0))[1] >= own * COUSIN_SHARE
            and not _has_ancestor_in(n, ids)
            and not _inside_clutter(n)
        )
    ]
    return chosen if len(chosen) > 1 else None


def _inside_clutter(node: LexborNode) -> bool:
    ancestor: LexborNode | None = node
    for _ in range(OUTSIDE_LEVELS):
        if ancestor is None or ancestor.tag in ("body", "html"):
            return False
        if ancestor.tag in ("footer", "nav", "aside") or _OUTSIDE_HINTS.search(
            _attr_string(ancestor.attributes)
        ):
            return True
        ancestor = ancestor.parent
    return False


def best_container(root: LexborNode) -> list[LexborNode]:
    """The top-scoring container plus siblings that carry body text too."""
    return next(ranked_containers(root, limit=1), [])


def _expand_up(node: LexborNode, para_chars: dict[int, int]) -> LexborNode:
    """Climb to an ancestor that holds clearly more paragraph text and little else.

    An ``<article>`` element is a boundary: climbing past it would take in its siblings,
    usually teasers of other stories."""
    best = node
    own = para_chars.get(node.mem_id, 0)
    ancestor = node.parent
    for _ in range(ANCESTOR_LEVELS):
        if best.tag == "article" or ancestor is None or ancestor.tag in ("body", "html"):
            break
        chars = para_chars.get(ancestor.mem_id, 0)
        if chars >= own * EXPAND_GAIN and chars > 0:
            text_len = len(ancestor.text(strip=True))
            if chars >= text_len * EXPAND_MIN_PARA_SHARE:
                best, own = ancestor, chars
        if ancestor.tag == "article":
            break
        ancestor = ancestor.parent
    return best


def _with_siblings(
    best: LexborNode,
    best_score: float,
    final_by_id: dict[int, float],
    para_chars: dict[int, int],
) -> list[LexborNode]:
    parent = best.parent
    if parent is None or parent.tag in ("body", "html"):
        return [best]
    chosen: list[LexborNode] = []
    for sibling in parent.iter():
        if sibling.mem_id == best.mem_id or (
            (
                _scored_sibling(sibling, best_score, final_by_id, para_chars)
                or (sibling.tag == "p" and _good_loose_paragraph(sibling))
            )
            and not _clutter_sibling(sibling)
        ):
            chosen.append(sibling)
    return chosen


def _with_item_runs(nodes: list[LexborNode]) -> list[LexborNode]:
    """The body's nodes with the runs of item boxes that follow them (see ITEM_MIN_RUN), in
    document order. Each entry of a listicle scores alone, below the intro's share, so the
    ranking keeps the intro only; the run's shape (one tag and class, a heading and prose
    in each, few links) tells the entries from a card grid or a related rail."""
    chosen = {n.mem_id for n in nodes}
    joined: list[LexborNode] = []
    emitted: set[int] = set()
    added: set[int] = set()
    for node in nodes:
        if node.mem_id in emitted:
            continue  # (an item of a run read after an earlier node)
        joined.append(node)
        emitted.add(node.mem_id)
        for item in _item_run(node, chosen):
            joined.append(item)
            emitted.add(item.mem_id)
            if item.mem_id not in chosen:
                added.add(item.mem_id)
    if not added or any(_has_ancestor_in(n, added) for n in nodes):
        return nodes  # (an item holding a chosen block would read it twice)
    return joined


def _item_run(node: LexborNode, chosen: set[int]) -> list[LexborNode]:
    """The item boxes following ``node`` among its siblings, when they make a run."""
    shape: tuple[str, str] | None = None
    run: list[LexborNode] = []
    sibling = node.next
    while sibling is not None:
        if sibling.tag == "-text":
            if len((sibling.text_content or "").strip()) >= MIN_PARAGRAPH_CHARS:
                break
        elif (shape is None or _shape(sibling) == shape) and _item_box(sibling):
            shape = _shape(sibling)
            run.append(sibling)
        elif sibling.mem_id in chosen or len(sibling.text(strip=True)) >= MIN_PARAGRAPH_CHARS:
            break
        sibling = sibling.next
    if not run or len(run) >= ITEM_MIN_RUN:
        return run
    # The body's own block may be the first entry: weighed last, as it is the largest.
    own = _shape(node) == shape and _item_box(node)
    return run if len(run) + own >= ITEM_MIN_RUN else []


def _shape(node: LexborNode) -> tuple[str, str]:
    return node.tag or "", node.attributes.get("class") or ""


def _item_box(node: LexborNode) -> bool:
    """A box holding one entry: a heading with no link in it, paragraph text, few links,
    and no clutter or outside class (related, comments)."""
    if node.tag not in _ITEM_TAGS:
        return False
    attr = _attr_string(node.attributes)
    if attr.strip() and (is_clutter_class(attr) or _OUTSIDE_HINTS.search(attr)):
        return False
    headings = node.css(_ITEM_HEADINGS)
    if not headings or len(headings) > ITEM_MAX_HEADINGS or headings[0].css_first("a"):
        return False
    prose = sum(len(p.text(strip=True)) for p in node.css("p"))
    if prose < MIN_PARAGRAPH_CHARS:
        return False
    return _link_density(node, len(node.text(strip=True))) < LINKY_BLOCK


def _clutter_sibling(node: LexborNode) -> bool:
    """A block beside the body whose class names clutter (a newsletter box, comments):
    its paragraphs score, but it joins the body only when it is long prose with few links,
    as the walk keeps such blocks inside the body."""
    attrs = node.attributes
    attr = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    if len(attr) < 2 or not is_clutter_class(attr):
        return False
    text_len = len(node.text(strip=True))
    if text_len <= LONG_BLOCK_CHARS or len(node.css("p")) < 2:
        return True
    return _link_density(node, text_len) >= LINKY_BLOCK


def _scored_sibling(
    node: LexborNode, best_score: float, final_by_id: dict[int, float], para_chars: dict[int, int]
) -> bool:
    # A block scoring on its class hint and a heading alone ("Ikuti perkembangan berita
    # ini", "Baca juga") holds no paragraph text: it is a widget, not more of the story.
    return (
        final_by_id.get(node.mem_id, 0.0) >= best_score * SIBLING_SHARE
        and para_chars.get(node.mem_id, 0) > 0
    )


def _good_loose_paragraph(node: LexborNode) -> bool:
    text = node.text(strip=True)
    return len(text) >= 80 and _link_density(node, len(text)) < 0.25


def rule_container(tree: LexborHTMLParser, selectors: Sequence[str]) -> list[LexborNode]:
    """Nodes matched by the first portal body selector that matches (outermost only)."""
    for selector in selectors:
        nodes = tree.css(selector)
        if not nodes:
            continue
        if len(nodes) > 1:
            ids = {n.mem_id for n in nodes}
            outer = [n for n in nodes if not _has_ancestor_in(n, ids)]
        else:
            outer = nodes  # a lone match is outermost: no climb to the root
        if any(_has_text(n) for n in outer):
            return outer
    return []


def _has_text(node: LexborNode) -> bool:
    """Whether the subtree holds any non-blank text: stops at the first such text node
    instead of joining the whole container's text."""
    for child in node.traverse(include_text=True):
        if child.tag == "-text" and not (child.text_content or " ").isspace():
            return True
    return False


def _has_ancestor_in(node: LexborNode, ids: set[int], top: int = -1) -> bool:
    """Whether an ancestor of ``node`` is in ``ids``, climbing no further than the
    element whose mem_id is ``top`` (the scope the nodes were queried in), if given."""
    parent = node.parent
    while parent is not None:
        parent_id = parent.mem_id
        if parent_id in ids:
            return True
        if parent_id == top:
            return False
        parent = parent.parent
    return False


class _Walker:
    """One pass over the container subtree that emits paragraph lines."""

    def __init__(self, vocab: Vocabulary, nodes: Sequence[LexborNode]) -> None:
        self.vocab = vocab
        self._nodes = nodes
        self._max_clutter_chars = -1.0
        self.lines: list[Line] = []
        self.removed = 0
        self._parts: list[str] = []
        self._link_chars = 0
        self._link_depth = 0
        self._emphasis_chars = 0
        self._emphasis_depth = 0
        self._block_tag = "p"
        #: Inside a block classed as a summary opening the body: its lines are the dek's.
        self._dek_depth = 0
        #: The boxes (their ``mem_id``) the walk is inside, below the container's root.
        self._boxes: list[int] = []
        #: Inside a ``<pre>``: its line breaks end lines (a code block's lines stay apart).
        self._pre = False
        self._in_article = False
        #: The line so far opened with a "read also" label (see ``flush``).
        self._after_label = False
        self._skip: set[int] = set()
        #: Pictures of a gallery and their captions, kept (see ``_gallery``).
        self._gallery: set[int] = set()
        #: Whether a block's pictures are a photo story's (see ``_in_photo_story``).
        self._photo_blocks: dict[int, bool] = {}
        self._hints = _hints(vocab.block_re)
        #: Whether a class is the story paragraphs' own, by block and class (``_story_class``).
        self._story_classes: dict[tuple[int, str], bool] = {}

    @property
    def max_clutter_chars(self) -> float:
        """The most text a clutter block may hold: a share of the container's text, read
        on the first block that needs it (most containers hold none)."""
        if self._max_clutter_chars < 0:
            body_chars = sum(len(n.text(strip=True)) for n in self._nodes)
            self._max_clutter_chars = body_chars * CLUTTER_MAX_SHARE
        return self._max_clutter_chars

    def flush(self) -> None:
        if not self._parts:
            return  # block boundaries come in runs: most flushes have nothing to emit
        if self._pre:
            self._flush_pre()
            return
        text = _normalized("".join(self._parts))
        if self._after_label:
            self._after_label = False
            if text[:1].islower():
                # What follows a "read also" label and link opening the line, when it goes
                # on in lowercase, ends the label's sentence ("... dan tulisan X lainnya").
                self.removed += 1
                text = ""
        if text:
            linked = self._link_chars  # most lines hold no link: no division, no min()
            ratio = min(1.0, linked / len(text)) if linked else 0.0
            marked = self._emphasis_chars
            emphasis = min(1.0, marked / len(text)) if marked else 0.0
            tag = DEK_TAG if self._dek_depth else self._block_tag
            box = self._boxes[-1] if self._boxes else 0
            self.lines.append(Line(text, tag, ratio, emphasis, box))
        self._parts.clear()
        self._link_chars = 0
        self._emphasis_chars = 0

    def _flush_pre(self) -> None:
        """Emit a preformatted block's text one line per line break, as it is printed."""
        whole = "".join(self._parts)
        linked = self._link_chars  # shared by its lines, as the block's own share
        ratio = min(1.0, linked / max(1, len(whole.strip()))) if linked else 0.0
        for piece in whole.split("\n"):
            text = _normalized(piece)
            if text:
                self.lines.append(Line(text, self._block_tag, ratio))
        self._parts.clear()
        self._link_chars = 0
        self._emphasis_chars = 0

    def walk(self, root: LexborNode) -> None:
        self._in_article = root.tag == "article" or _has_ancestor_tag(root, "article")
        skip_tags = self.vocab.skip_tags
        skip = self._skip
        is_clutter_block = self._is_clutter_block
        parts = self._parts
        # A str on the stack is the closing tag of an element entered earlier. The loop
        # is inlined (no per-node method calls): it runs once per node of the body.
        stack: list[LexborNode | str] = [root]
        pop, push = stack.pop, stack.append
        first = True
        root_id = root.mem_id
        while stack:
            node = pop()
            if isinstance(node, str):
                if node == "a":
                    self._link_depth -= 1
                elif node == _EMPHASIS_END:
                    self._emphasis_depth -= 1
                elif node == _DEK_END:
                    self._dek_depth -= 1
                elif node == _BOX_END:
                    self._boxes.pop()
                else:  # a block: it ends the line
                    if parts:
                        self.flush()
                    if node == "pre":
                        self._pre = False
                    self._block_tag = "p"
                    self._after_label = False
                continue
            text = node.text_content
            if text is not None:  # only text nodes have text content
                if parts or not text.isspace():  # whitespace between blocks makes no line
                    parts.append(text)
                    if self._link_depth:
                        self._link_chars += len(text.strip())
                    if self._emphasis_depth:
                        self._emphasis_chars += len(text.strip())
                continue
            tag = node.tag
            if not tag or tag[0] == "-" or tag in skip_tags:
                continue
            if tag == "br" or tag == "hr":
                if parts:
                    self.flush()
                self._after_label = False
                continue
            if first:
                first = False
            elif (skip and node.mem_id in skip) or is_clutter_block(node, tag):
                self.removed += 1
                continue
            elif tag in INLINE_LABEL_TAGS and self._read_also(node):
                self.removed += 1
                self._after_label = not parts
                continue
            if tag in BLOCK_TAGS:
                if parts:
                    self.flush()
                self._after_label = False
                if tag in HEADING_TAGS:
                    self._block_tag = tag
                    if tag == "h1":
                        self._skip_dek(node)
                else:
                    self._block_tag = "li" if tag == "li" else "p"
                    if tag == "pre":
                        self._pre = True
                    # Only a paragraph before the body's first line is looked at: a
                    # summary there may be the template's dek (line cleaning decides).
                    if not self.lines and not parts and self._summary_block(node, tag):
                        if tag == "p":
                            self._block_tag = DEK_TAG
                        elif tag in _BOX_TAGS:
                            # A summary box of several lines (an AI summary's label,
                            # sentences and note): each of its lines is the dek's.
                            self._dek_depth += 1
                            push(_DEK_END)
                    if tag in _BOX_TAGS and node.mem_id != root_id:
                        self._boxes.append(node.mem_id)
                        push(_BOX_END)
                push(tag)
            elif tag == "a":
                if parts and self._labelled_link(parts):
                    self.removed += 1  # "... Baca juga: <a>other story</a> ..." in a paragraph
                    # A bare label opening the line ("BACA JUGA <a>X</a> dan tulisan Y
                    # lainnya."): what goes on in lowercase ends its sentence (``flush``).
                    self._after_label = not "".join(parts).strip()
                    continue
                self._link_depth += 1
                push(tag)
            elif tag in EMPHASIS_TAGS:
                self._emphasis_depth += 1
                push(_EMPHASIS_END)
            elif tag == "td" or tag == "th" or tag == "time":
                # A table row is one line, its cells spaced; a date stamp is a token of its
                # own, printed apart from the name before it ("X<time>Oct. 7</time>").
                parts.append(" ")
            elif tag == "img" and not parts and self._block_tag == "p":
                # Text after a picture opening its block ("<p><img><br>caption<br>Foto: X")
                # is marked: line cleaning drops such lines when one of them is a credit.
                self._block_tag = CAPTION_TAG
                self._skip_styled_caption(node)
            # The children pushed last to first (the first on top), read off the sibling
            # links: a generator over them, listed and reversed, costs more.
            child = node.last_child
            while child is not None:
                push(child)
                child = child.prev
        self.flush()

    def _summary_block(self, node: LexborNode, tag: str) -> bool:
        """Whether a block before the body's first line is the story's summary: classed
        as one, or a short box opening on a summary's label ("Poin Penting" over its
        points), as a template with hashed class names, or one boxing it by its style
        alone, prints it."""
        if summary_class(_class_of(node)):
            return True
        if tag not in _BOX_TAGS or not summary_label(_first_text(node).strip(_LABEL_TRIM)):
            return False
        return len(node.text(strip=True)) <= SUMMARY_BOX_MAX_CHARS

    def _labelled_link(self, parts: list[str]) -> bool:
        """Whether the text just before a link ends with a bare "Baca juga:" label (no
        element around it, inside a paragraph): the label is cut off that text and the
        link is skipped."""
        last = parts[-1]
        tail = last[-_LABEL_TAIL_CHARS:].lower()
        if "juga" not in tail and "pula" not in tail and "also" not in tail:
            return False
        found = _TRAILING_LABEL.search(tail)
        if found is None:
            return False
        parts[-1] = last[: len(last) - len(tail) + found.start()]
        return True

    def _read_also(self, node: LexborNode) -> bool:
        """An inline "Baca juga:" label inside a story paragraph, with the link after it."""
        text = node.text(strip=True)
        if len(text) > MAX_READ_ALSO_CHARS or not self.vocab.label_re.match(text.lower()):
            return False
        following = node.next
        while following is not None and following.tag == "-text" and not following.text(strip=True):
            following = following.next
        if following is not None and following.tag == "a":
            self._skip.add(following.mem_id)
        return True

    def _skip_styled_caption(self, picture: LexborNode) -> None:
        """Mark the caption a blog prints in the block after a picture's own block (no
        class, no credit): a short line that is centred or set in a small font, right
        after a block holding the picture and no text. The style is read first: most
        pictures are followed by a story paragraph with none."""
        block: LexborNode | None = picture.parent
        while block is not None and block.tag not in BLOCK_TAGS:
            block = block.parent
        if block is None:
            return
        caption = _next_element(block)
        if caption is None or caption.tag not in _STYLED_CAPTION_TAGS:
            return
        style = _caption_style(caption)
        if not style or any(n.mem_id == block.mem_id for n in self._nodes):
            return
        text = caption.text(strip=True)
        if not text or len(text) > STYLED_CAPTION_MAX_CHARS or block.text(strip=True):
            return
        # Centring alone marks a caption only where the post centres no prose: a blog
        # that centres its short paragraphs centres the one under a picture too.
        if style == _SMALL or not _centres_prose(caption):
            self._skip.add(caption.mem_id)

    def skip_boxes(self) -> None:
        """Mark the blocks around embeds, lists and choice controls that are boxes beside
        the story (see ``_skip_embed_title``, ``_skip_edge_box`` and ``_skip_widget``),
        found in one query of the container: most containers hold few such elements."""
        for node in self._nodes:
            top = node.mem_id
            for found in node.css(_BOXED_SELECTOR):
                if found.tag in _LIST_TAGS:
                    self._skip_edge_box(found, top)
                elif found.tag == "input":
                    self._skip_widget(found, top)
                elif found.tag == "a":
                    self._skip_skippable(found, top)
                elif found.tag == "img":
                    self._skip_card(found, top)
                else:
                    self._skip_embed_title(found, top)

    def _skip_embed_title(self, frame: LexborNode, top: int) -> None:
        """Mark the block around an embedded player or frame when the rest of it says
        little (a chart's or a video's title, its source): like a picture's wrapper, it
        carries the embed's caption, not the story. A block holding much of the body (a
        video page's description beside its player) stays."""
        block = frame.parent
        while block is not None and block.mem_id != top and block.tag not in BLOCK_TAGS:
            block = block.parent
        if block is None or block.mem_id == top:
            return  # the frame stands in the container itself
        chars = len(block.text(strip=True))
        if 0 < chars <= min(CAPTION_MAX_CHARS, self.max_clutter_chars):
            self._skip.add(block.mem_id)

    def _skip_skippable(self, link: LexborNode, top: int) -> None:
        """Mark a box the template lets the reader skip: a link standing alone (not among
        words) to an anchor that closes the box or stands right after it ("Lewati Podcast
        dan terus baca", "Skip Advertisement"; "Akhir dari Podcast" pointing at the box's
        last element). The link says the box is not the story the reader goes on with."""
        target = (link.attributes.get("href") or "")[1:]
        if not target or _in_running_text(link):
            return
        box = link.parent
        for _ in range(SKIP_BOX_LEVELS):
            if box is None or box.mem_id == top:
                return
            if box.tag in _BOX_TAGS and _closed_by(box, target):
                chars = len(box.text(strip=True))
                if chars <= min(EDGE_BOX_MAX_CHARS, self.max_clutter_chars):
                    self._skip.add(box.mem_id)
                return
            box = box.parent

    def _skip_card(self, picture: LexborNode, top: int) -> None:
        """Mark a teaser card standing in the story's block: a picture linked to another
        page beside a title, the card's only text, in a heading ("<div><a href=X><img></a>
        <h4>Other story</h4></div>"). A story's subheading stands in a block of its own,
        with no linked picture."""
        link = picture.parent
        while link is not None and link.tag != "a":
            link = link.parent if link.tag not in BLOCK_TAGS else None
        if link is None or _PICTURE_FILE.search(link.attributes.get("href") or ""):
            return
        card = link.parent
        for _ in range(CARD_LEVELS):
            if card is None or card.mem_id == top:
                return
            text = card.text(strip=True)
            if text:
                heading = card.css_first(_EDGE_BOX_HEADINGS)
                if (
                    card.tag in _BOX_TAGS
                    and len(text) <= HEADED_BOX_MAX_CHARS
                    and heading is not None
                    and len(heading.text(strip=True)) == len(text)
                ):
                    self._skip.add(card.mem_id)
                return
            card = card.parent

    def _skip_widget(self, choice: LexborNode, top: int) -> None:
        """Mark the widget around a radio button, a checkbox or an email field (a reader
        poll, a quiz, a form's consent box, a newsletter sign-up box whose classes are
        hashed): its question, offer and consent lines are the page's controls, not the
        story. It is the widest block around the control holding little text."""
        widget = None
        email = choice.attributes.get("type") == "email"
        most = min(SIGN_UP_BOX_MAX_CHARS if email else WIDGET_MAX_CHARS, self.max_clutter_chars)
        block = choice.parent
        while block is not None and block.mem_id != top:
            if len(block.text(strip=True)) > most:
                break
            widget = block
            block = block.parent
        if widget is not None:
            self._skip.add(widget.mem_id)

    def _skip_edge_box(self, listed: LexborNode, top: int) -> None:
        """Mark a labelled list box standing before the first of the story's paragraphs
        in its block, classed apart from them: a summary ("Poin Penting" over bullets), a
        contents box. The box is the list's parent holding a heading; the story's
        paragraphs are the ``<p>`` siblings of the box of their commonest class (see
        ``_over_story``). A box with no class says nothing."""
        box = listed.parent
        if box is None or box.mem_id == top or box.tag not in _EDGE_BOX_TAGS:
            return
        if not box.attributes.get("class"):
            return
        if box.css_first(_EDGE_BOX_HEADINGS) is None and not _labelled(box, listed):
            return
        chars = len(box.text(strip=True))
        if 0 < chars <= min(EDGE_BOX_MAX_CHARS, self.max_clutter_chars) and _over_story(box):
            self._skip.add(box.mem_id)

    def _skip_dek(self, headline: LexborNode) -> None:
        """Mark the dek under a headline the container holds: the one short paragraph or
        subheading standing right after the ``<h1>``, among siblings that hold no other
        paragraph and little paragraph text (a header block with a byline, a picture: the
        story's paragraphs are elsewhere). An ``<h1>`` followed by the story's paragraphs,
        or by a lead paragraph over a block holding the rest, marks nothing."""
        dek = _next_element(headline)
        if dek is None or (dek.tag not in DEK_TAGS and not _text_div(dek)):
            return
        text = dek.text(strip=True)
        if len(text) > DEK_MAX_CHARS or is_dateline(text):
            return
        if dek.tag == "h2" and text.endswith(_SENTENCE_MARKS):
            # A sentence set as a subheading right under the headline is its subtitle,
            # whatever follows: a lead paragraph is never an <h2>, and a section heading
            # names its section in a few words, not in a sentence.
            self._skip.add(dek.mem_id)
            return
        below = 0
        following = _next_element(dek)
        while following is not None:
            if following.tag == "p" or following.tag == dek.tag:
                return
            below += sum(len(p.text(strip=True)) for p in following.css("p"))
            if below > DEK_MAX_STORY_BELOW:
                return  # the story goes on in the block under it: a lead, not a dek
            following = _next_element(following)
        self._skip.add(dek.mem_id)

    def _is_clutter_block(self, node: LexborNode, tag: str) -> bool:
        if tag in self.vocab.container_drop:
            return node.mem_id not in self._gallery
        if tag == "figure":
            # A gallery and its pictures are kept whatever their picture classes say.
            if node.mem_id in self._gallery:
                return False
            if not self.vocab.keep_pictures and self._picture(node):
                return not self._in_photo_story(node)
            if node.mem_id in self._gallery:
                return False
        if tag == "article" and self._in_article:
            # An article inside the article is a teaser card of another story.
            return len(node.text(strip=True)) <= self.max_clutter_chars
        if tag in _BOX_TAGS and self._headed_box(node):
            return True
        attrs = node.attributes
        if not attrs:
            return False
        style = attrs.get("style")
        # (most inline styles hide nothing: two substring tests spare them the parse)
        if style and ("none" in style or "hidden" in style) and _is_hidden(attrs):
            if "itemscope" in attrs or "itemprop" in attrs:
                return True  # a hidden schema.org copy of the page's metadata
            if tag in _HIDDEN_LINE_TAGS and len(node.text(strip=True)) <= CAPTION_MAX_CHARS:
                # A short hidden line is never shown (a widget's thank-you, an SEO
                # summary); a hidden block may be a later page of the story, or its rest
                # behind a button, shown when asked for.
                return True
        classes = attrs.get("class") or ""
        anchor = attrs.get("id")
        raw = f"{classes} {anchor or ''}"
        component = attrs.get("data-component")
        if component:  # a template's component name where its classes are hashed
            raw = f"{raw} {component}"
        test_id = attrs.get("data-testid") or attrs.get("data-e2e")
        if test_id:  # a React template's test hook names the component the same way
            raw = f"{raw} {test_id}"
        attr = self._hints.get(raw)
        if attr is None:
            attr = _block_hint(raw, self.vocab.block_re)
            if len(self._hints) < MAX_HINTS:
                self._hints[raw] = attr
        if not attr:
            return False
        if anchor and tag in HEADING_TAGS and _anchor_of(node, anchor):
            # A heading's id made of its own words is its anchor ("How to comment" ->
            # "comment"), not a box's name: the heading is judged by its classes.
            rest = raw[len(classes) + 1 + len(anchor) :]
            attr = _block_hint(f"{classes} {rest}", self.vocab.block_re)
            if not attr:
                return False
        if (
            tag not in BLOCK_TAGS
            and not (self.vocab.keep_pictures and "credit" in attr)
            and _in_running_text(node)
        ):
            # An in-text link or highlight ("<a class='inner-link-tag'>") is words of the
            # sentence: its class names where it points, not what it is. A photo page's
            # credit inside its caption ("... timur. <span class='credit'>Foto: X</span>")
            # is no word of the caption.
            return False
        text_len = len(node.text(strip=True))
        if text_len > self.max_clutter_chars:
            return False
        if (tag == "p" or tag in HEADING_TAGS) and self._story_class(node, classes):
            return False  # (a short paragraph or a subheading classed as they are too)
        if not self.vocab.class_re.search(attr):
            return text_len <= CAPTION_MAX_CHARS  # a picture wrapper: caption and credit
        # Long prose paragraphs with few links under a clutter-ish class are story text
        # (e.g. a multi-page article's hidden page divs).
        if text_len <= LONG_BLOCK_CHARS or len(node.css("p")) < 2:
            return True
        return _link_density(node, text_len) >= LINKY_BLOCK

    def _story_class(self, paragraph: LexborNode, classes: str) -> bool:
        """Whether a paragraph's (or a subheading's) class is the story's own: at least
        STORY_CLASS_MIN_RUN paragraphs of the block share it, each of at least
        STORY_CLASS_MIN_CHARS characters (a magazine classes every paragraph behind its
        meter "paywall"). A box's paragraphs are few and short. Read once per block and
        class."""
        parent = paragraph.parent
        if parent is None or not classes:
            return False
        key = (parent.mem_id, classes)
        known = self._story_classes.get(key)
        if known is None:
            run = 0
            for child in parent.iter():
                if (
                    child.tag == "p"
                    and child.attributes.get("class") == classes
                    and len(child.text(strip=True)) >= STORY_CLASS_MIN_CHARS
                ):
                    run += 1
            known = run >= STORY_CLASS_MIN_RUN
            self._story_classes[key] = known
        return known

    def _headed_box(self, node: LexborNode) -> bool:
        """A short block opening on a heading that reads as clutter ("Do You Have
        Information About ...?", "Related"): the heading names the box, whatever its
        class, and the lines under it are the box's (a tip callout's "We're continuing to
        investigate. Contact X ..."), not the story's."""
        child = node.child
        while child is not None and child.tag == "-text":
            child = child.next
        if child is None:
            return False
        if child.tag not in _BOX_HEADINGS and not (child.tag == "p" and _bold_only(child)):
            return False  # (a paragraph set in bold only is the box's heading too)
        if len(node.text(strip=True)) > HEADED_BOX_MAX_CHARS or node.css_first("ul, ol"):
            return False  # a list under a label is read line by line (``_box_end``)
        heading = child.text(strip=True)
        return bool(heading) and is_clutter_line(heading, self.vocab)

    def _picture(self, node: LexborNode) -> bool:
        """A ``<figure>`` holding no table, list, code or quote is a picture with its
        caption and credit lines, whatever their classes (it may not hold most of the
        body)."""
        if len(node.text(strip=True)) > self.max_clutter_chars:
            return False
        return node.css_first(_FIGURE_CONTENT) is None and not self._is_gallery(node)

    def _is_gallery(self, node: LexborNode) -> bool:
        """A ``<figure>`` whose children are several captioned pictures, each a
        ``<figure>`` of its own (a block editor's gallery): its pictures' captions are
        text the page prints as part of the post, kept with their figures (the gallery's
        own caption, a ``<figcaption>`` child of it, still goes)."""
        items = _captioned_pictures(node)
        if len(items) < GALLERY_MIN_PICTURES:
            return False
        self._keep_gallery(node, items)
        return True

    def _in_photo_story(self, picture: LexborNode) -> bool:
        """Whether a picture is one of several captioned ``<figure>``s side by side whose
        captions hold most of the body's text (a gallery page: a short description over
        the pictures whose captions tell the story). Read once per block, on its first
        picture; the captions of an article's pictures hold far less than its paragraphs."""
        block = picture.parent
        if block is None:
            return False
        known = self._photo_blocks.get(block.mem_id)
        if known is None:
            items = _captioned_pictures(block)
            known = len(items) >= GALLERY_MIN_PICTURES and (
                sum(len(caption.text(strip=True)) for caption, _ in items)
                > self.max_clutter_chars
            )
            if known:
                self._keep_gallery(block, items)
            self._photo_blocks[block.mem_id] = known
        return known

    def _keep_gallery(self, node: LexborNode, items: list[tuple[LexborNode, LexborNode]]) -> None:
        self._gallery.add(node.mem_id)
        for caption, picture in items:
            for kept in (caption, picture):
                self._gallery.add(kept.mem_id)
                # Their picture and caption classes would drop them as any picture's.
                attrs = kept.attrs
                for name in ("class", "id"):
                    if name in attrs:
                        del attrs[name]
            self._keep_caption_text(caption)

    def _keep_caption_text(self, caption: LexborNode) -> None:
        """Unmark the caption's own text blocks ("gallery-caption"): their class names a
        caption and nothing else. Counters and credits inside it keep their classes (a
        credit still goes)."""
        kept_re = caption_vocabulary(self.vocab).block_re
        for part in caption.traverse():
            raw = part.attributes.get("class") if part.tag and part.tag[0] != "-" else None
            if raw and not kept_re.search(class_text(raw)):
                del part.attrs["class"]


_ID_WORDS = re.compile(r"[^\W_]+")
#: A word a platform puts before the words of a heading's anchor ("heading-the-fix").
_ANCHOR_PREFIXES = frozenset({"heading", "h", "section", "toc"})


def _anchor_of(heading: LexborNode, anchor: str) -> bool:
    """Whether a heading's id is the anchor a blog platform makes of its words ("How to
    comment" -> "comment", "heading-the-first-guess"): every word of the id is one of the
    heading's. Such an id names the section for links to it, not what the block is."""
    words = set(_ID_WORDS.findall(heading.text().lower()))
    parts = _ID_WORDS.findall(anchor.lower())
    return bool(parts) and all(part in words or part in _ANCHOR_PREFIXES for part in parts)


def _text_div(node: LexborNode) -> bool:
    """A ``<div>`` holding text and inline elements only: set as a paragraph would be (a
    header's blurb under the headline, "ArticleHeading_blurb")."""
    if node.tag != "div":
        return False
    return all(child.tag not in BLOCK_TAGS for child in node.iter())


def _bold_only(paragraph: LexborNode) -> bool:
    """Whether a paragraph's text is one bold element and nothing else
    ("<p><strong>Disclosure</strong></p>"): a label set as a paragraph."""
    inner = paragraph.child
    while inner is not None and inner.tag == "-text" and not inner.text(strip=True):
        inner = inner.next
    if inner is None or (inner.tag != "strong" and inner.tag != "b"):
        return False
    after = inner.next
    while after is not None and after.tag == "-text" and not after.text(strip=True):
        after = after.next
    return after is None


def _over_story(box: LexborNode) -> bool:
    """Whether ``box`` stands before the first of the story's paragraphs among its siblings
    (``<p>``s of their commonest class, enough of them), classed apart from them."""
    block = box.parent
    if block is None:
        return False
    at = -1
    paragraphs: dict[str, list[int]] = {}
    for index, child in enumerate(c for c in block.iter() if c.tag and c.tag[0] != "-"):
        if child.mem_id == box.mem_id:
            at = index
        elif child.tag == "p":
            paragraphs.setdefault(child.attributes.get("class") or "", []).append(index)
    if not paragraphs:
        return False
    story, where = max(paragraphs.items(), key=lambda item: (len(item[1]), item[0]))
    if len(where) < EDGE_STORY_MIN_PARAGRAPHS or box.attributes.get("class") == story:
        return False
    return at < where[0]


def _labelled(box: LexborNode, listed: LexborNode) -> bool:
    """Whether ``box`` opens, over its list, on a label printed as a paragraph or a line
    of its own rather than a heading ("<p class=...>Intinya Sih...</p><ul>"): its first
    element, before the list, a few words long."""
    first = box.child
    while first is not None and (not first.tag or first.tag[0] == "-"):
        first = first.next
    if first is None or first.mem_id == listed.mem_id or first.tag not in _LABEL_TAGS:
        return False
    text = first.text(strip=True)
    return 0 < len(text) <= EDGE_LABEL_MAX_CHARS and text.count(" ") < EDGE_LABEL_MAX_WORDS


def _closed_by(box: LexborNode, anchor: str) -> bool:
    """Whether the element with id ``anchor`` closes ``box`` (its last element, at any
    depth) or is the next element after it."""
    following = _next_element(box)
    if following is not None and following.attributes.get("id") == anchor:
        return True
    last: LexborNode | None = box
    while last is not None:
        child = last.last_child
        while child is not None and (not child.tag or child.tag[0] == "-"):
            child = child.prev
        if child is not None and child.attributes.get("id") == anchor:
            return True
        last = child
    return False


def _captioned_pictures(node: LexborNode) -> list[tuple[LexborNode, LexborNode]]:
    """The ``<figure>`` children of a block that hold a ``<figcaption>``, each with its
    caption. Children are read, not queried: a CSS query per picture would cost more than
    the rest of its walk."""
    items: list[tuple[LexborNode, LexborNode]] = []
    for child in node.iter():
        if child.tag != "figure":
            continue
        for part in child.iter():
            if part.tag == "figcaption":
                items.append((part, child))
                break
    return items


#: Block hints read from class/id strings, per vocabulary's pattern: templates repeat
#: the same few strings on every page, and the pattern is tried on each element. Keyed
#: by the pattern's id, the entry holding the pattern (so no other object takes that id
#: while it stands): hashing a compiled pattern hashes its whole compiled code, 3 us for
#: the block pattern warm and some 15 us on a page's first walk, on every walker.
_HINTS: dict[int, tuple[re.Pattern[str], dict[str, str]]] = {}
MAX_HINTS = 4096
MAX_HINT_TABLES = 64


def _hints(pattern: re.Pattern[str]) -> dict[str, str]:
    entry = _HINTS.get(id(pattern))
    if entry is not None and entry[0] is pattern:
        return entry[1]
    table: dict[str, str] = {}
    if len(_HINTS) < MAX_HINT_TABLES:
        _HINTS[id(pattern)] = (pattern, table)
    return table


def _block_hint(raw: str, pattern: re.Pattern[str]) -> str:
    """A class/id string lowercased when the block pattern names it, else ""."""
    attr = class_text(raw)
    if len(attr) < 2 or not pattern.search(attr) or story_paragraph_class(attr):
        return ""
    return attr


#: Characters a label's text may carry around it ("Intinya Sih...", "Poin Penting:").
_LABEL_TRIM = " :.\u2026-\u2013\u2014"
#: How many nodes are read into a block for its first text (a label opens it).
FIRST_TEXT_MAX_NODES = 8
#: A summary box holds a few points: more text is the story's own block.
SUMMARY_BOX_MAX_CHARS = 600


def _first_text(node: LexborNode) -> str:
    """The first text in a block, read down its first children (a few nodes at most);
    "" when none comes early."""
    current = node.child
    for _ in range(FIRST_TEXT_MAX_NODES):
        if current is None:
            return ""
        text = current.text_content
        if text is not None and not text.isspace():
            return text
        # down into an element, else on to the next sibling
        current = current.child if text is None and current.child is not None else current.next
    return ""


def _class_of(node: LexborNode) -> str:
    return node.attributes.get("class") or ""


def _normalized(text: str) -> str:
    """``normalize(text)``: most lines of a body are already single-spaced, which one
    ``isprintable`` pass shows (every whitespace character but the ASCII space is
    unprintable), sparing the split and join of the whole line; ASCII text is NFC."""
    spaced = text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "
    if spaced and (text.isascii() or unicodedata.is_normalized("NFC", text)):
        return text
    return normalize(text)


def _in_running_text(node: LexborNode) -> bool:
    """Whether an inline element stands among words of its block: text (not just
    spaces or punctuation) before or after it, at its level or at an inline ancestor's
    (``<strong><a>..</a></strong>``). A block holding only the element (a label or a
    "read also" link in a paragraph of its own) is not running text."""
    current: LexborNode | None = node
    for _ in range(INLINE_LEVELS):
        if current is None or current.tag in BLOCK_TAGS:
            return False
        if _words_beside(current):
            return True
        current = current.parent
    return False


def _words_beside(node: LexborNode) -> bool:
    """Whether words stand next to ``node`` before a block or line break, either side."""
    for step in (_previous, _following):
        sibling = step(node)
        while sibling is not None:
            tag = sibling.tag
            if tag == "-text":
                if _WORDY.search(sibling.text_content or ""):
                    return True
            elif tag in BLOCK_TAGS or tag in ("br", "hr"):
                break
            elif _WORDY.search(sibling.text(strip=True)):
                return True
            sibling = step(sibling)
    return False


def _caption_style(node: LexborNode) -> str:
    """How a block, or else the first element it wraps, is styled as a caption: in a
    small font (``_SMALL``), centred (``_CENTRED``), or not ("")."""
    style = node.attributes.get("style")
    if style is None:
        inner = node.child
        while inner is not None and (not inner.tag or inner.tag[0] == "-"):
            inner = inner.next
        style = inner.attributes.get("style") if inner is not None else None
        if style is None:
            return ""
    style = style.replace(" ", "").lower()
    if any(size in style for size in _SMALL_FONTS):
        return _SMALL
    return _CENTRED if "text-align:center" in style else ""


def _centres_prose(caption: LexborNode) -> bool:
    """Whether another block beside ``caption`` is centred text that follows no bare
    picture (a picture's own caption would not tell): the post's prose is centred."""
    parent = caption.parent
    if parent is None:
        return False
    previous: LexborNode | None = None
    for sibling in parent.iter():
        if (
            sibling.mem_id != caption.mem_id
            and sibling.tag in _STYLED_CAPTION_TAGS
            and (previous is None or previous.text(strip=True))
            and _caption_style(sibling) == _CENTRED
            and sibling.text(strip=True)
        ):
            return True
        previous = sibling
    return False


def _next_element(node: LexborNode) -> LexborNode | None:
    """The next sibling that is an element (not text or a comment)."""
    following = node.next
    while following is not None and (not following.tag or following.tag[0] == "-"):
        following = following.next
    return following


def _previous(node: LexborNode) -> LexborNode | None:
    return node.prev


def _following(node: LexborNode) -> LexborNode | None:
    return node.next


def _has_ancestor_tag(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    if "hidden" in attrs:
        return True
    style = (attrs.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def container_lines(nodes: Sequence[LexborNode], vocab: Vocabulary) -> BodyResult:
    """Walk the container nodes in order into lines, dropping clutter blocks."""
    walker = _Walker(vocab, nodes)
    walker.skip_boxes()
    for node in nodes:
        walker.walk(node)
        if node is nodes[0] and len(nodes) > 1 and node.tag == "p" and len(walker.lines) == 1:
            # A paragraph standing alone before the story's block (joined to it as a
            # loose sibling) may be the template's dek: line cleaning drops it when the
            # story opens on its dateline right after it, as it does a summary block.
            first = walker.lines[0]
            walker.lines[0] = Line(first.text, DEK_TAG, first.link_ratio)
    return BodyResult(tuple(walker.lines), walker.removed)


def prune_container(
    nodes: Sequence[LexborNode], vocab: Vocabulary, selectors: Sequence[str], keep: Sequence[str]
) -> int:
    """Strip invisible elements and drop the portal's clutter blocks inside the body
    container only (querying the subtree, not the page); return how many blocks went."""
    strip = ", ".join(vocab.strip_tags)
    query = ", ".join(selectors)
    removed = 0
    for node in nodes:
        for hidden in node.css(strip) if strip else ():
            hidden.remove()
        if query:
            removed += _drop_outermost(node.css(query), keep, node.mem_id)
    return removed


def drop_selectors(
    tree: LexborHTMLParser, selectors: Sequence[str], keep: Sequence[str] = ()
) -> int:
    """Remove every element matched by the selectors, except those holding a ``keep``
    match (the body); return how many."""
    if not selectors:
        return 0
    return _drop_outermost(tree.css(", ".join(selectors)), keep)


def _drop_outermost(nodes: Sequence[LexborNode], keep: Sequence[str], top: int = -1) -> int:
    """Decompose the outermost of ``nodes`` (found under the element whose mem_id is
    ``top``, when given) that hold no ``keep`` match; return how many."""
    found = {n.mem_id: n for n in nodes}
    ids = set(found)
    # Decompose outermost nodes only: a freed ancestor takes its descendants with it.
    outer = [n for n in found.values() if not _has_ancestor_in(n, ids, top)]
    keep_query = ", ".join(keep)
    if keep_query:
        outer = [n for n in outer if n.css_first(keep_query) is None]
    for node in outer:
        node.decompose()
    return len(outer)
