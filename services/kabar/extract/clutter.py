"""The clutter vocabulary (loaded from ``clutter.toml``) and the functions that
use it: recognising clutter DOM blocks by class/id, and dropping clutter text
lines (read-also links, related-link rows, captions, bylines, pagination,
prompts, footers, the repeated headline) from an extracted body. Some lines are
judged in context: an app prompt inside a how-to list is story, and a clutter
heading past the middle ends the article only when no more story follows it."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from kabar.extract.dispatch import FirstCharAlternation, first_char_alternation

#: A trailing-clutter heading only cuts the tail when it appears after this share of the body.
TAIL_CUT_MIN_POSITION = 0.5
#: Clutter-region markers are headings and footer lines: never longer than this.
MARKER_MAX_CHARS = 60
#: Story resumes after a clutter heading at two consecutive lines like these: paragraphs
#: of at least this many words, few links, not ending in an ellipsis (teaser summaries do).
STORY_LINE_MIN_WORDS = 10
STORY_LINE_MAX_LINK_RATIO = 0.3
STORY_RUN = 2
_TEASER_END = ("...", "\u2026")
_SUBHEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
#: A footnote's back-reference closing its line: the arrow, as text or as emoji.
_BACK_ARROWS = ("\u21a9", "\u21a9\ufe0e", "\u21a9\ufe0f")
_BACK_ARROW_CHARS = "\u21a9\ufe0e\ufe0f "
#: An app prompt is a how-to step, not a promotion, from this many words (or in a list).
PROMO_STEP_MIN_WORDS = 10
PROMO_MAX_LINK_RATIO = 0.3
#: Lines mostly made of link text and shorter than this are related links, not story text.
LINK_LINE_MAX_WORDS = 20
LINK_LINE_MIN_RATIO = 0.8
#: A label line of at most this many words over this many link lines heads a link box.
LABEL_MAX_WORDS = 6
LINK_LIST_MIN_LINES = 2
#: ... or over one line of at most this many words and this share of link text: the box's
#: links run together.
LINK_ROW_MAX_WORDS = 60
LINK_ROW_MIN_RATIO = 0.95
#: At most this many short label lines after the last sentence are dropped as sign-offs.
SIGN_OFF_MAX_LINES = 3
#: A line after the last sentence at least this much link text is a teaser of another story.
TEASER_MIN_LINK_RATIO = 0.5
#: A next-page teaser (its marker, cut-off paragraphs, links) is at most this many of the
#: body's last lines, and at most this share of its words.
CONTINUATION_MAX_LINES = 4
CONTINUATION_MAX_SHARE = 0.5
#: The tag of lines after a picture opening their block; such lines up to this long go
#: with a credit line among them (a caption and its credit).
CAPTION_TAG = "caption"
#: The tag of a body's first line when its block is classed as a summary (``summary_class``).
DEK_TAG = "dek"
CAPTION_LINE_MAX_CHARS = 300
#: A picture's caption and credit run to a few lines; more after the picture is story.
CAPTION_RUN_MAX_LINES = 3
#: Only paragraphs this long are dropped when repeated.
MIN_DEDUP_WORDS = 25
#: Longer lines are never clutter by the vocabulary; lines up to SHORT_LINE_CHARS are
#: tested against every pattern, longer ones against the ``drop_long`` patterns only.
MAX_CLUTTER_LINE_CHARS = 320
SHORT_LINE_CHARS = 160
#: Lines before a dateline are header clutter only if they are this short.
LEAD_MAX_LINES = 6
LEAD_MAX_SHARE = 0.3
#: A summary of at most this many words opening the body over its datelined lead is the
#: template's dek.
DEK_MAX_WORDS = 40
#: A summary box's label is a few words ("Poin Penting", "Intinya Sih...").
SUMMARY_LABEL_MAX_CHARS = 40
#: Subheadings opening the body over a date stamp are its subtitle: at most this many.
STANDFIRST_MAX_LINES = 2
#: Lines above a repeated headline are header labels when each is at most this long.
KICKER_MAX_WORDS = 6
#: ... and a header's panel over the headline (a match report's scoreboard: teams and
#: score, half-time score, scorers, venue, attendance) is at most this many lines.
HEADER_MAX_LINES = 12
HEADER_LINE_MAX_WORDS = 12
#: A line at least this share in emphasis, of at most ENTRY_HEADING_MAX_WORDS words, over a
#: plain line of ENTRY_MIN_WORDS words or more, after a story line of STORY_LINE_MIN_WORDS,
#: heads an entry (``_heads_entry``): it is read like a list item.
ENTRY_EMPHASIS = 0.9
ENTRY_HEADING_MAX_WORDS = 8
ENTRY_MIN_WORDS = 3
STORY_LINE_MIN_WORDS = 12
#: A byline name printed as its own line: this many words.
BYLINE_NAME_MIN_WORDS = 2
BYLINE_NAME_MAX_WORDS = 4
#: Marks opening a quotation: a paragraph opening with one is speech.
_QUOTE_OPEN = frozenset("\"\u201c\u201e\u00ab'\u2018")
_SENTENCE_END = (".", "!", "?", "\u2026", '"', "\u201d", "\u3002", "\uff01", "\uff1f")

_UNBOUNDED = 1 << 30
#: An uppercase letter that is not part of an escape (``\\S``, ``\\W``, ``\\d``...).
_UPPER_LITERAL = re.compile(r"(?<!\\)[A-Z]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_LATIN = re.compile(r"[A-Za-z]{2}")
_NAME_LINE = re.compile(r"[^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*)*", re.UNICODE)
# "Liputan6.com, Jakarta -", "PYONGYANG, KOMPAS.TV -", "GenPI.co -", "JAKARTA -".
#: (a site's own name may open it in lower case: "tirto.id - ", "jatim.jpnn.com, SIDOARJO -")
_DATELINE = re.compile(
    r"^(?:(?:[A-Z][\w.'’]*|[a-z][\w-]*(?:\.[\w-]+)*\.(?:com|id|tv|net|news))[ ,.]*){1,5}?"
    r"\s*(?:\([^)]{1,30}\)\s*)?[-–—]{1,2}\s*\S",
    re.UNICODE,
)
#: (... or a place before the outlet's name, each title-cased: "Jakarta, Lintas Kini -")
_DATELINE_PLACE = re.compile(
    r"\b(?:[A-Z]{3,}|[\w-]+\.(?:com|co|id|tv|net|news))\b|^[A-Z][a-z]+, [A-Z]"
)
#: A dateline standing as its own paragraph, the story running on in the next one:
#: "ISTANBUL, 23 Februari 2016 (Antara/PRNewswire) --", "JAKARTA, KOMPAS.com -". The
#: place in capitals and the closing dash tell it from a date stamp ("Kamis, 20 Juni 2024").
_DATELINE_ALONE = re.compile(r"^[A-Z][A-Z.'’ -]{2,40},[^\n]{0,80}?\s[-–—]{1,2}$")
_DATELINE_ENDS = frozenset("-–—\n")
#: Dashes a closing note may open with.
_DASHES = frozenset("-–—")
#: What a pictograph opening a line is made of: symbols, the variation selector or joiner
#: after one, and the space before the words.
_PICTOGRAPH_LEAD = frozenset({"So", "Mn", "Cf", "Zs"})


@dataclass(frozen=True, slots=True)
class Line:
    """One paragraph-level text line of a candidate body; its text is normalized
    (``normalize``: single spaces, no leading or trailing space)."""

    text: str
    tag: str = "p"
    link_ratio: float = 0.0
    #: The share of its text set in emphasis (``<em>``, ``<strong>``...): near 1.0 for a
    #: line printed apart from the story's plain paragraphs.
    emphasis: float = 0.0
    #: The box (``div``, ``section``, ``aside``) the line is printed in, inside the body's
    #: container (its node's ``mem_id``), or 0 at the container's own level: lines sharing
    #: one share a box drawn apart from the story (a note's box under it).
    box: int = 0


@dataclass(frozen=True, slots=True)
class Gated:
    """A costly pattern, tried only on text holding one of the substrings it needs."""

    needs: tuple[str, ...]
    pattern: re.Pattern[str]
    #: An app prompt: clutter only when promotional in its context.
    promo: bool = False
    #: A string inside every need ("(" of "(foto", "(sumber", ...), or "": a line without
    #: it holds none of them, found with one search instead of one per need.
    gate: str = ""
    #: A date stamp ("Kamis, 20 Juni 2024", "2 hari lalu"): not clutter on an unlinked item
    #: among list items, where a date is a schedule's entry ("Pelantikan: 6 November 2024").
    stamp: bool = False
    #: Searched instead of the needs when set: a cheaper test every match passes (given as
    #: ``near``, or one class for needs that are all single characters, a date's digits).
    near: re.Pattern[str] | None = None
    #: The longest line a whole-line match can span (no bound: a very large number).
    longest: int = _UNBOUNDED


#: A gated pattern as the line test reads it, unpacked in one step: the longest line it
#: may match, its gate, its ``near`` search (or None), its needs, the match of the whole
#: line (or a search in it), and the pattern itself.
GateRow = tuple[
    int,
    str,
    Callable[[str], re.Match[str] | None] | None,
    tuple[str, ...],
    Callable[[str], re.Match[str] | None],
    Gated,
]


def by_size(rows: tuple[GateRow, ...]) -> tuple[tuple[GateRow, ...], ...]:
    """``rows`` by the length of the line they are tried on, in their order, without those
    whose whole-line match cannot be that long: entry ``n`` for a line of ``n`` characters,
    the last for any longer line (only unbounded rows are left there)."""
    top = max((row[0] for row in rows if row[0] < _UNBOUNDED), default=-1) + 1
    table: list[tuple[GateRow, ...]] = []
    for size in range(top + 1):
        fitting = tuple(row for row in rows if row[0] >= size)
        # Neighbouring lengths mostly share their rows: one tuple for a run of them.
        table.append(table[-1] if table and table[-1] == fitting else fitting)
    return tuple(table)


def gate_rows(patterns: Sequence[Gated], whole: bool = True) -> tuple[GateRow, ...]:
    """The rows ``_gated_hit`` walks for ``patterns``: whole-line matches, or searches."""
    return tuple(
        (
            g.longest if whole else _UNBOUNDED,
            g.gate,
            g.near.search if g.near is not None else None,
            g.needs,
            g.pattern.fullmatch if whole else g.pattern.search,
            g,
        )
        for g in patterns
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Compiled clutter patterns."""

    class_re: re.Pattern[str]
    #: Clutter or picture words: a block matching neither is looked at no further.
    block_re: re.Pattern[str]
    #: Whole-line patterns for lines up to SHORT_LINE_CHARS, and for longer ones.
    line_re: FirstCharAlternation
    long_line_re: FirstCharAlternation
    #: A portal's own whole-line patterns (its rules file), for lines of any length.
    portal_line_re: re.Pattern[str] | None
    #: Whole-line patterns for short lines, and for lines up to the long limit.
    gated: tuple[GateRow, ...]
    long_gated: tuple[GateRow, ...]
    #: The same by line length (``by_size``): what a line of that length is tried against.
    gated_sized: tuple[tuple[GateRow, ...], ...]
    long_gated_sized: tuple[tuple[GateRow, ...], ...]
    #: Patterns searched anywhere in short lines.
    search: tuple[GateRow, ...]
    #: Headings opening a clutter region, and lines ending the article (portal tails).
    tail_re: re.Pattern[str]
    end_re: re.Pattern[str]
    #: Words making an app prompt (a ``promo`` gated pattern) promotional wherever it stands.
    promo_words_re: re.Pattern[str]
    #: Inline labels opening a "read also" link inside a paragraph.
    label_re: re.Pattern[str]
    #: Closing notes (desk initials) dropped from the end of the body.
    end_note_re: re.Pattern[str]
    end_note_tail_re: re.Pattern[str]
    #: Lines announcing the next page of a split article.
    continuation_re: re.Pattern[str]
    role_re: re.Pattern[str]
    #: A note about the writer closing the story (case-sensitive).
    bio_re: re.Pattern[str]
    #: A community platform's note closing a writer's post: (needs, lowercased pattern).
    platform_notes: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]
    #: A site-and-writer credit closing a quoted story paragraph.
    credit_tail_re: re.Pattern[str]
    #: A wire agency named as the source closing a story paragraph.
    source_tail_re: re.Pattern[str]
    strip_tags: tuple[str, ...]
    skip_tags: frozenset[str]
    container_drop: frozenset[str]
    #: A photo page's reading: a ``<figure>`` is no picture to drop (its caption is text).
    keep_pictures: bool = False


