"""The generic extractor finds the body on pages without portal rules."""

from __future__ import annotations

import pytest

from kabar.errors import ExtractError
from kabar.extract import extract, stitch
from kabar.extract.metadata import text_language
from kabar.models import Article
from tests.extract.extract_support import STORY, page, story_html

ENGLISH = [
    "WASHINGTON (Reuters) - Lawmakers on Tuesday agreed on a stopgap spending bill that keeps "
    "federal agencies funded through the middle of next month, averting a partial shutdown.",
    "The measure, which still needs a final vote in the Senate, passed after two days of talks "
    "between party leaders and the White House budget office.",
    "\u201cThis is not the deal anyone wanted, but it keeps the lights on,\u201d "
    "one senior aide said.",
    "Negotiators said they would use the extra weeks to work on full-year appropriations bills, "
    "which have stalled over disputes about disaster aid and border funding.",
]


def _english_page(extra: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in ENGLISH)
    return (
        "<html><head><title>Stopgap bill agreed</title></head><body>"
        "<div id='nav'><ul><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li></ul></div>"
        f"<div class='main'><h1>Stopgap bill agreed</h1><div class='story-body'>{paragraphs}</div>"
        f"{extra}</div><div class='footer'>Terms of use. Privacy policy.</div></body></html>"
    )


def test_english_article_without_its_comments() -> None:
    comments = "".join(
        f"<li class='comment'><p>Reader {i} writes: this is a long opinion about the budget, "
        "the senate, the house, the president, the deficit and many other things.</p></li>"
        for i in range(12)
    )
    html = _english_page(f"<section id='comments'><h3>Comments</h3><ol>{comments}</ol></section>")
    article = extract(html, "https://news.example.org/politics/stopgap")
    assert list(article.paragraphs) == ENGLISH
    assert article.extractor == "generic"


def test_hidden_later_pages_of_the_article_are_kept() -> None:
    pages = (
        f"<div class='body-paragraph'><p>{STORY[0]}</p><p>{STORY[1]}</p></div>"
        f"<div class='body-paragraph paging-content' style='display:none'><h2>Bantuan Logistik</h2>"
        f"<p>{STORY[2]}</p></div>"
        f"<div class='body-paragraph paging-content' style='display:none'><p>{STORY[3]}</p></div>"
    )
    article = extract(page(pages))
    assert list(article.paragraphs) == [STORY[0], STORY[1], "Bantuan Logistik", *STORY[2:]]


def test_hidden_microdata_copy_is_not_body_text() -> None:
    copy = (
        "<div style='display:none' itemscope itemtype='http://schema.org/NewsArticle'>"
        "<div itemprop='description'>Ringkasan berita yang sama untuk mesin pencari.</div>"
        "<div itemprop='datePublished'>2024-06-12T10:15:00+07:00</div></div>"
    )
    assert list(extract(page(story_html(copy))).paragraphs) == STORY


def test_br_separated_body_of_old_templates() -> None:
    text = "<br><br>".join(STORY)
    html = (
        "<html><body><div class='menu'><a href='/'>Home</a></div>"
        f"<div class='isi_berita'>{text}<br><br>(ant/dwi)</div>"
        "<div class='sidebar'><a href='/1'>Berita lain</a></div></body></html>"
    )
    assert list(extract(html).paragraphs) == STORY  # the desk initials close it, not story


def test_div_paragraphs_without_p_elements() -> None:
    divs = "".join(f"<div class='zn-body__paragraph'>{p}</div>" for p in ENGLISH)
    html = (
        "<html><body><section class='zn-body-text'><div class='l-container'>"
        f"{divs}</div></section><footer><div class='legal'>Most stock quote data provided by "
        "an exchange, all rights reserved, and delayed by fifteen minutes, terms apply, "
        "privacy policy, cookie policy, accessibility and more.</div></footer></body></html>"
    )
    assert list(extract(html).paragraphs) == ENGLISH


def test_headline_byline_and_dateline_header_are_removed() -> None:
    body = (
        "<p>Judul Berita Contoh</p><p>Rabu, 12 Juni 2024 10:15 WIB</p>"
        "<p>Warga di posko pengungsian. Foto/Antara</p>" + story_html()
    )
    article = extract(page(body))
    assert list(article.paragraphs) == STORY
    assert article.title == "Judul Berita Contoh"


def test_metadata_fields_are_filled() -> None:
    head = (
        '<link rel="canonical" href="https://contoh.id/read/1">'
        '<meta property="article:published_time" content="2024-06-12T10:15:00+07:00">'
    )
    article = extract(page(story_html(), head=head), "https://contoh.id/read/1?utm=x")
    assert article.canonical_url == "https://contoh.id/read/1"
    assert article.published_at is not None and article.published_at.startswith("2024-06-12")
    assert article.url == "https://contoh.id/read/1?utm=x"
    assert article.word_count == sum(len(p.split()) for p in STORY)


def test_stitch_appends_new_paragraphs_and_keeps_first_metadata() -> None:
    first = Article(url="u1", title="T", paragraphs=(STORY[0], STORY[1]), clutter_removed=2,
                    next_pages=("u2", "u3"), authors=("A",))  # fmt: skip
    second = Article(url="u2", title="T2", paragraphs=(STORY[1], STORY[2]), clutter_removed=1)
    third = Article(url="u3", title="T3", paragraphs=(STORY[3],))
    joined = stitch(first, [second, third])
    assert joined.paragraphs == tuple(STORY)
    assert (joined.url, joined.title, joined.authors) == ("u1", "T", ("A",))
    assert joined.clutter_removed == 3
    assert stitch(first, []) == first


