"""The clutter vocabulary (loaded from ``clutter.toml``) and the functions that
use it: recognising clutter DOM blocks by class/id, and dropping clutter text
lines (read-also links, related-link rows, captions, bylines, pagination,
prompts, footers, the repeated headline) from an extracted body."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

#: A trailing-clutter heading only cuts the tail when it appears after this share of the body.
TAIL_CUT_MIN_POSITION = 0.5
#: Lines mostly made of link text and shorter than this are related links, not story text.
LINK_LINE_MAX_WORDS = 20
LINK_LINE_MIN_RATIO = 0.8
#: Only paragraphs this long are dropped when repeated.
MIN_DEDUP_WORDS = 25
#: Longer lines are never clutter by the vocabulary; lines up to SHORT_LINE_CHARS are
#: tested against every pattern, longer ones against the ``drop_long`` patterns only.
MAX_CLUTTER_LINE_CHARS = 320
SHORT_LINE_CHARS = 160
#: Lines before a dateline are header clutter only if they are this short.
LEAD_MAX_LINES = 6
LEAD_MAX_SHARE = 0.3
_SENTENCE_END = (".", "!", "?", "\u2026", '"', "\u201d")

#: An uppercase letter that is not part of an escape (``\\S``, ``\\W``, ``\\d``...).
_UPPER_LITERAL = re.compile(r"(?<!\\)[A-Z]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# "Liputan6.com, Jakarta -", "PYONGYANG, KOMPAS.TV -", "GenPI.co -", "JAKARTA -".
_DATELINE = re.compile(
    r"^(?:[A-Z][\w.'’]*[ ,.]*){1,5}?\s*(?:\([^)]{1,30}\)\s*)?[-–—]{1,2}\s*\S", re.UNICODE
)
_DATELINE_PLACE = re.compile(r"\b(?:[A-Z]{3,}|[\w-]+\.(?:com|co|id|tv|net|news))\b")


@dataclass(frozen=True, slots=True)
class Line:
    """One paragraph-level text line of a candidate body."""

    text: str
    tag: str = "p"
    link_ratio: float = 0.0


@dataclass(frozen=True, slots=True)
class Gated:
    """A costly pattern, tried only on text holding one of the substrings it needs."""

    needs: tuple[str, ...]
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Compiled clutter patterns."""

    class_re: re.Pattern[str]
    line_re: re.Pattern[str]
    long_line_re: re.Pattern[str]
    #: Whole-line patterns for short lines, and for lines up to the long limit.
    gated: tuple[Gated, ...]
    long_gated: tuple[Gated, ...]
    #: Patterns searched anywhere in short lines.
    search: tuple[Gated, ...]
    tail_re: re.Pattern[str]
    strip_tags: tuple[str, ...]
    skip_tags: frozenset[str]
    container_drop: tuple[str, ...]


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


def _gated(entries: Sequence[dict[str, Any]]) -> tuple[Gated, ...]:
    return tuple(
        Gated(tuple(str(n).lower() for n in e["needs"]), _lowered(e["pattern"])) for e in entries
    )


