"""The stretch around the headline: scripts cut out, and labels found whatever their case."""

from __future__ import annotations

import random

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from kabar.extract.headline import (
    _LINK_OPEN,
    _SCRIPT,
    MAX_ANCHOR_HITS,
    MAX_PREFIX_CHARS,
    HeadlineRegion,
    _headline_offset,
    _unscripted,
)

TITLE = "Banjir Besar Melanda Kota Tepi Sungai"


def _region(around: str) -> HeadlineRegion:
    page = (
        f"<html><head><title>{TITLE}</title></head><body>"
        f"<article><h1>{TITLE}</h1>{around}</article></body></html>"
    )
    tree = LexborHTMLParser(page.encode("utf-8"))

    def h1() -> LexborNode | None:
        return tree.css_first("h1")

    return HeadlineRegion(tree, h1, TITLE)


@pytest.mark.parametrize(
    "markup",
    [
        "a<script>b</script>c",
        "a<SCRIPT type='x'>b</Script >c<style>d</style>e",
        "a<script>b<style>c</style>d",  # left open: kept, its content still searched
        "a<noscript>b</noscript>c<scripts>d</scripts>",
        "a<script>b</scriptx>c</script\n>d",
        "<\u017fcript>a</script>b<script>c</\u017fcript>d</script>e",
        "<script>REDA\u212aTUR</script>x",
        "no tags at all",
    ],
)
def test_unscripted_cuts_what_the_script_pattern_cuts(markup: str) -> None:
    assert _unscripted(markup) == _SCRIPT.sub(" ", markup)


def test_unscripted_matches_the_pattern_on_shuffled_tag_soup() -> None:
    pieces = ["<script>", "</script>", "<STYLE>", "</style >", "<noscript>", "</noscript>",
              "</scriptx>", "<s", "<n", "x", ">", "<\u017ftyle>", "\u212a"]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert _unscripted(markup) == _SCRIPT.sub(" ", markup), markup


def test_credit_label_near_the_headline_is_found_in_any_case() -> None:
    region = _region("<p>PENULIS: Andi Wijaya</p><p>Isi berita.</p>")
    assert "Andi Wijaya" in region.text_near(("penulis",))


def test_credit_label_only_inside_a_script_is_not_text() -> None:
    region = _region("<script>var penulis = 'Andi Wijaya';</script><p>Isi berita.</p>")
    assert region.text_near(("penulis",)) == ""
    assert "Isi berita." in region.text()[0]  # the stretch itself was read


def test_label_that_lowercases_to_ascii_is_still_found() -> None:
    # The Kelvin sign lowercases to "k": the markup's lowercase copy holds "redaktur".
    region = _region("<p>REDA\u212aTUR: Budi Santoso</p>")
    assert "Budi Santoso" in region.text_near(("redaktur",))


def test_marked_dates_need_the_itemprop_in_the_markup() -> None:
    stamped = '<span itemprop="dateModified" content="2024-03-01T10:00:00+07:00"></span>'
    assert _region(stamped).marked_dates("dateModified") == ["2024-03-01T10:00:00+07:00"]
    scripted = '<script>x = {"dateModified": "2024-03-01"}</script><p>Isi.</p>'
    assert _region(scripted).marked_dates("dateModified") == []
    assert _region("<p>Isi.</p>").marked_dates("dateModified") == []


@pytest.mark.parametrize("title", ["It's a Flood Town Again", "Town's Bridge Reopens at Last"])
def test_headline_opening_with_a_short_word_and_an_apostrophe_is_found(title: str) -> None:
    page = (
        f"<html><head><title>{title}</title></head><body><nav>Menu</nav>"
        f"<article><h1>{title}</h1><div class='byline'>By Ada Lowe</div><p>Story.</p>"
        "</article></body></html>"
    )
    tree = LexborHTMLParser(page.encode("utf-8"))
    region = HeadlineRegion(tree, lambda: tree.css_first("h1"), title)
    assert "By Ada Lowe" in region.text()[0]


def _region_of(page: str) -> HeadlineRegion:
    tree = LexborHTMLParser(page.encode("utf-8"))
    return HeadlineRegion(tree, lambda: tree.css_first("h1"), TITLE)


