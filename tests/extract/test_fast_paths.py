"""The shortcuts taken for speed keep the results: UTF-8 bytes go to the parser as they
are, portal clutter is dropped inside the body container only, gated clutter patterns
still catch their lines, and bylines at the end of the body name the authors."""

from __future__ import annotations

import codecs
import re

import pytest

from kabar.errors import BadInputError
from kabar.extract import extract
from kabar.extract.clutter import (
    Line,
    clean_lines,
    common_part,
    is_clutter_class,
    is_clutter_line,
    vocabulary,
)
from kabar.extract.decode import parser_input
from kabar.extract.dispatch import first_char_alternation
from tests.extract.extract_support import STORY, page, story_html


def test_valid_utf8_bytes_go_to_the_parser_unchanged() -> None:
    data = page(story_html("<p>Warga menyebutnya “kampung pelangi” sejak 2019.</p>")).encode()
    assert parser_input(data) is data
    ascii_page = b"<html><body><p>plain</p></body></html>"
    assert parser_input(ascii_page) is ascii_page


def test_other_bytes_are_decoded_to_text_first() -> None:
    legacy = "<p>Crème brûlée à Bandung</p>".encode("cp1252")
    assert parser_input(legacy) == "<p>Crème brûlée à Bandung</p>"
    with_bom = codecs.BOM_UTF8 + b"<p>halo</p>"
    assert parser_input(with_bom) == "<p>halo</p>"
    assert parser_input("<p>teks</p>") == "<p>teks</p>"
    with pytest.raises(BadInputError):
        parser_input(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(32)) * 64)


def test_utf8_story_text_survives_the_bytes_path() -> None:
    quote = "“Kami siap,” ujar Kepala Desa Ngadiluwih, Sabtu (12/10)."
    article = extract(page(story_html(f"<p>{quote}</p>")).encode("utf-8"))
    assert quote in article.paragraphs


def _kompas_page(inside: str, outside: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in STORY[:2]) + inside
    body += "".join(f"<p>{p}</p>" for p in STORY[2:])
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta property="og:title" content="Banjir Rendam Desa"></head><body>'
        f'{outside}<h1>Banjir Rendam Desa</h1><div class="read__content">{body}</div>'
        "<script>var iklan = 'Pemerintah provinsi memperpanjang masa tanggap darurat';</script>"
        "</body></html>"
    ).encode()


def test_portal_clutter_blocks_inside_the_body_are_dropped() -> None:
    # Only the portal rule knows this class: the generic vocabulary would keep the block.
    teaser = (
        '<div class="kompasidRec"><p>Warga kota lain juga menggelar doa bersama untuk korban '
        "banjir di lapangan desa pada Minggu malam.</p></div>"
    )
    script = "<script>document.write('Berita lain yang tidak relevan sama sekali');</script>"
    url = "https://regional.kompas.com/read/2024/06/01/banjir-rendam-desa"
    article = extract(_kompas_page(teaser + script), url)
    assert article.extractor == "rules:kompas.com"
    assert list(article.paragraphs) == STORY
    assert article.clutter_removed >= 1


@pytest.mark.parametrize(
    "line",
    [
        "Kamis, 20 Juni 2024 - 13:45 WIB",
        "20/06/2024, 13:45 WIB",
        "NASIONAL | 3 jam yang lalu",
        "Warga mengungsi ke balai desa. (Foto: Dok. BPBD)",
        "Petugas memeriksa tanggul yang jebol (Sumber: Humas Pemkab)",
        "Ikuti kami di Google News untuk kabar terbaru",
    ],
)
def test_gated_patterns_still_catch_their_lines(line: str) -> None:
    assert is_clutter_line(line)
    assert is_clutter_line(line.upper())


@pytest.mark.parametrize(
    "line",
    [
        "Pada 2024 pemerintah menambah anggaran untuk 12 desa di lereng gunung itu.",
        "Foto-foto banjir itu beredar luas di media sosial sejak pagi, kata warga desa.",
        "Rapat dimulai pukul 10.30 dan berlangsung hingga sore hari di balai kota.",
    ],
)
def test_story_lines_that_open_a_gate_are_kept(line: str) -> None:
    assert not is_clutter_line(line)


def test_clutter_class_matching_ignores_case() -> None:
    assert is_clutter_class("Related-Posts ")
    assert is_clutter_class(" SIDEBAR")
    assert not is_clutter_class("articleBody detail-text")


