"""Mechanisms behind the misses of the unsealed session-10 hold-out (tuned_s10b): a
follow prompt naming a messaging channel or a hub page, the writers' cards under a story
classed "authors", a blog's like button, and a template's summary above a dateline."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.clutter import is_dateline
from tests.extract.extract_support import STORY, story_page

TITLE = "Pasar Darurat Dibuka di Halaman Masjid"
URL = "https://berita.example.id/2024/05/11/pasar-darurat"


def _page(after: str, before: str = "", story: tuple[str, ...] = tuple(STORY)) -> str:
    return story_page(TITLE, after, before=before, story=story)


def test_a_prompt_to_follow_the_outlet_on_a_messaging_channel_goes() -> None:
    prompt = "<p>Ikuti saluran Harian Pesisir di WhatsApp untuk mendapatkan kabar setiap pagi.</p>"
    article = extract(_page(prompt), URL)
    assert article.paragraphs == tuple(STORY)


def test_a_prompt_to_follow_coverage_at_a_hub_page_goes() -> None:
    prompt = (
        "<p><em>Follow the coverage of the floods at https://news.example.com/hub/floods.</em></p>"
    )
    article = extract(_page(prompt), URL)
    assert article.paragraphs == tuple(STORY)


def test_the_writers_cards_classed_authors_go() -> None:
    card = (
        "<div class='Page-authors-bio'><b>RINA KUSUMA</b>"
        "<p>Kusuma covers the north coast and its ports.</p></div>"
    )
    article = extract(_page(card), URL)
    assert article.paragraphs == tuple(STORY)


def test_a_blogs_like_button_goes() -> None:
    like = (
        "<div class='sharedaddy sd-block sd-like'><h3>Like this:</h3><p>Like Loading...</p></div>"
    )
    article = extract(_page(like), URL)
    assert article.paragraphs == tuple(STORY)


SUMMARY = "Ratusan pedagang memilih bertahan di lapak darurat. Sewa kios baru terus naik."


def test_a_summary_block_over_the_datelined_lead_is_the_templates_dek() -> None:
    lead = "pasarkita.id - " + STORY[0].split(" - ", 1)[1]
    summary = f"<p class='Summary-pasarkita'>{SUMMARY}</p>"
    article = extract(_page("", before=summary, story=(lead, *STORY[1:])), URL)
    assert article.paragraphs == (lead, *STORY[1:])


def test_a_summary_block_over_an_undated_lead_stays() -> None:
    summary = f"<p class='Summary-pasarkita'>{SUMMARY}</p>"
    article = extract(_page("", before=summary, story=tuple(STORY[1:])), URL)
    assert article.paragraphs == (SUMMARY, *STORY[1:])


def test_a_short_unclassed_paragraph_over_the_datelined_lead_stays() -> None:
    story = (SUMMARY, *STORY)
    article = extract(_page("", story=story), URL)
    assert article.paragraphs == story


def test_a_sites_name_in_lower_case_opens_a_dateline() -> None:
    assert is_dateline("pasarkita.id - Ratusan pedagang bertahan di lapak darurat.")
    assert is_dateline("jatim.pasarkita.com, SIDOARJO - Ratusan pedagang bertahan.")
    assert not is_dateline("pasarkita.id mencatat ratusan pedagang - sebagian besar bertahan.")


def test_a_name_in_brackets_beside_a_desk_code_signs_the_story_off() -> None:
    credit = "<p>(Nugraha Wicaksono/SM12)</p>"
    article = extract(_page(credit), URL)
    assert article.authors == ("Nugraha Wicaksono",)
    assert article.paragraphs == tuple(STORY)


def test_an_agency_photo_credit_in_brackets_names_no_writer() -> None:
    article = extract(_page("<p>(ANTARA FOTO/Ahmad)</p>"), URL)
    assert article.authors == ()
