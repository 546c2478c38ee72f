"""Mechanisms behind the misses of tuned_s18e (English pages measured once on 6d4c04f): a
blog platform's section headings set in ``<h1>`` between the story's paragraphs, a
newsletter sign-up box with hashed classes known by its email field, and a prompt to an
interview's recording opening on a pictograph; and behind those of late_s18e (measured
once on a039e1c): a sign-up box holding an offer and its terms around the email field, a
health explainer's "SOURCES:" list under the story; and behind those of late_s18eb
(measured once on 658ba2f): an academic-news site's closing boxes named by their headings
("Disclosure statement", "Partners", "Republish this article"); and behind those of
late_s18ec (measured once on 08a6d1f): an explainer's "Article Sources" box, a government
release's footer and its desk's initials without brackets, and a label before the date
("Posted On: ...") read as a writer; and behind those of late_s18ed (measured once on
b2a6994): a magazine's issue note, a syndicated copy's newsletter prompt naming the outlet,
a reader-revenue ask and the call over it; and behind those of late_s18ee (measured once on
c48dd7c): a travel page's booking widget, and a byline strip "By X in Town | Outlet |
Updated: ..." kept as a line and its writer unread; and behind those of late_s18ef (measured
once on d3d6e10): a date stamp run on into the writer's name, a box under a label set in
bold as a paragraph, a subtitle set in <h2> over a byline block the template drops, and an
account prompt closing a cable site's story."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from kabar.extract.body import container_lines
from kabar.extract.bylines import authors_in_text, dated_byline
from kabar.extract.clutter import is_clutter_line, vocabulary
from tests.extract.english_support import HEAD, HEADLINE, STORY, story_with
from tests.extract.english_support import kept as _kept


def _page(inside: str = "", after: str = "") -> str:
    body = story_with(inside)
    return (
        f"{HEAD}<article><h1>{HEADLINE}</h1>"
        f"<div class='sc-1k0ygeh-1 fMZLzN'>{body}{after}</div></article></body></html>"
    )


def test_an_h1_between_story_paragraphs_is_a_section_heading() -> None:
    assert _kept(_page("<h1 class='oq or gx'>2. The water taxis</h1>")) == ["2. The water taxis"]


def test_an_h1_over_the_story_or_naming_the_title_stays_a_headline() -> None:
    # Over the story it is the headline; repeated as the title under two paragraphs, it is
    # the headline printed again; over a short line, no section opens under it.
    assert _kept(_page()) == []
    assert _kept(_page(f"<h1>{HEADLINE}</h1>")) == []
    assert _kept(_page("<h1>The water taxis</h1><p>Book by phone.</p>")) == ["Book by phone."]


def test_a_short_box_holding_an_email_field_is_a_sign_up_box() -> None:
    lines = (
        "<p>Get the Harbour Brief in your mailbox every Friday morning</p>"
        "<p>Our pick of the week's island stories, chosen by the news desk.</p>"
    )
    box = f"<div class='sc-1n2k8kh-0 hEtCxB'>{lines}<form><input type='email'></form></div>"
    assert _kept(_page(box)) == []
    # The same lines without the field are read line by line (they stay).
    assert len(_kept(_page(f"<div class='sc-1n2k8kh-0 hEtCxB'>{lines}</div>"))) == 2


def test_a_prompt_opening_on_a_pictograph_is_read_without_it() -> None:
    for line in (
        "🎧 Listen to the full conversation on the Coast Radio podcast: Apple Podcasts | Spotify",
        "▶️ Watch the whole interview with the ferry's captain",
        "Listen to the full interview on Apple Podcasts",
    ):
        assert is_clutter_line(line), line
    for line in (
        "🎧 The ferry band played until midnight, the captain said.",
        "Listen to the ferry horn: it sounds twice before every crossing, islanders say.",
    ):
        assert not is_clutter_line(line), line


def test_a_sign_up_boxs_consent_line_is_clutter() -> None:
    assert is_clutter_line(
        "I would like to be emailed about offers, events and updates from Coast Gazette."
        " Read our privacy notice"
    )
    assert not is_clutter_line("I would like to see the ferry run on weekdays again, she said.")


def test_a_sign_up_box_with_its_offer_and_terms_goes_whole() -> None:
    # late_s18e: two paragraphs of offer and terms (over 300 characters) around the field.
    box = (
        "<div class='x9f2 kq1'><p><strong>Coast Gazette Daily:</strong> Join thousands of"
        " islanders who get our best stories, exclusive reporting and essential analysis of"
        " the day's news from the harbour and the island every weekday morning.</p>"
        "<form><input type='email'></form><p>By signing up, you agree to receive this"
        " newsletter, other updates about Coast Gazette and its partners' offerings, our"
        " Terms of Service and our Privacy Statement, which you can read at any time.</p></div>"
    )
    assert _kept(_page(box)) == []


def test_a_sources_list_under_the_story_goes() -> None:
    sources = (
        '<p>SOURCES:</p><p>Coast County Council: "Ferry Use Survey 2023."</p>'
        "<p>Harbour Board annual report, June 2022.</p>"
    )
    assert _kept(_page(after=sources)) == []


def test_boxes_under_an_academic_sites_closing_headings_go() -> None:
    boxes = (
        "<div class='grid-ten'><div><h3>Partners</h3><p><a href='/u'>Northmoor University</a>"
        " provides funding as a member of Coast Exchange.</p></div>"
        "<div><h3>Republish this article</h3><p>We believe in the free flow of information."
        " Republish our articles for free, online or in print.</p></div></div>"
    )
    assert _kept(_page(after=boxes)) == []
    assert is_clutter_line("Disclosure statement")
    for line in ("The partners met on Tuesday to sign the ferry contract.", "Partners in crime"):
        assert not is_clutter_line(line), line


def test_a_releases_boilerplate_and_media_contact_stay() -> None:
    # The scrapinghub gold and late_s15 keep a release's "About X" and its media contact.
    after = (
        "<p><b>About Coast Ferries</b></p><p>Founded in 1998, Coast Ferries runs six routes"
        " between the mainland and the islands of Coast County.</p>"
        "<p><b>Media Contact:</b><br>Ada Finch, press@coastferries.example.com</p>"
    )
    assert _kept(_page(after=after)) == [
        "About Coast Ferries",
        "Founded in 1998, Coast Ferries runs six routes between the mainland and the islands"
        " of Coast County.",
        "Media Contact:",
        "Ada Finch, press@coastferries.example.com",
    ]


def test_an_article_sources_box_under_the_story_goes() -> None:
    sources = (
        "<div class='mntl-article-sources'><h3>Article Sources</h3><p>Coast Gazette requires"
        " writers to use primary sources to support their work, such as government data.</p>"
        '<ol><li>Coast County Council. "Ferry Use Survey."</li>'
        '<li>Harbour Board. "Annual Report 2023."</li></ol></div>'
    )
    assert _kept(_page(after=sources)) == []


def test_a_government_releases_footer_and_bare_initials_go() -> None:
    footer = (
        "<p>*****</p><p>AKS/SK</p><p>(Release ID: 2012345) Visitor Counter : 1842</p>"
        "<p>Read this release in: Hindi , Tamil , Telugu</p>"
    )
    assert _kept(_page(after=footer)) == []
    # Initials go only as the story's closing lines, not between its paragraphs.
    assert _kept(_page("<p>AKS/SK</p>")) == ["AKS/SK"]
    assert not is_clutter_line("The release, with an ID for each pond, reached 1,842 visitors.")


def test_a_label_before_the_date_is_no_writer() -> None:
    assert dated_byline("Ministry of Ports\nPosted On: 04 APR 2024 5:12PM by PIB Delhi", ()) == ()
    assert dated_byline("Harbour\nHendro Wibowo   Selasa, 12 Jan 2016 14:05 WIB", ()) == (
        "Hendro Wibowo",
    )


def test_an_issue_note_a_named_newsletter_prompt_and_a_donation_ask_are_clutter() -> None:
    for line in (
        "This article appears in the Spring 2024 issue of Coast Quarterly. Subscribe to the"
        " print edition.",
        "Never miss a story — sign up for Coast Gazette's free daily newsletter to stay"
        " up-to-date on the best of what Coast Gazette has to offer.",
        "Your monthly donation will help our team continue reporting on the islands.",
        "Our mission is the truth. Join us!",
    ):
        assert is_clutter_line(line), line
    for line in (
        "The article appears in the court file of the case, the clerk said.",
        "The mayor said a donation from the club will help the ferry fund.",
        "He waved from the boat and shouted: come and join us!",
        "Islanders can sign up for the ferry's newsletter at the quay, the county said.",
    ):
        assert not is_clutter_line(line), line


def test_a_booking_widget_and_a_byline_strip_are_clutter() -> None:
    for line in (
        "Book a stay",
        "Find hotels in Ljubljana from €58 a night",
        "By Ada Finch in Gull Harbour | Coast Gazette | Updated: 2024-11-20 09:14",
    ):
        assert is_clutter_line(line), line
    for line in (
        "Book a table early: the inn fills up by seven on Saturdays, the owner said.",
        "By the time the ferry left, the quay was empty.",
    ):
        assert not is_clutter_line(line), line


def test_a_writer_filed_from_a_town_before_a_break_is_read() -> None:
    strip = "By Ada Finch in Gull Harbour | Coast Gazette | Updated: 2024-11-20 09:14"
    assert authors_in_text(strip) == ("Ada Finch",)
    # Without the break, "in ..." may go on as a sentence: no bare byline is read.
    assert authors_in_text("By Ada Finch in Gull Harbour the ferry ran late") == ()


def _header_page(header: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f"{HEAD}<article><header><h1>{HEADLINE}</h1>{header}</header>"
        f"<div class='entry-content'>{body}</div></article></body></html>"
    )


def test_a_date_stamp_after_the_writers_name_is_a_token_of_its_own() -> None:
    # late_s18ef: "<a>Name</a><time>Oct. 7, 2024</time>" printed apart, read apart.
    header = (
        "<p class='entry-excerpt'>Weekday crossings end as passenger numbers fall</p>"
        "<p class='entry-meta'><span><a href='/a'>Ada Finch</a></span>"
        "<time>Oct. 7, 2024 1:30 p.m.</time></p>"
    )
    assert _kept(_header_page(header)) == []
    line = "<p>The last weekday ferry ran on<time>Oct. 7, 2024</time>, the county said.</p>"
    assert "The last weekday ferry ran on Oct. 7, 2024, the county said." in _kept(_page(line))


def test_a_box_under_a_bold_label_goes_whole() -> None:
    box = (
        "<div class='x1'><p><strong>Disclosure</strong></p><p>Please note that our privacy"
        " policy and terms of use have been updated.</p><p>Coast Gazette is an award-winning"
        " outlet whose journalists abide by a strict set of editorial policies.</p></div>"
    )
    assert _kept(_page(after=box)) == []
    section = (
        "<div class='x1'><p><strong>The timetable</strong></p><p>The county board meets"
        " again in April to set the summer timetable.</p></div>"
    )
    assert _kept(_page(after=section)) == [
        "The timetable",
        "The county board meets again in April to set the summer timetable.",
    ]


def _walked(subtitle: str) -> list[str]:
    body = "".join(f"<p>{p}</p>" for p in STORY)
    html = (
        f"<article><h1>{HEADLINE}</h1><h2>{subtitle}</h2>"
        "<div class='byline'>By Ada Finch <span>Sep 3, 2024</span></div>"
        f"<div class='wrap'><div class='body'>{body}</div></div></article>"
    )
    article = LexborHTMLParser(html).css_first("article")
    assert article is not None
    return [line.text for line in container_lines([article], vocabulary()).lines]


def test_a_sentence_in_h2_under_the_headline_is_its_subtitle() -> None:
    # The article walked as the container (as late_s18ef's crypto page is): a sentence in
    # <h2> right under the <h1> is the subtitle, whatever blocks follow it.
    subtitle = "Weekday crossings end in March as passenger numbers fall."
    assert subtitle not in _walked(subtitle)
    # A few words naming a section stay a heading over the story.
    assert "What changes in March" in _walked("What changes in March")


def test_an_account_prompt_pointing_to_the_outlet_is_clutter() -> None:
    assert is_clutter_line(
        "For more Coast News news and newsletters create an account at Coast.com"
    )
    assert not is_clutter_line("For more news, the county said, islanders should create a group.")
