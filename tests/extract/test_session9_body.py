"""Body mechanisms behind the session-9 hold-out misses and the session-8 leftovers: a
block editor's gallery whose captions sit in nested ``<figure>``s, a dek right under the
headline inside the container (classed or not), a print-edition note, a "Reporting from"
line under the byline and a note about the writer closing the story."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_line
from tests.extract.extract_support import REPO, STORY

LAYOUTS = REPO / "tests" / "fixtures" / "recent_layouts"

ENGLISH = [
    "The waiting list at the town library used to be for new thrillers, but this summer it "
    "is for a seven-foot spinning rod, the librarian said on Tuesday.",
    "The library has lent fishing gear since 2022, when a retired teacher donated twelve rods "
    "she no longer used, and now lends tackle boxes, paddles and snowshoes too.",
    "Patrons borrow the gear for a week at a time, and a volunteer checks the lines every "
    "Monday before they go back on the rack behind the children's section.",
]
CAPTIONS = [
    "Crates of yellow chrysanthemums wait at the curb, cut the afternoon before.",
    "Roses are sold in bundles of fifty, each wrapped in newspaper in under a minute.",
    "Florists load their motorbikes until you can barely see the rider.",
]


def _page(body: str, head: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fishing rods at '
        "the library</title></head><body><main><article>"
        f"{head}<div class='entry-content'>{body}</div></article></main></body></html>"
    )


def _gallery(captions: list[str], own: str = "All photos taken with a 35mm lens.") -> str:
    items = "".join(
        f'<figure class="wp-block-image size-large"><img src="/{i}.jpg" alt="">'
        f'<figcaption class="wp-element-caption">{text}</figcaption></figure>'
        for i, text in enumerate(captions)
    )
    return (
        f'<figure class="wp-block-gallery has-nested-images">{items}'
        f'<figcaption class="blocks-gallery-caption wp-element-caption">{own}</figcaption>'
        "</figure>"
    )


def test_a_gallery_of_captioned_figures_keeps_its_captions_but_not_its_own_caption() -> None:
    body = f"<p>{ENGLISH[0]}</p>{_gallery(CAPTIONS)}<p>{ENGLISH[1]}</p><p>{ENGLISH[2]}</p>"
    article = extract(_page(body), "https://blog.example.com/2023/03/market/")
    assert article.paragraphs == (ENGLISH[0], *CAPTIONS, ENGLISH[1], ENGLISH[2])


def test_a_single_captioned_figure_is_still_a_picture() -> None:
    body = (
        f"<p>{ENGLISH[0]}</p><figure class='wp-block-image'><img src='/a.jpg'>"
        f"<figcaption class='wp-element-caption'>{CAPTIONS[0]}</figcaption></figure>"
        f"<p>{ENGLISH[1]}</p><p>{ENGLISH[2]}</p>"
    )
    article = extract(_page(body), "https://blog.example.com/2023/03/market/")
    assert article.paragraphs == tuple(ENGLISH)


def test_a_dek_under_the_headline_goes_whatever_its_class() -> None:
    """The dek stands right after the ``<h1>`` in a header block holding no other
    paragraph; its class ("c-entry-summary", a hashed "css-79rysd") names nothing."""
    for name, dek in (
        ("late_s8b/english_voxlike", "It's not just the price of power."),
        ("tuned_s9/english_nytlike", "started with a dozen donated rods"),
    ):
        html = (LAYOUTS / f"{name}.html").read_bytes()
        article = extract(html, "https://news.example.com/2024/07/09/story.html")
        assert not [p for p in article.paragraphs if dek in p], name
        assert len(article.paragraphs) >= 5


def test_a_headline_followed_by_the_story_keeps_its_first_paragraph() -> None:
    """An ``<h1>`` whose siblings are the story's paragraphs opens a plain page: the first
    paragraph is story, not a dek."""
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    html = (
        "<html><head><title>Banjir</title></head><body><div class='post'>"
        f"<h1>Masa tanggap darurat banjir diperpanjang</h1>{paragraphs}</div></body></html>"
    )
    article = extract(html, "https://regional.example.com/banjir")
    assert article.paragraphs == tuple(STORY)


def test_print_notes_and_reporting_lines_are_clutter() -> None:
    assert is_clutter_line(
        "A version of this article appears in print on July 10, 2024, Section A, Page 14 of "
        "the New York edition with the headline: Library Loans Rods."
    )
    assert not is_clutter_line("A version of this plan was rejected by the council in May.")


def test_a_reporting_line_under_the_byline_and_a_bio_after_the_story_go() -> None:
    head = (
        "<header><h1>Fishing rods at the library</h1><div><p>By Ann Lee</p>"
        "<p>Reporting from Pell Harbor, Minn.</p></div></header>"
    )
    paragraphs = "".join(f"<p>{p}</p>" for p in ENGLISH)
    bio = "<p>Ann Lee covers the Midwest for The Lakeshore Times, based in Minneapolis.</p>"
    html = (
        "<html><head><title>Fishing rods at the library</title></head><body><article>"
        f"{head}<div class='story'>{paragraphs}{bio}</div></article></body></html>"
    )
    article = extract(html, "https://news.example.com/2024/07/09/rods.html")
    assert article.paragraphs == tuple(ENGLISH)


def test_a_closing_sentence_about_a_program_is_not_a_bio() -> None:
    """The note about the writer needs a capitalized name: a story's last sentence with
    the same verbs stays."""
    last = "The new grant covers the cost of the shed for the library and its volunteers."
    paragraphs = "".join(f"<p>{p}</p>" for p in [*ENGLISH, last])
    html = (
        "<html><head><title>Rods</title></head><body><article><h1>Rods</h1>"
        f"<div class='story'>{paragraphs}</div></article></body></html>"
    )
    article = extract(html, "https://news.example.com/2024/07/09/rods.html")
    assert article.paragraphs[-1] == last


def _blog(after_picture: str) -> str:
    return (
        "<html><head><title>First osprey</title></head><body><div class='post'>"
        "<h3>First osprey</h3><div class='post-body entry-content'>"
        f"{ENGLISH[0]}<br><br>{ENGLISH[1]}<br><br>"
        '<div class="separator" style="clear: both; text-align: center;"><a href="/o.jpg">'
        f'<img src="/o-s400.jpg"></a></div>{after_picture}<br>{ENGLISH[2]}</div></div>'
        "</body></html>"
    )


def test_a_centred_small_line_after_a_picture_block_is_its_caption() -> None:
    caption = "Osprey on the north platform, 7:42 a.m."
    small = f'<span style="font-size: x-small;">{caption}</span>'
    styled = f'<div style="text-align: center;">{small}</div>'
    article = extract(_blog(styled), "https://marsh.blogspot.com/2024/04/osprey.html")
    assert article.paragraphs == tuple(ENGLISH)


def test_a_plain_line_after_a_picture_block_is_story() -> None:
    """Without a caption's style the line after a picture is the post's own text."""
    line = "Then it flew off to the east pond."
    article = extract(_blog(f"<div>{line}</div>"), "https://marsh.blogspot.com/2024/04/o.html")
    assert line in article.paragraphs


PHOTO_CAPTIONS = [
    "Nelayan menarik jaring di pantai pada pagi hari, sebelum matahari terbit di ufuk timur.",
    "Hasil tangkapan dipilah di atas perahu sebelum dibawa ke tempat pelelangan ikan.",
    "Pedagang menawar harga ikan tongkol yang baru saja diturunkan dari perahu nelayan.",
]


def test_a_photo_story_told_in_figcaptions_has_them_as_its_body() -> None:
    """A photo page whose only text is in its figures' captions, each closed by a credit
    in a classed span: the captions are the body, the credits go."""
    items = "".join(
        f'<figure class="item"><img src="/{i}.jpg"><figcaption class="caption">{text} '
        '<span class="photo-credit">Foto: Jamal/kabar</span></figcaption></figure>'
        for i, text in enumerate(PHOTO_CAPTIONS)
    )
    html = (
        "<html><head><title>Foto: Pagi di Pantai</title></head><body><article>"
        f"<h1>Foto: Pagi di Pantai</h1><div class='story-content'>{items}</div>"
        "<div class='tags'><a href='/t'>pantai</a></div></article></body></html>"
    )
    article = extract(html, "https://news.example.com/foto/pagi-di-pantai")
    assert article.paragraphs == tuple(PHOTO_CAPTIONS)
    assert article.extractor == "captions"


def test_a_lead_paragraph_over_the_block_holding_the_rest_is_no_dek() -> None:
    """Templates printing the lead paragraph right under the ``<h1>`` and the rest of the
    story in a block beside it keep the lead, datelined or not."""
    rest = "".join(f"<p>{p}</p>" for p in ENGLISH[1:])
    for lead in (ENGLISH[0], STORY[0]):
        html = (
            "<html><head><title>Rods</title></head><body><article><div class='content'>"
            f"<h1>Fishing rods at the library</h1><p class='lead'>{lead}</p>"
            f"<div class='body-rest'>{rest}</div></div></article></body></html>"
        )
        article = extract(html, "https://news.example.com/2024/07/09/rods.html")
        assert article.paragraphs[0] == lead


def test_a_reader_revenue_prompt_without_a_telling_class_is_clutter() -> None:
    assert is_clutter_line(
        "Eastside Dispatch is reader-funded. Become a member to keep local news going."
    )
    assert not is_clutter_line("The co-op is member-owned and sells flour at cost.")
