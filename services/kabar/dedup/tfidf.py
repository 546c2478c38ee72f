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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from operator import sub
from typing import Any

import numpy as np
import numpy.typing as npt

SparseVector = dict[str, float]

#: Above this many distinct terms, the rarest are forgotten: those seen once, and
#: more until at most half of this is left.
MAX_VOCABULARY = 400_000
#: Terms met but never counted (read past an article's counted words) are
#: forgotten once the vocabulary reaches this many times MAX_VOCABULARY.
VOCABULARY_SLACK = 2
#: Kept words renumbered per article while the vocabulary is compacted: a whole
#: renumbering at once held one article 300 ms at 1M articles (issue 14).
COMPACT_SLICE = 16_384
#: Logs of counts added to the table at a time (``_extend_logs``).
LOG_STEP = 4096


@dataclass(frozen=True, slots=True)
class _Compaction:
    """A renumbering of the vocabulary, built a slice an article (``COMPACT_SLICE``)."""

    #: Old ids of the words kept, in order (their new ids: 1, 2, ...).
    keep: npt.NDArray[np.intp]
    #: The counts when it was started (what changes after is carried over).
    counts: npt.NDArray[np.int64]
    terms: list[str] = field(default_factory=lambda: [""])
    ids: dict[str, int] = field(default_factory=lambda: {"": 0})