@dataclass(frozen=True, slots=True)
class CleanResult:
    lines: tuple[Line, ...]
    removed: int


def _alternation(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def _lowered(pattern: str) -> re.Pattern[str]:
    """A pattern matched against lowercased text. Case-blind matching (re.I) is two to
    three times slower, so it is kept for the rare pattern with an uppercase letter."""
    return re.compile(pattern, re.I if _UPPER_LITERAL.search(pattern) else 0)


def _dispatched(patterns: list[str]) -> FirstCharAlternation:
    """The alternation of ``patterns`` for whole lowercased lines, tried per first character
    (flags as ``_lowered`` gives the whole alternation)."""
    flags = _lowered(_alternation(patterns)).flags & re.IGNORECASE
    return first_char_alternation(patterns, flags)


def _gated(
    entries: Sequence[dict[str, Any]], promo: bool = False, stamp: bool = False
) -> tuple[Gated, ...]:
    gated = []
    for entry in entries:
        needs = tuple(str(n).lower() for n in entry["needs"])
        pattern = _lowered(entry["pattern"])
        if "near" in entry:
            near: re.Pattern[str] | None = _lowered(entry["near"])
        elif _single_chars(needs):
            near = re.compile(f"[{re.escape(''.join(needs))}]")
        else:
            near = None
        longest = _longest(pattern)
        # One need is its own gate: the line test then makes one search and no loop.
        gate = needs[0] if len(needs) == 1 else common_part(needs)
        gated.append(Gated(needs, pattern, promo, gate, stamp, near, longest))
    return tuple(gated)


def _longest(pattern: re.Pattern[str]) -> int:
    """The longest text ``pattern`` can match whole, or _UNBOUNDED."""
    if pattern.flags & re.VERBOSE:
        return _UNBOUNDED  # spaces and comments in the source are not text
    widest, _ = _widest(pattern.pattern, 0, {}, [])
    return widest if widest < _UNBOUNDED else _UNBOUNDED


#: What an escape outside a class stands for: no character (an anchor), else one.
_ZERO_WIDTH_ESCAPES = frozenset("AbBZ")
_QUANTIFIER = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
#: A group's opening other than a plain "(": a name (group 1) makes it capturing.
_GROUP_OPEN = re.compile(r"\(\?(?:P?<(\w+)>|:|=|!|<=|<!|>|[aiLmsux]*(?:-[imsx]+)?:)")
_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
#: Escapes longer than a backslash and one character, each one character of text.
_CODED_ESCAPE = re.compile(
    r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|0[0-7]{0,2}|[0-7]{3})"
)
#: A backreference by number: "\\1" to "\\99" (three octal digits are a character).
_REFERENCE = re.compile(r"\\(?![0-7]{3})([1-9][0-9]?)")


def _widest(source: str, at: int, names: dict[str, int], groups: list[int]) -> tuple[int, int]:
    """The most characters the alternation starting at ``source[at]`` can match, and where
    it ends (at a closing parenthesis or the end): a reading of the regex syntax, as the
    ``re`` module reads it. A repeat without a maximum is _UNBOUNDED. ``groups`` gets the
    width of each capturing group as it closes, by number from 1 (``names``: a named
    group's number), for the backreferences after it."""
    best = total = 0
    last = 0  # the width of the last atom, which a quantifier repeats
    while at < len(source):
        char = source[at]
        if char == ")":
            break
        if char == "|":
            best, total, last = max(best, total), 0, 0
            at += 1
            continue
        quantified = _QUANTIFIER.match(source, at) if char == "{" else None
        if char in "*+?" or quantified:
            if quantified:
                top = quantified.group(3) if quantified.group(2) else quantified.group(1)
                at = quantified.end()
            else:
                top = "1" if char == "?" else ""
                at += 1
            times = int(top) if top else _UNBOUNDED
            total += min(last * (times - 1), _UNBOUNDED) if last else 0
            if source[at : at + 1] in ("?", "+"):
                at += 1  # lazy or possessive
            last = 0
            continue
        if char == "(":
            lookaround = source.startswith(("(?=", "(?!", "(?<=", "(?<!"), at)
            flags = _INLINE_FLAGS.match(source, at)
            if flags:
                at, last = flags.end(), 0
                continue
            if source.startswith("(?P=", at):
                close = source.index(")", at)
                last, at = groups[names[source[at + 4 : close]] - 1], close + 1
                total = min(total + last, _UNBOUNDED)
                continue
            skip = _GROUP_OPEN.match(source, at)
            number = -1
            if skip is None or skip.group(1):  # a capturing group: its number now
                number = len(groups)
                groups.append(_UNBOUNDED)  # a reference inside it is not bounded here
                if skip is not None:
                    names[skip.group(1)] = number + 1
            inner, at = _widest(source, skip.end() if skip else at + 1, names, groups)
            at += 1  # the closing parenthesis
            if number >= 0:
                groups[number] = inner
            last = 0 if lookaround else inner
        elif char == "[":
            at = _class_end(source, at)
            last = 1
        elif char == "\\":
            escaped = source[at + 1 : at + 2]
            reference = _REFERENCE.match(source, at)
            if reference is not None:
                last, at = groups[int(reference.group(1)) - 1], reference.end()
            else:
                last = 0 if escaped in _ZERO_WIDTH_ESCAPES else 1
                code = _CODED_ESCAPE.match(source, at)
                at = code.end() if code else at + 2
        else:
            last = 0 if char in "^$" else 1
            at += 1
        total = min(total + last, _UNBOUNDED)
    return max(best, total), at


def _class_end(source: str, at: int) -> int:
    """Where the character class opening at ``source[at]`` ends (past its "]")."""
    at += 1
    if source[at : at + 1] == "^":
        at += 1
    if source[at : at + 1] == "]":
        at += 1  # a "]" first in a class is a literal
    while source[at] != "]":
        at += 2 if source[at] == "\\" else 1
    return at + 1


def _single_chars(needs: Sequence[str]) -> bool:
    return len(needs) > 1 and all(len(need) == 1 for need in needs)


def common_part(needs: Sequence[str]) -> str:
    """The longest string inside every one of several ``needs`` (the first such, by
    position in the shortest), when it is worth a search of its own: two characters or
    more, or one that is not a letter or digit (a letter is in nearly every line)."""
    if len(needs) < 2:
        return ""
    shortest = min(needs, key=len)
    for size in range(len(shortest), 0, -1):
        for start in range(len(shortest) - size + 1):
            part = shortest[start : start + size]
            if all(part in need for need in needs):
                return part if size >= 2 or not part.isalnum() else ""
    return ""


