"""The sparse-stream time bonus: with few stories held, a story near in event time
scores higher (``stories.SPARSE_BONUS``); in a dense stream nothing changes.
Fixtures are invented (our own words)."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest

from kabar.dedup import stories
from kabar.dedup.stories import StoryClusterer
from kabar.settings import DedupSettings
from tests.stories.story_fixtures import FLOOD_A, FLOOD_B
from tests.stories.test_retrieval import _filler


def _with_fillers(settings: DedupSettings, count: int, hours: float) -> StoryClusterer:
    """FLOOD_A's story and ``count`` unrelated stories ``hours`` after it."""
    clusterer = StoryClusterer(settings)
    clusterer.assign("banjir-a", FLOOD_A.article, FLOOD_A.when)
    rng = random.Random(5)
    for i in range(count):
        when = FLOOD_A.when + timedelta(hours=hours, minutes=i)
        clusterer.assign(f"isi-{i}", _filler(rng, i), when)
    return clusterer


def _b_similarity(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch, fillers: int, bonus: float
) -> float:
    monkeypatch.setattr(stories, "SPARSE_BONUS", bonus)
    clusterer = _with_fillers(settings, fillers, hours=1.0)
    got = clusterer.assign("banjir-b", FLOOD_B.article, FLOOD_B.when)
    assert got.similarity is not None and got.similarity < 0.9  # (not clipped at 1)
    return got.similarity


def test_sparseness_counts_the_stories_within_a_window(settings: DedupSettings) -> None:
    t = FLOOD_A.when.timestamp()
    assert StoryClusterer(settings)._sparseness(t) == 1.0
    one = _with_fillers(settings, 0, hours=0.0)
    log_k = math.log(stories.SPARSE_STORIES)
    assert one._sparseness(t) == pytest.approx(1.0 - math.log(2.0) / log_k)
    # A story more than a window before or after the article does not count.
    window = settings.story_window_hours * 3600.0
    assert one._sparseness(t + window + 60.0) == 1.0
    assert one._sparseness(t - window - 60.0) == 1.0
    few = _with_fillers(settings, 6, hours=0.0)
    assert few._sparseness(t) == pytest.approx(1.0 - math.log(8.0) / log_k)
    # As many stories held as SPARSE_STORIES: a dense stream, wherever they lie in time.
    dense = _with_fillers(settings, stories.SPARSE_STORIES - 1, hours=24.0 * 10)
    assert dense.held_count == stories.SPARSE_STORIES
    assert dense._sparseness(t) == 0.0


def test_a_near_story_gains_the_bonus_in_a_sparse_stream(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    bonus = stories.SPARSE_BONUS
    assert bonus > 0
    with_bonus = _b_similarity(settings, monkeypatch, 0, bonus)
    without = _b_similarity(settings, monkeypatch, 0, 0.0)
    # One story held (FLOOD_A's, three hours before: nearness ~1).
    sparse = 1.0 - math.log(2.0) / math.log(stories.SPARSE_STORIES)
    sigma = settings.story_window_hours * 1800.0
    near = math.exp(-0.5 * (3 * 3600.0 / sigma) ** 2)
    assert with_bonus - without == pytest.approx(bonus * sparse * near, abs=2e-4)


def test_a_dense_stream_scores_as_without_the_bonus(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fillers = stories.SPARSE_STORIES
    with_bonus = _b_similarity(settings, monkeypatch, fillers, stories.SPARSE_BONUS)
    assert with_bonus == _b_similarity(settings, monkeypatch, fillers, 0.0)


def test_a_sparse_stream_scores_stories_sharing_fewer_heavy_terms(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A story is scored when it shares SPARSE_MIN_SHARED of the article's heaviest
    # terms while the stream is sparse, MIN_SHARED once it is dense.
    seen: list[int] = []
    real = stories._shared

    def counting(numbers: object, need: int) -> tuple[list[int], list[int]]:
        seen.append(need)
        return real(numbers, need)  # type: ignore[arg-type]

    monkeypatch.setattr(stories, "_shared", counting)
    clusterer = _with_fillers(settings, stories.SPARSE_STORIES - 2, hours=1.0)
    clusterer.assign("banjir-b", FLOOD_B.article, FLOOD_B.when)
    assert seen[-1] == stories.SPARSE_MIN_SHARED < stories.MIN_SHARED
    clusterer.assign("isi-more", _filler(random.Random(9), 99), FLOOD_B.when)
    clusterer.assign("banjir-b2", FLOOD_B.article, FLOOD_B.when)
    assert clusterer.held_count >= stories.SPARSE_STORIES
    assert seen[-1] == stories.MIN_SHARED
