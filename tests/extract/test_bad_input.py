"""Bad input never crashes the extractor: it yields an article or a typed ExtractError."""

from __future__ import annotations

import codecs

import pytest

from kabar.errors import BadInputError, EmptyBodyError, ExtractError, NotAnArticleError
from kabar.extract import extract
from kabar.extract.decode import declared_charset, decode_html, is_binary
from tests.extract.extract_support import STORY, page, story_html

ACCENTED = "Kafe Éclair di Bandung menjual crème brûlée dan café au lait setiap hari."


def _accented_page() -> str:
    return page(story_html(f"<p>{ACCENTED}</p>"))


def test_empty_input_is_not_an_article() -> None:
    for empty in (b"", "", b"   \n\t"):
        with pytest.raises(NotAnArticleError) as info:
            extract(empty)
        assert info.value.reason == "not_article"


def test_binary_input() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    with pytest.raises(BadInputError) as info:
        extract(png)
    assert info.value.reason == "binary_input"
    assert is_binary(png)
    assert not is_binary(page(story_html()).encode())


@pytest.mark.parametrize("charset", ["windows-1252", "iso-8859-1", "latin1"])
def test_legacy_charset_declared_in_meta(charset: str) -> None:
    html = _accented_page().replace('<meta charset="utf-8">', f'<meta charset="{charset}">')
    article = extract(html.encode("cp1252"))
    assert ACCENTED in article.paragraphs


def test_http_equiv_charset_is_honoured() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
    html = _accented_page().replace('<meta charset="utf-8">', meta)
    assert declared_charset(html.encode("cp1252")) == "cp1252"
    assert ACCENTED in extract(html.encode("cp1252")).paragraphs


def test_undeclared_legacy_bytes_fall_back_to_cp1252() -> None:
    html = _accented_page().replace('<meta charset="utf-8">', "")
    assert ACCENTED in extract(html.encode("cp1252")).paragraphs


def test_unknown_declared_charset_is_ignored() -> None:
    html = _accented_page().replace('<meta charset="utf-8">', '<meta charset="x-bogus-42">')
    assert ACCENTED in extract(html.encode("utf-8")).paragraphs


def test_boms_are_decoded() -> None:
    html = _accented_page()
    assert decode_html(codecs.BOM_UTF8 + html.encode()) == html
    assert decode_html(codecs.BOM_UTF16_LE + html.encode("utf-16-le")) == html
    assert ACCENTED in extract(codecs.BOM_UTF16_BE + html.encode("utf-16-be")).paragraphs


def test_mostly_utf8_with_broken_bytes_stays_utf8() -> None:
    html = _accented_page().encode("utf-8").replace(b"</p>", b"\xff</p>", 1)
    assert ACCENTED in extract(html).paragraphs


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_truncated_html(cut: float) -> None:
    html = page(story_html()).encode()
    try:
        article = extract(html[: int(len(html) * cut)])
    except ExtractError:
        return
    assert all(p in STORY or p.startswith(tuple(s[:20] for s in STORY)) for p in article.paragraphs)


def test_malformed_markup_still_extracts() -> None:
    body = "".join(f"<p>{p}<div><b><i>" for p in STORY) + "</td></table></span>"
    assert extract(f"<html><body><div class='post'>{body}").paragraphs[0] == STORY[0]


def test_ten_megabyte_page() -> None:
    filler = "<div class='promo'><a href='/x'>promo</a></div>\n" * 200_000
    html = page(story_html()).replace("<footer>", filler + "<footer>")
    assert 9_000_000 < len(html) < 10_485_760
    assert list(extract(html).paragraphs) == STORY


def test_too_large_page() -> None:
    with pytest.raises(BadInputError) as info:
        extract(b"<p>x</p>" * 2_000_000)
    assert info.value.reason == "too_large"


def test_dom_nested_ten_thousand_deep() -> None:
    html = "<div>" * 10_000 + story_html() + "</div>" * 10_000
    try:
        article = extract(f"<html><body>{html}</body></html>")
    except ExtractError:
        return
    assert set(article.paragraphs) <= set(STORY)


def test_page_without_article() -> None:
    html = (
        "<html><body><nav><a href='/'>Beranda</a><a href='/a'>Nasional</a></nav>"
        "<ul><li><a href='/1'>Satu</a></li><li><a href='/2'>Dua</a></li></ul></body></html>"
    )
    with pytest.raises((NotAnArticleError, EmptyBodyError)):
        extract(html)


def test_only_clutter_is_an_empty_body() -> None:
    with pytest.raises(EmptyBodyError) as info:
        extract(page("<p>Baca juga: Judul berita lain yang sangat menarik</p><p>Editor: Rina</p>"))
    assert info.value.reason == "empty_body"


def test_plain_text_is_handled() -> None:
    article = extract(" ".join(STORY))
    assert article.paragraphs == (" ".join(STORY),)


def test_bytes_that_do_not_decode_in_their_bom_charset() -> None:
    with pytest.raises(BadInputError) as info:
        extract(codecs.BOM_UTF8 + b"<p>" + b"\xff\xfe\xfa" * 500 + b"</p>")
    assert info.value.reason == "bad_charset"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec: str) -> None:
    assert ACCENTED in extract(_accented_page().encode(codec)).paragraphs
