"""Whole-line matching against a long alternation of patterns, dispatched on the
line's first character.

A regex alternation tries every branch at the start of a line; the clutter line
vocabulary has some fifty branches, nearly all opening with a word ("baca",
"foto", "iklan"...), so most cannot match a given line from its first character
on. Each branch's possible first characters are read off the parsed pattern
(conservatively: a branch that could start with anything goes in every bucket),
and one alternation per first character holds only the branches that can start
there. The answer is the same as the full alternation's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

#: First characters looked at: what lowercased clutter lines start with.
_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz0123456789#[(©@-–—|•·*\"'“‘")


#: ``\d`` and ``\s``: their ASCII members, and a character outside the alphabet standing
#: for the rest (other scripts' digits, other spaces), so the branch is also tried on
#: lines starting with those.
_CATEGORIES = {
    sre.CATEGORY_DIGIT: frozenset("0123456789\x00"),
    sre.CATEGORY_SPACE: frozenset(" \t\n\r\f\v\x00"),
}


@dataclass(frozen=True, slots=True)
class FirstCharAlternation:
    """``fullmatch`` of ``(?:p1)|(?:p2)|...`` with only the branches that can start
    with the text's first character tried."""

    #: Each first character's alternation, as source: compiled on first use (``by_first``),
    #: since a pass over real pages meets about half of them and compiling them all took
    #: most of the ~0.2 s the clutter vocabulary costs each process at its first page.
    sources: dict[str, str]
    flags: int
    #: Branches that may start with a character outside the dispatched alphabet.
    other: re.Pattern[str]
    #: Branches that may start with any character but need one that is rarer ("/" in a
    #: photo credit): by that character, tried only on text holding it.
    needing: tuple[tuple[str, re.Pattern[str]], ...] = ()
    #: The alternations compiled so far, by first character (``other`` for the rest).
    by_first: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def fullmatch(self, text: str) -> bool:
        first = text[:1]
        pattern = self.by_first.get(first)
        if pattern is None:
            pattern = self._group(first)
        if pattern.fullmatch(text) is not None:
            return True
        for char, branches in self.needing:
            if char in text and branches.fullmatch(text) is not None:
                return True
        return False

    def _group(self, first: str) -> re.Pattern[str]:
        # (Two threads compiling one group at once store equal patterns.)
        source = self.sources.get(first)
        pattern = self.other if source is None else re.compile(source, self.flags)
        self.by_first[first] = pattern
        return pattern


def first_char_alternation(patterns: list[str], flags: int = 0) -> FirstCharAlternation:
    """Dispatch the alternation of ``patterns`` (compiled with ``flags``)."""
    starts = [_first_chars(p, flags) for p in patterns]
    # A branch tried on every line waits instead for the character it cannot match
    # without (the alternation matches a text whole when one of its branches does).
    needs = [
        _needed_char(p, flags) if s is None else None for p, s in zip(patterns, starts, strict=True)
    ]
    needing = tuple(
        (char, _compiled([p for p, n in zip(patterns, needs, strict=True) if n == char], flags))
        for char in sorted({n for n in needs if n is not None})
    )
    starts = [s for s, n in zip(starts, needs, strict=True) if n is None]
    patterns = [p for p, n in zip(patterns, needs, strict=True) if n is None]

    sources = {
        ch: _source([p for p, s in zip(patterns, starts, strict=True) if s is None or ch in s])
        for ch in sorted(_ALPHABET)
    }
    other = _compiled(
        [p for p, s in zip(patterns, starts, strict=True) if s is None or not s <= _ALPHABET],
        flags,
    )
    return FirstCharAlternation(sources, flags, other, needing)


def _compiled(chosen: list[str], flags: int) -> re.Pattern[str]:
    return re.compile(_source(chosen), flags)


def _source(chosen: list[str]) -> str:
    # An empty alternation must match nothing.
    return "|".join(f"(?:{p})" for p in chosen) or r"(?!)"


#: Characters too common in text lines to be worth a search before a branch.
_COMMON_CHARS = frozenset(" .,-'\"")


def _needed_char(pattern: str, flags: int) -> str | None:
    """A character every match of ``pattern`` holds, uncased (so the same under any
    flags) and not among the commonest of text, or None."""
    try:
        parsed = _parser.parse(pattern, flags)
    except re.error:
        return None
    found: list[str] = []
    _required(list(parsed), found)
    return next((char for char in found if char not in _COMMON_CHARS), None)


def _required(items: list[tuple[Any, Any]], found: list[str]) -> None:
    """Collect the uncased literal characters of a sequence that every match holds: its
    own literals, and those of its groups and of repeats taken at least once."""
    for op, av in items:
        if op is sre.LITERAL and chr(av).lower() == chr(av).upper():
            found.append(chr(av))
        elif op is sre.SUBPATTERN:
            _required(list(av[3]), found)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            _required(list(av[2]), found)


def _first_chars(pattern: str, flags: int) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can start with, or None when that is not
    known (a class like ``\\w``, an empty match...): the branch is then tried always."""
    try:
        parsed = _parser.parse(pattern, flags)
    except re.error:
        return None
    found = _sequence(list(parsed), parsed.state.flags | flags)
    if found is None or found[1]:  # unknown, or the whole pattern may match empty
        return None
    return frozenset(found[0])


def _sequence(items: list[tuple[Any, Any]], flags: int) -> tuple[set[str], bool] | None:
    """First characters of a sequence of parsed items and whether it can match empty."""
    chars: set[str] = set()
    for op, av in items:
        item = _item(op, av, flags)
        if item is None:
            return None
        first, empty = item
        chars |= first
        if not empty:
            return chars, False
    return chars, True


def _item(op: Any, av: Any, flags: int) -> tuple[set[str], bool] | None:
    if op is sre.LITERAL:
        return _cased(chr(av), flags), False
    if op is sre.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is sre.LITERAL:
                chars |= _cased(chr(value), flags)
            elif kind is sre.RANGE and value[1] - value[0] < 64:
                for code in range(value[0], value[1] + 1):
                    chars |= _cased(chr(code), flags)
            elif kind is sre.CATEGORY and value in _CATEGORIES:
                chars |= _CATEGORIES[value]
            else:  # negated sets, other categories (\w, \s), wide ranges
                return None
        return chars, False
    if op is sre.SUBPATTERN:
        return _sequence(list(av[3]), flags | av[1])
    if op is sre.BRANCH:
        union: set[str] = set()
        empty = False
        for branch in av[1]:
            found = _sequence(list(branch), flags)
            if found is None:
                return None
            union |= found[0]
            empty = empty or found[1]
        return union, empty
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _, body = av
        found = _sequence(list(body), flags)
        if found is None:
            return None
        return found[0], found[1] or low == 0
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return set(), True  # zero-width: only narrows what follows
    return None


def _cased(char: str, flags: int) -> set[str]:
    return {char.lower(), char.upper()} if flags & re.IGNORECASE else {char}
