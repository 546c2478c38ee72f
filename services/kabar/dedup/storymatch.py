"""The learned join decision: logistic regression over an (article, story) pair's features.

The clusterer already measures, for every candidate story, how alike the
pair is: body cosine, headline cosine, the share of the article's names the
story holds, how near in time, whether the story is all from the article's
own outlet, whether the headlines name different numbers, whether the
article is a headline-only item. ``MatchModel`` weighs those (and a few
products of them) into the probability that the article reports the story's
event. The weights are data (``storymatch.json`` beside this module), fitted
by ``scripts/train_story_match.py``: plain numpy Newton steps on an
L2-penalised log loss over the candidate pairs met while the tune halves of
the labelled development streams are clustered by their gold labels (see
that script for the details), deterministic for the same files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson

#: Names and order of the pair features (``features``); the JSON lists them
#: too, so weights fitted for another set are refused.
FEATURES = (
    "body", "title", "entities", "near", "own_outlet", "numbers", "short",
    "short_body", "short_title", "late",
)  # fmt: skip
#: Time scale of the nearness feature, exp(-gap^2 / (2 NEAR_HOURS^2)).
NEAR_HOURS = 24.0
WEIGHTS_FILE = "storymatch.json"


@dataclass(frozen=True, slots=True)
class Pair:
    """The similarity evidence for one (article, story) pair."""

    body: float
    title: float
    #: Share of the article's name words the story holds.
    entities: float
    gap_s: float
    own_outlet: bool
    numbers: bool
    short: bool
    #: How far outside the story window (0 inside, 1 a whole window late or more).
    late: float

    @property
    def near(self) -> float:
        """1 at no time apart, 0.6 a day apart, 0.14 two days apart (Gaussian)."""
        return math.exp(-0.5 * (self.gap_s / (NEAR_HOURS * 3600.0)) ** 2)

    def features(self) -> tuple[float, ...]:
        short = 1.0 if self.short else 0.0
        return (
            self.body, self.title, self.entities, self.near, float(self.own_outlet),
            float(self.numbers), short, short * self.body, short * self.title, self.late,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class MatchModel:
    weights: tuple[float, ...]
    bias: float
    #: Join when the probability reaches this.
    threshold: float = 0.5

    def logit(self, pair: Pair) -> float:
        terms = map(float.__mul__, self.weights, pair.features())
        return self.bias + math.fsum(terms)

    def probability(self, pair: Pair) -> float:
        z = self.logit(pair)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchModel:
        if list(data.get("features", ())) != list(FEATURES):
            raise ValueError("story match weights are for another feature set")
        weights = tuple(float(w) for w in data["weights"])
        return cls(weights, float(data["bias"]), float(data.get("threshold", 0.5)))


def load_model() -> MatchModel:
    """The shipped weights."""
    raw = resources.files("kabar.dedup").joinpath(WEIGHTS_FILE).read_bytes()
    return MatchModel.from_dict(orjson.loads(raw))
