"""Author normalisation and byline lines."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from kabar.extract import bylines
from kabar.extract.bylines import (
    authors_in_text,
    names_beside,
    normalize_authors,
    photographers,
    printed_credits,
)
from kabar.extract.metadata import extract_metadata


@pytest.mark.parametrize(
    ("raws", "brands", "expected"),
    [
        (["Andi Wijaya, Bunga Citra dan Candra"], (), ("Andi Wijaya", "Bunga Citra", "Candra")),
        (["Andi Wijaya & Bunga Citra"], (), ("Andi Wijaya", "Bunga Citra")),
        (["Tim Redaksi"], (), ()),
        (["Redaksi"], (), ()),
        (["Liputan6.com"], ("liputan6",), ()),
        (["Warta Contoh"], ("Warta Contoh",), ()),
        (["Kompas Cyber Media"], ("kompas",), ()),
        (["mediacontoh.com developer"], (), ()),
        (["https://www.facebook.com/halamanku"], (), ()),
        (["Penulis: Yoga Pratama"], (), ("Yoga Pratama",)),
        (["Kontributor Ngawi, Sugeng Riyadi"], (), ("Sugeng Riyadi",)),
        (["Dedi Kurnia - detikNews"], ("detik",), ("Dedi Kurnia",)),
        (["DEWI SARTIKA"], (), ("Dewi Sartika",)),
        (["Andi Wijaya", "andi wijaya"], (), ("Andi Wijaya",)),
        (["prwir"], (), ()),
        (["Nama yang terlalu panjang untuk menjadi nama orang sungguhan ini"], (), ()),
        (["Hanna &amp; Rio Saputra"], (), ("Hanna", "Rio Saputra")),
        (["Analisis oleh Maya Putri"], (), ("Maya Putri",)),
        (["By Jane Doe and John Roe"], (), ("Jane Doe", "John Roe")),
        (["Sabtu"], (), ()),
        (["PT. WARTA CONTOH BARU - wartacontoh.co.id"], (), ()),
        (["Contoh Cyber Media"], (), ()),
        (["PT Kabar Nusantara Tbk"], (), ()),
        (["Ptolemy Ardi"], (), ("Ptolemy Ardi",)),
        # a desk before the writer, the site after a comma: the desk is no writer
        (["Bola - Wulan Sari, Warta Nusa"], ("Warta Nusa",), ("Wulan Sari",)),
        (["Ekonomi - Rafi, Warta Nusa"], ("Warta Nusa",), ("Rafi",)),
        # a wire agency beside the writer is no writer; alone it is the page's only credit
        (["Nadia Fenn, Associated Press"], (), ("Nadia Fenn",)),
        (["Reuters"], (), ("Reuters",)),
        # without the site closing it, the dash is not read as a desk's
        (["Wulan Sari - Bola"], (), ("Wulan Sari", "Bola")),
    ],
)  # fmt: skip
def test_normalize_authors(
    raws: list[str], brands: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert normalize_authors(raws, brands) == expected


def test_authors_in_text_labels() -> None:
    assert authors_in_text("Reporter: Fajar Nugroho | Editor: Lina") == ("Fajar Nugroho",)
    assert authors_in_text("Pewarta: Nur Aini\nEditor: Ade") == ("Nur Aini",)
    assert authors_in_text("Penulis\n: Yoga Pratama\nEditor\n: Lina") == ("Yoga Pratama",)
    assert authors_in_text("Oleh Budi Santoso") == ("Budi Santoso",)


def test_authors_in_text_ignores_prose() -> None:
    text = "Bantuan itu diberikan oleh pemerintah daerah kepada warga.\nditulis ulang oleh redaksi"
    assert authors_in_text(text) == ()


@pytest.mark.parametrize(
    ("text", "writers", "editors"),
    [
        ("Penulis: Sari Dewi, Editor: Yusuf Hadi", ("Sari Dewi",), ("Yusuf Hadi",)),
        ("Reporter: Lukas Tan | Editor: Yusuf Hadi", ("Lukas Tan",), ("Yusuf Hadi",)),
        (
            "Penulis\nSari Dewi\n,\nLukas Tan\nEditor\nYusuf Hadi\nSenin, 3 Juni 2024",
            ("Sari Dewi", "Lukas Tan"),
            ("Yusuf Hadi",),
        ),
        ("Oleh karena itu warga diminta waspada", (), ()),
        ("Penulis: Sari Dewi\nShare on Facebook\nShare on X", ("Sari Dewi",), ()),
    ],
)
def test_printed_credits(text: str, writers: tuple[str, ...], editors: tuple[str, ...]) -> None:
    assert printed_credits(text) == (writers, editors)


def test_closing_rep_and_red_line_names_the_reporter() -> None:
    text = "Warga diminta tetap waspada.\nRep: Galih Prasetyo/Red: Yuni Astuti"
    assert authors_in_text(text) == ("Galih Prasetyo",)
    assert authors_in_text("Red: Yuni Astuti\nRep: Galih Prasetyo") == ("Galih Prasetyo",)
    assert authors_in_text("Rep : Galih Prasetyo, Red : Yuni Astuti") == ("Galih Prasetyo",)
    # prose with "rep" words names nobody
    assert authors_in_text("Perwakilan republik hadir dalam rapat reproduksi benih.") == ()


TWO = ("Laras Wening", "Bayu Santika")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # one link per writer, a comma between them: the metadata named only the first
        ("Laras Wening", "Laras Wening\n, \nBayu Santika\nRabu, 3 Juli 2024", TWO),
        ("Laras Wening", "Oleh: Laras Wening dan Bayu Santika\nEditor: Nur", TWO),
        # a one-word name printed in full beside a desk and the site
        ("Rafi", "Judul\nEkonomi - Rafi Ardiansyah, Warta Nusa\n12 Maret", ("Rafi Ardiansyah",)),
        # what stands beside the name is no writer: a desk, a photo agency, a town, the editor
        ("Laras Wening", "Laras Wening - Bola\nSenin", ()),
        ("Laras Wening", "FOTO WARTA/Laras Wening/lw.", ()),
        ("Laras Wening", "Laras Wening\n, \nSemarang\nSenin", ()),
        ("Laras Wening", "Penulis: Laras Wening | Editor: Bayu Santika", ()),
        # a photo credit's agency is not the full form of a one-word author
        ("Kabarwire", "Dina Rahma / Kabarwire file\nStory", ()),
        # a two-word name is not lengthened by the words after it
        ("Laras Wening", "By LARAS WENING Kabar Wire", ()),
        # the name only inside a long line of prose: no byline
        ("Laras Wening", f"Laras Wening, warga Semarang, mengatakan {'banjir datang ' * 8}.", ()),
    ],
)  # fmt: skip
def test_names_beside_the_metadata_author(name: str, text: str, expected: tuple[str, ...]) -> None:
    assert names_beside(name, text, ("Warta Nusa",)) == expected


CAPTION = "Nelayan menarik perahu ke pantai setelah melaut semalam di Teluk Lampung, Senin pagi."


def test_photo_page_credits_its_photographer() -> None:
    assert photographers([CAPTION, "WARTA FOTO/Rina Kusuma/rk."]) == ("Rina Kusuma",)
    assert photographers([CAPTION, "Kabar Photo / Rina Kusuma"]) == ("Rina Kusuma",)


def test_credit_inside_a_story_or_with_a_colon_names_no_author() -> None:
    story = [CAPTION] * 4 + ["WARTA FOTO/Rina Kusuma/rk."]
    assert photographers(story) == ()  # a picture's credit in a longer story
    assert photographers([CAPTION, "Foto: Rina Kusuma/Warta"]) == ()
    assert photographers([CAPTION, "Rina Kusuma"]) == ()


def test_name_split_shortcut_agrees_with_the_separator_regex() -> None:
    # The shortcut skips the regex only where it provably finds no separator; each case
    # here must split exactly as the regex does (case-blind "DAN", a hyphen, non-ASCII).
    cases = (
        "Sari Wulandari", "Andi Pratama", "Rina DAN Tono", "Budi and Ani", "Dewi, Joko",
        "Wira - Kota", "Ayu/Tim", "Lia | Situs", "Tono + Tini", "Ömer Dan Ayşe",
        "Rudi Handayani", "pandan wangi", "", "  ",
    )  # fmt: skip
    for raw in cases:
        assert bylines._split(raw) == bylines._SPLIT.split(raw), raw


def test_a_translator_alone_is_the_author_and_beside_a_writer_is_dropped() -> None:
    # The only credit of a translated story names who wrote the text the reader sees.
    assert bylines.byline_names("Translator: \nRina Kartika Sari\n", ("Translator:",)) == (
        "Rina Kartika Sari",
    )
    assert printed_credits("Penerjemah: Rina Sari | Editor: Joko Susilo") == (
        ("Rina Sari",),
        ("Joko Susilo",),
    )
    # Beside the writer, the translator is no author (like an editor).
    assert printed_credits("Penulis: Andi Wijaya | Penerjemah: Rina Sari | Editor: Joko") == (
        ("Andi Wijaya",),
        ("Joko",),
    )
    assert normalize_authors(["Translator"]) == ()


def test_a_field_reporter_with_a_town_in_brackets_is_a_cowriter() -> None:
    assert normalize_authors(["Bayu Pratama (Garut)"]) == ("Bayu Pratama",)
    # One tag per writer, no label: the second writes from the town in brackets.
    text = "Rudi Hartono\n,\nBayu Pratama (Garut)\nWarga melintas di jembatan (Foto/Arsip)\n"
    assert bylines.byline_names(text, ("Rudi Hartono",)) == ("Rudi Hartono", "Bayu Pratama")


def test_a_name_dash_site_line_under_the_headline_is_the_byline() -> None:
    text = "Harga Cabai Naik\nEkonomi - Warta Contoh\nSelasa\nRina Kartika - Warta Contoh\n"
    assert bylines.branded_byline(text, ("wartacontoh",)) == ("Rina Kartika",)
    # Another brand is no credit of this site's writer.
    assert bylines.branded_byline("Judul\nRina Kartika - Lain Sekali\n", ("wartacontoh",)) == ()


def test_metadata_reads_a_branded_byline_when_the_author_field_is_the_site() -> None:
    page = (
        '<html><head><title>Harga Cabai Naik Lagi</title><meta name="author" content="Wartaku">'
        "</head><body><h1>Harga Cabai Naik Lagi</h1><div><i>Selasa, 3 Juni 2014</i><br>"
        "<b>Rina Kartika - Wartaku</b></div><p>Harga cabai di pasar naik lagi pekan ini.</p>"
        "</body></html>"
    )
    found = extract_metadata(LexborHTMLParser(page), "http://berita.wartaku.com/a/1")
    assert found.authors == ("Rina Kartika",)
