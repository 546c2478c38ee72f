"""A portal rule whose selectors match nothing on a page is noted on the article (and
counted per portal and selector kind by the pipeline): template drift shows up."""

from __future__ import annotations

from kabar import metrics
from kabar.extract import extract
from kabar.extract.rules import rules_by_name
from kabar.models import Article
from kabar.pipeline import Pipeline
from tests.extract.extract_support import PORTAL_FIXTURES, STORY, page, story_html

URL = "https://www.detik.com/bali/berita/d-7000001/contoh"


def test_rule_fixture_misses_nothing() -> None:
    html = (PORTAL_FIXTURES / "detik_com.html").read_bytes()
    assert extract(html, URL).rule_misses == ()


def test_body_selector_matching_nothing_is_noted_and_generic_extraction_still_works() -> None:
    article = extract(page(story_html()), URL)  # no detik body container in this page
    assert article.rule_misses == ("body",)
    assert article.extractor == "generic" and list(article.paragraphs) == STORY


def test_clutter_selectors_matching_nothing_are_noted() -> None:
    rules = rules_by_name("detik.com")
    assert rules is not None and rules.clutter_selectors
    html = page(f"<div class='detail__body-text'>{story_html()}</div>")
    article = extract(html, URL)
    assert article.extractor == "rules:detik.com"
    assert article.rule_misses == ("clutter",)


def test_pages_without_rules_note_nothing() -> None:
    assert extract(page(story_html()), "https://www.contoh.id/a").rule_misses == ()


def test_pipeline_counts_misses_per_portal_and_kind() -> None:
    labels = {"portal": "contohportal", "selector_kind": "body"}

    def count() -> float:
        return metrics.REGISTRY.get_sample_value("kabar_rule_miss_total", labels) or 0.0

    before = count()
    article = Article(url=URL, title="Judul", paragraphs=tuple(STORY), rule_misses=("body",))
    Pipeline._observe_article(object.__new__(Pipeline), article, "contohportal")
    assert count() == before + 1
