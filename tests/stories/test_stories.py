"""StoryClusterer on invented Indonesian articles: grouping, events, state, expiry."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator

from kabar.dedup.stories import NUMBER_CONFLICT_PENALTY, StoryAssignment, StoryClusterer
from kabar.errors import DedupError
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.stories.story_fixtures import (
    FINAL_A,
    FINAL_B,
    FLOOD_A,
    FLOOD_B,
    RELEASE_A,
    RELEASE_B,
    SAMPLES,
    T0,
    Sample,
)
from tests.support import assert_valid


def _run(clusterer: StoryClusterer, samples: tuple[Sample, ...]) -> dict[str, StoryAssignment]:
    return {s.key: clusterer.assign(s.key, s.article, s.when) for s in samples}


def test_same_event_from_two_outlets_shares_a_story(settings: DedupSettings) -> None:
    got = _run(StoryClusterer(settings), SAMPLES)
    stories: dict[str, set[str]] = defaultdict(set)
    for sample in SAMPLES:
        stories[sample.event].add(got[sample.key].story_id)
    assert all(len(ids) == 1 for ids in stories.values()), stories
    assert len({next(iter(ids)) for ids in stories.values()}) == len(stories)


def test_press_releases_of_one_company_stay_apart(settings: DedupSettings) -> None:
    got = _run(StoryClusterer(settings), (RELEASE_A, RELEASE_B))
    assert got["rilis-a"].story_id != got["rilis-b"].story_id


def test_outlet_penalty_is_what_separates_the_releases(settings: DedupSettings) -> None:
    lenient = dataclasses.replace(settings, story_outlet_penalty=0.0, story_threshold=0.2)
    got = _run(StoryClusterer(lenient), (RELEASE_A, RELEASE_B))
    assert got["rilis-a"].story_id == got["rilis-b"].story_id


def test_events_describe_the_story_and_match_the_schema(
    settings: DedupSettings, story_schema: Draft202012Validator
) -> None:
    clusterer = StoryClusterer(settings)
    first = clusterer.assign("banjir-a", FLOOD_A.article, FLOOD_A.when)
    second = clusterer.assign("banjir-b", FLOOD_B.article, FLOOD_B.when)
    (created,) = first.events
    (updated,) = second.events
    assert created["type"] == "story.created" and first.similarity is None
    assert updated["type"] == "story.updated" and second.similarity is not None
    assert updated["story_id"] == created["story_id"] == first.story_id
    assert updated["member_ids"] == ["banjir-a", "banjir-b"]
    assert updated["member_count"] == 2
    assert updated["outlets"] == ["kabarkita", "warta"]
    assert updated["title"] == FLOOD_A.article.title
    assert updated["language"] == "id"
    assert updated["first_seen"] == "2025-03-10T06:00:00Z"
    assert updated["last_seen"] == "2025-03-10T09:00:00Z"
    assert "banjir" in " ".join(updated["keywords"])
    for event in (created, updated):
        assert_valid(story_schema, event)


def test_far_apart_reports_start_new_stories(settings: DedupSettings) -> None:
    clusterer = StoryClusterer(settings)
    clusterer.assign("banjir-a", FLOOD_A.article, FLOOD_A.when)
    late = FLOOD_B.when + timedelta(days=settings.story_ttl_days + 1)
    assert clusterer.assign("banjir-b", FLOOD_B.article, late).events[0]["type"] == (
        "story.created"
    )


def test_bridging_article_merges_two_stories(
    settings: DedupSettings, story_schema: Draft202012Validator
) -> None:
    # Two reports of one event a week apart start separate stories (late penalty);
    # a third report between them scores high against both and merges them.
    strict = dataclasses.replace(
        settings, story_window_hours=40.0, story_late_penalty=1.0, story_threshold=0.3
    )
    clusterer = StoryClusterer(strict)
    a = clusterer.assign("a", FLOOD_A.article, T0)
    b = clusterer.assign("b", FLOOD_B.article, T0 + timedelta(days=3))
    assert a.story_id != b.story_id
    bridge = dataclasses.replace(
        FLOOD_A.article,
        portal="ketiga",
        title=FLOOD_B.article.title,
        paragraphs=FLOOD_A.article.paragraphs[:1] + FLOOD_B.article.paragraphs[1:],
    )
    c = clusterer.assign("c", bridge, T0 + timedelta(hours=36))
    (event,) = c.events
    assert event["type"] == "story.merged"
    assert c.story_id in {a.story_id, b.story_id}
    assert event["merged_from"] == list({a.story_id, b.story_id} - {c.story_id})
    assert sorted(event["member_ids"]) == ["a", "b", "c"]
    assert clusterer.resolve(event["merged_from"][0]) == c.story_id
    assert_valid(story_schema, event)


def test_dump_and_load_continue_the_same_stories(settings: DedupSettings) -> None:
    clusterer = StoryClusterer(settings)
    first_half, second_half = SAMPLES[:4], SAMPLES[4:]
    got = _run(clusterer, first_half)
    restored = StoryClusterer.load(clusterer.dump(), settings)
    got |= _run(restored, second_half)
    reference = _run(StoryClusterer(settings), SAMPLES)
    assert {k: a.story_id for k, a in got.items()} == {k: a.story_id for k, a in reference.items()}
    assert restored.active_count == 5


def test_load_rejects_foreign_state(settings: DedupSettings) -> None:
    with pytest.raises(DedupError) as caught:
        StoryClusterer.load(b'{"version": 99}', settings)
    assert caught.value.reason == "state_error"
    with pytest.raises(DedupError):
        StoryClusterer.load(b"not json", settings)


def test_expire_forgets_old_stories_and_active_count_follows_the_window(
    settings: DedupSettings,
) -> None:
    clusterer = StoryClusterer(settings)
    _run(clusterer, SAMPLES)
    assert clusterer.active_count == 5
    later = T0 + timedelta(hours=settings.story_window_hours + 60)
    clusterer.assign("final-c", SAMPLES[-1].article, later)
    assert clusterer.active_count == 1  # only the story just updated is inside the window
    assert clusterer.held_count == 5
    clusterer.expire(T0 + timedelta(days=settings.story_ttl_days, hours=20))
    assert clusterer.held_count == 3  # the flood and the first release are gone
    clusterer.expire(later + timedelta(days=settings.story_ttl_days + 1))
    fresh = clusterer.assign("banjir-x", FLOOD_A.article, later + timedelta(days=30))
    assert fresh.events[0]["type"] == "story.created"
    assert clusterer.active_count == clusterer.held_count == 1


def test_article_without_portal_uses_its_host_as_outlet(settings: DedupSettings) -> None:
    article = Article(
        url="https://www.contoh.example/a", title="Judul berita", paragraphs=("Isi berita.",)
    )
    got = StoryClusterer(settings).assign("x", article, T0)
    assert got.events[0]["outlets"] == ["contoh.example"]


MATCH_DAY = "Persita Raya Tekuk Bintang Timur di Pekan ke-{} Liga Kota"


def _second_report(settings: DedupSettings, day: int) -> tuple[bool, float | None]:
    """Whether a report headlined with match ``day`` joins a day-12 report, and its score."""
    first = dataclasses.replace(
        FINAL_A.article, title=MATCH_DAY.format(12), paragraphs=FINAL_A.article.paragraphs[:1]
    )
    second = dataclasses.replace(
        FINAL_B.article, title=MATCH_DAY.format(day), paragraphs=FINAL_B.article.paragraphs[1:]
    )
    clusterer = StoryClusterer(settings)
    a = clusterer.assign("a", first, T0)
    b = clusterer.assign("b", second, T0 + timedelta(days=1))
    return a.story_id == b.story_id, b.similarity


def test_headlines_naming_different_match_days_are_penalized(settings: DedupSettings) -> None:
    joined_same, same = _second_report(settings, 12)
    joined_other, other = _second_report(settings, 13)
    assert joined_same and joined_other and same is not None and other is not None
    assert other == pytest.approx(same - NUMBER_CONFLICT_PENALTY)
    strict = dataclasses.replace(settings, story_threshold=(same + other) / 2)
    assert _second_report(strict, 12)[0] and not _second_report(strict, 13)[0]


def test_story_without_headline_is_titled_by_its_first_words(settings: DedupSettings) -> None:
    untitled = dataclasses.replace(FLOOD_A.article, title="")
    (event,) = StoryClusterer(settings).assign("x", untitled, T0).events
    assert event["title"].startswith("Banjir bandang menerjang tiga desa")
