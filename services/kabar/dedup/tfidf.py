"""Sparse TF-IDF vectors with document frequencies learned from the stream.

Only words are counted. A bigram ("a b") is taken to be as common as the
rarer of its words: no more documents can contain the pair than contain
either word, so its IDF is at least theirs; counting every bigram of every
article would multiply the vocabulary (most pairs occur once) for little gain.

A smoothed prior (``prior_docs`` imaginary documents containing no term) keeps
the first articles usable: every unseen term starts with the same, high
weight, so early on the stopword lists do the work, and the weights sharpen
as the stream teaches which terms are common.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import repeat
from operator import sub
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
        #: log(count + 1) for every count up to ``docs`` (no count exceeds it).
        self._logs = array("d", [0.0])

    def idf(self, term: str) -> float:
        return self._base() - math.log(self.df(term) + 1.0)

    def df(self, term: str) -> int:
        """Documents containing the word; for a bigram, those containing its rarer word."""
        count = self.counts.get(term)
        if count is not None:
            return count
        first, space, second = term.partition(" ")
        if not space:
            return 0
        return min(self.counts.get(first, 0), self.counts.get(second, 0))

    def weighted(self, vector: Mapping[str, float]) -> dict[str, float]:
        """``vector`` times the IDF of each term."""
        base, count, log, df = self._base(), self.counts.get, math.log, self.df
        return {
            t: x * (base - log((n if (n := count(t)) is not None else df(t)) + 1.0))
            for t, x in vector.items()
        }

    def word_idfs(self, words: Iterable[str]) -> Iterator[float]:
        """The IDF of each of ``words`` (not bigrams), without a Python-level loop."""
        counts = map(self.counts.get, words, repeat(0))
        logs = map(self._logs.__getitem__, counts)
        return map(sub, repeat(self._base()), logs)

    def _base(self) -> float:
        """idf(t) = base - log(df(t) + 1)."""
        return math.log(self.docs + self.prior_docs)

    def base(self) -> float:
        """idf(t) = base - log_table()[df(t)] (for vectorized IDF)."""
        return self._base()

    def log_table(self) -> array[float]:
        """log(count + 1) for every count a word can have (do not keep views of it:
        the table grows)."""
        return self._logs

    def add(self, terms: Iterable[str]) -> None:
        """Count one document with these *distinct* terms."""
        self.docs += 1
        self.counts.update(terms)
        if self.docs >= len(self._logs):
            self._extend_logs()
        if len(self.counts) > MAX_VOCABULARY:
            self.counts = Counter({t: c for t, c in self.counts.items() if c > 1})

    def _extend_logs(self) -> None:
        size = len(self._logs)
        self._logs.extend(math.log(k + 1.0) for k in range(size, max(2 * size, self.docs + 1)))

    def to_dict(self) -> dict[str, Any]:
        return {"prior_docs": self.prior_docs, "docs": self.docs, "counts": dict(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentFrequencies:
        df = cls(float(data["prior_docs"]))
        df.docs = int(data["docs"])
        df.counts = Counter({str(k): int(v) for k, v in data["counts"].items()})
        df._extend_logs()
        return df


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
