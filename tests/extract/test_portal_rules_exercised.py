"""Each portal fixture exercises its own rule: every clutter selector of the rule matches
a block inside the rule's body container, every line pattern matches a line left in that
container, and extracting the fixture with the rule gives exactly the expected text with
none of that clutter in it."""

from __future__ import annotations

import re

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from kabar.extract import extract
from kabar.extract.body import rule_container
from kabar.extract.rules import PortalRules, all_rules
from tests.extract.extract_support import PORTAL_FIXTURES

RULES = all_rules()
#: Clutter that the portal's template prints outside the body container, as (portal,
#: selector): the selector only acts when the body selector fails and the whole page is
#: cleaned, so the fixture shows it where the real page has it.
OUTSIDE_BODY: dict[tuple[str, str], str] = {
    ("kompas.com", ".kcm-read-top .photo"): "the 2015 template's lead photo sits above the body",
}
#: Portals whose fixture the extractor cannot yet read exactly: name -> reason.
KNOWN_FAILURES: dict[str, str] = {}
#: Clutter wording that must never reach the extracted text of any fixture.
CLUTTER_WORDS = re.compile(
    r"baca juga|baca pula|simak juga|lihat juga|berita terkait|artikel terkait|rekomendasi|"
    r"terpopuler|video pilihan|advertisement|scroll to continue|google news|"
    r"(penulis|editor|redaktur|reporter|pewarta|sumber|halaman)\s*:|\((foto|sumber|dok)\b|"
    r"foto\s*:|copyright|©|dapatkan (berita|update)|\[gambas|yang lalu",
    re.I,
)
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "div", "dl", "dd", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav",
    "ol", "p", "section", "table", "tr", "ul",
})  # fmt: skip


def _stem(rules: PortalRules) -> str:
    return rules.name.replace(".", "_")


def _case(rules: PortalRules) -> object:
    reason = KNOWN_FAILURES.get(rules.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(rules, id=rules.name, marks=marks)


def _tree(rules: PortalRules) -> LexborHTMLParser:
    return LexborHTMLParser((PORTAL_FIXTURES / f"{_stem(rules)}.html").read_text("utf-8"))


def _expected(rules: PortalRules) -> list[str]:
    return (PORTAL_FIXTURES / f"{_stem(rules)}.txt").read_text("utf-8").splitlines()


def _lines(node: LexborNode) -> list[str]:
    """The node's text cut into lines at block elements and ``<br>``, whitespace-collapsed."""
    lines: list[str] = []
    parts: list[str] = []

    def flush() -> None:
        text = " ".join("".join(parts).split())
        if text:
            lines.append(text)
        parts.clear()

    def walk(current: LexborNode) -> None:
        for child in current.iter(include_text=True):
            if child.tag == "-text":
                parts.append(child.text_content or "")
            elif child.tag in ("br", "hr"):
                flush()
            elif child.tag not in ("script", "style", "noscript", "template"):
                block = child.tag in _BLOCKS
                if block:
                    flush()
                walk(child)
                if block:
                    flush()

    walk(node)
    flush()
    return lines


def _selector_matches(nodes: list[LexborNode], selector: str) -> list[LexborNode]:
    return [match for node in nodes for match in node.css(selector)]


@pytest.mark.parametrize("rules", RULES, ids=lambda r: r.name)
def test_every_clutter_selector_matches_in_the_body(rules: PortalRules) -> None:
    tree = _tree(rules)
    body = rule_container(tree, rules.body)
    assert body, f"no body selector of {rules.name} matches its fixture"
    for selector in rules.clutter_selectors:
        if (rules.name, selector) in OUTSIDE_BODY:
            assert tree.css(selector), f"{selector!r} matches nothing in the page"
        else:
            assert _selector_matches(body, selector), f"{selector!r} matches nothing in the body"


@pytest.mark.parametrize("rules", RULES, ids=lambda r: r.name)
def test_every_line_pattern_matches_a_body_line(rules: PortalRules) -> None:
    tree = _tree(rules)
    body = rule_container(tree, rules.body)
    # The clutter blocks go first: a line inside one never reaches the line patterns.
    for node in _selector_matches(body, ", ".join(rules.clutter_selectors)):
        if node.parent is not None:
            node.decompose()
    lines = [line for node in body for line in _lines(node)]
    for pattern in rules.line_patterns:
        compiled = re.compile(pattern, re.I)
        assert any(compiled.fullmatch(line) for line in lines), f"no body line is {pattern!r}"


@pytest.mark.parametrize("rules", [_case(r) for r in RULES])
def test_rule_extracts_the_expected_text_without_its_clutter(rules: PortalRules) -> None:
    tree = _tree(rules)
    expected = _expected(rules)
    article = extract(
        (PORTAL_FIXTURES / f"{_stem(rules)}.html").read_bytes(),
        f"https://www.{rules.hosts[0]}/berita/2024/06/12/contoh",
    )
    assert article.extractor == f"rules:{rules.name}"
    assert list(article.paragraphs) == expected
    text = "\n".join(article.paragraphs)
    folded = text.casefold()
    assert CLUTTER_WORDS.search(text) is None
    body = rule_container(tree, rules.body)
    clutter = _selector_matches(body, ", ".join(rules.clutter_selectors)) if body else []
    for node in clutter:
        for line in _lines(node):
            # A short line (a tag such as "jalan rusak") may be words of the story too.
            short = len(line.split()) < 4
            kept = line in article.paragraphs if short else line.casefold() in folded
            assert not kept, f"clutter kept: {line!r}"
    patterns = [re.compile(p, re.I) for p in rules.line_patterns]
    for line in (line for node in body for line in _lines(node)):
        if any(p.fullmatch(line) for p in patterns):
            assert line not in article.paragraphs, f"clutter line kept: {line!r}"


def test_fixtures_are_distinct_stories() -> None:
    """One template copied 25 times exercises nothing: every fixture tells its own story
    and no two pages share their layout's class names wholesale."""
    openings = [_expected(r)[0] for r in RULES]
    assert len(set(openings)) == len(openings)
    layouts = {}
    for rules in RULES:
        classes = frozenset(
            " ".join(n.attributes.get("class") or "" for n in _tree(rules).css("[class]")).split()
        )
        layouts[rules.name] = classes
    for name, classes in layouts.items():
        for other, theirs in layouts.items():
            if name < other:
                shared = len(classes & theirs) / max(1, min(len(classes), len(theirs)))
                # KLY portals (liputan6, fimela) really share their body markup: ~0.55.
                assert shared < 0.7, f"{name} and {other} share most of their class names"
