"""Sparse TF-IDF vectors with document frequencies learned from the stream.

A smoothed prior (``prior_docs`` imaginary documents containing no term) keeps
the first articles usable: every unseen term starts with the same, high
weight, so early on the stopword lists do the work, and the weights sharpen
as the stream teaches which terms are common.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

SparseVector = dict[str, float]

#: Above this many distinct terms, terms seen only once are forgotten.
MAX_VOCABULARY = 400_000


class DocumentFrequencies:
    """Online document frequencies and the IDF they imply."""

    def __init__(self, prior_docs: float = 20.0) -> None:
        self.prior_docs = prior_docs
        self.docs = 0
        self.counts: Counter[str] = Counter()

    def idf(self, term: str) -> float:
        return math.log((self.docs + self.prior_docs) / (self.counts.get(term, 0) + 1.0))

    def add(self, terms: Iterable[str]) -> None:
        """Count one document with these *distinct* terms."""
        self.docs += 1
        self.counts.update(terms)
        if len(self.counts) > MAX_VOCABULARY:
            self.counts = Counter({t: c for t, c in self.counts.items() if c > 1})

    def to_dict(self) -> dict[str, Any]:
        return {"prior_docs": self.prior_docs, "docs": self.docs, "counts": dict(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentFrequencies:
        df = cls(float(data["prior_docs"]))
        df.docs = int(data["docs"])
        df.counts = Counter({str(k): int(v) for k, v in data["counts"].items()})
        return df


def weigh(tf: Mapping[str, float], df: DocumentFrequencies, top: int) -> SparseVector:
    """Sublinear TF times IDF, the ``top`` heaviest terms, L2-normalized."""
    log, count = math.log, df.counts.get
    base = log(df.docs + df.prior_docs)  # idf(t) = base - log(df(t) + 1), inlined: hot loop
    weights = {
        t: (1.0 + log(c)) * (base - log(count(t, 0) + 1.0)) for t, c in tf.items() if c >= 1.0
    }
    return normalized(heaviest(weights, top))


def heaviest(vector: Mapping[str, float], top: int) -> SparseVector:
    if len(vector) <= top:
        return dict(vector)
    return dict(sorted(vector.items(), key=lambda kv: kv[1], reverse=True)[:top])


def normalized(vector: Mapping[str, float]) -> SparseVector:
    norm = math.sqrt(sum(x * x for x in vector.values()))
    return {t: x / norm for t, x in vector.items()} if norm else {}


def norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(x * x for x in vector.values()))


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(t, 0.0) for t, x in a.items())


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    denominator = norm(a) * norm(b)
    return dot(a, b) / denominator if denominator else 0.0


def add_into(target: dict[str, float], vector: Mapping[str, float], scale: float = 1.0) -> None:
    for term, x in vector.items():
        target[term] = target.get(term, 0.0) + x * scale