def test_tail_marker_matching_ignores_case() -> None:
    lines = [Line(p) for p in STORY] + [Line("BERITA TERKAIT"), Line("Judul berita lain")]
    result = clean_lines(lines, None, vocabulary())
    assert [line.text for line in result.lines] == STORY


def test_byline_at_the_end_of_the_body_names_the_author() -> None:
    html = page(story_html() + "<p>Penulis: Rahmat Hidayat | Editor: Sri Wahyuni</p>")
    article = extract(html.encode(), "https://www.contohberita.id/read/banjir-rendam-desa")
    assert article.authors == ("Rahmat Hidayat",)
    assert not any("Rahmat" in p for p in article.paragraphs)


def test_metadata_authors_win_over_body_bylines() -> None:
    head = '<meta name="author" content="Dewi Lestari">'
    html = page(story_html() + "<p>Penulis: Rahmat Hidayat</p>", head=head)
    assert extract(html.encode()).authors == ("Dewi Lestari",)


def test_gate_of_gated_patterns_is_inside_every_need() -> None:
    assert common_part(("(sumber", "(foto", "(dok")) == "("
    assert common_part(("artikel ini", "tulisan ini", "konten ini")) == " ini"
    assert common_part(("lalu", "ago")) == ""  # a lone letter is in nearly every line
    assert common_part(("mandatory credit",)) == ""  # one need is its own search
    vocab = vocabulary()
    for *_, gated in (*vocab.gated, *vocab.long_gated, *vocab.search):
        assert all(gated.gate in need for need in gated.needs)
        chars = len(gated.needs) > 1 and all(len(need) == 1 for need in gated.needs)
        if gated.near is not None and chars:  # one class search stands for all the needs
            assert all(gated.near.search(need) for need in gated.needs)


@pytest.mark.parametrize(
    "line",
    [
        "Warga di tanggul (IDN Times/Fariz Fardianto)",
        "Petugas memeriksa kendaraan di Gerbang Tol. KOMPAS.com/NAMA ORANG",
        "Warga antre solar di SPBN. (Dok. Humas Pemkot)",
        "Kamis, 20 Juni 2024 - 13:45 WIB",
        "Kompas dunia | 17 Juni 2024, 20:49 WIB",
        "OLAHRAGA | 2 jam yang lalu",
    ],
)
def test_gated_shortcuts_keep_matches(line: str) -> None:
    """A pattern's ``near`` test and its length bound never turn a match away."""
    assert is_clutter_line(line)
    low = line.lower()
    for longest, _gate, near, _needs, match, _gated in vocabulary().gated:
        if match(low) is not None:
            assert len(low) <= longest and (near is None or near(low) is not None)


def test_a_gated_source_credit_is_still_dropped() -> None:
    assert is_clutter_line("Warga antre di posko banjir. (Sumber: BPBD Jawa Tengah)")
    assert not is_clutter_line("Warga antre di posko banjir sejak pagi tadi, kata petugas.")


def test_branches_needing_a_character_match_as_the_whole_alternation() -> None:
    patterns = [r"baca juga.{0,40}", r"[\w-]+\.(com|id)/[\w./-]+", r"[\w ]{2,20} times\s?/\s?\w+"]
    dispatched = first_char_alternation(patterns)
    assert [char for char, _ in dispatched.needing] == ["/"]
    whole = re.compile("|".join(f"(?:{p})" for p in patterns))
    texts = ["baca juga ini", "contoh.com/a/b", "idn times / nama", "contoh.com", "idn times", ""]
    for text in texts:
        assert dispatched.fullmatch(text) == (whole.fullmatch(text) is not None)


@pytest.mark.parametrize(
    ("text", "clutter"),
    [
        ("— —", True),  # no letter at all
        ("²³ ½", False),  # numbers that are no decimal digits count as letters, as in re
        ("JAKARTA, 5 Mei (Antara) -", False),  # a lone dateline
    ],
)
def test_letterless_and_dateline_lines_keep_their_verdicts(text: str, clutter: bool) -> None:
    assert is_clutter_line(text) is clutter


def test_rows_by_size_are_those_whose_match_can_span_the_line() -> None:
    vocab = vocabulary()
    for rows, sized in (
        (vocab.gated, vocab.gated_sized),
        (vocab.long_gated, vocab.long_gated_sized),
    ):
        for size in (0, 50, 100, 200, 400, 5000):
            picked = sized[size] if size < len(sized) else sized[-1]
            assert picked == tuple(row for row in rows if row[0] >= size)
