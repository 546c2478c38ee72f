"""Mechanisms behind the session-10 misses: a translator's bare credit line naming the
writer of a translated story, a centred line under a picture on a blog that centres its
prose, and the tuned_s10 hold-out's clutter."""

from __future__ import annotations

from kabar.extract import extract
from tests.extract.extract_support import STORY, story_page

ENGLISH = [
    "Every spring the allotment committee promises a new water tap, and every spring the "
    "queue at the old one by the gate stretches past the compost bins.",
    "This year the tap arrived in April, fitted by two volunteers on a wet Saturday with a "
    "borrowed pipe cutter and a great deal of advice from the plot holders.",
    "By June the queue had gone, and so, the chair noted, had most of the arguments.",
]
TITLE = "Warga Pesisir Bertahan di Rumah Panggung"


def _news(before: str, after: str) -> str:
    story = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f"<html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>"
        f"{before}<div class='content'>{story}{after}</div></article></body></html>"
    )


def test_a_translators_line_under_the_story_names_its_writer() -> None:
    html = _news("", "<p>Penerjemah: Ahmad Fauzi</p><p>Editor: Budi Santoso</p>")
    article = extract(html, "https://berita.example.id/2024/01/02/rumah-panggung")
    assert article.authors == ("Ahmad Fauzi",)
    assert article.paragraphs == tuple(STORY)


def test_a_translators_line_above_the_editors_names_the_writer() -> None:
    html = _news("<p>Translator: Dewi Lestari</p><p>Editor: Petra Wibowo</p>", "")
    article = extract(html, "https://en.example.id/news/2024/rumah-panggung")
    assert article.authors == ("Dewi Lestari",)


def test_a_writer_printed_beside_a_translator_stays_the_author() -> None:
    credits = "<p>Penulis: Rina Kusuma</p><p>Penerjemah: Ahmad Fauzi</p><p>Editor: Budi Santoso</p>"
    article = extract(_news("", credits), "https://berita.example.id/2024/01/02/rumah")
    assert article.authors == ("Rina Kusuma",)


def _blog(after_picture: str, tail: str = "") -> str:
    return (
        "<html><head><title>The new tap</title></head><body><article class='post'>"
        "<h1 class='entry-title'>The new tap</h1><div class='entry-content'>"
        f"<p>{ENGLISH[0]}</p><div class='separator' style='clear: both; text-align: center'>"
        "<a href='/tap.jpg'><img src='/tap-s400.jpg'></a></div>"
        f"{after_picture}<p>{ENGLISH[1]}</p>{tail}<p>{ENGLISH[2]}</p></div></article>"
        "</body></html>"
    )


def test_a_centred_line_after_a_picture_stays_on_a_blog_that_centres_its_prose() -> None:
    line = "It took them most of the morning."
    centred = "<p style='text-align: center'>The chair cut a ribbon made of garden twine.</p>"
    html = _blog(f"<p style='text-align:center'>{line}</p>", centred)
    article = extract(html, "https://plot.example.blog/2023/06/04/the-new-tap/")
    assert line in article.paragraphs


def test_a_centred_line_after_a_picture_is_its_caption_where_no_prose_is_centred() -> None:
    line = "The new tap, fitted in April."
    html = _blog(f"<p style='text-align:center'>{line}</p>")
    article = extract(html, "https://plot.example.blog/2023/06/04/the-new-tap/")
    assert article.paragraphs == tuple(ENGLISH)


def test_words_closing_a_read_also_line_go_with_its_label_and_link() -> None:
    line = (
        "<p><strong>BACA JUGA</strong> <a href='/terminal/stasiun'>Stasiun Tua dan Kenangan"
        "</a> dan tulisan <strong>Yusril Amri</strong> lainnya.</p>"
    )
    article = extract(_news("", line), "https://esai.example.id/terminal/kereta-lokal/")
    assert article.paragraphs == tuple(STORY)


def test_a_paragraph_after_a_read_also_line_stays_whatever_its_first_letter() -> None:
    lower = "eFishery, perusahaan rintisan perikanan, ikut membantu pendataan nelayan di sana."
    label = "<p><strong>Baca juga:</strong> <a href='/x'>Nelayan Menanti Solar</a></p>"
    after = f"{label}<p>{lower}</p>"
    article = extract(_news("", after), "https://berita.example.id/2024/01/02/rumah")
    assert article.paragraphs == (*STORY, lower)


def test_a_page_turn_prompt_and_a_community_platform_note_are_clutter() -> None:
    middle = "<p><strong>Baca halaman selanjutnya</strong></p>"
    note = (
        "<p><em>Terminal Kita merupakan platform User Generated Content (UGC) untuk mewadahi "
        "pembaca menulis. Tulisan yang terpilih tayang setiap hari.</em></p>"
        "<p>Seluruh isi tulisan ini menjadi tanggung jawab penulis dan tidak mewakili "
        "pandangan redaksi.</p>"
    )
    article = extract(_news("", middle + note), "https://esai.example.id/terminal/kereta/")
    assert article.paragraphs == tuple(STORY)


def _components(byline: str) -> str:
    blocks = "".join(
        f'<div data-component="text-block" class="sc-9f2e1a-0"><p>{p}</p></div>' for p in ENGLISH
    )
    return (
        "<html><head><title>The new tap - Shire News</title>"
        "<meta property='og:site_name' content='Shire News'><script type='application/ld+json'>"
        '{"@type":"NewsArticle","headline":"The new tap","author":[{"@type":'
        '"NewsMediaOrganization","name":"Shire News"}]}</script></head><body><main><article>'
        f'<header class="sc-1b7c2d-0"><h1 class="sc-1b7c2d-1">The new tap</h1></header>{byline}'
        f"{blocks}</article></main></body></html>"
    )


def test_a_component_named_byline_block_under_hashed_classes_is_the_byline() -> None:
    byline = (
        '<div data-component="byline-block" class="sc-4e5f6a-0"><time datetime="2024-04-22">'
        '22 April 2024</time><div class="sc-4e5f6a-1"><span class="sc-4e5f6a-2">Harriet Lowe'
        '</span><span class="sc-4e5f6a-3">Shire News, Elmcote</span></div></div>'
    )
    article = extract(_components(byline), "https://news.example.co.uk/articles/c4x7y2")
    assert article.paragraphs == tuple(ENGLISH)
    assert article.authors == ("Harriet Lowe",)


def _signed(after: str) -> str:
    return story_page(TITLE, after, outer="div id='main'", body_class="artikel")


def test_a_writer_signing_off_in_capitals_is_the_author_of_an_unbylined_page() -> None:
    related = "<p><strong>Baca juga:</strong><br><a href='/a'>Solar Langka</a></p>"
    after = f"<p>ARIS ANDRIANTO</p>{related}"
    article = extract(_signed(after), "http://www.example.co/read/news/2014/10/14/1/solar")
    assert article.authors == ("Aris Andrianto",)
    assert article.paragraphs == tuple(STORY)


def test_a_box_header_in_capitals_after_the_story_names_nobody() -> None:
    after = "<p>BERITA TERKAIT</p><ul><li><a href='/a'>Solar Langka di Cilacap</a></li></ul>"
    article = extract(_signed(after), "http://www.example.co/read/news/2014/10/14/1/solar")
    assert article.authors == ()