def test_article_split_into_same_classed_sections_is_joined() -> None:
    sections = "".join(
        f"<section class='block'><div class='sidebar-note'>Catatan redaksi {i}</div>"
        f"<div class='post__content wysiwyg'><p>{STORY[i]}</p><p>{ENGLISH[i]}</p></div></section>"
        for i in range(3)
    )
    teasers = "".join(
        f"<div class='related-posts'><div class='post__content wysiwyg'><p>Teaser {i} "
        "dengan kalimat yang cukup panjang untuk dinilai sebagai paragraf, ya.</p></div></div>"
        for i in range(2)
    )
    html = f"<html><body><main>{sections}</main>{teasers}</body></html>"
    expected = [line for i in range(3) for line in (STORY[i], ENGLISH[i])]
    assert list(extract(html).paragraphs) == expected


def test_sections_with_css_unsafe_class_names() -> None:
    sections = "".join(
        f"<div class='md:flex w-[50%] prose'><p>{STORY[i]}</p><p>{ENGLISH[i]}</p></div><hr>"
        for i in range(2)
    )
    article = extract(f"<html><body><div>{sections}</div></body></html>")
    assert article.paragraphs[0] == STORY[0]


def test_sibling_widget_with_a_heading_only_is_not_body() -> None:
    # Old templates print the story as one <br>-broken span; a sibling block whose class
    # hints at content ("read") but which holds only a heading must not join it.
    text = "<br><br>".join(STORY)
    html = (
        "<html><body><div class='menu'><a href='/'>Beranda</a></div><div class='kolom'>"
        f"<span class='isi1114'>{text}</span>"
        "<div class='read-bottom-topic' style='display:none;'>"
        "<h3>Kumpulan kisah para pengungsi di lereng gunung itu</h3><ul></ul></div>"
        "</div><div class='sidebar'><a href='/1'>Berita lain</a></div></body></html>"
    )
    assert list(extract(html).paragraphs) == STORY


def test_language_follows_the_text_when_the_template_says_otherwise() -> None:
    indonesian = page(story_html()).replace('lang="id"', 'lang="en"')
    assert extract(indonesian).language == "id"
    english = page("".join(f"<p>{p}</p>" for p in ENGLISH))
    assert extract(english).language == "en"
    short = page("<p>Singkat saja dan tidak lebih dari satu kalimat.</p>")
    assert extract(short.replace('lang="id"', 'lang="en"')).language == "id"
    # Too little text to tell: the page's own declaration stands.
    assert text_language(["Jakarta Pusat."], "ms") == "ms"
    assert text_language(["Jakarta Pusat."], None) is None


def test_in_text_links_with_clutter_classes_keep_their_words() -> None:
    # Portals link people and topics inside sentences with classes such as "tag-link":
    # the class names the link's target, the words are part of the sentence.
    paragraph = (
        "<p><b>SURABAYA</b> - <a class='inline-tag-link' href='/tag/gubernur'>Gubernur</a> "
        "(<a class='inline-tag-link' href='/tag/gub'>Gub</a>) meresmikan jembatan baru yang "
        "menghubungkan dua kecamatan, sementara harga <strong><a class='topic-tags' "
        "href='/tag/semen'>semen curah</a></strong> ikut dibahas dalam rapat itu.</p>"
    )
    lead = (
        "SURABAYA - Gubernur (Gub) meresmikan jembatan baru yang menghubungkan dua kecamatan, "
        "sementara harga semen curah ikut dibahas dalam rapat itu."
    )
    assert list(extract(page(paragraph + story_html())).paragraphs) == [lead, *STORY]


def test_clutter_classed_inline_element_alone_in_its_block_is_still_dropped() -> None:
    alone = "<p><span class='share-label'>Bagikan lewat pesan singkat sekarang</span></p>"
    label = "<div><a class='tags-item' href='/tag/x'>banjir bandang</a></div>"
    assert list(extract(page(story_html(alone + label))).paragraphs) == STORY


def test_desk_byline_becomes_the_author_of_a_page_naming_nobody() -> None:
    head = '<meta name="author" content="Tim contohBali - contohBali">'
    html = page(story_html(), head=head)
    assert extract(html, "https://www.contoh.com/bali/d-1/a").authors == ("Tim contohBali",)


GALLERY_HEAD = (
    '<meta property="og:description" content="Puluhan perahu hias berlayar di Teluk Kendari '
    'dalam festival bahari tahunan yang dibuka gubernur pada Sabtu pagi.">'
    '<meta property="article:published_time" content="2023-04-15T08:00:00+08:00">'
)
GALLERY_BODY = (
    "<div class='galeri'><div class='slide'><img src='/1.jpg'><span>1 dari 2</span></div>"
    "<div class='slide'><img src='/2.jpg'><span>2 dari 2</span></div></div>"
)


def test_photo_page_without_body_text_reads_its_description() -> None:
    html = (
        f"<html><head><title>Festival Perahu Hias</title>{GALLERY_HEAD}</head>"
        f"<body><h1>Festival Perahu Hias</h1>{GALLERY_BODY}</body></html>"
    )
    article = extract(html)
    assert article.paragraphs == (
        "Puluhan perahu hias berlayar di Teluk Kendari dalam festival bahari tahunan yang "
        "dibuka gubernur pada Sabtu pagi.",
    )
    assert article.extractor == "description"


def test_undated_page_without_body_text_is_still_no_article() -> None:
    head = GALLERY_HEAD.split("<meta property=\"article:published_time\"")[0]
    html = f"<html><head>{head}</head><body>{GALLERY_BODY}</body></html>"
    with pytest.raises(ExtractError):
        extract(html)
