"""Mechanisms behind the misses of the session-19 Indonesian hold-out (tuned_s19, measured
once on 951e72f): a syndicated copy's note set as a label before its source ("Disadur
dari: Bola.com (Penulis: A, Editor: B). Published ...") is clutter, as the sentence form
("Artikel ini disadur dari ...") already was."""

from __future__ import annotations

import pytest

from kabar.extract.clutter import is_clutter_line


@pytest.mark.parametrize(
    "line",
    [
        "Disadur dari: Bola.com (Penulis: Ikhwan Yanuar, Editor: Rizki Hidayat). Published "
        "30/9/2023",
        "Diterjemahkan dari: The Straits Ledger",
        "Disarikan dari : laporan tahunan Dinas Perikanan 2023",
    ],
)
def test_a_syndication_label_is_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        # the verb in a sentence of the story, no label's colon after "dari"
        "Bahan baku sabun itu diolah dari minyak jelantah yang dikumpulkan warga.",
        "Naskah drama tersebut disadur dari cerita rakyat Minangkabau.",
    ],
)
def test_story_lines_with_the_verb_stay(line: str) -> None:
    assert not is_clutter_line(line)
