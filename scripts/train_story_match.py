"""Fit the story match model (``kabar/dedup/storymatch.json``) on the tune halves.

Training pairs: each labelled stream's *tune* half (``story_holdout.halves``:
every other gold story) is clustered by its gold labels, in stream order,
with the clusterer's own features and candidate retrieval: every article
is compared with every story the clusterer would shortlist for it (after
the TTL and entity guard), giving one pair (the ``storymatch.Pair``
features) labelled 1 when that story is the article's gold story, then the
article joins its gold story (or starts it). So the pairs are the decisions
the model will face, on clean stories. A full-text stream (BASIL) has
hardly any negatives (its events are weeks apart), so it also runs
*collapsed*: every article an hour after the one before, and compared with
every held story (past the entity guard), not only the shortlisted ones.

Fit: logistic regression by Newton's method (plain numpy, float64, a fixed
number of steps from zero weights; an L2 penalty ``--l2`` keeps rare
features tame). Each stream weighs the same in total, whatever its size,
and within a stream the two classes weigh the same (headline-only Google
News gives thousands of pairs, BASIL a hundred). The join threshold is then
chosen on the tune halves: the probability, among ``THRESHOLDS``, with the
best mean pairwise F1 of the clustering itself. Weights are rounded to six
places, so the file is the same on any machine.

    .venv/bin/python scripts/train_story_match.py ../shared/corpus/stories/*.jsonl
    .venv/bin/python scripts/story_holdout.py ../shared/corpus/stories/*.jsonl \\
        --set story_match=learned
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from kabar.dedup import Deduper, stories, storymatch
from kabar.dedup.fingerprint import BodyWords
from kabar.dedup.storyscore import kabar_stories, read_labelled, score
from kabar.models import Article
from kabar.settings import DedupSettings

sys.path.insert(0, str(Path(__file__).parent))
from story_holdout import halves

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
NEWTON_STEPS = 30


class _GoldClusterer(stories.StoryClusterer):
    """Places every article in its gold story, noting the candidate pairs on the way."""

    def __init__(self, settings: DedupSettings, gold_of: dict[str, str], everyone: bool) -> None:
        super().__init__(settings)
        self.gold_of = gold_of
        #: Compare with every held story, not only the shortlisted ones.
        self.everyone = everyone
        self.story_of_gold: dict[str, str] = {}
        self.gold_of_story: dict[str, str] = {}
        self.pairs: list[tuple[tuple[float, ...], int]] = []

    def assign(
        self, article_id: str, article: Article, when: Any, words: BodyWords | None = None
    ) -> stories.StoryAssignment:
        words = words if words is not None else BodyWords.of(article.paragraphs)
        doc = self._features(article_id, article, when, words)
        gold = self.gold_of[article.url]
        heads = list(map(self._postings.get, islice(doc.vector, stories.PREFILTER_TERMS)))
        shortlist = list(self._stories.values()) if self.everyone else self._shortlist(doc, heads)
        if shortlist:
            probe = self._probe(doc)
            for story in shortlist:
                pair = self._pair(probe, story)
                if pair is not None:
                    self.pairs.append((pair.features(), int(self.gold_of_story[story.id] == gold)))
        if self._df.add_ids(doc.terms):
            self._use_vocabulary()
        self._latest = max(self._latest, doc.time)
        story_id = self.story_of_gold.get(gold)
        if story_id is not None and story_id in self._stories:
            self._add(self._stories[story_id], doc)
        else:
            story_id = self._create(doc, article, heads).id
            self.story_of_gold[gold] = story_id
            self.gold_of_story[story_id] = gold
        return stories.StoryAssignment(story_id, ())


def pairs_of(records: list[dict[str, Any]], everyone: bool) -> tuple[np.ndarray, np.ndarray]:
    settings = DedupSettings(store="memory")
    deduper = Deduper(settings)
    gold_of = {str(r["url"]): str(r["gold_story"]) for r in records}
    clusterer = _GoldClusterer(settings, gold_of, everyone)
    deduper.clusterer = clusterer
    kabar_stories(records, deduper)
    width = len(storymatch.FEATURES)
    x = np.array([f for f, _ in clusterer.pairs], dtype=np.float64).reshape(-1, width)
    y = np.array([label for _, label in clusterer.pairs], dtype=np.float64)
    return x, y


def full_text(records: list[dict[str, Any]]) -> bool:
    """Most articles have a body of more than a headline's length."""
    long = sum(len(str(r.get("body") or "").split()) >= stories.SHORT_BODY_WORDS for r in records)
    return 2 * long > len(records)


