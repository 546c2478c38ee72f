"""Charset detection and decoding."""

from __future__ import annotations

import codecs
import random

import pytest

from kabar.errors import ContentError
from kabar.fetch.charset import declared_charset, decode, header_charset, normalize

TEKS = "Presiden meresmikan jembatan baru di Kalimantan — warga menyambut “gembira”."


def test_header_charset_wins_over_meta() -> None:
    html = f'<meta charset="utf-8"><p>{TEKS}</p>'
    got = decode(html.encode("cp1252"), "text/html; charset=windows-1252")
    assert TEKS in got.text and got.charset == "cp1252"


def test_bom_wins_over_everything() -> None:
    data = codecs.BOM_UTF8 + f"<p>{TEKS}</p>".encode()
    got = decode(data, "text/html; charset=iso-8859-1")
    assert got.text == f"<p>{TEKS}</p>" and got.charset == "utf-8"


def test_utf16_bom() -> None:
    data = codecs.BOM_UTF16_LE + f"<p>{TEKS}</p>".encode("utf-16-le")
    assert decode(data).text == f"<p>{TEKS}</p>"


@pytest.mark.parametrize(
    "head",
    [
        '<meta charset="windows-1252">',
        "<meta charset=windows-1252>",
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    ],
)
def test_meta_declarations(head: str) -> None:
    got = decode(f"<html><head>{head}</head><body>{TEKS}</body></html>".encode("cp1252"))
    assert TEKS in got.text


def test_xml_declaration() -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><rss>Caf\xe9</rss>'.encode("latin-1")
    assert "Café" in decode(data, "application/rss+xml").text


def test_latin1_label_means_windows_1252() -> None:
    # 0x93/0x94 are curly quotes in windows-1252 but C1 controls in ISO-8859-1.
    got = decode("<p>“ya”</p>".encode("cp1252"), "text/html; charset=ISO-8859-1")
    assert got.text == "<p>“ya”</p>"


def test_no_declaration_utf8_then_windows_1252() -> None:
    assert decode(f"<p>{TEKS}</p>".encode()).charset == "utf-8"
    got = decode("<p>Kafé</p>".encode("cp1252"))
    assert got.text == "<p>Kafé</p>" and got.charset == "windows-1252"


def test_unknown_label_is_ignored() -> None:
    assert (
        decode(f"<p>{TEKS}</p>".encode(), "text/html; charset=x-martian").text == f"<p>{TEKS}</p>"
    )


def test_wrong_declaration_but_valid_utf8_is_rescued() -> None:
    data = ("<p>" + "Jalan tol Trans-Jawa 東京 " * 50 + "</p>").encode()
    for label in ("shift_jis", "ascii", "iso-8859-1"):
        got = decode(data, f"text/html; charset={label}")
        assert "東京" in got.text and got.charset == "utf-8"


def test_a_few_bad_bytes_are_replaced() -> None:
    data = f"<p>{TEKS * 10}</p>".encode() + b"\xff\xfe" + b"<p>akhir</p>"
    got = decode(data, "text/html; charset=utf-8")
    assert "\ufffd" in got.text and "akhir" in got.text


def test_garbage_for_declared_charset_is_refused() -> None:
    garbage = random.Random(3).randbytes(5000)
    with pytest.raises(ContentError) as info:
        decode(garbage, "text/html; charset=utf-8")
    assert info.value.reason == "bad_charset"


def test_binary_without_declaration_is_refused() -> None:
    with pytest.raises(ContentError) as info:
        decode(bytes(range(256)) * 20)
    assert info.value.reason == "bad_charset"


def test_helpers() -> None:
    assert header_charset('text/html; charset="UTF-8"') == "UTF-8"
    assert header_charset("text/html") is None
    assert normalize("latin1") == "cp1252"
    assert normalize("utf-16") == "utf-8"
    assert normalize("nope") is None
    assert declared_charset(b"<html>" + b" " * 5000 + b'<meta charset="gbk">') is None
