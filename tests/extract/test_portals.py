"""Every portal rule has a fixture in its template style, and extracts it exactly."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from selectolax.lexbor import LexborHTMLParser

from kabar.extract import extract
from kabar.extract.rules import PortalRules, all_rules, rules_by_name, rules_for_url
from tests.extract.extract_support import PORTAL_FIXTURES

REQUIRED = {
    "kompas.com", "kompas.tv", "detik.com", "tribunnews.com", "cnnindonesia.com",
    "cnbcindonesia.com", "liputan6.com", "okezone.com", "sindonews.com", "tempo.co",
    "antaranews.com", "suara.com", "merdeka.com", "idntimes.com", "republika.co.id",
    "viva.co.id", "jpnn.com", "kumparan.com", "inews.id", "genpi.co", "beritanasional.com",
    "tuturpedia.com", "mediaindonesia.com", "kapanlagi.com", "fimela.com",
}  # fmt: skip
RULES = all_rules()


def _stem(rules: PortalRules) -> str:
    return rules.name.replace(".", "_")


def test_required_portals_have_rules() -> None:
    assert {r.name for r in RULES} >= REQUIRED


@pytest.mark.parametrize("rules", RULES, ids=lambda r: r.name)
def test_rule_has_fixture(rules: PortalRules) -> None:
    assert (PORTAL_FIXTURES / f"{_stem(rules)}.html").is_file(), f"no fixture for {rules.name}"
    assert (PORTAL_FIXTURES / f"{_stem(rules)}.txt").is_file(), f"no expected text for {rules.name}"


@pytest.mark.parametrize("rules", RULES, ids=lambda r: r.name)
def test_fixture_extracts_with_its_rule(rules: PortalRules) -> None:
    html = (PORTAL_FIXTURES / f"{_stem(rules)}.html").read_bytes()
    expected = (PORTAL_FIXTURES / f"{_stem(rules)}.txt").read_text("utf-8").splitlines()
    article = extract(html, f"https://www.{rules.hosts[0]}/read/2024/06/12/contoh")
    assert article.extractor == f"rules:{rules.name}"
    assert article.portal == rules.name
    assert list(article.paragraphs) == expected
    assert article.clutter_removed > 0


@pytest.mark.parametrize("rules", RULES, ids=lambda r: r.name)
def test_rule_selectors_and_patterns_are_valid(rules: PortalRules) -> None:
    tree = LexborHTMLParser("<html><body><p>x</p></body></html>")
    for selector in (*rules.body, *rules.clutter_selectors):
        tree.css(selector)
    for pattern in (*rules.line_patterns, *rules.tail_patterns):
        re.compile(pattern)
    if rules.pagination_pattern:
        re.compile(rules.pagination_pattern)
    assert rules.hosts and rules.body


def test_rules_for_url_matches_subdomains_only_on_label_boundaries() -> None:
    assert rules_for_url("https://nasional.kompas.com/read/2024/1/a") == rules_by_name("kompas.com")
    assert rules_for_url("https://www.kompas.tv/article/1") == rules_by_name("kompas.tv")
    assert rules_for_url("https://notkompas.com/read/1") is None
    assert rules_for_url("https://example.org/") is None
    assert rules_for_url(None) is None


def test_portal_argument_forces_rules() -> None:
    html = (PORTAL_FIXTURES / "detik_com.html").read_bytes()
    assert extract(html, None, portal="detik.com").extractor == "rules:detik.com"
    # Pipeline portal names are short labels; an ambiguous one defers to the URL.
    assert extract(html, None, portal="detik").extractor == "rules:detik.com"
    tv = (PORTAL_FIXTURES / "kompas_tv.html").read_bytes()
    article = extract(tv, "https://www.kompas.tv/article/1", portal="kompas")
    assert article.extractor == "rules:kompas.tv"
    assert rules_by_name("kompas") is None
    assert extract(html, None, portal="unknown-portal").portal == "unknown-portal"


#: Without its rule a portal's own clutter (lines only its rule knows) may get through.
GENERIC_MIN_WORD_PRECISION = 0.9


@pytest.mark.parametrize("rules", RULES, ids=lambda r: r.name)
def test_generic_extractor_also_reads_portal_fixtures(rules: PortalRules) -> None:
    """Without a URL the generic scorer keeps every story paragraph, in order, and adds
    little else (exact text is the rule path's job)."""
    html = (PORTAL_FIXTURES / f"{_stem(rules)}.html").read_bytes()
    expected = (PORTAL_FIXTURES / f"{_stem(rules)}.txt").read_text("utf-8").splitlines()
    article = extract(html)
    assert article.extractor == "generic"
    got = list(article.paragraphs)
    missing = [line for line in expected if line not in got]
    assert not missing, f"story paragraphs lost: {missing}"
    positions = [got.index(line) for line in expected]
    assert positions == sorted(positions), "story paragraphs out of order"
    assert _word_precision(got, expected) >= GENERIC_MIN_WORD_PRECISION


def _word_precision(got: list[str], expected: list[str]) -> float:
    got_words = Counter(" ".join(got).split())
    overlap = got_words & Counter(" ".join(expected).split())
    return sum(overlap.values()) / max(1, sum(got_words.values()))


def test_sister_sites_share_the_idntimes_template_under_their_own_name() -> None:
    html = (PORTAL_FIXTURES / "idntimes_com.html").read_bytes()
    expected = (PORTAL_FIXTURES / "idntimes_com.txt").read_text("utf-8").splitlines()
    for host in ("www.popmama.com", "www.popbela.com", "jateng.idntimes.com"):
        article = extract(html, f"https://{host}/life/family/penulis/contoh")
        assert article.extractor == "rules:idntimes.com"
        assert list(article.paragraphs) == expected
        assert article.portal == {"www.popmama.com": "popmama.com",
                                  "www.popbela.com": "popbela.com"}.get(host, "idntimes.com")
