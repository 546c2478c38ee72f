"""Writers as the session-8 hold-out printed them: listed one per element under a label
(no joiner between the names), and behind an agency the metadata names instead; the
wire agencies are read from data (bylines.toml)."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.bylines import AGENCIES, byline_names, only_agencies, printed_credits
from tests.extract.extract_support import STORY


def test_writers_listed_one_per_element_between_labels_are_all_writers() -> None:
    writers, editors = printed_credits("Reporter\nIrsyan Hasyim\nAnanda Ridho\nEditor\nDwi Arjanto")
    assert writers == ("Irsyan Hasyim", "Ananda Ridho")
    assert editors == ("Dwi Arjanto",)


def test_a_name_run_no_label_closes_is_not_a_list_of_writers() -> None:
    """After the writer, a capitalised heading or a date ends the credit."""
    text = "Penulis\nIrsyan Hasyim\nBerita Terkait\nHarga Tiket Naik\nKamis, 29 September 2022"
    assert printed_credits(text)[0] == ("Irsyan Hasyim",)


def test_the_site_after_a_bar_is_not_a_second_writer() -> None:
    writers, _ = printed_credits("Penulis: \nDewi Anggraini\n | Tribun Solo\nEditor: \nPutradi")
    assert writers == ("Dewi Anggraini",)


def test_a_byline_linking_each_writer_names_them_all() -> None:
    text = "By\nSteve Karnowski\nand\nTrisha Ahmed\n, Associated Press\nPublished: Jun. 14, 2023"
    assert byline_names(text, ("By",)) == ("Steve Karnowski", "Trisha Ahmed")


def test_the_agencies_are_data_and_only_agencies_says_so() -> None:
    assert {"reuters", "the associated press", "antara"} <= AGENCIES
    assert only_agencies(["The Associated Press"])
    assert not only_agencies(["The Associated Press", "Trisha Ahmed"])
    assert not only_agencies([])


def _wire_page(meta_author: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Wildfire smoke pushes air quality alerts across the region</title>"
        f'<meta name="author" content="{meta_author}"></head><body><article>'
        "<h1>Wildfire smoke pushes air quality alerts across the region</h1>"
        '<div class="byline">By <a href="/p/a">Steve Karnowski</a> and <a href="/p/b">Trisha '
        "Ahmed</a>, Associated Press</div>"
        f"<div class='story-body'>{body}</div></article></body></html>"
    ).encode()


def test_an_agency_in_the_metadata_gives_way_to_the_printed_writers() -> None:
    article = extract(_wire_page("The Associated Press"), "https://tv.example.com/a")
    assert article.authors == ("Steve Karnowski", "Trisha Ahmed")


def test_a_person_in_the_metadata_stays_the_author() -> None:
    article = extract(_wire_page("Steve Karnowski"), "https://tv.example.com/a")
    assert article.authors[0] == "Steve Karnowski"


def test_a_credit_inside_a_closing_sentence_names_the_writer() -> None:
    """detik's interns: "Artikel ini ditulis oleh Nama peserta ..." under a desk byline."""
    body = "".join(f"<p>{p}</p>" for p in STORY)
    credit = (
        "Artikel ini ditulis oleh Ni Made Dewi Lestari peserta Program Magang Bersertifikat "
        "Kampus Merdeka di detikcom."
    )
    html = (
        '<html><head><title>Subak Jatiluwih</title><meta name="author" content="Tim detikBali">'
        '<meta property="og:site_name" content="detikbali"></head><body><article>'
        f"<h1>Subak Jatiluwih</h1><div class='detail__body-text'>{body}<p><em>{credit}</em>"
        "</p></div></article></body></html>"
    )
    article = extract(html, "https://www.detik.com/bali/berita/d-1/subak")
    assert article.authors == ("Ni Made Dewi Lestari",)
    assert article.paragraphs == tuple(STORY)


def test_a_byline_label_alone_on_its_line_takes_the_name_under_it() -> None:
    text = "Posted by\nGraham Whitfield\nat\n10:15 AM\nNo comments:"
    assert byline_names(text, ("Posted by",)) == ("Graham Whitfield",)
    assert byline_names("Posted by\non a quiet morning", ("Posted by",)) == ()


def test_a_blog_name_in_h1_before_the_post_title_is_not_the_headline() -> None:
    """Blogger's "Blog Name: Post Title" <title>, the blog's name in <h1>, the post's
    title as og:title: the post's title is the headline."""
    body = "".join(f"<p>{p}</p>" for p in STORY)
    html = (
        "<html><head><title>Birding Notes from the Marsh: First osprey of the season</title>"
        '<meta property="og:title" content="First osprey of the season"></head><body>'
        "<h1>Birding Notes from the Marsh</h1><h3>First osprey of the season</h3>"
        f"<div class='post-body'>{body}</div></body></html>"
    )
    assert extract(html, "https://marsh.example.com/2024/04/osprey.html").title == (
        "First osprey of the season"
    )
