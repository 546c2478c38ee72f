"""Mechanisms behind the misses of tuned_s19e (English pages measured once on 951e72f): a
header's list of times under the headline (a stamp kept as a list entry, so the dek over it
stayed), a label trailing off into its list box ("Don't miss..."), a save button and a
contents box's label left alone, a heading whose id is its own anchor ("How to comment" ->
id "comment") read as a comment box, the title of a podcast box left over its dropped
prompt, a reader-revenue ask naming who pays, and an update note read as a date stamp."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_line
from tests.extract.english_support import HEAD, HEADLINE, STORY, URL, story_with
from tests.extract.english_support import kept as _kept


def _page(inside: str = "", after: str = "") -> str:
    body = story_with(inside)
    return (
        f"{HEAD}<article class='article-main'><h1>{HEADLINE}</h1>"
        f"<div class='article-body'>{body}{after}</div></article></body></html>"
    )


def test_a_headers_list_of_times_goes_with_the_dek_over_it() -> None:
    # The first time, an item of a list, is kept as a schedule's entry would be; the
    # second ("Updated ...") is dropped as a stamp: the dek and the list over it are the
    # header's, not the story's.
    header = (
        "<p>Islanders say they were given two weeks' notice of the change</p>"
        "<ul class='time-info'><li>16:02, 7 Aug 2024</li><li>Updated 16:40, 7 Aug 2024</li></ul>"
    )
    story = "".join(f"<p>{p}</p>" for p in STORY)
    html = f"{HEAD}<article><h1>{HEADLINE}</h1>{header}{story}</article></body></html>"
    assert _kept(html) == []
    # A list of dates after the story's first paragraphs is the story's (a schedule).
    schedule = "<ul><li>16:02, 7 Aug 2024</li><li>Updated 16:40, 7 Aug 2024</li></ul>"
    assert _kept(_page(schedule)) == ["16:02, 7 Aug 2024"]


def test_a_label_trailing_off_into_its_list_box_goes_with_it() -> None:
    box = (
        "<div class='x1'><p><strong>Don't miss...</strong></p><ul>"
        "<li><a href='/a'>Harbour bus station to get new cafe</a></li>"
        "<li><a href='/b'>Island man wins national pie award</a></li></ul></div>"
    )
    assert _kept(_page(after=box)) == []
    # A sentence trailing off over a list is the story's.
    listed = (
        "<p>The timetable will change again in June...</p><ul>"
        "<li><a href='/a'>Harbour bus station to get new cafe</a></li>"
        "<li><a href='/b'>Island man wins national pie award</a></li></ul>"
    )
    assert _kept(_page(after=listed)) == ["The timetable will change again in June..."]


def test_a_save_button_and_a_contents_label_are_clutter() -> None:
    for line in ("Bookmark", "Save article", "Table of Contents", "In this article:"):
        assert is_clutter_line(line), line
    for line in ("Contents of the ferry's hold were seized.", "Save the ferry, they chanted."):
        assert not is_clutter_line(line), line


def test_a_headings_own_anchor_is_no_clutter_class() -> None:
    # Ghost and WordPress give a heading an id made of its words: "comment" is the anchor
    # of "How to comment", not a comment box.
    section = "<h2 id='comment'>How to comment</h2>"
    assert _kept(_page(section)) == ["How to comment"]
    assert _kept(_page("<h2 id='heading-the-comment-period'>The comment period</h2>")) == [
        "The comment period"
    ]
    # An id naming something else still marks the block ("Comments" over the thread).
    assert _kept(_page(after="<h2 id='comments'>Join the discussion</h2>")) == []


def test_a_boxs_title_over_its_dropped_prompt_goes() -> None:
    box = (
        "<div class='embed-x'><p>The Gazette Daily</p>"
        "<p>Listen to the episode: Why the island ferry keeps losing money</p>"
        "<span>24:10</span></div>"
    )
    assert _kept(_page(box)) == []
    # A subheading over a short ad marker still heads its section.
    assert _kept(_page("<p>The water taxis</p><div>Advertisement</div>")) == ["The water taxis"]


def test_a_reader_revenue_ask_naming_who_pays_is_clutter() -> None:
    assert is_clutter_line(
        "The Coast Gazette is a one-person newsroom paid for by readers. If you find this"
        " useful, a paid subscription keeps it going."
    )
    assert not is_clutter_line("The ferry is paid for by the county and the harbour board.")


def test_an_update_note_saying_what_changed_is_story_text() -> None:
    assert not is_clutter_line(
        "Update, February 20th, 6:10PM ET: Added the company’s 2022 delivery figure."
    )
    for stamp in (
        "Updated: 2024-11-20 09:14",
        "Published: 12 March 2024 10:00",
        "Updated 16:40, 7 Aug 2024",
    ):
        assert is_clutter_line(stamp), stamp


# late_s19e (measured once on 5dd50d1): a magazine classing its story paragraphs "paywall",
# an affiliate note and a subscription offer by other words, a byline strip closing on the
# reading time, a newsletter prompt naming a newsletter with a comma, a science site's
# "Provided by" credit and "Feedback to editors" box, a funders' disclosure.


def test_paragraphs_sharing_a_clutter_worded_class_are_the_storys() -> None:
    story = "".join(f"<p class='paywall'>{p}</p>" for p in STORY[:3])
    html = (
        f"{HEAD}<article><h1>{HEADLINE}</h1><div class='body'>{story}"
        f"<h2 class='paywall'>The water taxis</h2><p class='paywall'>{STORY[3]}</p>"
        "</div></article></body></html>"
    )
    assert extract(html, URL).paragraphs == (*STORY[:3], "The water taxis", STORY[3])
    # One long paragraph under such a class beside plain ones is still a box.
    box = f"<p class='paywall'>{STORY[0]} {STORY[1]}</p>"
    assert _kept(_page(box)) == []


def test_an_affiliate_note_and_a_subscription_offer_are_clutter() -> None:
    for line in (
        "If you buy something using links in our stories, we may earn a commission. This"
        " helps support our journalism. Learn more.",
        "Get The Gazette for just $2.50 a month. Unlimited access, ad-free podcasts and more.",
    ):
        assert is_clutter_line(line), line
    for line in (
        "If you buy a ferry ticket online, the county said, you may earn a commission-free refund.",
        "Islanders get the water taxi for just $2.50 a trip, the county said.",
    ):
        assert not is_clutter_line(line), line


def test_a_byline_strip_closing_on_the_reading_time_is_clutter() -> None:
    assert is_clutter_line(
        "Darcy LindqvistPublished Mar 05, 2024 • Last updated 1 hour ago • 2 minute read"
    )


def test_a_newsletter_prompt_naming_a_newsletter_with_a_comma_is_clutter() -> None:
    assert is_clutter_line(
        "Sign up for The Brief, The Coast Gazette's daily newsletter that keeps readers up to"
        " speed on the most essential island news."
    )


def test_a_science_sites_credit_and_feedback_box_go() -> None:
    after = (
        "<p>Provided by <a href='/p/vale'>Vale University</a></p>"
        "<div><h3>Feedback to editors</h3><p>Use this form if you have come across a typo,"
        " inaccuracy or would like to send an edit request for the content on this page.</p>"
        "</div>"
    )
    assert _kept(_page(after=after)) == []
    assert not is_clutter_line("Provided by the county, the boats run twice a day.")


def test_a_funders_disclosure_closing_the_story_goes() -> None:
    note = (
        "<p><em>Disclosure: Gull Island Ferries has been a financial supporter of The Coast"
        " Gazette, a nonprofit, nonpartisan news organization that is funded in part by"
        " donations from members, foundations and corporate sponsors. Financial supporters"
        " play no role in the Gazette's journalism. Find a complete list of them here.</em></p>"
    )
    assert _kept(_page(after=note)) == []


# late_s19eb (measured once on 7442322): a blurb set in a <div> under the headline, an
# opinion page's call for readers' letters, a header's reading controls.


def test_a_text_div_under_the_headline_is_the_dek() -> None:
    wrap = f"<div class='ArticleHeading_wrapper__0q'><h1>{HEADLINE}</h1>"
    blurb = "Islanders waited up to 90 minutes at the harbour office last spring."
    header = f"{wrap}<div class='ArticleHeading_blurb__k2'>{blurb}</div></div>"
    body = "<div class='Article_body__xW3'>{}</div></article></body></html>"
    story = "".join(f"<p>{p}</p>" for p in STORY)
    assert _kept(f"{HEAD}<article>{header}{body.format(story)}") == []
    # A div holding blocks under the headline is no dek: its paragraphs are read.
    lead = f"{wrap}<div><p>{STORY[0]}</p></div></div>"
    rest = "".join(f"<p>{p}</p>" for p in STORY[1:])
    assert extract(f"{HEAD}<article>{lead}{body.format(rest)}", URL).paragraphs == tuple(STORY)


def test_a_call_for_letters_and_reading_controls_are_clutter() -> None:
    for line in (
        "The Coast Gazette welcomes letters and guest commentaries. Submit yours at"
        " coastgazette.example.com/submit.",
        "Text settings",
        "Font size",
    ):
        assert is_clutter_line(line), line
    assert not is_clutter_line("The harbour master welcomes the new ferry, she said.")
