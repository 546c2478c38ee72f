"""A structural signal for the outlet's prompt closing a story (issue 12): a paragraph
wholly in emphasis, after a story told in plain paragraphs, in which the outlet speaks of
itself ("our", "us", "we", "kami"), goes whatever its wording. Notes about the story
(corrections, contribution lines), questions to the reader and emphasized lines with
story after them stay."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from kabar.extract import extract
from kabar.extract.body import container_lines
from kabar.extract.clutter import Line, clean_lines, is_clutter_line, vocabulary

STORY = [
    "The orchard cooperative in Vale Hollow pressed its first cider in twenty years on "
    "Saturday, after a frost-free spring left the trees heavy with fruit.",
    "Members brought about four tonnes of apples to the old mill, which the cooperative "
    "repaired last winter with a grant from the district council.",
    "“We had almost forgotten how to run the press,” said the cooperative's treasurer, "
    "Hollis Brand, who first worked the mill as a teenager.",
    "The cider will be sold at the district market from next month.",
]
URL = "https://www.valleyledger.example.com/local/vale-hollow-cider-press/"
#: Outlet prompts in wordings the clutter vocabulary does not hold.
PROMPTS = (
    "Tell us what you think of the new mill at the letters desk of our weekend edition.",
    "Kirimkan kabar dari kampung Anda ke meja redaksi kami lewat surel.",
)


def _page(closing: str, story: list[str] = STORY) -> str:
    body = "".join(f"<p>{p}</p>" for p in story) + closing
    return (
        "<html><head><title>Vale Hollow presses cider again</title></head><body><article>"
        f"<h1>Vale Hollow presses cider again</h1><div class='story'>{body}</div>"
        "</article></body></html>"
    )


def _kept(html: str) -> list[str]:
    return [p for p in extract(html, URL).paragraphs if p not in STORY]


def test_the_prompts_are_not_in_the_vocabulary() -> None:
    # The signal, not the wording, has to catch them.
    assert not any(is_clutter_line(prompt) for prompt in PROMPTS)


def test_an_emphasized_prompt_closing_the_story_goes() -> None:
    for prompt in PROMPTS:
        for tag in ("em", "i", "strong", "b", "small"):
            assert _kept(_page(f"<p><{tag}>{prompt}</{tag}></p>")) == [], (tag, prompt)


def test_two_emphasized_prompts_closing_the_story_go() -> None:
    closing = "".join(f"<p><i>{prompt}</i></p>" for prompt in PROMPTS)
    assert _kept(_page(closing)) == []


def test_the_same_prompt_in_plain_type_stays() -> None:
    assert _kept(_page(f"<p>{PROMPTS[0]}</p>")) == [PROMPTS[0]]


def test_notes_about_the_story_and_questions_to_the_reader_stay() -> None:
    for note in (
        "Correction: An earlier version of this story gave the wrong year for the mill's repair.",
        "Ada Quill of the Valley Ledger contributed to this report.",
        "What is your favourite apple for cider? How do you store the fruit over winter?",
    ):
        assert _kept(_page(f"<p><em>{note}</em></p>")) == [note]


def test_a_prompt_with_story_after_it_stays() -> None:
    html = _page(f"<p><em>{PROMPTS[0]}</em></p><p>{STORY[0]}</p>", STORY[1:])
    assert PROMPTS[0] in extract(html, URL).paragraphs


def test_a_story_told_in_emphasis_keeps_its_closing_line() -> None:
    # Nothing is set apart where every paragraph is emphasized.
    closing = f"<p><em>{PROMPTS[0]}</em></p>"
    html = _page(closing, [f"<em>{p}</em>" for p in STORY])
    assert PROMPTS[0] in extract(html, URL).paragraphs


def test_a_partly_emphasized_paragraph_is_not_set_apart() -> None:
    node = LexborHTMLParser(f"<div><p><strong>Note:</strong> {PROMPTS[0]}</p></div>").css_first(
        "div"
    )
    assert node is not None
    (line,) = container_lines([node], vocabulary()).lines
    assert line.emphasis < 0.2
    plain = [Line(p) for p in STORY]
    assert clean_lines([*plain, line], None, vocabulary()).lines[-1] == line
