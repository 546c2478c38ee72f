"""Mechanisms behind the misses of late_s15 (measured once on f1f20e4): a React
template's component named only by its ``data-testid`` (hashed classes), promotional
lines of English outlets (an app named between "Download the" and "app", a newsletter
prompt closing a paragraph, "Get Current Updates on ...", a tip call opening on a short
exclamation), an older portal's note that the story can be read in its app, a match
report's line-ups and live-text panels under the story and its player-rating poll, a
bare "By X" byline whose next line (the desk) is no part of the name, a contact line
under the label that introduces it, and a company's name as a press release's author."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.bylines import authors_in_text, normalize_authors
from kabar.extract.clutter import is_clutter_line, vocabulary

STORY = [
    "The harbour board voted on Monday to close the old slipway after engineers found "
    "that two of its timber piles had rotted through below the waterline.",
    "Boat owners who used the slipway for repairs will be able to use the marina's lift "
    "at the same price until a new ramp is built, the board said.",
    "“It served the town for ninety years, and nobody wanted to be the one to shut it,” "
    "said the board's chair. “But we could not keep sending people down it.”",
    "A public meeting on the design of the new ramp is planned for the first week of May.",
]
URL = "https://www.harbourtimes.example.com/news/old-slipway-to-close/"


def _page(inside: str, after: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in STORY[:2]) + inside
    body += "".join(f"<p>{p}</p>" for p in STORY[2:]) + after
    return (
        "<html><head><title>Old slipway to close</title></head><body><article>"
        "<h1>Old slipway to close after piles found rotten</h1>"
        f"<div class='x1Qa'>{body}</div></article></body></html>"
    )


def _kept(html: str) -> list[str]:
    return [p for p in extract(html, URL).paragraphs if p not in STORY]


def test_a_block_named_by_its_test_id_is_read_like_a_class() -> None:
    teaser = (
        "<div class='_2kQz' data-testid='related-teaser'><span>More on this</span>"
        "<a href='/a'><h3>Marina lift gets new cradle</h3></a></div>"
    )
    assert _kept(_page(teaser)) == []


def test_english_promotional_lines_are_clutter() -> None:
    for line in (
        "Download the Harbour Times app for breaking news alerts on your phone.",
        "Wake up to the morning's top stories and analysis. Sign up for our Daybreak newsletter.",
        "Get Latest Updates on Harbour News and Top Headlines from around the world.",
        "We want your photos! Do you have a story for our news team? Email us today.",
    ):
        assert is_clutter_line(line), line
    # a story sentence about an app or a newsletter stays
    assert not is_clutter_line(
        "The council said residents could download the parking app from next week."
    )
    assert not is_clutter_line("She said she would sign up for the newsletter herself.")


def test_a_note_that_the_story_is_also_in_the_app_is_clutter() -> None:
    assert is_clutter_line(
        "Artikel ini juga dapat dibaca melalui aplikasi kami untuk Android dan iOS."
    )


def test_a_match_reports_panels_under_the_story_go() -> None:
    panels = (
        "<p><a href='/rate'>Rate the players here</a> - Who was the best on the pitch?</p>"
        "<h2>Line-ups</h2><p>Formation 4-4-2</p><ul><li>1 Hale</li><li>4 Brock</li></ul>"
        "<p>Live Text</p><ol><li>90+3 Full time: Harbour 2, Quayside 1.</li></ol>"
    )
    assert _kept(_page("", panels)) == []


def test_a_bare_byline_name_stays_on_its_line() -> None:
    found = authors_in_text("By Ellen Tarrant\nHarbour Sport\nLast updated on 2 May")
    assert normalize_authors(found) == ("Ellen Tarrant",)


def test_a_contact_line_under_its_label_stays() -> None:
    contact = "<p><b>Press contact:</b><br>Ruth Amos, 555-0172</p>"
    paragraphs = extract(_page("", contact), URL).paragraphs
    assert paragraphs[-1] == "Ruth Amos, 555-0172"


def test_a_companys_name_is_no_writer() -> None:
    assert normalize_authors(["Quayside Holdings"]) == ()
    assert normalize_authors(["Brightwater Labs"]) == ()


def test_a_portals_vocabulary_shares_the_shared_compiled_patterns() -> None:
    # A portal's rules add a few line patterns: compiling the whole vocabulary again for
    # each portal was most of a process's first extraction pass.
    base = vocabulary()
    portal = vocabulary(("pilihan redaksi hari ini\\b.*",), ("tanggapan pembaca",))
    assert portal.line_re is base.line_re and portal.gated is base.gated
    assert is_clutter_line("Pilihan redaksi hari ini: lima kabar", portal)
    assert not is_clutter_line("Pilihan redaksi hari ini: lima kabar", base)
    assert portal.end_re.fullmatch("tanggapan pembaca") and not base.end_re.fullmatch(
        "tanggapan pembaca"
    )


def test_an_english_reading_prompt_between_blocks_is_clutter() -> None:
    # late_s15b (measured once on 4e863cc): a chain paper's prompt under an ad slot.
    for line in ("Story continues below", "Story continues below advertisement"):
        assert is_clutter_line(line), line
    assert not is_clutter_line("The story continues below the dam, where the river widens.")