class DocumentFrequencies:
    """Online document frequencies and the IDF they imply.

    Every word gets an integer id on first sight (``ids``/``terms``); counts
    live in an ``array`` indexed by id, so a whole article is looked up and
    counted with numpy (``counts_view``) while single terms stay cheap to read
    from Python. Ids are private to this object: compaction (see
    ``MAX_VOCABULARY``) renumbers them, so callers hold them for one article."""

    def __init__(self, prior_docs: float = 20.0) -> None:
        self.prior_docs = prior_docs
        self.docs = 0
        #: Term -> id and back; id 0 is the empty term, never counted.
        self.ids: dict[str, int] = {"": 0}
        self.terms: list[str] = [""]
        self._counts = array("q", [0])
        #: Terms with a nonzero count.
        self._nonzero = 0
        #: log(count + 1) for every count up to ``docs`` (no count exceeds it).
        self._logs = array("d", [0.0])
        #: A compaction of the vocabulary under way (``add_ids``).
        self._compaction: _Compaction | None = None

    def idf(self, term: str) -> float:
        return self._base() - math.log(self.df(term) + 1.0)

    def df(self, term: str) -> int:
        """Documents containing the word; for a bigram, those containing its rarer word."""
        ids, counts = self.ids, self._counts
        ident = ids.get(term)
        if ident is not None:
            return counts[ident]
        first, space, second = term.partition(" ")
        if not space:
            return 0
        return min(counts[ids.get(first, 0)], counts[ids.get(second, 0)])

    def weighted(self, vector: Mapping[str, float]) -> dict[str, float]:
        """``vector`` times the IDF of each term."""
        base, ids, counts, log, df = self._base(), self.ids.get, self._counts, math.log, self.df
        return {
            t: x * (base - log((counts[i] if (i := ids(t)) is not None else df(t)) + 1.0))
            for t, x in vector.items()
        }

    def word_idfs(self, words: Iterable[str]) -> Iterator[float]:
        """The IDF of each of ``words`` (not bigrams), without a Python-level loop."""
        counts = map(self._counts.__getitem__, map(self.ids.get, words, repeat(0)))
        logs = map(self._logs.__getitem__, counts)
        return map(sub, repeat(self._base()), logs)

    def intern(self, term: str) -> int:
        """The id of ``term``, a new one on first sight."""
        ident = self.ids.get(term)
        if ident is None:
            ident = self.ids[term] = len(self.terms)
            self.terms.append(term)
            self._counts.append(0)
        return ident

    def counts_view(self) -> npt.NDArray[np.int64]:
        """Counts by id, as a numpy view (do not keep it: the table grows)."""
        return np.frombuffer(self._counts, dtype=np.int64)

    def counts_table(self) -> array[int]:
        """Counts by id, for reading a few from Python (do not keep it: the table
        is replaced when the vocabulary is compacted)."""
        return self._counts

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
        ids = [self.intern(t) for t in terms]
        self.add_ids(np.array(ids, dtype=np.int64))

    def add_ids(self, ids: npt.NDArray[np.int64]) -> bool:
        """Count one document with these *distinct* term ids (nonzero); True when
        that compacted the vocabulary (renumbering every id)."""
        self.docs += 1
        counts = self.counts_view()
        counts[ids] += 1
        self._nonzero += int(np.count_nonzero(counts[ids] == 1))
        del counts
        if self.docs >= len(self._logs):
            self._extend_logs()
        if self._compaction is None:
            if self._nonzero > MAX_VOCABULARY:
                self._compaction = self._start_compaction(1)
            elif len(self.terms) > VOCABULARY_SLACK * MAX_VOCABULARY:
                self._compaction = self._start_compaction(0)
            else:
                return False
        return self._compact_some()

    def _start_compaction(self, forget_below: int) -> _Compaction:
        """Keep the terms counted more than ``forget_below`` times; when forgetting,
        the rarest go until at most half the cap is left."""
        if forget_below:
            forget_below = self._floor_for(MAX_VOCABULARY // 2, forget_below)
        counts = self.counts_view()
        return _Compaction(np.flatnonzero(counts > forget_below), counts.copy())

    def _compact_some(self) -> bool:
        """Renumber the next ``COMPACT_SLICE`` kept words into the new vocabulary; on
        the last, switch to it (True). Until then the old ids stay in use: the
        compaction takes effect a few articles after it was due (one when the
        vocabulary is small), the same way on every run."""
        job = self._compaction
        assert job is not None
        at = len(job.terms) - 1
        chunk = job.keep[at : at + COMPACT_SLICE].tolist()
        words = list(map(self.terms.__getitem__, chunk))
        job.ids.update(zip(words, range(at + 1, at + 1 + len(words)), strict=True))
        job.terms.extend(words)
        if len(job.terms) - 1 < len(job.keep):
            return False
        self._compaction = None
        self._switch(job)
        return True

    def _switch(self, job: _Compaction) -> None:
        """Take the renumbered vocabulary, with what changed since it was started:
        words forgotten but counted since come back with those counts only, as if
        met anew; words new since are kept when counted (in id order, both)."""
        counts = self.counts_view()
        start = len(job.counts)
        since = counts[:start] - job.counts
        since[job.keep] = 0
        again = np.flatnonzero(since)
        new = np.flatnonzero(counts[start:]) + start
        extra = np.concatenate((again, new))
        words = list(map(self.terms.__getitem__, extra.tolist()))
        first = len(job.terms)
        job.ids.update(zip(words, range(first, first + len(words)), strict=True))
        job.terms.extend(words)
        table = np.concatenate(([0], counts[job.keep], since[again], counts[new]))
        del counts
        self.ids, self.terms = job.ids, job.terms
        self._counts = array("q")
        self._counts.frombytes(table.astype(np.int64).tobytes())
        self._nonzero = len(self.terms) - 1

    def _floor_for(self, room: int, floor: int) -> int:
        """The lowest count from ``floor`` up above which at most ``room`` terms are.
        A long stream holds more than the cap of words seen twice: forgetting only
        the words seen once would leave the vocabulary at its cap, and every next
        article would compact it again (each a whole renumbering, half a second at
        the cap: a stream of 650k articles stalled on it)."""
        counts = self.counts_view()
        if len(counts) <= room:
            return floor
        # Above the (room + 1)th largest count are at most ``room`` terms: one
        # selection, not a pass over the counts for each count tried.
        at = len(counts) - 1 - room
        return max(floor, int(np.partition(counts, at)[at]))

    def _load(self, counted: Iterable[tuple[str, int]]) -> None:
        self.ids = {"": 0}
        self.terms = [""]
        self._counts = array("q", [0])
        for term, count in counted:
            if term and count > 0:
                self._counts[self.intern(term)] = count
        self._nonzero = len(self.terms) - 1

    def _extend_logs(self) -> None:
        # By a fixed step, not by doubling: a doubling at half a million documents
        # computed half a million logs in one article (~100 ms).
        size = len(self._logs)
        end = max(size + LOG_STEP, self.docs + 1)
        self._logs.extend(map(math.log, map(float, range(size + 1, end + 1))))

    def to_dict(self) -> dict[str, Any]:
        counts = {t: c for t, c in zip(self.terms, self._counts, strict=True) if c > 0}
        return {"prior_docs": self.prior_docs, "docs": self.docs, "counts": counts}

    @classmethod
    def from_counts(
        cls, prior_docs: float, docs: int, counted: Iterable[tuple[str, int]]
    ) -> DocumentFrequencies:
        """As ``from_dict`` of words only, in bulk (a reopen reads hundreds of
        thousands): ids in the order given, words without a count left out."""
        df = cls(prior_docs)
        df.docs = docs
        kept = [(t, c) for t, c in counted if c > 0 and t]
        df.terms = ["", *(t for t, _ in kept)]
        df.ids = dict(zip(df.terms, range(len(df.terms)), strict=True))
        df._counts = array("q", [0, *(c for _, c in kept)])
        df._nonzero = len(kept)
        if len(df.ids) != len(df.terms):  # a word twice: the one-by-one load settles it
            df._load(kept)
        df._extend_logs()
        return df

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentFrequencies:
        """Version 1 state also counted bigrams: those are left out (a bigram
        is taken to be as common as its rarer word)."""
        df = cls(float(data["prior_docs"]))
        df.docs = int(data["docs"])
        df._load((str(k), int(v)) for k, v in data["counts"].items() if " " not in str(k))
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
