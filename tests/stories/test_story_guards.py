"""Merge guards: a roundup never bridges two stories, and stories of an ongoing
topic (more than MERGE_MAX_WINDOWS story windows apart) do not merge into a
mega-story. Fixtures are invented (our own words)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from kabar.dedup import stories
from kabar.dedup.stories import StoryAssignment, StoryClusterer
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.stories.story_fixtures import FLOOD_A, FLOOD_B, T0

#: Two digest items on other events, so the roundup reads like one.
OTHER_ITEMS = (
    "Harga cabai rawit di Pasar Induk Sentosa naik menjadi Rp80.000 per kilogram menjelang "
    "musim hujan, menurut pedagang setempat.",
    "Tim bola voli putri Provinsi Teluk Biru menjuarai turnamen antarprovinsi setelah menang "
    "tiga set langsung di final.",
)


def _strict(settings: DedupSettings) -> DedupSettings:
    # As the bridging test in test_stories: reports three days apart start two stories.
    return dataclasses.replace(
        settings, story_window_hours=40.0, story_late_penalty=1.0, story_threshold=0.3
    )


def _bridge(items: bool) -> Article:
    """A third outlet's text joining both reports; as a list of items, a roundup."""
    paragraphs = FLOOD_A.article.paragraphs[:1] + FLOOD_B.article.paragraphs[1:]
    if items:
        paragraphs = tuple(f"- {p}" for p in (*paragraphs, *OTHER_ITEMS))
    return dataclasses.replace(
        FLOOD_A.article, portal="ketiga", title=FLOOD_B.article.title, paragraphs=paragraphs
    )


def _two_stories_and(
    settings: DedupSettings, bridge: Article
) -> tuple[StoryClusterer, StoryAssignment, StoryAssignment, StoryAssignment]:
    clusterer = StoryClusterer(_strict(settings))
    a = clusterer.assign("a", FLOOD_A.article, T0)
    b = clusterer.assign("b", FLOOD_B.article, T0 + timedelta(days=3))
    assert a.story_id != b.story_id
    return clusterer, a, b, clusterer.assign("c", bridge, T0 + timedelta(hours=36))


def test_a_roundup_joins_a_story_but_never_merges_two(settings: DedupSettings) -> None:
    clusterer, a, b, c = _two_stories_and(settings, _bridge(items=True))
    assert [e["type"] for e in c.events] == ["story.updated"]
    assert c.story_id in {a.story_id, b.story_id}
    assert clusterer.resolve(a.story_id) != clusterer.resolve(b.story_id)


def test_the_same_items_without_list_marks_do_merge(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The counterfactual: the roundup scores on both stories; only the guard keeps them apart.
    monkeypatch.setattr(stories, "ROUNDUP_ITEMS", 10_000)
    clusterer, a, b, c = _two_stories_and(settings, _bridge(items=True))
    assert [e["type"] for e in c.events] == ["story.merged"]
    assert clusterer.resolve(a.story_id) == clusterer.resolve(b.story_id)


def test_list_items_are_recognised() -> None:
    assert stories._roundup(["- satu", "• dua", "3. tiga", "4) empat"])
    assert not stories._roundup(["JAKARTA - Warga mengungsi.", "Hujan - deras", "1.200 warga"])
    # Dialogue lines and embedded posts open with dashes; a few points in a report are no digest.
    assert not stories._roundup(["\u2014 satu", "\u2014 dua", "\u2013 tiga", "\u2013 empat"])
    assert not stories._roundup(["- satu", "- dua", "- tiga", "- empat", *["paragraf"] * 9])


def test_stories_further_apart_than_the_merge_span_stay_apart(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An ongoing topic: its stories lie more than MERGE_MAX_WINDOWS windows apart
    # (here 72 hours against 1.5 x 40), and an article on both does not merge them.
    monkeypatch.setattr(stories, "MERGE_MAX_WINDOWS", 1.5)
    clusterer, a, b, c = _two_stories_and(settings, _bridge(items=False))
    assert [e["type"] for e in c.events] == ["story.updated"]
    assert clusterer.resolve(a.story_id) != clusterer.resolve(b.story_id)
    # Within the span (2 x 40 hours) the same article merges them (test_stories).
    monkeypatch.setattr(stories, "MERGE_MAX_WINDOWS", 2.0)
    clusterer, a, b, c = _two_stories_and(settings, _bridge(items=False))
    assert [e["type"] for e in c.events] == ["story.merged"]
