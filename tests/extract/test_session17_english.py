"""Mechanisms behind the misses of tuned_s17e (English pages measured once on a849bd6): a
line made of a label and a linked title ("Also Read | ..."), a box of teaser cards under
a label (a linked title run on into its date and category), a match report's scoreboard
panel over the headline, a press release's dek and metadata labels between the headline
and its date stamp, a science-news aggregator's citation and copyright lines, and a
magazine's printed headline that shares few words with its declared titles; and behind
those of late_s17ec: an embedded post in a wrapper named for its platform, a wire story's
agency credit, a live-coverage prompt, an agency's boilerplate closing on a prompt to follow
it and a newsletter offer."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_line
from tests.extract.english_support import HEAD, HEADLINE, STORY, URL, story_with
from tests.extract.english_support import kept as _kept


def _page(inside: str = "", after: str = "", top: str = "") -> str:
    body = story_with(inside)
    return (
        f"{HEAD}<article>{top}<h1>{HEADLINE}</h1>"
        f"<div class='story-body'>{body}{after}</div></article></body></html>"
    )


def test_a_label_and_a_linked_title_make_no_story_line() -> None:
    for label in ("Also Read |", "MORE:", "Watch »"):
        line = f"<p><b>{label} <a href='/x'>Harbour fees to rise for yachts next year</a></b></p>"
        assert _kept(_page(line)) == [], label


def test_a_labelled_link_that_is_a_handle_or_a_sentence_stays() -> None:
    handle = "<p>Account: <a href='/x'>@gullferries</a></p>"
    assert _kept(_page(handle)) == ["Account: @gullferries"]
    sentence = "<p>Read the county's <a href='/r'>full report on ferry use</a> online.</p>"
    assert _kept(_page(sentence)) == ["Read the county's full report on ferry use online."]


def test_teaser_cards_under_a_label_go() -> None:
    cards = (
        "<h3><em>Related</em></h3>"
        "<p><a href='/a'>Water taxis to get new pier</a><span>1 October 2023</span>"
        "<span>In \"Ferries\"</span></p>"
        "<p><a href='/b'>A new quay for Gull Island</a><span>11 June 2023</span>"
        "<span>In \"Harbour\"</span></p>"
    )
    assert _kept(_page(after=cards)) == []


def test_a_scoreboard_panel_over_the_headline_goes() -> None:
    top = (
        "<div class='scoreboard'><span>Gull Rovers</span><span>2</span><span>-</span>"
        "<span>1</span><span>Harbour Town</span><p>FT</p>"
        "<p>Half Time: Gull Rovers 0 , Harbour Town 1</p>"
        "<ul><li>Marlowe (61')</li><li>Finch (86')</li><li>Reese (33')</li></ul>"
        "<p>Venue: The Quay Ground</p><p>Attendance: 2,114</p></div>"
    )
    flat = (
        f"{HEAD}<article>{top}<h1>{HEADLINE}</h1>"
        + "".join(f"<div class='text-block'><p>{p}</p></div>" for p in STORY)
        + "</article></body></html>"
    )
    assert _kept(flat) == []


def _release(story: list[str]) -> str:
    return (
        f"{HEAD}<main><span>Press release</span><h1>{HEADLINE}</h1>"
        "<p class='lead-paragraph'>Weekday crossings end in March as passenger numbers fall.</p>"
        "<dl><dt>From:</dt><dd><a href='/county'>Coast County Council</a></dd>"
        "<dt>Published</dt><dd>14 March 2024</dd></dl>"
        + "".join(f"<p>{p}</p>" for p in story)
        + "</main></body></html>"
    )


def test_a_dek_and_metadata_labels_over_the_date_stamp_go() -> None:
    assert _kept(_release(STORY)) == []


def test_a_short_story_over_its_date_stamp_stays() -> None:
    page = (
        f"{HEAD}<article><h1>{HEADLINE}</h1><p>{STORY[0]}</p><p>{STORY[3]}</p>"
        "<p>14 March 2024</p></article></body></html>"
    )
    assert extract(page, URL).paragraphs == (STORY[0], STORY[3])


def test_a_science_aggregators_citation_and_copyright_lines_are_clutter() -> None:
    for line in (
        "Citation: Moss spores revived after 1,500 years under glacier ice (2024, May 21)"
        " retrieved 23 May 2024 from https://sciencewire.example.org/news/moss.html",
        "This document is subject to copyright. Apart from any fair dealing for the purpose"
        " of private study or research, no part may be reproduced without the written"
        " permission. The content is provided for information purposes only.",
    ):
        assert is_clutter_line(line), line
    for line in (
        "The citation, retrieved from the county archive, named the ferry's first captain.",
        "This document is the county's plan for the ferry.",
    ):
        assert not is_clutter_line(line), line


def _magazine(header: str) -> str:
    return (
        "<html><head><title>The Lighthouse Keepers Who Stayed On - The Review</title>"
        "<meta property='og:title' content='The Lighthouse Keepers Who Stayed On'></head>"
        f"<body>{header}<article><header><h1 class='ArticleTitle_root'>The Last Keepers of the"
        " Light</h1></header>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</article></body></html>"
    )


def test_a_printed_headline_in_the_article_beats_the_declared_titles() -> None:
    assert extract(_magazine(""), URL).title == "The Last Keepers of the Light"


def test_a_second_h1_or_a_linked_one_leaves_the_declared_title() -> None:
    logo = "<header><h1>The Review Magazine Online</h1></header>"
    assert extract(_magazine(logo), URL).title == "The Lighthouse Keepers Who Stayed On"
    linked = _magazine("").replace("The Last Keepers of the", "<a href='/'>The Last Keepers of the")
    linked = linked.replace(" Light</h1>", " Light</a></h1>")
    assert extract(linked, URL).title == "The Lighthouse Keepers Who Stayed On"
    # A bare <h1> sharing few words may be a section name or another story's title.
    bare = _magazine("").replace(" class='ArticleTitle_root'", "")
    assert extract(bare, URL).title == "The Lighthouse Keepers Who Stayed On"


def test_a_note_set_off_by_a_dash_is_read_without_it() -> None:
    # late_s17e (measured once on 33749c5): a republished copy's note opening with a dash.
    note = "– This story was first published by Coast Radio and is republished with permission."
    assert is_clutter_line(note)
    assert not is_clutter_line("– The ferry will stop running on weekdays from March.")


def test_channel_pointers_letters_prompts_and_brief_scores_are_clutter() -> None:
    for line in (
        "For more news about the regions, visit Coast Gazette's Regions section.",
        "For the latest news, weather, sports, and streaming video, head to Coast 9.",
        "Want to respond? Submit a letter to the editor or email us at the desk.",
        "Brief scores: Gull 402 (Marlowe 124) beat Harbour 191 and 169 by an innings",
    ):
        assert is_clutter_line(line), line
    for line in (
        "For more information on the timetable, visit the county's website.",
        "The captain wrote a letter to the council about the brief scores of the crew.",
    ):
        assert not is_clutter_line(line), line


def test_a_guest_writers_line_in_italics_goes_before_a_disclaimer() -> None:
    bio = "Edith Marlowe is a retired ferry captain and a member of the harbour board."
    disclaimer = "The views expressed in this column are the author's own."
    after = f"<p><i>{bio}</i></p><p><i>{disclaimer}</i></p>"
    assert _kept(_page(after=after)) == [disclaimer]
    # Set as a plain paragraph, the same sentence is the story's.
    assert _kept(_page(after=f"<p>{bio}</p>")) == [bio]


def test_a_month_day_and_clock_stamp_is_clutter_but_a_time_alone_is_not() -> None:
    # late_s17eb (measured once on 35399f8): a header's stamp with no year.
    for line in ("April 2, 5 a.m. EDT", "Updated Mar. 3, 10:15 p.m. ET"):
        assert is_clutter_line(line), line
    for line in (
        "8:45 a.m. ET",  # a live blog entry's time, story by the scrapinghub gold
        "The ferry left on April 2 at 5 a.m. with 40 people aboard.",
    ):
        assert not is_clutter_line(line), line


def test_a_short_box_under_a_clutter_heading_goes_whatever_its_class() -> None:
    box = (
        "<div class='callout'><h3>Do You Have Information About the Ferry Service?</h3>"
        "<p>We're continuing to report. Contact Ada Finch on Signal at 555-0111.</p></div>"
    )
    assert _kept(_page(box)) == []
    section = (
        "<div class='section'><h3>What happens next</h3><p>The county board meets again in"
        " April to set the summer timetable.</p></div>"
    )
    assert _kept(_page(section)) == [
        "What happens next",
        "The county board meets again in April to set the summer timetable.",
    ]


def test_a_sites_disclaimer_about_its_readers_is_clutter_an_articles_is_not() -> None:
    assert is_clutter_line(
        "DISCLAIMER: The Views, Comments, Opinions, Contributions and Statements made by"
        " Readers and Contributors on this platform do not necessarily represent the views"
        " or policy of Coast Media Group."
    )
    assert not is_clutter_line(
        "The views expressed in this article do not necessarily reflect those of Coast Radio."
    )


def test_an_embedded_post_in_a_wrapper_named_for_its_platform_goes() -> None:
    post = (
        "<p>What a crossing this morning! #GullIsland</p>"
        "<p>— Gull Ferries (@gullferries) March 4, 2024</p>"
    )
    for wrapper in (
        "div class='embed-tweet'",
        "div class='tweet-embed'",
        "div class='embedded-instagram'",
    ):
        tag = wrapper.split()[0]
        assert _kept(_page(f"<{wrapper}>{post}</{tag}>")) == [], wrapper
    # "embed" alone names any embed (a video, a map): its class does not make it a post.
    kept = _kept(_page("<div class='embed-block'><p>The timetable runs to June.</p></div>"))
    assert kept == ["The timetable runs to June."]


def test_an_agency_credit_and_a_live_coverage_prompt_are_clutter() -> None:
    for line in (
        "(With inputs from agencies)",
        "With inputs from PTI.",
        "Catch all the live action, scores and updates from IPL 2024 on Coast Sports.",
        "Catch the latest ferry news only on Coast Radio!",
    ):
        assert is_clutter_line(line), line
    for line in (
        "With inputs from three councils, the county drew up the timetable.",
        "Islanders can catch the last ferry at six.",
    ):
        assert not is_clutter_line(line), line


def test_a_newsletter_offer_is_clutter() -> None:
    assert is_clutter_line("Get our local newsletter, delivered free each Friday")
    assert not is_clutter_line("Get the ferry timetable from the county's office.")


def test_an_agencys_boilerplate_closing_on_a_follow_prompt_goes() -> None:
    boilerplate = (
        "<p>###</p><p>The County Transport Office runs the county's ferries, buses and"
        " water taxis. Follow us on X and Facebook.</p>"
    )
    assert _kept(_page(after=boilerplate)) == []
    assert is_clutter_line("Follow us on Instagram, TikTok and YouTube.")
    assert not is_clutter_line(
        "The captain waved from the quay. Follow us on foot to the pier, she told the crowd."
    )
