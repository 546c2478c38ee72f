"""Author normalisation and byline lines."""

from __future__ import annotations

import pytest

from kabar.extract.bylines import authors_in_text, normalize_authors, printed_credits


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
