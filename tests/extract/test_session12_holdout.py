"""Mechanisms behind the misses of the session-12 tuned hold-out (tuned_s14): a magazine
template whose classes are CSS-module names ("ArticleNewsletterPromo_root__p0LJm"), so
its related-link line, its closing note and its issue box carried their clutter words
camel-cased; a Jawa Pos group paper's closing initials with a one-letter code ("(dim/c)");
an older paper signing the story off with the writer's name alone in brackets; and a
magazine's print-edition note. Then late_s14's: a dek printed as a paragraph of its own
over the story's datelined block, a code block's lines and a footnote's back arrow;
late_s14b's subscription upsell; late_s14c's writer's role after a comma; late_s14d's
syndicated copy pointing back to the original."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.bylines import normalize_authors
from kabar.extract.clutter import class_text, is_clutter_class, is_clutter_line
from tests.extract.extract_support import STORY, story_page

TITLE = "Nelayan Pesisir Selatan Menunggu Cuaca Membaik"

LAKE = [
    "The ferry to the island stopped running in October, and the families who stayed "
    "behind now cross the ice on foot once it is thick enough to hold a truck.",
    "Most of them have done it for decades. They test the ice with a long steel bar and "
    "mark the safe route with spruce branches pushed into the snow.",
    "“You learn to listen to it,” said one resident, who has made the crossing every "
    "winter since she was a girl. “It talks to you when it is getting weak.”",
    "County officials say they would like to run a hovercraft in the spring and autumn, "
    "when the ice is neither open water nor safe, but the money has not been found.",
]


def _modules_page(after: str) -> str:
    """A magazine page whose blocks carry CSS-module class names."""
    body = "".join(f"<p class='StoryParagraph_root__4mszW'>{p}</p>" for p in LAKE)
    return (
        f"<html><head><title>Crossing the Ice</title></head><body><article>"
        f"<h1 class='StoryTitle_root__VrZaG'>Crossing the Ice</h1>"
        f"<section class='StoryBody_root__2gF81'>{body}{after}</section></article></body></html>"
    )


def test_camel_cased_class_names_are_read_word_by_word() -> None:
    parted = class_text("ArticleNewsletterPromo_root__p0LJm")
    assert parted == "article-newsletter-promo_root__p0ljm"
    assert is_clutter_class("ArticleFooterNote_root__Wq7Gm")
    assert not is_clutter_class("StoryParagraph_root__4mszW")


def test_hashed_and_short_class_names_are_left_whole() -> None:
    # Parted at its capitals a hash would spell class words by chance ("kAdQx" -> "ad").
    assert class_text("kAdQx hQwTqU") == "kadqx hqwtqu"
    assert not is_clutter_class("sc-kAdQx bNavUz")
    assert class_text("xyzNav") == "xyznav"  # too short to be a name of words


def test_a_camel_cased_promo_box_and_note_in_the_story_block_go() -> None:
    after = (
        "<div class='StoryRelatedLink_root__Vg9qH'><p>Read: "
        "<a href='/a'>The island that lost its school</a></p></div>"
        "<p class='StoryFooterNote_root__Wq7Gm'><small>Published with support from a "
        "regional arts council grant for rural reporting.</small></p>"
        "<div class='StoryNewsletterPromo_root__p0LJm'><h3>Explore the winter issue</h3>"
        "<p>Check out more from this issue and find your next story.</p></div>"
    )
    assert extract(_modules_page(after), None).paragraphs == tuple(LAKE)


def test_closing_initials_may_end_on_a_one_letter_code() -> None:
    story = [*STORY[:-1], f"{STORY[-1]} (dim/c)"]
    article = extract(story_page(TITLE, story=story), None)
    assert article.paragraphs == tuple(STORY)


def test_a_writers_bracketed_name_after_the_last_sentence_goes() -> None:
    story = [*STORY[:-1], f"{STORY[-1]} (Sugeng Riyadi)"]
    article = extract(story_page(TITLE, story=story), None)
    assert article.paragraphs == tuple(STORY)


def test_a_bracketed_name_inside_the_story_stays() -> None:
    # Only the body's last line is signed off: a name in brackets earlier is story text.
    story = [f"{STORY[0]} (Sugeng Riyadi)", *STORY[1:]]
    article = extract(story_page(TITLE, story=story), None)
    assert article.paragraphs == tuple(story)


def test_a_magazines_print_edition_note_is_clutter() -> None:
    assert is_clutter_line(
        "This article appears in the March 2024 print edition with the headline "
        "“Keepers of the Light.” When you buy a book using a link on this page, we "
        "receive a commission."
    )
    assert not is_clutter_line(
        "This article appears to contradict what the council said in its print statement."
    )


# After the changes above, late_s14 (measured once on them) showed a dek printed as a loose
# paragraph over the story's block, a code block's lines run together and a footnote's
# back-reference arrow.


def _dek_page(dek: str, story: tuple[str, ...] = tuple(STORY)) -> str:
    """A feature page: headline, a short paragraph, the byline, then the story's block."""
    body = "".join(f"<p>{p}</p>" for p in story)
    return (
        f"<html><head><title>{TITLE}</title></head><body><div class='kolom'>"
        f"<h1>{TITLE}</h1><p class='pembuka'>{dek}</p>"
        "<div class='penulis-artikel'>Penulis Rina Kartika 2 Juli 2023</div>"
        f"<div class='isi'>{body}</div></div></body></html>"
    )


