"""The first-character dispatch of a pattern alternation answers as the alternation does."""

from __future__ import annotations

import re

from kabar.extract.clutter import _alternation, _data
from kabar.extract.dispatch import first_char_alternation

LINES = (
    "baca juga: harga beras naik", "Baca Juga", "foto: dok. pemkot", "(foto: ant)",
    "iklan", "halaman 2 dari 3", "2 dari 3 halaman", "#viral #banjir", "[video]",
    "© 2024 contoh media", "https://contoh.co.id/a", "klik di sini", "tags: banjir, jakarta",
    "warga menanam pohon di tepi sungai pada minggu pagi.", "٣ dari ٥ halaman",
    "\u00a0iklan", "ıklan", "", "-", "editor: ani", "kota", "KOTA",
)  # fmt: skip


def test_dispatch_agrees_with_the_full_alternation() -> None:
    lines = _data()["lines"]
    patterns = [*lines["drop"], *lines["drop_long"], r"\s*x+", r"[^a]b", r"(?i:Kota)"]
    for flags in (0, re.IGNORECASE):
        full = re.compile(_alternation(patterns), flags)
        dispatched = first_char_alternation(patterns, flags)
        for line in LINES:
            assert dispatched.fullmatch(line) == (full.fullmatch(line) is not None), line


def test_branch_is_tried_only_where_it_can_start() -> None:
    dispatched = first_char_alternation([r"baca\s+juga", r"\d+ menit lalu", r"\w+ing"])
    assert dispatched.fullmatch("baca juga")
    assert dispatched.fullmatch("5 menit lalu")
    assert dispatched.fullmatch("reading")  # a \w branch is tried on every line
    assert not dispatched.fullmatch("juga baca")
    assert dispatched.by_first["b"].pattern.count("baca") == 1
    assert "menit" not in dispatched.by_first["b"].pattern


def test_a_first_character_alternation_is_compiled_when_a_line_needs_it() -> None:
    dispatched = first_char_alternation([r"baca\s+juga", r"foto: .+", r"\d+ menit lalu"])
    assert dispatched.by_first == {}
    assert dispatched.fullmatch("foto: dok. warga")
    assert not dispatched.fullmatch("fakta baru")
    assert not dispatched.fullmatch("~3 menit lalu")  # "~" is outside the alphabet
    assert sorted(dispatched.by_first) == ["f", "~"]
    assert dispatched.by_first["~"] is dispatched.other
    assert "foto" in dispatched.by_first["f"].pattern
    assert "baca" not in dispatched.by_first["f"].pattern