@lru_cache(maxsize=1)
def _data() -> dict[str, dict[str, Any]]:
    text = resources.files("kabar.extract").joinpath("clutter.toml").read_text("utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=64)
def vocabulary(extra_lines: tuple[str, ...] = (), extra_tail: tuple[str, ...] = ()) -> Vocabulary:
    """The compiled vocabulary, optionally extended with a portal's own patterns. Those
    are compiled apart, on their own, so that a portal's vocabulary shares every compiled
    pattern of the shared one (one compile of the whole vocabulary per process, not one per
    portal)."""
    if extra_lines or extra_tail:
        return _extended(vocabulary(), extra_lines, extra_tail)
    data = _data()
    lines = data["lines"]
    words = _alternation(data["dom"]["class_words"])
    pictures = _alternation(data["dom"]["picture_words"])
    promo = _gated(lines["promo"], promo=True)
    # App prompts come last: any other pattern matching a line settles it first.
    gated = gate_rows(
        _gated(lines["drop_gated"], stamp=True) + _gated(lines["drop_long_gated"]) + promo
    )
    long_gated = gate_rows(_gated(lines["drop_long_gated"]) + promo)
    return Vocabulary(
        class_re=_lowered(rf"(?<![a-z])(?:{words})(?![a-z])"),
        # "has-image", "with-thumbnail": a modifier of a content block, not a picture.
        block_re=_lowered(rf"(?<![a-z])(?:{words}|(?<!has-)(?<!with-)(?:{pictures}))(?![a-z])"),
        line_re=_dispatched([*lines["drop"], *lines["drop_long"]]),
        long_line_re=_dispatched(list(lines["drop_long"])),
        portal_line_re=None,
        gated=gated,
        long_gated=long_gated,
        gated_sized=by_size(gated),
        long_gated_sized=by_size(long_gated),
        search=gate_rows(_gated(lines["drop_search"]), whole=False),
        tail_re=_lowered(_alternation(lines["tail_markers"])),
        end_re=_lowered(_alternation(lines["end_markers"])),
        promo_words_re=_lowered(rf"\b(?:{_alternation(map(re.escape, lines['promo_words']))})\b"),
        label_re=_lowered(_alternation(lines["inline_labels"])),
        end_note_re=_lowered(_alternation(lines["end_notes"])),
        end_note_tail_re=_lowered(
            rf"(?<=[.!?\"\u201d'])\s*(?:{_alternation(lines['end_notes'])})\s*$"
        ),
        continuation_re=_lowered(_alternation(lines["continuation_markers"])),
        role_re=_lowered(_alternation(lines["byline_roles"])),
        bio_re=re.compile(_alternation(lines["author_bios"])),
        platform_notes=tuple(
            (tuple(str(n).lower() for n in e["needs"]), _lowered(e["pattern"]))
            for e in lines["platform_notes"]
        ),
        credit_tail_re=_lowered(lines["credit_tail"]),
        source_tail_re=_lowered(lines["source_tail"]),
        strip_tags=tuple(data["dom"]["strip_tags"]),
        skip_tags=frozenset(data["dom"]["skip_tags"]),
        container_drop=frozenset(data["dom"]["container_drop"]),
    )


def _extended(
    base: Vocabulary, extra_lines: tuple[str, ...], extra_tail: tuple[str, ...]
) -> Vocabulary:
    """``base`` with a portal's line patterns and tail markers (its rules file)."""
    end_re = base.end_re
    if extra_tail:
        end_re = _lowered(_alternation([*_data()["lines"]["end_markers"], *extra_tail]))
    portal = _lowered(_alternation(extra_lines)) if extra_lines else None
    return replace(base, portal_line_re=portal, end_re=end_re)


def story_paragraph_class(attr: str) -> bool:
    """Whether a (lowercased) class/id string names one of the story's paragraphs in
    classes free of clutter words: its clutter words then modify a paragraph
    ("zn-body__paragraph zn-body__footer"), they do not make it a clutter block."""
    words, class_re = _paragraph_words()
    if not any(word in attr for word in words):
        return False
    named = [token for token in attr.split() if any(word in token for word in words)]
    # "paragraph paragraph--type--newsletter": a component named by its clutter word.
    return bool(named) and all(class_re.search(token) is None for token in named)


@lru_cache(maxsize=1)
def _summary_re() -> re.Pattern[str]:
    return _lowered(rf"(?<![a-z])(?:{_alternation(_data()['dom']['summary_words'])})(?![a-z])")


def summary_class(attr: str) -> bool:
    """Whether a block's class names it the story's summary ("summary-tirto", "excerpt")."""
    return _summary_re().search(attr.lower()) is not None


@lru_cache(maxsize=1)
def _summary_label_re() -> re.Pattern[str]:
    return _lowered(_alternation(_data()["dom"]["summary_labels"]))


def summary_label(text: str) -> bool:
    """Whether a box's first text is a summary's label ("Poin Penting", "Intisari")."""
    if len(text) > SUMMARY_LABEL_MAX_CHARS:
        return False
    return _summary_label_re().fullmatch(text.lower()) is not None


@lru_cache(maxsize=1)
def _paragraph_words() -> tuple[tuple[str, ...], re.Pattern[str]]:
    words = tuple(str(w).lower() for w in _data()["dom"]["paragraph_words"])
    return words, vocabulary().class_re


def caption_vocabulary(vocab: Vocabulary) -> Vocabulary:
    """``vocab`` reading a photo page: caption blocks and picture wrappers are kept (the
    captions tell its story), the other clutter blocks and lines go as before."""
    class_re, container_drop = _caption_dom()
    return replace(
        vocab,
        class_re=class_re,
        block_re=class_re,
        container_drop=vocab.container_drop - container_drop,
        keep_pictures=True,
    )


@lru_cache(maxsize=1)
def caption_words() -> tuple[str, ...]:
    """Class words of a picture's caption block ("caption", "keterangan")."""
    return tuple(str(w) for w in _data()["dom"]["caption_words"])


@lru_cache(maxsize=1)
def _caption_dom() -> tuple[re.Pattern[str], frozenset[str]]:
    """The clutter class pattern without the caption words, and the caption tags."""
    dom = _data()["dom"]
    captions = set(dom["caption_words"])
    words = _alternation(w for w in dom["class_words"] if w not in captions)
    return _lowered(rf"(?<![a-z])(?:{words})(?![a-z])"), frozenset(captions)


@lru_cache(maxsize=1)
def generic_tag_re() -> re.Pattern[str]:
    """Site-wide boilerplate keywords ("berita terkini"), matched whole against a lowercased tag."""
    return _lowered(_alternation(_data()["tags"]["generic"]))


def normalize(text: str) -> str:
    """Whitespace-collapsed, NFC text."""
    text = " ".join(text.split())
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


#: A class name made of camel-cased words ("ArticleFooterNote" in a CSS module's
#: "ArticleFooterNote_root__Wq7Gm"): letters only, at least CAMEL_MIN_CHARS of them, a
#: lower-case run opening each capital. Its words are read apart, as hyphens would part
#: them. Shorter or irregular runs are left whole: a hashed class ("hQwTqU", "p0LJm")
#: parted at its capitals would spell class words by chance ("xAdQ" -> "ad").
_CAMEL_RUN = re.compile(r"(?<![A-Za-z])[A-Z]?[a-z]+(?:[A-Z][a-z]+)+(?![A-Za-z])")
_CAMEL_JOIN = re.compile(r"(?<=[a-z])(?=[A-Z])")
CAMEL_MIN_CHARS = 8


def class_text(raw: str) -> str:
    """A class/id string lowercased for the class-word patterns, its camel-cased names
    parted into words ("ArticleNewsletterPromo_root" -> "article-newsletter-promo_root")."""
    low = raw.lower()
    if low == raw:
        return low
    return _CAMEL_RUN.sub(_parted, raw).lower()


def _parted(match: re.Match[str]) -> str:
    run = match.group()
    return _CAMEL_JOIN.sub("-", run) if len(run) >= CAMEL_MIN_CHARS else run


def is_clutter_class(attr: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a class/id string names a clutter block (related, share, caption, ...)."""
    return bool((vocab or vocabulary()).class_re.search(class_text(attr)))


def is_clutter_line(text: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a whole text line, standing alone, is clutter by the vocabulary."""
    line = normalize(text)
    return _is_clutter_text(Line(line), vocab or vocabulary(), in_list=False)


def _is_clutter_text(line: Line, vocab: Vocabulary, in_list: bool) -> bool:
    text = line.text
    if not text:
        return False
    # Most lines open with a letter, which spares them the search (a letter is alphabetic).
    if not text[0].isalpha() and not _LETTER.search(text):
        return True
    # Clutter lines are short; a long paragraph that opens with "Baca juga" is still story.
    if len(text) > MAX_CLUTTER_LINE_CHARS:
        return False
    # A lone dateline ends in a dash (or a newline after it): other lines skip the regex.
    if text[-1] in _DATELINE_ENDS and _DATELINE_ALONE.match(text):
        return False
    if text[0] in _DASHES and text[1:2] == " " and len(text) > 2:
        # A note set off by a dash ("– This story was first published by X ..."): the note
        # is read without it, as printed without one.
        return _is_clutter_text(Line(text[2:], line.tag, line.link_ratio), vocab, in_list)
    low = text.lower()
    short = len(text) <= SHORT_LINE_CHARS
    if (vocab.line_re if short else vocab.long_line_re).fullmatch(low):
        return True
    if vocab.portal_line_re is not None and vocab.portal_line_re.fullmatch(low):
        return True
    sized = vocab.gated_sized if short else vocab.long_gated_sized
    size = len(low)
    hit = _gated_hit(sized[size] if size < len(sized) else sized[-1], low)
    if hit is not None:
        if hit.promo:
            if _promotional(line, low, vocab, in_list):
                return True
        elif not (hit.stamp and in_list and line.link_ratio < PROMO_MAX_LINK_RATIO):
            return True
    if short and _gated_hit(vocab.search, low) is not None:
        return True
    if unicodedata.category(text[0]) == "So":
        # A prompt opening on a pictograph ("🎧 Listen to the full conversation ...",
        # "▶️ Watch the whole interview"): read without it, as printed without one.
        start = 1
        while start < len(text) and unicodedata.category(text[start]) in _PICTOGRAPH_LEAD:
            start += 1
        rest = text[start:]
        if rest[:1].isalpha():
            return _is_clutter_text(Line(rest, line.tag, line.link_ratio), vocab, in_list)
    return False


def _promotional(line: Line, low: str, vocab: Vocabulary, in_list: bool) -> bool:
    """Whether an app prompt promotes (rather than being a how-to step of the story)."""
    if line.link_ratio >= PROMO_MAX_LINK_RATIO or vocab.promo_words_re.search(low):
        return True
    return not in_list and len(low.split()) < PROMO_STEP_MIN_WORDS


def _gated_hit(rows: tuple[GateRow, ...], low: str) -> Gated | None:
    """The first pattern matching the line, trying only those whose needs it holds (and
    only those whose match can be as long as the line: the caller's ``by_size`` rows)."""
    for _, gate, near, needs, match, gated in rows:
        if gate and gate not in low:
            continue
        if near is not None:
            if near(low) is not None and match(low) is not None:
                return gated
            continue
        for needed in needs:  # plain loops: generator expressions cost more here
            if needed in low:
                if match(low) is not None:
                    return gated
                break
    return None


def is_dateline(text: str) -> bool:
    """Whether a paragraph opens with a news dateline ("JAKARTA, KOMPAS.com - ...")."""
    match = _DATELINE.match(text)
    return match is not None and _DATELINE_PLACE.search(match.group(0)) is not None


def _is_headline(line: Line, title_key: str | None, words: int) -> bool:
    if line.tag != "h1" and not (title_key and _same_folded(line.text, title_key)):
        return False
    # A long dateline paragraph posing as the headline is story text.
    return not (words >= 15 and is_dateline(line.text))


#: An ``<h1>`` heads a section of the story (a blog platform's body headings are
#: ``<h1>``s) when this many story paragraphs stand kept above it and one follows it.
SECTION_H1_STORY_ABOVE = STORY_RUN


def _section_h1(
    line: Line,
    kept: Sequence[Line],
    kept_words: Sequence[int],
    lines: Sequence[Line],
    counts: Sequence[int],
    index: int,
    title_key: str | None,
) -> bool:
    """Whether an ``<h1>`` line is a section heading inside the story, not the headline:
    short, unlinked, not the title, with story paragraphs kept above it and one right
    under it (Medium sets "1. Unicode normalisation" in an ``<h1>`` between paragraphs).
    The headline stands over the story, never inside it."""
    if counts[index] > HEADER_LINE_MAX_WORDS or line.link_ratio >= STORY_LINE_MAX_LINK_RATIO:
        return False
    if title_key and _same_folded(line.text, title_key):
        return False
    following = index + 1
    if following >= len(lines) or lines[following].tag != "p":
        return False
    if counts[following] < STORY_LINE_MIN_WORDS:
        return False
    above = 0
    for prior, words in zip(kept, kept_words, strict=True):
        if prior.tag == "p" and words >= STORY_LINE_MIN_WORDS:
            above += 1
            if above >= SECTION_H1_STORY_ABOVE:
                return True
    return False


def _same_folded(text: str, key: str) -> bool:
    # Case folding maps a character to one to three: lengths rule most lines out unfolded.
    return len(text) <= len(key) <= 3 * len(text) and text.casefold() == key


def clean_lines(lines: Sequence[Line], title: str | None, vocab: Vocabulary) -> CleanResult:
    """Drop clutter lines, the trailing clutter region and header lines before a dateline."""
    kept: list[Line] = []
    kept_words: list[int] = []
    removed = 0
    # Line text is normalized (single spaces, stripped): words are its spaces plus one,
    # counted without building a list of words per line.
    counts = [x.text.count(" ") + 1 if x.text else 0 for x in lines]
    total_words = sum(counts) or 1
    title_key = title.casefold() if title else None
    seen_words = 0
    seen: set[str] = set()
    resume = 0
    above_headline = -1  # how many kept lines precede the headline, once it is met
    teaser = _continuation_start(lines, counts, total_words, vocab)
    # The box of the last note dropped as clutter, and how many lines were kept before it.
    note_box = note_at = 0
    for index, line in enumerate(lines):
        words = counts[index]
        seen_words += words
        if line.tag == "h1" and _section_h1(
            line, kept, kept_words, lines, counts, index, title_key
        ):
            line = Line(line.text, "h2", line.link_ratio, line.emphasis)
        if index >= teaser:
            removed += 1  # the next page's teaser
            continue
        if index < resume:
            removed += 1  # inside the clutter block under a mid-body heading
            continue
        # Only short lines open a region (the length test spares most lines the call).
        if len(line.text) <= MARKER_MAX_CHARS and seen_words / total_words >= TAIL_CUT_MIN_POSITION:
            resume = _region_end(lines, counts, index, vocab)
            if resume > index:
                removed += 1
                continue
        # A paragraph repeated verbatim is a teaser or a hidden metadata copy (short lines
        # such as list labels may legitimately repeat).
        key = line.text.casefold() if words >= MIN_DEDUP_WORDS else ""
        headed = above_headline >= 0 or index > HEADER_MAX_LINES
        if not headed and _is_headline(line, title_key, words):
            above_headline = len(kept)
        box = _box_end(lines, counts, index) if words <= LABEL_MAX_WORDS else index
        if box > index:
            resume = box  # the label and the box of other stories under it
            removed += 1
            continue
        if line.tag in _SUBHEADING_TAGS and _permalinked(line):
            # A subheading's permalink mark ("What we tried first#"): navigation.
            line = Line(line.text[:-1].rstrip(), line.tag, line.link_ratio, line.emphasis, line.box)
        if line.text.endswith(_BACK_ARROWS) and line.text.rstrip(_BACK_ARROW_CHARS):
            # A footnote's link back to its mark ("... to repeat. ↩"): navigation (an
            # arrow alone is a line without letters, clutter as it is).
            line = Line(line.text.rstrip(_BACK_ARROW_CHARS), line.tag, line.link_ratio)
        elif line.text[-1:] == ")":
            line = _without_signature(line, words)
            at = line.text.rfind("(")
            if at > 0 and line.text[at + 1 : at + 2] in _SOURCE_OPEN:
                line = _without_source(line, words, vocab)
            if line.text[:1] in _QUOTE_OPEN:
                line = _without_credit(line, vocab)
            elif vocab.keep_pictures:
                line = _without_caption_credit(line)
        elif line.text[-1:] == "]":
            line = _without_bracketed_credit(line)
        if (
            (key and key in seen)
            or _is_clutter(line, title_key, vocab, words, _listed(lines, counts, index, kept_words))
            or (line.tag == CAPTION_TAG and _credited_caption(lines, index, vocab))
            or (index <= LEAD_MAX_LINES and _byline_role(line.text, vocab))
            or _guest_bio(line, len(lines) - 1 - index)
        ):
            removed += 1
            if not (key and key in seen) and _box_title(
                kept, kept_words, line, words, lines[index - 1]
            ):
                # The plain label kept right over this prompt, after the story's text:
                # the title of the prompt's box ("The Daily" over "Listen to the
                # episode: ..."), not a subheading, which heads the story's text.
                kept.pop()
                kept_words.pop()
                removed += 1
            elif index >= 2 and _box_blurb(
                kept, kept_words, line, words, lines[index - 2 : index], vocab
            ):
                # The short line kept between a box's clutter heading and this note: the
                # box's blurb ("Sign up for X" / "The latest, every weekday." / "By
                # signing up, you agree ..."), not the story's.
                kept.pop()
                kept_words.pop()
                removed += 1
            if words >= NOTE_MIN_WORDS:  # a note (not a stamp, a label) the vocabulary knows
                note_box, note_at = line.box, len(kept)
            if above_headline <= 0 and _standfirst(kept, line, index, vocab):
                # The body opened (under the headline) on its subtitle, over a date or
                # reading-time stamp: the template's header, not the story.
                removed += len(kept)
                kept.clear()
                kept_words.clear()
                continue
            if above_headline >= 0 and _header_over_stamp(
                kept[above_headline:], line, index, lines, counts, vocab
            ):
                # Under the headline, the dek and the metadata's labels over the byline's
                # date stamp, the story told below it: the template's header.
                removed += len(kept) - above_headline
                del kept[above_headline:]
                del kept_words[above_headline:]
                continue
            opened = len(kept) == 1 and above_headline <= 0 and index <= LEAD_MAX_LINES
            if opened and _byline_name(kept[0]):
                # The body opened (under the repeated headline, which is not kept) on a
                # name over this clutter line (the writer's role, a date stamp): a byline
                # block the template prints above the story.
                kept.pop()
                kept_words.pop()
                removed += 1
            continue
        if key:
            seen.add(key)
        kept.append(line)
        kept_words.append(words)
    if note_box:
        cut = _note_box_start(kept, kept_words, note_box, note_at)
        removed += len(kept) - cut
        del kept[cut:]
        del kept_words[cut:]
    lead = (
        _above_headline(kept, kept_words, above_headline)
        or _lead_clutter(kept, kept_words)
        or _summary_list(kept)
    )
    for index in range(lead, len(kept)):  # a summary's lines left are story after all
        line = kept[index]
        if line.tag != DEK_TAG:
            break
        kept[index] = Line(line.text, "p", line.link_ratio)
    body, notes = _without_end_notes(kept[lead:], vocab)
    return CleanResult(body, removed + lead + notes)


#: A writer signing a story paragraph off in brackets after its last sentence, beside the
#: site in lower case or the desk's code: "... hingga ke laut. (Ketut Arsana/balipost)",
#: "(Nugroho Santoso/CN26)". A caption's credit names the outlet first ("(BP/Eka)",
#: "(IDN Times/Fariz)"), so it keeps the caption a caption.
_SIGNATURE = re.compile(
    r"\(\s*[A-Z][a-z][\w'’-]*(?: [A-Z][a-z][\w'’-]*){1,3}\s?/\s?"
    r"(?:[a-z][\w.-]{1,20}|[A-Za-z]{1,4}\d{1,3})\s*\)"
)
#: A paragraph this long at least is story, not a caption, when a signature closes it.
SIGNED_PARAGRAPH_MIN_WORDS = 12


#: The most lines, and words, a note's box under the story keeps beside its dropped line.
NOTE_BOX_MAX_LINES = 3
NOTE_BOX_MAX_WORDS = 25
#: The fewest words of the dropped line for its box to be a note's.
NOTE_MIN_WORDS = 8


def _note_box_start(kept: Sequence[Line], kept_words: Sequence[int], box: int, at: int) -> int:
    """Where the box closing the body begins when a line in it went as clutter: a box
    drawn apart under the story (a suicide-prevention note over its hotline, an ad
    offer's label over its contact line) goes whole, the lines the vocabulary has no
    words for with the one it has. The box holds no other kept line, a few short ones
    only; the story is told above it. ``len(kept)`` when there is no such box."""
    start = len(kept)
    while start > 0 and kept[start - 1].box == box and len(kept) - start < NOTE_BOX_MAX_LINES:
        start -= 1
    if (
        start == len(kept)
        or at < start
        or start < PLAIN_STORY_MIN_LINES
        or sum(kept_words[start:]) > NOTE_BOX_MAX_WORDS
        or any(line.box == box for line in kept[:start])
    ):
        return len(kept)
    return start


def _without_signature(line: Line, words: int) -> Line:
    """A story paragraph without the writer's bracketed signature closing it, which would
    make it read as a credited caption."""
    text = line.text
    at = text.rfind("(")
    if words < SIGNED_PARAGRAPH_MIN_WORDS or at <= 0 or "/" not in text[at:]:
        return line
    if text[:at].rstrip()[-1:] not in _SIGNED_AFTER or not _SIGNATURE.fullmatch(text, at):
        return line
    return Line(text[:at].rstrip(), line.tag, line.link_ratio)


#: A picture's credit in square brackets closing a line after its last sentence, the
#: site before the photographer: "... jelang Nyepi. [Suara.com/Alfian Winanto]".
_BRACKETED_CREDIT = re.compile(
    r"(?<=[.!?\"\u201d])\s*\[\s*[\w-]+(?:\.[\w-]+)*\.(?:com|co\.id|id|net|tv)\s?/\s?"
    r"[^\W\d_][^\[\]/]{1,40}\]$"
)


def _without_bracketed_credit(line: Line) -> Line:
    """A line without the bracketed site-and-photographer credit closing it (a photo
    page's captions, told as its story, each carry one)."""
    cut = _BRACKETED_CREDIT.search(line.text)
    if cut is None or cut.start() == 0:
        return line
    return Line(line.text[: cut.start()].rstrip(), line.tag, line.link_ratio, line.emphasis)


#: How a wire source's bracket opens ("(Sumber: ...", "( sumber : ...").
_SOURCE_OPEN = frozenset("sS ")


def _without_source(line: Line, words: int, vocab: Vocabulary) -> Line:
    """A story paragraph without the wire agency named as its source closing it ("...
    Laut Sulawesi. (Sumber: Antara)"), which would make it read as a credited caption."""
    if words < SIGNED_PARAGRAPH_MIN_WORDS:
        return line
    low = line.text.lower()
    cut = vocab.source_tail_re.search(low)
    if cut is None or len(low) != len(line.text):  # (offsets of the lowered text apply)
        return line
    return Line(line.text[: cut.start()].rstrip(), line.tag, line.link_ratio, line.emphasis)


#: A picture's credit in round brackets closing a caption after its last sentence, the
#: outlet before the photographer: "... hari kemerdekaan. (CNN Indonesia/Bimo Aditya)".
_CAPTION_CREDIT = re.compile(r"(?<=[.!?\"\u201d])\s*\(\s*[^\W\d_][^()/]{1,40}/[^()/]{2,60}\)$")


def _without_caption_credit(line: Line) -> Line:
    """A photo page's caption (read as its story) without the credit closing it, which
    would make the whole caption go as a credited one."""
    cut = _CAPTION_CREDIT.search(line.text)
    if cut is None or cut.start() == 0:
        return line
    return Line(line.text[: cut.start()].rstrip(), line.tag, line.link_ratio, line.emphasis)


def _without_credit(line: Line, vocab: Vocabulary) -> Line:
    """A quoted paragraph without the site-and-writer credit closing it ("... kata Agus.
    (Tribunnews.com/Rina Ayu)"), which would make it read as a credited caption."""
    cut = vocab.credit_tail_re.search(line.text.lower())
    if cut is None or cut.start() == 0 or len(line.text.lower()) != len(line.text):
        return line
    return Line(line.text[: cut.start()].rstrip(), line.tag, line.link_ratio)


def _continuation_start(
    lines: Sequence[Line], counts: Sequence[int], total_words: int, vocab: Vocabulary
) -> int:
    """Where the next page's teaser at the end of a split article's page begins, or
    ``len(lines)`` when there is none: a run of the last lines holding a line announcing
    the next page ("Halaman Selanjutnya") and otherwise only cut-off paragraphs ("..."),
    links, labels and such announcements."""
    start = len(lines)
    announced = False
    words = 0
    for index in range(len(lines) - 1, max(-1, len(lines) - 1 - CONTINUATION_MAX_LINES), -1):
        line = lines[index]
        marker = len(line.text) <= MARKER_MAX_CHARS and bool(
            vocab.continuation_re.fullmatch(line.text.lower())
        )
        if not marker and not _teaser_piece(line, counts[index]):
            break
        announced = announced or marker
        words += counts[index]
        start = index
    if not announced or words > CONTINUATION_MAX_SHARE * total_words:
        return len(lines)
    return start


def _teaser_piece(line: Line, words: int) -> bool:
    """A line a next-page teaser is made of: a paragraph cut off with an ellipsis, a
    link, or a short label."""
    return line.text.endswith(_TEASER_END) or _is_link_line(line, words) or _is_label(line, words)


#: What a sentence a signature follows ends with.
_SIGNED_AFTER = frozenset('.!?"”')
#: How a closing note ends: brackets, asterisks, a site's address ("- Rappler.com"); a
#: last line ending otherwise is not searched for one.
_NOTE_ENDS = (")", "]", "*", ".com", ".id", ".net", ".tv", ".org")


#: The writer's name alone in brackets after the story's last sentence, as older papers
#: sign a story off: "... antardaerah. (Sugeng Riyadi)". Two to four title-cased words, no
#: desk code (those are ``end_notes``), no digit: a caption's credit names the outlet or
#: sits under a picture, not after the last sentence of the body.
_SIGNED_NAME_TAIL = re.compile(
    r"(?<=[.!?\"\u201d])\s*\(\s*[A-Z][a-z][\w'\u2019-]*(?: [A-Z][a-z][\w'\u2019-]*){1,3}\s*\)$"
)


#: The writer's name in lower case after the story's last sentence, as a print edition's
#: web copy signs it off: "... dalam dua pekan. ichsan amin" (two or three words; a
#: sentence never opens in lower case).
_LOWER_SIGNATURE = re.compile(
    r"(?<=[.!?\"\u201d])\s+([a-z][a-z'\u2019-]+(?: [a-z][a-z'\u2019-]+){1,2})$"
)


def _without_end_notes(lines: Sequence[Line], vocab: Vocabulary) -> tuple[tuple[Line, ...], int]:
    """The body without the closing notes (desk initials) after its last sentence: lines
    made only of them go, and one trailing the last paragraph is cut off it. A subheading
    left closing the body heads nothing: the header of a box whose items went."""
    end = len(lines)
    while end > 1 and (
        vocab.end_note_re.fullmatch(lines[end - 1].text.lower())
        or (_sign_off(lines[end - 1], len(lines) - end) and not _introduced(lines, end - 1))
        or _trailing_teaser(lines[end - 1], len(lines) - end)
        or _author_bio(lines[end - 1], len(lines) - end, vocab)
        or _platform_note(lines[end - 1], len(lines) - end, vocab)
        or lines[end - 1].tag in _SUBHEADING_TAGS
        or _set_apart(lines, end - 1, len(lines) - end)
    ):
        end -= 1
    removed = len(lines) - end
    if end == 0:
        return (), removed
    last = lines[end - 1]
    signed = _LOWER_SIGNATURE.search(last.text)
    if signed is not None:
        trimmed = Line(last.text[: signed.start()], last.tag, last.link_ratio)
        return (*lines[: end - 1], trimmed), removed + 1
    low = last.text.lower()
    if not low.endswith(_NOTE_ENDS) or len(low) != len(last.text):
        return tuple(lines[:end]), removed
    cut = vocab.end_note_tail_re.search(low)
    if cut is None and low[-1] == ")":
        cut = _SIGNED_NAME_TAIL.search(last.text)
    if cut is None or cut.start() == 0:
        return tuple(lines[:end]), removed
    trimmed = Line(last.text[: cut.start()].rstrip(), last.tag, last.link_ratio)
    return (*lines[: end - 1], trimmed), removed + 1


#: A line this much in emphasis is printed apart from the story's plain paragraphs.
SET_APART_MIN_EMPHASIS = 0.9
#: Plain paragraphs a body needs for its emphasized closing lines to stand apart.
PLAIN_STORY_MIN_LINES = 3
SET_APART_MAX_CHARS = 2 * MAX_CLUTTER_LINE_CHARS
#: The outlet speaking of itself ("Sign up for our ...", "Email us", "ikuti kami") or to
#: its reader as "Anda" (the formal you of an advisory: "Bila Anda mengalami ..., jangan
#: ragu menghubungi ..."): a note about the story (a correction, a contribution line, a
#: bio) speaks of the story or the writer, and a question to the reader ("What is your
#: ...?") is the story's own. Case matters: "US" is a country, "anda" no address.
_OUTLET_SPEAKING = re.compile(r"\b(?:[Ww]e|[Oo]ur|us|[Kk]ami|Anda)\b")


def _set_apart(lines: Sequence[Line], index: int, after: int) -> bool:
    """A paragraph wholly in emphasis (italics, bold) closing a story told in plain
    paragraphs, in which the outlet speaks of itself: its prompt printed apart from the
    story, whatever its wording ("Sign up for our newsletter", "Email us your tips")."""
    line = lines[index]
    if (
        line.emphasis < SET_APART_MIN_EMPHASIS
        or after >= SIGN_OFF_MAX_LINES
        or line.tag != "p"
        or len(line.text) > SET_APART_MAX_CHARS
        or _OUTLET_SPEAKING.search(line.text) is None
    ):
        return False
    plain = 0
    for other in lines[:index]:
        plain += other.tag == "p" and other.emphasis < SET_APART_MIN_EMPHASIS
    return plain >= PLAIN_STORY_MIN_LINES


def _introduced(lines: Sequence[Line], index: int) -> bool:
    """Whether the line above ``index`` introduces it ("Media contact:" over the contact's
    name and address): it is what the label announces, no sign-off of the story."""
    return index > 0 and lines[index - 1].text.endswith(":")


def _sign_off(line: Line, after: int) -> bool:
    """A short line that is no sentence standing after the story's last sentence: a
    sign-off ("NAMA PENULIS | ANTARA"), a desk credit or a "next article" label. Nothing
    follows it, so it heads nothing; only a few such lines go."""
    text = line.text
    return (
        after < SIGN_OFF_MAX_LINES
        and line.tag == "p"
        and not text.endswith(":")  # it introduces what follows (a quote, a list)
        and _LATIN.search(text) is not None  # unspaced scripts have no word count to go by
        and _is_label(line, len(text.split()))
    )


def _author_bio(line: Line, after: int, vocab: Vocabulary) -> bool:
    """A note about the writer after the story's last sentence ("Jane Doe covers the
    Midwest for The Times.", "Rahmat Hidayat dosen ilmu politik di ..."): names and
    outlets in capitals, among the last few lines (few lines a page: no word prefilter)."""
    text = line.text
    return (
        after < SIGN_OFF_MAX_LINES
        and len(text) <= MAX_CLUTTER_LINE_CHARS
        and (text[:1].isupper() or text.startswith("*"))
        and vocab.bio_re.fullmatch(text) is not None
    )


#: A name and what the person is, opening a line: "Martha Quill is a retired teacher ...".
_NAMED_ROLE = re.compile(r"[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){1,3} is (?:a|an|the) ")


def _guest_bio(line: Line, after: int) -> bool:
    """A line about the writer set in emphasis apart from the story, among its last few
    lines (a note the scrapinghub gold keeps, a disclaimer, may follow it): a name and what
    the person is ("Martha Quill is a retired schoolteacher ..."), whatever the role."""
    return (
        line.emphasis >= SET_APART_MIN_EMPHASIS
        and after < SIGN_OFF_MAX_LINES
        and line.tag == "p"
        and len(line.text) <= MAX_CLUTTER_LINE_CHARS
        and _NAMED_ROLE.match(line.text) is not None
    )


def _platform_note(line: Line, after: int, vocab: Vocabulary) -> bool:
    """A community platform's note about its writers' posts among the last few lines
    ("... merupakan platform User Generated Content", "... tanggung jawab penulis")."""
    text = line.text
    # (a note may run as long as a prompt printed apart: a funders' disclosure)
    if after >= SIGN_OFF_MAX_LINES or len(text) > SET_APART_MAX_CHARS:
        return False
    low = text.lower()
    for needs, pattern in vocab.platform_notes:
        # The needs spare the story's last line the regex.
        if any(need in low for need in needs) and pattern.fullmatch(low) is not None:
            return True
    return False


def _trailing_teaser(line: Line, after: int) -> bool:
    """A short line after the story's last sentence that is mostly a link behind a label
    ("Artikel Berikutnya" + the next story's title, "Next:" + a title): whatever the
    label's wording, a linked title closing the body points elsewhere."""
    text = line.text
    return (
        after < SIGN_OFF_MAX_LINES
        and line.link_ratio >= TEASER_MIN_LINK_RATIO
        and not text.endswith(_SENTENCE_END)
        and len(text.split()) <= LINK_LINE_MAX_WORDS
    )


def _is_label(line: Line, words: int) -> bool:
    """A short line that is no sentence: a box header or a prompt ("Pilihan Untukmu")."""
    return (
        0 < words <= LABEL_MAX_WORDS
        and len(line.text) <= MARKER_MAX_CHARS  # unspaced scripts: one "word" per line
        and not line.text.endswith(_SENTENCE_END)
    )


def _box_title(
    kept: Sequence[Line], kept_words: Sequence[int], dropped: Line, words: int, above: Line
) -> bool:
    """Whether the last line kept is the title of the box whose prompt was just dropped:
    a plain label (no emphasis, no link, no heading tag) right over a prompt of more
    than LABEL_MAX_WORDS words (not a link line, not an ad marker), under a story
    paragraph."""
    if len(kept) < 2 or words <= LABEL_MAX_WORDS or dropped.link_ratio >= LINK_LINE_MIN_RATIO:
        return False
    if len(dropped.text) > MAX_CLUTTER_LINE_CHARS:
        return False  # a repeated paragraph, not a prompt
    label = kept[-1]
    if label.tag != "p" or label.link_ratio or label.emphasis >= ENTRY_EMPHASIS:
        return False
    if label.text != above.text or not _is_label(label, kept_words[-1]):
        return False
    return kept[-2].tag == "p" and kept_words[-2] >= STORY_LINE_MIN_WORDS


#: The marks a heading's permalink prints after its text.
_PERMALINK_MARKS = frozenset("#¶§🔗")


def _permalinked(line: Line) -> bool:
    """Whether a subheading closes on a permalink: a mark ("#", "¶") that is a link of
    its own, one character of the line's linked text ("C#" in plain text is no link)."""
    text = line.text
    return len(text) > 1 and text[-1] in _PERMALINK_MARKS and 0 < line.link_ratio * len(text) < 2


#: The most words of a box's blurb between its heading and its note.
BLURB_MAX_WORDS = 20


def _box_blurb(
    kept: Sequence[Line],
    kept_words: Sequence[int],
    dropped: Line,
    words: int,
    above: Sequence[Line],
    vocab: Vocabulary,
) -> bool:
    """Whether the last line kept is the blurb of a box whose heading and note went as
    clutter: a short plain paragraph right under a subheading the vocabulary drops and
    right over a dropped note of NOTE_MIN_WORDS words or more (not a link line), under
    a story paragraph. A story's paragraph between an ad label and a box is longer, or
    sits under no clutter heading."""
    if len(kept) < 2 or words < NOTE_MIN_WORDS or dropped.link_ratio >= LINK_LINE_MIN_RATIO:
        return False
    heading, blurb = above
    if kept[-1].text != blurb.text:
        return False  # (the line over the note went too)
    if blurb.tag != "p" or blurb.link_ratio or kept_words[-1] > BLURB_MAX_WORDS:
        return False
    if heading.tag not in _SUBHEADING_TAGS or kept[-2].text == heading.text:
        return False
    return (
        kept[-2].tag == "p"
        and kept_words[-2] >= STORY_LINE_MIN_WORDS
        and _is_clutter_text(heading, vocab, in_list=False)
    )


def _trailing_label(line: Line, words: int) -> bool:
    """A short line trailing off into what follows it ("Don't miss...", "More on this
    …"): a label once its ellipsis is cut, not a sentence."""
    text = line.text
    return text.endswith(_TEASER_END) and _is_label(Line(text.rstrip(".\u2026 ")), words)


def _is_link_line(line: Line, words: int) -> bool:
    return line.link_ratio >= LINK_LINE_MIN_RATIO and words <= LINK_LINE_MAX_WORDS


def _box_end(lines: Sequence[Line], counts: Sequence[int], index: int) -> int:
    """Where a box of other stories headed by the short label line at ``index`` ends, or
    ``index`` when the label heads none: under the label (and at most one more), a run of
    at least LINK_LIST_MIN_LINES links or teasers cut off with "...". The header goes with
    its box whatever its wording, and teaser cards whose text is not linked go too. A
    label may trail off into its box ("Don't miss...")."""
    label = lines[index]
    if not (_is_label(label, counts[index]) or _trailing_label(label, counts[index])):
        return index
    if _is_link_line(label, counts[index]):
        return index
    at = index + 1
    if at < len(lines) and _is_label(lines[at], counts[at]):
        at += 0 if _box_item(lines[at], counts[at]) else 1
    run = 0
    while at < len(lines) and _box_item(lines[at], counts[at]):
        run += 1
        at += 1
    if run == 0 and at < len(lines) and _link_row(label, lines[at], counts[at]):
        return at + 1
    return at if run >= LINK_LIST_MIN_LINES else index


def _link_row(label: Line, line: Line, words: int) -> bool:
    """Whether the line under a label is its box's row of links run together into one
    line (a hashed template's cards, each an ``<a>`` set side by side): wholly linked, and
    both in boxes drawn apart from the story's level (the label in one of its own inside
    the box). A story paragraph is never all link."""
    return (
        label.box != 0
        and line.box != 0
        and line.link_ratio >= LINK_ROW_MIN_RATIO
        and words <= LINK_ROW_MAX_WORDS
    )


def _credited_caption(lines: Sequence[Line], index: int, vocab: Vocabulary) -> bool:
    """Whether a line after a picture is its caption: short, with a credit line (an
    unlinked clutter line; a link under a picture is a shop's or a story's, not a
    credit) among the lines after that picture in its block."""
    if len(lines[index].text) > CAPTION_LINE_MAX_CHARS:
        return False
    start = index
    while start > 0 and lines[start - 1].tag == CAPTION_TAG:
        start -= 1
    end = index + 1
    while end < len(lines) and lines[end].tag == CAPTION_TAG:
        end += 1
    if end - start > CAPTION_RUN_MAX_LINES:
        # An older template's story told in one block under a floated picture and its
        # credit ("<div><img><span>Foto: X</span><br>Story...<br><br>..."): no caption.
        return False
    return any(
        at != index
        and lines[at].link_ratio < LINK_LINE_MIN_RATIO
        and _is_clutter_text(lines[at], vocab, in_list=False)
        for at in range(start, end)
    )


def _box_item(line: Line, words: int) -> bool:
    return _is_link_line(line, words) or line.text.endswith(_TEASER_END) or _card(line, words)


#: Quote marks closing a line: a sentence ends before them ('... he said."'), a card's
#: category does not ('In "Gardening"').
_CLOSING_QUOTES = "\"\u201d'\u2019"


def _card(line: Line, words: int) -> bool:
    """A teaser card's line: a linked title run on into its unlinked date and category
    ("Making leaf mould1 October 2023In "Allotment""), short, partly linked, and no
    sentence."""
    return (
        line.link_ratio >= STORY_LINE_MAX_LINK_RATIO
        and words <= LINK_LINE_MAX_WORDS
        and not line.text.rstrip(_CLOSING_QUOTES).endswith(_SENTENCE_END)
    )


def _above_headline(lines: Sequence[Line], counts: Sequence[int], above: int) -> int:
    """How many kicker and label lines ("FotoBisnis", "Liga Indonesia") stand above a
    headline the container repeats: none when one of them reads like a sentence."""
    if above <= 0:
        return 0
    for line, words in zip(lines[:above], counts[:above], strict=False):
        if words > HEADER_LINE_MAX_WORDS or line.text.endswith(_SENTENCE_END):
            return 0
    return above


def _standfirst(kept: Sequence[Line], dropped: Line, index: int, vocab: Vocabulary) -> bool:
    """Whether the lines kept so far are a header's subtitle (and kicker): at most
    STANDFIRST_MAX_LINES subheadings opening the body, with the clutter line just dropped
    under them a date or reading-time stamp (as a byline block prints it). A story's
    subheading is followed by its text, not by a stamp."""
    if not kept or len(kept) > STANDFIRST_MAX_LINES or index > LEAD_MAX_LINES:
        return False
    if any(line.tag not in _SUBHEADING_TAGS and not _untitled_dek(line) for line in kept):
        return False
    return _stamp(dropped, vocab)


def _stamp(line: Line, vocab: Vocabulary) -> bool:
    """Whether a clutter line is a date or reading-time stamp."""
    low = line.text.lower()
    sized = vocab.gated_sized
    hit = _gated_hit(sized[len(low)] if len(low) < len(sized) else sized[-1], low)
    return hit is not None and hit.stamp


#: The lines between a headline and the byline's date stamp: at most this many.
HEADER_BLOCK_MAX_LINES = 4


def _header_over_stamp(
    below: Sequence[Line],
    dropped: Line,
    index: int,
    lines: Sequence[Line],
    counts: Sequence[int],
    vocab: Vocabulary,
) -> bool:
    """Whether the lines kept under the headline are the header's (a dek, the labels of
    the metadata block: "From:", "Published"): a few short unlinked lines between the
    headline and a date stamp, with the story told after the stamp. A short story whose
    date is printed under it has nothing after the stamp."""
    if not below or len(below) > HEADER_BLOCK_MAX_LINES or index > HEADER_MAX_LINES:
        return False
    for line in below:
        if line.link_ratio > 0.0 or line.text.count(" ") >= DEK_MAX_WORDS:
            return False
        if line.tag not in ("p", DEK_TAG) and not (line.tag == "li" and _stamp(line, vocab)):
            # (a stamp among list items is kept as a schedule's entry: under the headline,
            # the header's list of times, "16:02, 7 Aug 2024" over "Updated 16:40, ...")
            return False
    return _stamp(dropped, vocab) and _story_resumes(lines, counts, index + 1, vocab) < len(lines)


def _untitled_dek(line: Line) -> bool:
    """A subtitle set as a plain paragraph ("<div class='field-subhead'><p>..."): a
    few words, no link, ending on no sentence mark."""
    return (
        line.tag in ("p", DEK_TAG)
        and line.text.count(" ") < DEK_MAX_WORDS
        and line.link_ratio == 0.0
        and not line.text.endswith(_SENTENCE_END)
    )


def _byline_role(text: str, vocab: Vocabulary) -> bool:
    """Whether a line near the body's top is a writer's role printed under the byline."""
    return len(text) <= MARKER_MAX_CHARS and vocab.role_re.fullmatch(text.lower()) is not None


def _byline_name(line: Line) -> bool:
    """Whether a line is only a person's name: two to four capitalised words, no digit,
    no sentence mark, not a heading or a list item."""
    words = line.text.split()
    return (
        BYLINE_NAME_MIN_WORDS <= len(words) <= BYLINE_NAME_MAX_WORDS
        and line.tag not in _SUBHEADING_TAGS
        and line.tag != "li"
        and all(word[:1].isupper() for word in words)
        and _NAME_LINE.fullmatch(line.text) is not None
    )


def _listed(
    lines: Sequence[Line], counts: Sequence[int], index: int, kept_words: Sequence[int]
) -> bool:
    """Whether a line is an entry of a list: an item beside another, or an entry's
    heading (``_heads_entry``)."""
    line = lines[index]
    if line.tag == "li":
        return _in_list(lines, index)
    return line.emphasis >= ENTRY_EMPHASIS and _heads_entry(lines, counts, index, kept_words)


def _heads_entry(
    lines: Sequence[Line], counts: Sequence[int], index: int, kept_words: Sequence[int]
) -> bool:
    """Whether a line set wholly in emphasis heads the plain line under it, past the
    story's first paragraph: an entry's heading, as a schedule prints its days ("Senin, 9
    Desember 2024" over "Indonesia vs Myanmar, pukul 19.30 WIB"), read like a list item."""
    if counts[index] > ENTRY_HEADING_MAX_WORDS or index + 1 >= len(lines):
        return False
    below = lines[index + 1]
    if below.emphasis >= ENTRY_EMPHASIS or counts[index + 1] < ENTRY_MIN_WORDS:
        return False
    return any(words >= STORY_LINE_MIN_WORDS for words in kept_words)


def _in_list(lines: Sequence[Line], index: int) -> bool:
    """Whether a list item line has a list item next to it."""
    before = index > 0 and lines[index - 1].tag == "li"
    return before or (index + 1 < len(lines) and lines[index + 1].tag == "li")


def _is_clutter(
    line: Line, title_key: str | None, vocab: Vocabulary, words: int, in_list: bool
) -> bool:
    if _is_headline(line, title_key, words):
        return True
    if line.link_ratio >= LINK_LINE_MIN_RATIO and words <= LINK_LINE_MAX_WORDS:
        return True
    if line.link_ratio >= TEASER_MIN_LINK_RATIO and _labelled_link_line(line, words):
        return True
    return _is_clutter_text(line, vocab, in_list)


#: Separators between a label and the linked title it introduces ("Also Read | X").
_LABEL_SEPARATORS = (":", "|", "»", "›", ">")
#: A label before its link is at most this many words, and this many characters; the
#: link text may differ from the rest of the line by this many characters (spacing).
LINK_LABEL_MAX_WORDS = 4
LINK_LABEL_MAX_CHARS = 30
LINK_LABEL_SLACK = 2
#: The linked title is at least this many words (a linked handle or name after a label,
#: "Account: @name", is the line's own information).
LINK_TITLE_MIN_WORDS = 3


def _labelled_link_line(line: Line, words: int) -> bool:
    """A short line made of a label, a separator and a linked title filling the rest
    ("Also Read | Title", "MORE: Title", "Watch » Title"): whatever the label's wording,
    a line that is a link behind a label points to another page. A story line ends on a
    sentence mark, or its link is a part of it, and a title is a few words."""
    text = line.text
    if words > LINK_LINE_MAX_WORDS or text.endswith(_SENTENCE_END):
        return False
    head = text[:LINK_LABEL_MAX_CHARS]
    at = min((i for i in (head.find(sep) for sep in _LABEL_SEPARATORS) if i > 0), default=-1)
    if at < 0 or head[:at].count(" ") >= LINK_LABEL_MAX_WORDS:
        return False
    rest = text[at + 1 :].strip()
    if rest.count(" ") + 1 < LINK_TITLE_MIN_WORDS:
        return False
    return abs(line.link_ratio * len(text) - len(rest)) <= LINK_LABEL_SLACK


def _region_end(lines: Sequence[Line], counts: Sequence[int], index: int, vocab: Vocabulary) -> int:
    """Where the clutter region a line opens ends: at the line itself when it opens none,
    at the end of the body after an end marker, else where story resumes."""
    text = lines[index].text
    if len(text) > MARKER_MAX_CHARS:
        return index
    low = text.lower()
    if vocab.end_re.fullmatch(low):
        return len(lines)
    if vocab.tail_re.fullmatch(low):
        resume = _story_resumes(lines, counts, index + 1, vocab)
        if resume == len(lines):
            # (a box of links set inside the story ends where its box does)
            return _boxed_region_end(lines, counts, index, vocab)
        return resume
    return index


def _boxed_region_end(
    lines: Sequence[Line], counts: Sequence[int], index: int, vocab: Vocabulary
) -> int:
    """Where the box a clutter heading opens ends, when it holds only links under it and
    a story paragraph follows it at once: a related box set inside the story, whose last
    paragraphs may be too short to make a run of story lines. The end otherwise."""
    box = lines[index].box
    end = index + 1
    if box:
        while end < len(lines) and lines[end].box == box:
            if lines[end].link_ratio < LINK_LINE_MIN_RATIO:
                return len(lines)  # not a box of links
            end += 1
    if not box or end == index + 1 or end >= len(lines):
        return len(lines)
    return end if _story_like(lines[end], counts[end], vocab) else len(lines)


def _story_resumes(
    lines: Sequence[Line], counts: Sequence[int], start: int, vocab: Vocabulary
) -> int:
    """Where story text resumes after a clutter heading (or footer line) at ``start - 1``:
    the first of a run of story-like lines (or the unlinked subheading over it), or the
    end when none follows (the heading began the trailing clutter region)."""
    run = 0
    for index in range(start, len(lines)):
        run = run + 1 if _story_like(lines[index], counts[index], vocab) else 0
        if run == STORY_RUN:
            first = index - STORY_RUN + 1
            return first - 1 if first > start and _subheading(lines[first - 1], vocab) else first
    return len(lines)


def _subheading(line: Line, vocab: Vocabulary) -> bool:
    # Teaser cards link their titles; a story's own subheading is plain text.
    return (
        line.tag in _SUBHEADING_TAGS
        and line.link_ratio < STORY_LINE_MAX_LINK_RATIO
        and not _is_marker(line, vocab)
        and not _is_clutter_text(line, vocab, in_list=False)
    )


def _story_like(line: Line, words: int, vocab: Vocabulary) -> bool:
    return (
        line.tag == "p"
        and words >= STORY_LINE_MIN_WORDS
        and line.link_ratio < STORY_LINE_MAX_LINK_RATIO
        and not line.text.endswith(_TEASER_END)
        and not _is_marker(line, vocab)
        and not _is_clutter_text(line, vocab, in_list=False)
    )


def _is_marker(line: Line, vocab: Vocabulary) -> bool:
    low = line.text.lower()
    return len(low) <= MARKER_MAX_CHARS and bool(
        vocab.tail_re.fullmatch(low) or vocab.end_re.fullmatch(low)
    )


def _lead_clutter(lines: Sequence[Line], counts: Sequence[int]) -> int:
    """How many header lines (date, caption, kicker) precede the dateline."""
    total = sum(counts) or 1
    before = 0
    for index, line in enumerate(lines[: LEAD_MAX_LINES + 1]):
        if is_dateline(line.text):
            return index
        before += counts[index]
        # A line ending like a sentence is story text: never trim past it, but for a
        # short block classed as a summary opening the body right over the datelined lead
        # (the template's dek, printed inside the story block): the story starts at its
        # dateline.
        if before > total * LEAD_MAX_SHARE or line.text.endswith(_SENTENCE_END):
            return _dek_run(lines, counts)
    return 0


#: The most items of a summary's list opening the body under its label.
SUMMARY_LIST_MAX_ITEMS = 6


def _summary_list(kept: Sequence[Line]) -> int:
    """How many lines a summary's list opening the body takes: a label naming a summary
    ("At a Glance", "Key points:") over at most SUMMARY_LIST_MAX_ITEMS list items, the
    story's paragraphs under them (the template's summary box set in the story's column,
    no box of its own to tell it by); 0 if none."""
    if len(kept) < 3 or kept[0].tag == "li" or not summary_label(kept[0].text.rstrip(" :")):
        return 0
    run = 1
    while run < len(kept) and kept[run].tag == "li" and run <= SUMMARY_LIST_MAX_ITEMS:
        run += 1
    if run == 1 or run >= len(kept) or kept[run].tag != "p":
        return 0
    return run


def _dek_run(lines: Sequence[Line], counts: Sequence[int]) -> int:
    """How many lines of a summary block (``DEK_TAG``, at most DEK_MAX_WORDS words in
    all) open the body right over its datelined lead: the template's dek, 0 if none."""
    run = 0
    while run < len(lines) and lines[run].tag == DEK_TAG:
        run += 1
    if not run or sum(counts[:run]) > DEK_MAX_WORDS or len(lines) <= run + 1:
        return 0
    return run if is_dateline(lines[run].text) else 0


#: A writer's sign-off in capitals on a line of its own ("ARIS ANDRIANTO"): two to four
#: words, after a story sentence of at least SIGNED_AFTER_WORDS words.
_CAPS_NAME = re.compile(r"[A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]+){1,3}")
SIGNED_AFTER_WORDS = 8
#: ... or in brackets beside the desk's code, as older regional papers print it:
#: "(Nugroho Santoso/CN26)", "(Budi Santoso/ant)" (a name's words title-cased, no dot: not
#: an agency's photo credit, "(ANTARA FOTO/Ahmad)", nor "(Dok. Humas/abc)").
_BRACKETED_NAME = re.compile(
    r"\(\s*([A-Z][a-z][\w'’-]*(?: [A-Z][a-z][\w'’-]*){1,3})"
    r"\s?/\s?([A-Za-z]{1,4}\d{1,3}|[a-z]{2,5})\s*\)"
)


def _run_on_signature(text: str) -> str | None:
    """The bracketed name beside a desk code run on after a story paragraph's last
    sentence ("... disepakati bersama. ( Yuli Santoso / CN26 )"), or None."""
    if not text.endswith(")"):
        return None
    at = text.rfind("(")
    before = text[:at].rstrip()
    if at <= 0 or before[-1:] not in _SIGNED_AFTER or before.count(" ") + 1 < SIGNED_AFTER_WORDS:
        return None
    signed = _BRACKETED_NAME.fullmatch(text, at)
    return signed.group(1) if signed is not None else None


def signed_name(lines: Sequence[str]) -> str | None:
    """The writer signing the story off in capitals right after its last sentence,
    title-cased ("ARIS ANDRIANTO" -> "Aris Andrianto"), or in brackets beside a desk code,
    or None: an older template's only
    credit. Box headers in capitals after the story are clutter lines, not names."""
    last = -1
    for index, line in enumerate(lines):
        text = line.strip()
        if text.endswith(_SENTENCE_END) and text.count(" ") + 1 >= SIGNED_AFTER_WORDS:
            last = index
    run_on = _run_on_signature(lines[-1].strip()) if lines else None
    if run_on is not None:
        return run_on
    if last < 0 or last + 1 >= len(lines):
        return None
    text = lines[last + 1].strip()
    if last + 2 == len(lines) and (lower := _LOWER_SIGNATURE.search(text)) is not None:
        return lower.group(1).title()  # "... dua pekan. ichsan amin"
    bracketed = _BRACKETED_NAME.fullmatch(text)
    if bracketed is not None:
        return bracketed.group(1)
    if _CAPS_NAME.fullmatch(text) is None or is_clutter_line(text):
        return None
    if last + 2 < len(lines) and lines[last + 2].strip().endswith(_SENTENCE_END):
        return None  # a subheading in capitals over more of the story ("UP NEXT")
    return text.title()
