"""Mechanisms behind the misses of the session-11 tuned hold-out (tuned_s12): an editor
in the author field whose name closes the story while the byline under the headline
prints the writer, a writer printed unlabelled before the date, a desk's code in
capitals after the writer's name, and an English nonprofit's "See related:", feedback
prompt and lead picture's caption closing the story; and, after sealed_s12 was unsealed
as tuned_s12c, a box asking readers to follow the outlet's account by its handle, which
kept the desk's initials above it from closing the body."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.bylines import dated_byline, normalize_authors
from tests.extract.extract_support import STORY, page, story_page

TITLE = "Petani Kopi Mulai Panen Raya di Lereng Bukit"
URL = "https://kabar.example.id/berita/petani-kopi-mulai-panen-raya"


def _bylined(byline: str, closing: str = "", head: str = "") -> str:
    """A page whose byline sits between the headline and the story, without a label."""
    body = "".join(f"<p>{p}</p>" for p in STORY) + closing
    return (
        f"<html><head><title>{TITLE}</title>{head}</head><body><div class='wrap'>"
        f"<h1>{TITLE}</h1>{byline}<div class='isi'>{body}</div></div></body></html>"
    )


EDITOR = '<meta name="author" content="Sutrisno Budiarto">'
CLOSING = "<p><strong>Sutrisno Budiarto</strong></p>"


def test_the_bylines_writer_replaces_an_editor_in_the_author_field() -> None:
    byline = (
        "<div class='meta'><span class='lp-author'>Rahma Yuliani Putri</span> "
        "<span class='date'>Rabu, 09 Juni 2021 08:30 WIB</span></div>"
    )
    article = extract(_bylined(byline, CLOSING, EDITOR), URL)
    assert article.authors == ("Rahma Yuliani Putri",)
    assert article.paragraphs == tuple(STORY)


def test_the_author_field_stays_when_the_byline_prints_it() -> None:
    byline = (
        "<div class='meta'><span class='lp-author'>Sutrisno Budiarto</span> "
        "<span class='date'>Rabu, 09 Juni 2021 08:30 WIB</span></div>"
    )
    assert extract(_bylined(byline, "", EDITOR), URL).authors == ("Sutrisno Budiarto",)


def test_the_author_field_stays_when_the_byline_shortens_it() -> None:
    # The same writer printed shorter ("Sutrisno B."): a word shared, the field's name kept.
    byline = "<div class='meta'><span class='author'>Sutrisno B.</span></div>"
    assert extract(_bylined(byline, "", EDITOR), URL).authors == ("Sutrisno Budiarto",)


def test_the_author_field_stays_over_a_desk_in_the_byline_tag() -> None:
    # Without the page's address the desk ("kumparanBISNIS") is not known as the site's:
    # a byline that is no capitalised name replaces nothing.
    byline = "<div class='meta'><span class='author'>kumparanBISNIS</span></div>"
    article = extract(_bylined(byline, CLOSING, EDITOR), None)
    assert article.authors == ("Sutrisno Budiarto",)


def test_a_writer_printed_unlabelled_before_the_date_is_the_author() -> None:
    byline = "<div class='reg'>Hendro Wibowo &nbsp;&nbsp; Selasa, 12 Jan 2016 14:05 WIB</div>"
    assert extract(_bylined(byline), URL).authors == ("Hendro Wibowo",)


def test_a_dated_line_needs_a_name_of_two_capitalised_words() -> None:
    lines = "Judul\nJakarta Selasa, 12 Jan 2016 14:05 WIB\nberita terkini 12 Jan 2016"
    assert dated_byline(lines, ()) == ()
    assert dated_byline("Judul\nNews  12/01/2016 14:05", ()) == ()
    assert dated_byline("Judul\nAnggi Kusuma  12 Januari 2016", ()) == ("Anggi Kusuma",)


def test_a_desks_code_in_capitals_after_the_writer_is_no_writer() -> None:
    assert normalize_authors(["Amir Tejo/WBP"]) == ("Amir Tejo",)
    assert normalize_authors(["AFP"]) == ("AFP",)  # an agency alone stays the credit
    assert normalize_authors(["PTI"]) == ("PTI",)
    assert normalize_authors(["BUDI SANTOSO"]) == ("Budi Santoso",)


def test_a_credit_with_the_desks_code_under_the_story_names_the_writer() -> None:
    credit = "<div class='penulis'>Penulis: Amir Tejo/WBP<br>Sumber:Suara Pembaruan</div>"
    html = page("".join(f"<p>{p}</p>" for p in STORY) + credit, title=TITLE)
    assert extract(html, URL).authors == ("Amir Tejo",)


def test_see_related_feedback_prompts_and_the_lead_pictures_caption_go() -> None:
    story = [
        "PEKANBARU — Farmers in a swamp village push steel rods into the ground every "
        "morning to measure how deep the peat under their forest goes.",
        "The readings go into a notebook and later onto a shared map of the village.",
        "For now, the group plans to extend its survey to a neighboring village.",
    ]
    clutter = (
        "<p><strong>See related:</strong> <a href='/r'>Riau braces for peat fires</a></p>",
        "<p><em>Banner image: Farmers carry rods through a peat forest. Image by A. Writer/"
        "Example News.</em></p>",
        "<p><strong>FEEDBACK:</strong> <a href='/contact'>Use this form</a> to send a message "
        "to the author of this post.</p>",
    )
    html = story_page(
        "Villagers map the peat under their forests",
        clutter[1] + clutter[2],
        story=[story[0], story[1], story[2]],
        before="",
    ).replace(f"<p>{story[1]}</p>", clutter[0] + f"<p>{story[1]}</p>")
    article = extract(html, "https://news.example.org/2022/05/villagers-map-peat/")
    assert article.paragraphs == tuple(story)


# The second tuned batch (tuned_s12b): a "Berita Terkait:" line, a site signing the story
# off after a dash, a mood widget and an English comment box under the story.
BAY = [
    "BATANGAS, Philippines – Ferry operators added trips to the islands as the holiday "
    "travel rush began this week, port officials said on Thursday.",
    "Travelers began arriving before dawn, with some families waiting six hours for seats.",
    "The weather bureau has warned of rough seas in the coming days.",
]


def test_a_related_story_line_labelled_berita_terkait_goes() -> None:
    related = "<p>Berita Terkait: <a href='/r/1'>Jam Operasional Truk Dibatasi Jelang Natal</a></p>"
    article = extract(_page_with(related), URL)
    assert article.paragraphs == tuple(STORY)


def test_an_inline_berita_terkait_label_and_its_link_go() -> None:
    # Inside a story paragraph: the label and its link go, the sentence stays.
    related = (
        "<b>Artikel Lainnya:</b> <a href='/r/2'>Kapal Pesiar Terbesar Tahun Ini Sandar di "
        "Pelabuhan Tanjung Perak Surabaya</a>"
    )
    html = story_page(TITLE, story=STORY).replace(f"{STORY[1]}</p>", f"{STORY[1]} {related}</p>")
    assert extract(html, URL).paragraphs == tuple(STORY)


def _page_with(extra: str) -> str:
    return story_page(TITLE, "", story=STORY[:2]).replace(
        "</div></article>", extra + "".join(f"<p>{p}</p>" for p in STORY[2:]) + "</div></article>"
    )


def test_the_site_signing_the_story_off_after_a_dash_goes() -> None:
    story = [*BAY[:2], BAY[2] + " – Rappler.com"]
    article = extract(story_page("Ferry operators add trips", story=story), None)
    assert article.paragraphs == tuple(BAY)


def test_a_mood_widget_and_a_comment_box_under_the_story_go() -> None:
    after = (
        "<div class='post-single__cta'><p>How does this make you feel?</p>"
        "<div class='mood-buttons'>Happy Sad Angry</div></div>"
        "<div class='post-single__more'><h3>Add a comment</h3><p>There are no comments yet. "
        "Add your comment to start the conversation.</p></div>"
    )
    article = extract(story_page("Ferry operators add trips", after, story=BAY), None)
    assert article.paragraphs == tuple(BAY)


def test_a_channel_prompt_for_breaking_news_and_a_radio_box_go() -> None:
    # late_s12's miss: a network's long WhatsApp-channel prompt and its radio box.
    after = (
        "<div class='read__follow'><p>Simak breaking news dan berita pilihan kami langsung di "
        "ponselmu. Pilih saluran andalanmu akses berita Contoh.id WhatsApp Channel : "
        "https://whatsapp.com/channel/contoh</p></div>"
        "<div class='read__radio'><h3>Dengarkan Radio Contoh</h3></div>"
    )
    article = extract(story_page(TITLE, after), URL)
    assert article.paragraphs == tuple(STORY)


# late_s12b's misses: the writer's signature in brackets closing the last paragraph, and a
# prompt to follow the outlet's official Telegram channel.
SIGNED = (
    "Pemerintah kabupaten berharap daerah hulu ikut mengurangi sampah plastik yang terbawa "
    "aliran sungai hingga ke laut."
)


def test_a_writers_signature_closing_the_last_paragraph_is_cut_off_it() -> None:
    story = [*STORY, f"{SIGNED} (Ketut Arsana/balipost)"]
    article = extract(story_page(TITLE, story=story), URL)
    assert article.paragraphs == (*STORY, SIGNED)


def test_a_caption_paragraph_credited_outlet_first_still_goes() -> None:
    caption = (
        "Petugas membersihkan sampah kiriman di sepanjang Pantai Kuta pada Selasa pagi "
        "menjelang musim hujan. (IDN Times/Fariz Ramadhan)"
    )
    article = extract(story_page(TITLE, story=[STORY[0], caption, *STORY[1:]]), URL)
    assert caption not in article.paragraphs


def test_a_prompt_to_follow_the_official_telegram_channel_goes() -> None:
    prompt = (
        "<p>Follow Channel Telegram Official kami untuk update artikel-artikel contoh.id "
        "<a href='https://t.me/contoh'>Follow</a></p>"
    )
    assert extract(story_page(TITLE, prompt), URL).paragraphs == tuple(STORY)


# tuned_s12c's miss: under the tags and the related box, a box asks readers to follow the
# outlet's account ("Jangan lewatkan ... Follow Instagram @handle!"); kept, it also left the
# desk's initials above it inside the body instead of closing it.
HANDLE_PROMPT = (
    "Jangan lewatkan kabar terbaru seputar hiburan. Follow Instagram "
    "<a href='https://instagram.com/contohhiburan'>@contohhiburan</a>!"
)


def test_a_box_classed_as_a_follow_prompt_goes_with_the_initials_above_it() -> None:
    after = (
        "<p>(abc/dew)</p><div class='site-follow'><p>Kabar hiburan terbaru setiap hari ada "
        "di akun Instagram kami, Sobat!</p></div>"
    )
    assert extract(story_page(TITLE, after), URL).paragraphs == tuple(STORY)


def test_an_unclassed_prompt_to_follow_an_account_by_handle_goes() -> None:
    after = f"<p>(abc/dew)</p><p>{HANDLE_PROMPT}</p>"
    assert extract(story_page(TITLE, after), URL).paragraphs == tuple(STORY)


def test_a_story_sentence_naming_an_account_stays() -> None:
    # Reporting what someone posted is story text, not a prompt to follow.
    told = (
        "Ia mengumumkan kabar itu lewat Instagram @contohartis pada Selasa malam, disertai "
        "foto bersama para pemain."
    )
    assert extract(story_page(TITLE, story=[*STORY, told]), URL).paragraphs == (*STORY, told)
