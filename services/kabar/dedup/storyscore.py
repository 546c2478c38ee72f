"""Scoring story clustering against labelled streams (``kabar eval stories``).

A labelled stream is ``kabar dedup`` input (JSON lines) with a ``gold_story``
field. The stream runs through the deduper as ``kabar dedup --resolve-merges``
would, and each article's *final* story (after all merges) is compared with
its gold label: pairwise precision/recall/F1 over all article pairs (Miranda
et al. 2018) and B-cubed precision/recall/F1 (per article, averaged).

``baseline_stories`` is the reference the issue measures against: a plain
single-pass TF-IDF centroid clusterer with a 4-day window (headline and body
words, IDF learned from the stream, cosine to each live story's centroid).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from kabar.dedup import text
from kabar.dedup.eventtime import event_time
from kabar.errors import KabarError

#: The reference baseline: window and join threshold (the best of 0.1-0.3 on both dev streams).
BASELINE_WINDOW_S = 4 * 86400.0
BASELINE_THRESHOLD = 0.1


@dataclass(frozen=True, slots=True)
class StoryScores:
    articles: int
    stories: int
    gold_stories: int
    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float

    def as_dict(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in self.__slots__}

    def line(self, label: str = "") -> str:
        return (
            f"{label}pairwise P {self.pair_precision:.3f} R {self.pair_recall:.3f} "
            f"F1 {self.pair_f1:.3f} | B-cubed P {self.bcubed_precision:.3f} "
            f"R {self.bcubed_recall:.3f} F1 {self.bcubed_f1:.3f} | "
            f"stories {self.stories} (gold {self.gold_stories}), articles {self.articles}"
        )


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """The records of a labelled stream, in file order (every one must carry ``gold_story``)."""
    records = []
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise KabarError(f"{path}:{number}: bad JSON: {exc}", reason="bad_input") from exc
        if not isinstance(record, dict) or record.get("gold_story") is None:
            raise KabarError(f"{path}:{number}: no gold_story label", reason="bad_input")
        records.append(record)
    return records


def score(predicted: Sequence[object], gold: Sequence[object]) -> StoryScores:
    """Pairwise and B-cubed scores of one partition against another (same order)."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold differ in length")
    cells = Counter(zip(predicted, gold, strict=True))
    sizes, gold_sizes = Counter(predicted), Counter(gold)
    together = sum(n * (n - 1) // 2 for n in cells.values())
    predicted_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    gold_pairs = sum(n * (n - 1) // 2 for n in gold_sizes.values())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / gold_pairs if gold_pairs else 1.0
    count = len(predicted)
    # B-cubed: each article's share of its story that is its gold story, and back.
    b_precision = sum(n * n / sizes[p] for (p, _), n in cells.items()) / count if count else 1.0
    b_recall = sum(n * n / gold_sizes[g] for (_, g), n in cells.items()) / count if count else 1.0
    return StoryScores(
        articles=count,
        stories=len(sizes),
        gold_stories=len(gold_sizes),
        pair_precision=precision,
        pair_recall=recall,
        pair_f1=_f1(precision, recall),
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
    )


def kabar_stories(records: Iterable[dict[str, Any]], deduper: Any) -> list[str]:
    """Each record's final story id from the deduper (as ``kabar dedup --resolve-merges``)."""
    from kabar.commands.dedup import annotate, resolved

    annotated = [annotate(deduper, dict(record)) for record in records]
    return [str(resolved(deduper, fields).get("story_id")) for fields in annotated]


def baseline_stories(
    records: Iterable[dict[str, Any]],
    threshold: float = BASELINE_THRESHOLD,
    window_s: float = BASELINE_WINDOW_S,
) -> list[str]:
    """The single-pass TF-IDF centroid reference (see the module docstring): each
    article's TF-IDF vector (IDF as the stream knows it at arrival) joins the
    story whose centroid (the sum of its members' unit vectors) is nearest by
    cosine, if at least ``threshold`` and updated within ``window_s``."""
    df: Counter[str] = Counter()
    centroids: list[dict[str, float]] = []
    last_seen: list[float] = []
    postings: dict[str, list[int]] = {}
    out: list[str] = []
    for docs, record in enumerate(records, 1):
        words = Counter(text.tokens(f"{record.get('title') or ''}\n{record.get('body') or ''}"))
        words.pop("", None)
        when = event_time(record.get("published_at"), record.get("fetched_at"))
        t = when.timestamp() if when is not None else 0.0
        df.update(words.keys())
        vector = _unit(
            {w: (1 + math.log(c)) * math.log((docs + 1) / (df[w] + 0.5)) for w, c in words.items()}
        )
        dots: dict[int, float] = {}
        for w, x in vector.items():
            for i in postings.get(w, ()):
                dots[i] = dots.get(i, 0.0) + x * centroids[i][w]
        best, best_score = -1, threshold
        for i, dot in sorted(dots.items()):
            if t - last_seen[i] > window_s:
                continue
            similarity = dot / math.sqrt(sum(x * x for x in centroids[i].values()))
            if similarity >= best_score:
                best, best_score = i, similarity
        if best < 0:
            best = len(centroids)
            centroids.append({})
            last_seen.append(t)
        centroid = centroids[best]
        for w, x in vector.items():
            if w not in centroid:
                postings.setdefault(w, []).append(best)
            centroid[w] = centroid.get(w, 0.0) + x
        last_seen[best] = max(last_seen[best], t)
        out.append(f"b{best}")
    return out


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(x * x for x in vector.values()))
    return {w: x / norm for w, x in vector.items()} if norm else {}


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
