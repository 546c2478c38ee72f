"""The learned match model: shipped weights load, and the clusterer can decide with them."""

from __future__ import annotations

import dataclasses
import math

import pytest

from kabar.dedup.stories import StoryClusterer
from kabar.dedup.storymatch import FEATURES, MatchModel, Pair, load_model
from kabar.settings import DedupSettings
from tests.stories.story_fixtures import FLOOD_A, FLOOD_B, SATELLITE_A


def _pair(**changes: object) -> Pair:
    base = Pair(
        body=0.3, title=0.2, entities=0.5, gap_s=3600.0, own_outlet=False,
        numbers=False, short=False, late=0.0,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_shipped_weights_load_and_round_trip() -> None:
    model = load_model()
    assert len(model.weights) == len(FEATURES)
    assert MatchModel.from_dict(model.to_dict()) == model


def test_weights_for_another_feature_set_are_refused() -> None:
    data = load_model().to_dict()
    data["features"] = data["features"][:-1]
    with pytest.raises(ValueError, match="another feature set"):
        MatchModel.from_dict(data)


def test_probability_follows_the_evidence() -> None:
    model = MatchModel(tuple(1.0 if name in ("body", "title") else 0.0 for name in FEATURES), -0.5)
    assert model.probability(_pair(body=0.6)) > model.probability(_pair(body=0.1))
    assert model.probability(_pair(body=0.0, title=0.0)) == pytest.approx(1 / (1 + math.exp(0.5)))
    assert _pair(gap_s=0.0).near == 1.0 and _pair(gap_s=86400.0).near == pytest.approx(0.6065, 1e-3)


def test_learned_decision_groups_the_fixture_events(settings: DedupSettings) -> None:
    clusterer = StoryClusterer(dataclasses.replace(settings, story_match="learned"))
    a = clusterer.assign("a", FLOOD_A.article, FLOOD_A.when)
    b = clusterer.assign("b", FLOOD_B.article, FLOOD_B.when)
    c = clusterer.assign("c", SATELLITE_A.article, SATELLITE_A.when)
    assert a.story_id == b.story_id != c.story_id
    assert b.similarity is not None and 0.0 <= b.similarity <= 1.0