def test_headline_is_found_past_the_head_and_its_title() -> None:
    # The title's own copy in <title>, og:title and JSON-LD are no headline.
    page = (
        f'<html><head><title>{TITLE}</title><meta property="og:title" content="{TITLE}">'
        f'<script type="application/ld+json">{{"headline":"{TITLE}"}}</script></head>'
        f"<body><h1>{TITLE}</h1><p>Penulis: Rina Wati</p></body></html>"
    )
    text, at = _region_of(page).text()
    assert text[at:].startswith(TITLE)
    assert "Penulis: Rina Wati" in text[at:]


def test_headline_after_an_svg_title_in_a_page_without_head_title() -> None:
    # No <title> in <head>: the first "</title" is an icon's, in <body>, after the headline.
    page = (
        f"<html><head></head><body><h1>{TITLE}</h1><p>Penulis: Rina Wati</p>"
        "<svg><title>Bagikan</title></svg></body></html>"
    )
    text, at = _region_of(page).text()
    assert at >= 0 and text[at:].startswith(TITLE)


@pytest.mark.parametrize(
    "tag",
    [
        '<span itemprop="author">Rina Wati</span>',
        '<a rel="author" href="/u/rina">Rina Wati</a>',
        '<div class="post-penulis">Rina Wati</div>',
    ],
)
def test_byline_tags_are_found_by_their_author_words(tag: str) -> None:
    region = _region(f'<time datetime="2024-06-12T10:00:00+07:00">12 Juni</time>{tag}')
    assert region.byline_texts() == ["Rina Wati"]


def test_dated_tags_are_found_whether_or_not_bylines_were_read_first() -> None:
    around = (
        '<meta itemprop="datePublished" content="2024-06-12T10:00:00+07:00">'
        '<span class="author">Rina Wati</span><span class="tgl">12/06/2024 10:00 WIB</span>'
    )
    region = _region(around)
    assert region.byline_texts()[0].startswith("Rina Wati")
    assert region.marked_dates("datePublished") == ["2024-06-12T10:00:00+07:00"]
    assert region.stamped_date() == "2024-06-12T03:00:00Z"


def test_headline_offset_holds_with_wide_characters_before_the_headline() -> None:
    # Each "é" and curly quote is more than one byte of UTF-8 but one character of
    # text: the offset of the headline in the decoded stretch must count characters.
    before = "<nav><a href='/'>Beranda \u201cCaf\u00e9\u201d</a> " + "\u00e9" * 6 + "</nav>"
    region = _region_with(before, "<p>Senin, 12 Februari 2024 13:45 WIB</p><p>Isi berita.</p>")
    markup, at = region._markup()
    assert markup[at:].startswith(TITLE)
    text, text_at = region.text()
    assert text[text_at:].startswith(TITLE)


def _region_with(before: str, after: str) -> HeadlineRegion:
    page = (
        f"<html><head><title>{TITLE}</title></head><body>{before}"
        f"<article><h1>{TITLE}</h1>{after}</article></body></html>"
    )
    tree = LexborHTMLParser(page.encode("utf-8"))
    return HeadlineRegion(tree, lambda: tree.css_first("h1"), TITLE)


def _reference_offset(raw: bytes, start: int, anchor: bytes) -> int:
    """``_headline_offset`` as it was: the prefix bytes tested one by one."""
    linked = -1
    at = raw.find(anchor, start)
    for _ in range(MAX_ANCHOR_HITS):
        if at < 0:
            break
        tag_end = raw.rfind(b">", max(0, at - MAX_PREFIX_CHARS - 1), at)
        prefix = raw[tag_end + 1 : at] if tag_end >= 0 else b"\x00"
        if tag_end >= 0 and not any(ch in prefix for ch in b"<\"'={}"):
            if not _LINK_OPEN.match(raw, raw.rfind(b"<", 0, tag_end)):
                return at
            if linked < 0:
                linked = at
        at = raw.find(anchor, at + len(anchor))
    return linked


_PIECES = [
    b"<p>", b"</p>", b"<a href='x'>", b"</a>", b'"', b"'", b"=", b"{", b"}", b"<", b">",
    b"FOTO: ", b" ", b"Banjir Besar", b"<script>var t = '", b"';</script>", b"x" * 40,
]  # fmt: skip


def test_headline_offset_same_as_bytewise_prefix_check() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        raw = b"".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 14)))
        start = rng.randint(0, len(raw))
        assert _headline_offset(raw, start, b"Banjir Besar") == _reference_offset(
            raw, start, b"Banjir Besar"
        )