DEK = (
    "Ribuan warga masih bertahan di posko pengungsian. Bantuan air bersih dan obat-obatan "
    "mulai berdatangan dari kabupaten tetangga."
)


def test_a_short_paragraph_over_the_datelined_lead_is_the_dek() -> None:
    assert extract(_dek_page(DEK), None).paragraphs == tuple(STORY)


def test_a_short_paragraph_over_an_undated_lead_stays() -> None:
    # Without the dateline opening the next paragraph nothing tells a dek from a lead.
    story = (STORY[0].split(" - ", 1)[1].capitalize(), *STORY[1:])
    assert extract(_dek_page(DEK, story), None).paragraphs == (DEK, *story)


def test_a_code_blocks_lines_stay_apart() -> None:
    code = "<pre><code>retry(times=3)\nbackoff(seconds=2)\n</code></pre>"
    body = (
        "".join(f"<p>{p}</p>" for p in LAKE[:2]) + code + "".join(f"<p>{p}</p>" for p in LAKE[2:])
    )
    html = f"<html><body><article><h1>Crossing the Ice</h1>{body}</article></body></html>"
    lines = ("retry(times=3)", "backoff(seconds=2)")
    assert extract(html, None).paragraphs == (*LAKE[:2], *lines, *LAKE[2:])


def test_a_footnotes_back_arrow_goes() -> None:
    note = (
        "<section class='footnotes'><ol><li id='fn1'><p>The county counted 212 residents in "
        "the last census of the island. <a href='#fnref1'>\u21a9</a></p></li></ol></section>"
    )
    article = extract(_modules_page(note), None)
    last = "The county counted 212 residents in the last census of the island."
    assert article.paragraphs[-1] == last


# late_s14b (measured once on 4a13121): a subscription upsell inside the story's block.


def test_a_subscription_upsell_is_clutter_and_a_subscribers_story_is_not() -> None:
    assert is_clutter_line("Dapatkan ulasan pasar harian dengan berlangganan Kabar Premium.")
    assert is_clutter_line("Get every local story without ads by subscribing today.")
    assert not is_clutter_line(
        "Warga bisa mendapatkan potongan harga dengan berlangganan paket internet setahun."
    )


# late_s14c (measured once on 4f81e56): the writer's role after a comma in the byline.


def test_a_writers_role_beside_the_name_is_no_second_writer() -> None:
    assert normalize_authors(["Dina Harlow, Transport Correspondent"]) == ("Dina Harlow",)
    assert normalize_authors(["Sam Okafor", "AP Sports Writer"]) == ("Sam Okafor",)
    assert normalize_authors(["Dina Harlow, Sam Okafor"]) == ("Dina Harlow", "Sam Okafor")


# late_s14d (measured once on 1ff261b): a syndicated copy's prompt back to the original.


def test_a_prompt_to_read_the_original_article_is_clutter() -> None:
    assert is_clutter_line("Read the original article on The Harbor Gazette.")
    assert is_clutter_line("Read the full story at Valley Public Radio.")
    assert not is_clutter_line("She said she would read the original article on Monday.")