@lru_cache(maxsize=1)
def _data() -> dict[str, dict[str, Any]]:
    text = resources.files("kabar.extract").joinpath("clutter.toml").read_text("utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=64)
def vocabulary(extra_lines: tuple[str, ...] = (), extra_tail: tuple[str, ...] = ()) -> Vocabulary:
    """The compiled vocabulary, optionally extended with a portal's own patterns."""
    data = _data()
    lines = data["lines"]
    words = _alternation(data["dom"]["class_words"])
    return Vocabulary(
        class_re=_lowered(rf"(?<![a-z])(?:{words})(?![a-z])"),
        line_re=_lowered(_alternation([*lines["drop"], *lines["drop_long"], *extra_lines])),
        long_line_re=_lowered(_alternation([*lines["drop_long"], *extra_lines])),
        gated=_gated([*lines["drop_gated"], *lines["drop_long_gated"]]),
        long_gated=_gated(lines["drop_long_gated"]),
        search=_gated(lines["drop_search"]),
        tail_re=_lowered(_alternation([*lines["tail_markers"], *extra_tail])),
        strip_tags=tuple(data["dom"]["strip_tags"]),
        skip_tags=frozenset(data["dom"]["skip_tags"]),
        container_drop=tuple(data["dom"]["container_drop"]),
    )


def normalize(text: str) -> str:
    """Whitespace-collapsed, NFC text."""
    text = " ".join(text.split())
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def is_clutter_class(attr: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a class/id string names a clutter block (related, share, caption, ...)."""
    return bool((vocab or vocabulary()).class_re.search(attr.lower()))


def is_clutter_line(text: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a whole text line is clutter by the vocabulary."""
    line = normalize(text)
    return _is_clutter_text(line, vocab or vocabulary())


def _is_clutter_text(line: str, vocab: Vocabulary) -> bool:
    if not line:
        return False
    if not _LETTER.search(line):
        return True
    # Clutter lines are short; a long paragraph that opens with "Baca juga" is still story.
    if len(line) > MAX_CLUTTER_LINE_CHARS:
        return False
    low = line.lower()
    if len(line) <= SHORT_LINE_CHARS:
        return bool(
            vocab.line_re.fullmatch(low)
            or _gated_match(vocab.gated, low, whole=True)
            or _gated_match(vocab.search, low, whole=False)
        )
    return bool(vocab.long_line_re.fullmatch(low) or _gated_match(vocab.long_gated, low, True))


def _gated_match(patterns: tuple[Gated, ...], low: str, whole: bool) -> bool:
    for gated in patterns:
        for needed in gated.needs:  # plain loops: generator expressions cost more here
            if needed in low:
                pattern = gated.pattern
                if pattern.fullmatch(low) if whole else pattern.search(low):
                    return True
                break
    return False


def is_dateline(text: str) -> bool:
    """Whether a paragraph opens with a news dateline ("JAKARTA, KOMPAS.com - ...")."""
    match = _DATELINE.match(text)
    return match is not None and _DATELINE_PLACE.search(match.group(0)) is not None


def _is_headline(line: Line, title_key: str | None, words: int) -> bool:
    if line.tag != "h1" and not (title_key and _same_folded(line.text, title_key)):
        return False
    # A long dateline paragraph posing as the headline is story text.
    return not (words >= 15 and is_dateline(line.text))


def _same_folded(text: str, key: str) -> bool:
    # Case folding maps a character to one to three: lengths rule most lines out unfolded.
    return len(text) <= len(key) <= 3 * len(text) and text.casefold() == key


def clean_lines(lines: Sequence[Line], title: str | None, vocab: Vocabulary) -> CleanResult:
    """Drop clutter lines, the trailing clutter region and header lines before a dateline."""
    kept: list[Line] = []
    kept_words: list[int] = []
    removed = 0
    counts = [len(x.text.split()) for x in lines]
    total_words = sum(counts) or 1
    title_key = title.casefold() if title else None
    seen_words = 0
    seen: set[str] = set()
    for index, line in enumerate(lines):
        words = counts[index]
        seen_words += words
        if _is_tail_marker(line, vocab) and seen_words / total_words >= TAIL_CUT_MIN_POSITION:
            removed += len(lines) - index
            break
        # A paragraph repeated verbatim is a teaser or a hidden metadata copy (short lines
        # such as list labels may legitimately repeat).
        key = line.text.casefold() if words >= MIN_DEDUP_WORDS else ""
        if (key and key in seen) or _is_clutter(line, title_key, vocab, words):
            removed += 1
            continue
        if key:
            seen.add(key)
        kept.append(line)
        kept_words.append(words)
    lead = _lead_clutter(kept, kept_words)
    return CleanResult(tuple(kept[lead:]), removed + lead)


def _is_clutter(line: Line, title_key: str | None, vocab: Vocabulary, words: int) -> bool:
    if _is_headline(line, title_key, words):
        return True
    if line.link_ratio >= LINK_LINE_MIN_RATIO and words <= LINK_LINE_MAX_WORDS:
        return True
    return _is_clutter_text(line.text, vocab)


def _is_tail_marker(line: Line, vocab: Vocabulary) -> bool:
    return len(line.text) <= 60 and vocab.tail_re.fullmatch(line.text.lower()) is not None


def _lead_clutter(lines: Sequence[Line], counts: Sequence[int]) -> int:
    """How many header lines (date, caption, kicker) precede the dateline."""
    total = sum(counts) or 1
    before = 0
    for index, line in enumerate(lines[: LEAD_MAX_LINES + 1]):
        if is_dateline(line.text):
            return index
        before += counts[index]
        # A line ending like a sentence is story text: never trim past it.
        if before > total * LEAD_MAX_SHARE or line.text.endswith(_SENTENCE_END):
            return 0
    return 0
