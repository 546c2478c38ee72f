"""Mechanisms behind the misses of tuned_s16e (English pages measured once on 9afe9f4): a
gallery page whose captioned pictures stand side by side in a plain block under a short
description, a subtitle set as a plain paragraph over the byline's date stamp, an
obituary's label, service panel and guest book, a release's contact block, a podcast
player, and the lines of broadcasters, galleries and obituaries (a transcript note, a
copyright notice run on into terms, a programme line, a photo count, a reprint offer, a
memorial store prompt, a podcast prompt); and of late_s16eb (measured once on ac602f1): a
heading left closing the body, a reference list, a journal's DOI line, a review site's
trust note, a hiring callout and a syndicated copy's note."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_line
from tests.extract.english_support import HEAD, STORY, URL, story_with
from tests.extract.english_support import kept as _kept


def _page(inside: str, after: str = "", top: str = "") -> str:
    body = story_with(inside)
    return (
        f"{HEAD}<article><h1>Gull Island ferry to stop weekday runs</h1>{top}"
        f"<div class='story-body'>{body}</div>{after}</article></body></html>"
    )


CAPTIONS = [
    "Crews lift the old landing stage off its piles at Gull Island on Monday morning.",
    "The new stage, built at the harbour yard, waits on a barge for the tide to turn.",
    "Islanders watch from the sea wall as the barge is winched towards the slipway.",
    "A diver checks the fixings under the stage once it is in place at low water.",
]

DESCRIPTION = (
    "The island's landing stage, worn out after forty winters, was replaced over two tides "
    "this week by a crew from the harbour yard."
)


def _gallery_page() -> str:
    pictures = "".join(
        f"<figure class='gallery-item'><img src='/{n}.jpg'><figcaption>"
        f"<span class='gallery-count'>{n} of 4</span><p class='gallery-caption'>{text}</p>"
        f"<span class='gallery-credit'>Ada Finch / Coast Gazette</span></figcaption></figure>"
        for n, text in enumerate(CAPTIONS, 1)
    )
    return (
        f"{HEAD}<main><div class='gallery-page'><h1>Photos: a new landing stage for Gull"
        f" Island</h1><div class='gallery-description'><p>{DESCRIPTION}</p></div>"
        "<span>4 Photos</span>"
        f"<div class='gallery-items'>{pictures}</div></div></main></body></html>"
    )


def test_a_gallery_pages_captions_side_by_side_are_its_story() -> None:
    paragraphs = extract(_gallery_page(), URL).paragraphs
    assert paragraphs == (DESCRIPTION, *CAPTIONS)


def test_an_articles_captioned_pictures_between_paragraphs_still_go() -> None:
    pictures = "".join(
        f"<figure><img src='/{n}.jpg'><figcaption>{text}</figcaption></figure>"
        for n, text in enumerate(CAPTIONS[:2])
    )
    assert _kept(_page(pictures)) == []


def _flat_page(top: str = "", after: str = "") -> str:
    # The story's paragraphs stand in the same block as the header and the blocks under
    # them: it is all walked.
    return (
        f"{HEAD}<article><h1>Gull Island ferry to stop weekday runs</h1>{top}"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + f"{after}</article></body></html>"
    )


def test_a_subtitle_paragraph_over_the_byline_date_goes() -> None:
    top = (
        "<div class='field-subhead'><p>Weekend crossings stay as the county cuts costs</p></div>"
        "<div class='news-meta'><div>By Ada Finch</div><div>March 4, 2024</div></div>"
    )
    assert _kept(_flat_page(top)) == []


def test_an_obituarys_label_and_service_panel_go() -> None:
    top = "<p class='ObitLabel'>Edith Marlowe Obituary</p>"
    after = (
        "<section class='ObitEvents'><h2>Service Information</h2><div><h3>Visitation</h3>"
        "<p>4:00p.m. - 7:00p.m. Mar 10, 2024</p><p>Harbour Chapel, 2 Quay Street</p></div>"
        "</section>"
    )
    assert _kept(_flat_page(top, after)) == []


def test_an_obituarys_guest_book_goes() -> None:
    after = (
        "<section class='Guestbook'><div><p>She taught me to sail when I was nine years old"
        " and never once raised her voice at me.</p><p>Tom Reese</p></div></section>"
    )
    assert _kept(_flat_page(after=after)) == []


def test_a_releases_contact_block_goes() -> None:
    after = (
        "<div class='field-media-contacts'><h2>Media contacts</h2><p>Ada Finch, County"
        " Communications, 555-0130, press@county.example.gov</p></div>"
    )
    assert _kept(_flat_page(after=after)) == []


def test_a_podcast_player_in_the_story_goes() -> None:
    player = "<div class='podcast-player'><p>Listen to the Harbour Hour every Friday.</p></div>"
    assert _kept(_page(player)) == []


def test_broadcaster_gallery_and_obituary_lines_are_clutter() -> None:
    for line in (
        "Coast Radio transcripts are created on a rush deadline by a contractor. This text"
        " may not be in its final form and may be updated or revised in the future.",
        "Copyright © 2024 Coast Radio. All rights reserved. Visit our website terms of use"
        " and permissions pages at www.coastradio.example.org for further information.",
        "Heard on Morning Tide",
        "12 Photos",
        "Buy photo reprints of these images at our store.",
        "To plant trees in memory, please visit the Sympathy Store.",
        "Listen to our podcast Harbour Hour, where islanders tell their own stories.",
    ):
        assert is_clutter_line(line), line
    for line in (
        "She heard on the radio that the ferry would stop running on weekdays.",
        "The club sold 12 photos of the old pier to raise money for the lifeboat.",
        "Volunteers plant trees along the sea wall every spring.",
    ):
        assert not is_clutter_line(line), line


def test_a_heading_left_closing_the_body_goes() -> None:
    # late_s16eb (measured once on ac602f1): a product box closing the story loses its
    # short lines as sign-offs; its header heads nothing then.
    box = "<h3>Featured</h3><p>Gull Ferry pass</p><p>$40 at the quay</p>"
    assert _kept(_flat_page(after=box)) == []


def test_a_reference_list_under_the_story_goes() -> None:
    refs = "<h2>References</h2><ol><li>Marlowe, E. et al. Coast. Res. 4, 112 (2024).</li></ol>"
    assert _kept(_flat_page(after=refs)) == []


def test_journal_review_site_and_syndication_lines_are_clutter() -> None:
    for line in (
        "doi: https://doi.org/10.9999/d41586-024-00001-2",
        "Why you can trust Coast Tech: our editors test every product we write about.",
        "We're hiring! Like solving problems like this one? See our open roles.",
        "(Except for the headline, this story has not been edited by Coast Gazette staff and"
        " is published from a syndicated feed.)",
    ):
        assert is_clutter_line(line), line
    for line in (
        "Why should voters trust a council that broke its promise on the ferry?",
        "The yard said it was hiring welders for the new landing stage.",
    ):
        assert not is_clutter_line(line), line


def test_channel_and_podcast_prompts_are_clutter() -> None:
    # late_s16ec (measured once on 837ef4e): an Irish daily's closing prompts and a UK
    # broadcaster's strapline.
    for line in (
        "Find The Coast Gazette on WhatsApp and stay up to date",
        "Listen to our Inside Harbour podcast for the latest analysis and chat",
        "Keep up with all the latest news from the coast and around the world by following"
        " Coast News",
    ):
        assert is_clutter_line(line), line
    for line in (
        "Police said they found the missing boat on Tuesday near the harbour mouth.",
        "Keeping up with the latest tide tables is part of the harbour master's job.",
    ):
        assert not is_clutter_line(line), line


def test_a_synopsis_or_chapo_block_over_the_story_goes() -> None:
    # late_s16ed (measured once on 7994cab): a dek classed by other names.
    for cls in ("article__synopsis", "t-content__chapo"):
        top = f"<div class='{cls}'><p>The county says weekend crossings will stay.</p></div>"
        assert _kept(_flat_page(top)) == [], cls


def test_a_copyright_and_reproduction_notice_without_the_sign_is_clutter() -> None:
    assert is_clutter_line(
        "Copyright COAST GAZETTE. All rights reserved. This material, and other digital"
        " content on this website, may not be reproduced, published, broadcast, rewritten or"
        " redistributed in whole or in part without prior express written permission."
    )
    assert not is_clutter_line(
        "The family said the copyright in the songs, with all rights reserved to them, would"
        " stay with the estate, and that no recording could be reused without their consent."
    )


def test_a_key_points_list_in_the_story_block_goes() -> None:
    # late_s16ee (measured once on 23468b0): a summary list inside the story's block.
    points = (
        "<div class='RenderKeyPoints-keyPoints'><h2>Key Points</h2><ul><li>Weekday ferries"
        " stop in March.</li><li>Weekend fares stay the same.</li></ul></div>"
    )
    assert _kept(_page(points)) == []


def test_investing_pitch_and_dashed_credit_lines_are_clutter() -> None:
    for line in (
        "Should you invest $1,000 in Gull Ferries right now?",
        "Before you buy stock in Gull Ferries, consider this: our analysts just named the ten"
        " best stocks to buy now, and Gull Ferries wasn't one of them.",
        "--Editing by Rosalind Wexler.",
        "— Additional reporting by Ada Finch",
    ):
        assert is_clutter_line(line), line
    for line in ("Should you buy a heat pump?", "Should you invest in a bigger boat?"):
        assert not is_clutter_line(line), line


def test_a_contribution_ask_in_the_story_block_goes() -> None:
    # late_s16ef (measured once on 603c7e9): a metered ask inside an explainer's block.
    ask = (
        "<div class='c-contribution-ask'><h3>You've read 1 article in the last month</h3>"
        "<p>Here at Coast Gazette, we believe everyone deserves to know what happens on the"
        " water. Will you make a gift today?</p><a href='/support'>Yes, I'll give</a></div>"
    )
    assert _kept(_page(ask)) == []


def test_an_update_stamp_and_a_metered_counter_are_clutter() -> None:
    for line in (
        "— Updated at 5:02 p.m.",
        "Updated 9:30 a.m. ET",
        "You've read 3 articles this month",
    ):
        assert is_clutter_line(line), line
    assert not is_clutter_line(
        "Updated at 5:02 p.m., the county said the weekday crossings would stop in March."
    )
