"""Body mechanisms behind the session-8 hold-out misses: a photo page whose captions tell
the story, a story paragraph whose class carries a clutter modifier ("__footer"), a
subtitle over a reading-time stamp, an advertisement label run into its prompt."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_class, is_clutter_line, story_paragraph_class
from tests.extract.extract_support import STORY

CAPTIONS = [
    "Petambak mengumpulkan garam di lahan tambak Desa Tasikagung, Rembang, Jawa Tengah, pada "
    "Senin pagi. Kemarau panjang membuat panen tahun ini melimpah.",
    "Dalam sepekan, satu petak tambak seluas seperempat hektare bisa menghasilkan sekitar "
    "dua ton garam krosok.",
    "Harga garam di tingkat petambak berkisar Rp 800 hingga Rp 1.000 per kilogram, turun "
    "dibanding tahun lalu karena pasokan berlimpah.",
    "Garam hasil panen diangkut ke gudang penampungan sebelum dijual ke pabrik pengolahan di "
    "Pati dan Surabaya.",
]


def _gallery(captions: list[str]) -> bytes:
    slides = "".join(
        f'<div class="slide__item"><img src="/{i}.jpg"><div class="slide__counter">{i + 1} / '
        f'{len(captions)}</div><div class="media-caption"><p>{text}</p>'
        f'<span class="media-credit">Agung Pambudhy/detikcom</span></div></div>'
        for i, text in enumerate(captions)
    )
    return (
        '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Panen Garam</title>'
        '</head><body><article><h1>Menengok Panen Garam di Pesisir Rembang</h1>'
        f'<div class="gallery">{slides}</div></article></body></html>'
    ).encode()


def test_a_photo_page_whose_captions_tell_the_story_has_them_as_its_body() -> None:
    article = extract(_gallery(CAPTIONS), "https://foto.example.com/garam")
    assert article.paragraphs == tuple(CAPTIONS)
    assert article.extractor == "captions"


def test_a_story_page_keeps_dropping_its_captions() -> None:
    """The caption reading is for pages with no body otherwise: a story's picture caption
    still goes."""
    body = "".join(f"<p>{p}</p>" for p in STORY)
    html = (
        "<html><head><title>Banjir</title></head><body><article><h1>Banjir</h1>"
        '<div class="photo__caption">Warga mengungsi di posko banjir. KOMPAS.com/NAMA</div>'
        f"<div class='read__content'>{body}</div></article></body></html>"
    )
    article = extract(html, "https://regional.example.com/banjir")
    assert article.paragraphs == tuple(STORY)


def test_a_paragraph_class_with_a_clutter_modifier_is_story_text() -> None:
    assert story_paragraph_class("zn-body__paragraph zn-body__footer")
    assert not story_paragraph_class("paragraph paragraph--type--newsletter")
    assert not story_paragraph_class("footer__info-paragraph")
    assert not story_paragraph_class("article__footer")


def test_the_closing_line_in_a_footer_modified_paragraph_is_kept() -> None:
    body = "".join(f'<div class="zn-body__paragraph">{p}</div>' for p in STORY)
    closing = "Renee Dubois reported from Houston."
    html = (
        "<html><head><title>Heat</title></head><body><main><h1>Heat wave</h1>"
        f'<div class="article__content">{body}'
        f'<div class="zn-body__paragraph zn-body__footer"><em>{closing}</em></div></div>'
        '<div class="article__footer"><a href="/t/heat">heat</a></div></main></body></html>'
    )
    assert extract(html, "https://news.example.com/heat").paragraphs[-1] == closing


def test_reading_time_stamps_are_clutter() -> None:
    assert is_clutter_line("6 min read·Jun 18, 2024")
    assert is_clutter_line("waktu baca 3 menit")
    assert not is_clutter_line("Petugas menunggu 5 menit sebelum membaca laporan itu.")


def test_an_advertisement_label_run_into_its_prompt_is_clutter() -> None:
    assert is_clutter_line("ADVERTISEMENTSCROLL TO CONTINUE WITH CONTENT")


def test_a_subtitle_over_a_reading_time_stamp_is_header_not_story() -> None:
    body = "".join(f"<p>{p}</p>" for p in STORY)
    html = (
        "<html><head><title>Builds</title></head><body><article><section>"
        "<h1>What I Learned Moving Our Builds</h1>"
        "<h2>Three months, two outages and one very slow Tuesday</h2>"
        f"<p>6 min read · Jun 18, 2024</p>{body}</section></article></body></html>"
    )
    assert extract(html, "https://blog.example.com/builds").paragraphs == tuple(STORY)


def test_a_story_opening_on_a_subheading_keeps_it() -> None:
    """Only a stamp under it makes an opening subheading the header's subtitle."""
    body = "".join(f"<p>{p}</p>" for p in STORY[1:])
    html = (
        "<html><head><title>Banjir</title></head><body><article><h1>Banjir</h1>"
        f"<div class='read__content'><h2>Posko Pengungsian</h2>{body}</div></article>"
        "</body></html>"
    )
    paragraphs = extract(html, "https://regional.example.com/banjir").paragraphs
    assert paragraphs == ("Posko Pengungsian", *STORY[1:])


def test_month_first_date_stamps_are_clutter_but_not_a_post_attribution() -> None:
    assert is_clutter_line("Oct 11, 2023")
    assert is_clutter_line("Updated Sept. 4, 2024 at 5:10 p.m.")
    assert not is_clutter_line("The council voted on Oct 11, 2023 to approve the plan.")
    # an embedded post's attribution is story text in the development corpus's gold
    assert not is_clutter_line("— Digital Foundry (@digitalfoundry) November 18, 2019")


def test_a_quoted_paragraph_loses_only_its_closing_site_credit() -> None:
    quote = (
        '"Akibat kejadian ini, 12 penumpang mengalami luka ringan dan sudah dibawa ke rumah '
        'sakit terdekat. Tidak ada korban jiwa," kata Agus.'
    )
    body = "".join(f"<p>{p}</p>" for p in STORY[1:])
    html = (
        "<html><head><title>Bus</title></head><body><article><h1>Bus</h1>"
        f"<div class='txt-article'>{body}<p>{quote} (Tribunnews.com/Rina Ayu)</p></div>"
        "</article></body></html>"
    )
    assert extract(html, "https://news.example.com/bus").paragraphs[-1] == quote


def test_tip_prompts_and_dek_classes_are_clutter() -> None:
    assert is_clutter_line(
        "Do you have a story to share about your workweek? Contact this reporter at a@b.com."
    )
    assert is_clutter_line("Contact this reporter at amoreno@example.com.")
    assert is_clutter_class("c-entry-summary p-dek")
    assert is_clutter_class("content__standfirst")
    assert not is_clutter_class("pf_subheadline")
