"""Plain-search shortcuts of the headline region and credit readers give what the
regexes they replace give."""

from __future__ import annotations

import itertools

import pytest

from kabar.extract import bylines
from kabar.extract.bylines import (
    _BREAK_MARKS,
    _SPLIT_MARKS,
    _has_break,
    _has_split_mark,
    printed_credits,
)
from kabar.extract.headline import _COMMENT, _uncommented

PIECES = ("<!--", "-->", "--", "<!-", "-", ">", "a", " ", "<", "<!---->", "<!-->", "\n")


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_uncommented_matches_the_comment_regex(size: int) -> None:
    for parts in itertools.product(PIECES, repeat=size):
        text = "".join(parts)
        assert _uncommented(text) == _COMMENT.sub(" ", text), repr(text)


def test_uncommented_keeps_text_and_drops_each_comment() -> None:
    markup = "<p>Oleh <!-- x -->Budi</p><!-- open <!-- nested -->tail<!-- left open"
    assert _uncommented(markup) == "<p>Oleh  Budi</p> tail<!-- left open"


def test_credits_after_a_long_story_stretch() -> None:
    story = "\n".join(f"Paragraf {i}, kata pertama, kata kedua; kata ketiga." for i in range(40))
    text = f"Penulis: Budi Santoso\n{story}\nEditor: Sari Dewi\n"
    assert printed_credits(text) == (("Budi Santoso",), ("Sari Dewi",))


def test_break_test_covers_every_break_mark() -> None:
    for mark in _BREAK_MARKS:
        assert _has_break(f"Budi{mark} Sari")
    assert not _has_break("Budi Santoso - Sari Dewi")


def test_split_mark_test_covers_every_split_mark() -> None:
    for mark in _SPLIT_MARKS:
        assert _has_split_mark(f"Budi{mark}Sari")
    assert not _has_split_mark("Budi Santoso")


def test_leading_label_is_cut_at_the_start_only() -> None:
    assert bylines._LEADING_LABEL.sub("", "Penulis: Budi Santoso") == "Budi Santoso"
    assert bylines._LEADING_LABEL.sub("", "Kontributor Ngawi, Sari Dewi") == "Sari Dewi"
    assert bylines._LEADING_LABEL.sub("", "Analysis by Budi") == "Budi"
    assert bylines._LEADING_LABEL.sub("", "Budi, oleh Sari") == "Budi, oleh Sari"