def collapsed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stream with every article an hour after the one before it: events
    weeks apart (BASIL) then meet as neighbours, the full-text negatives the
    real stream hardly has (its events rarely share a fortnight)."""
    start = datetime.fromisoformat(str(records[0]["published_at"]).replace("Z", "+00:00"))
    return [
        {**r, "published_at": (start + timedelta(hours=i)).isoformat().replace("+00:00", "Z")}
        for i, r in enumerate(records)
    ]


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Weighted L2-penalised logistic regression by Newton's method (bias unpenalised)."""
    design = np.hstack((x, np.ones((len(x), 1))))
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (weight * (p - y)) + penalty * beta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        beta -= np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
    return beta[:-1], float(beta[-1])


def clustered_f1(streams: list[list[dict[str, Any]]]) -> list[float]:
    out = []
    for records in streams:
        deduper = Deduper(DedupSettings(store="memory", story_match="learned"))
        predicted = kabar_stories(records, deduper)
        out.append(score(predicted, [r["gold_story"] for r in records]).pair_f1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--l2", type=float, default=0.01)
    args = parser.parse_args()
    # The clusterer reads the shipped file: each candidate threshold is written there.
    args.out = Path(storymatch.__file__).with_name(storymatch.WEIGHTS_FILE)
    tunes = [halves(read_labelled(path))[0] for path in sorted(args.files)]
    names = [path.name for path in sorted(args.files)]
    sources = [(name, tune, False) for name, tune in zip(names, tunes, strict=True)]
    sources += [(f"{n} (collapsed)", collapsed(t), True) for n, t, _ in sources if full_text(t)]
    xs, ys, ws = [], [], []
    for name, tune, everyone in sources:
        x, y = pairs_of(tune, everyone)
        positives = max(int(y.sum()), 1)
        negatives = max(len(y) - positives, 1)
        ws.append(np.where(y == 1, 0.5 / positives, 0.5 / negatives))
        xs.append(x)
        ys.append(y)
        print(f"{name}: {len(y)} pairs, {int(y.sum())} same-story")
    weights, bias = fit(np.vstack(xs), np.concatenate(ys), np.concatenate(ws), args.l2)
    model = storymatch.MatchModel(tuple(round(float(w), 6) for w in weights), round(bias, 6))
    best = (-1.0, 0.5)
    for threshold in THRESHOLDS:
        candidate = storymatch.MatchModel(model.weights, model.bias, threshold)
        args.out.write_bytes(orjson.dumps(candidate.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        f1s = clustered_f1(tunes)
        mean = sum(f1s) / len(f1s)
        print(f"threshold {threshold}: tune pairwise F1 " + " ".join(f"{f:.3f}" for f in f1s))
        if mean > best[0] + 1e-9:
            best = (mean, threshold)
    final = storymatch.MatchModel(model.weights, model.bias, best[1])
    args.out.write_bytes(orjson.dumps(final.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    for name, w in zip(storymatch.FEATURES, final.weights, strict=True):
        print(f"  {name:<12} {w:+.3f}")
    print(f"  {'bias':<12} {final.bias:+.3f}   threshold {final.threshold}")


if __name__ == "__main__":
    main()
