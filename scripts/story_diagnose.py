"""Why same-event articles end in different stories: a diagnostic over a labelled stream.

For every article that has same-story (``gold_story``) predecessors, each live
story holding one of them is traced through the join decision: was it
retrieved (how many of the article's ``PREFILTER_TERMS`` heaviest terms it
shares, against ``MIN_SHARED``, or ``SPARSE_MIN_SHARED`` in a sparse stream),
did the entity guard let it through, what did it score against the threshold
(with the stream's sparseness, see ``stories.SPARSE_BONUS``), and where did
the article go instead.
The tally at the end says which step loses the most same-event pairs.

    .venv/bin/python scripts/story_diagnose.py ../shared/corpus/stories/basil_dev.jsonl [-v]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from kabar.dedup import Deduper, stories
from kabar.dedup.storyscore import kabar_stories, read_labelled, score
from kabar.settings import DedupSettings


class _Tracing(stories.StoryClusterer):
    """The clusterer, noting for each article how the stories of its gold story fared."""

    gold_of: dict[str, str]
    story_gold: dict[str, Counter[str]]
    verbose: bool
    tally: Counter[str]

    def assign(self, article_id: str, article: Any, when: Any, words: Any = None) -> Any:
        self._current = (article_id, article)
        result = super().assign(article_id, article, when, words)
        gold = self.gold_of[article.url]
        self.story_gold.setdefault(self.resolve(result.story_id), Counter())[gold] += 1
        return result

    def _rank(self, doc: Any, heads: Any) -> list[tuple[float, Any]]:
        ranked = super()._rank(doc, heads)
        _, article = self._current
        gold = self.gold_of[article.url]
        # story_gold can hold stories merged away: only live ones count.
        mates = [
            self._stories[sid] for sid, golds in self.story_gold.items()
            if golds[gold] and sid in self._stories
        ]  # fmt: skip
        if not mates:
            return ranked
        probe = self._probe(doc)
        top = list(doc.vector)[: stories.PREFILTER_TERMS]
        need = stories.SHORT_MIN_SHARED if doc.short else stories.MIN_SHARED
        if len(self._stories) < stories.SPARSE_STORIES:  # a sparse stream looks further
            need = min(need, stories.SPARSE_MIN_SHARED)
        threshold = stories.SHORT_THRESHOLD if doc.short else self.settings.story_threshold
        shortlisted = {id(story) for _, story in ranked}
        best = ranked[0] if ranked else None
        for story in mates:
            shared = sum(1 for t in top if t in story.centroid)
            entity_ok = not (
                doc.entities and story.entities and story.entities.keys().isdisjoint(doc.entities)
            )
            value = self._score(probe, story) if entity_ok else None
            if id(story) in shortlisted and value is not None and value >= threshold:
                verdict = "joined" if best is not None and best[1] is story else "outscored"
            elif shared < need:
                verdict = "not retrieved (shared terms)"
            elif id(story) not in shortlisted and entity_ok:
                verdict = "not retrieved (shortlist/cap/budget)"
            elif not entity_ok:
                verdict = "entity guard"
            else:
                verdict = "below threshold"
            self.tally[verdict] += story.member_count
            if self.verbose and verdict != "joined":
                went = f"{best[0]:.3f} {best[1].title[:40]!r}" if best else "new story"
                print(
                    f"{article.portal:<14} {article.title[:50]!r:<54} vs {story.title[:40]!r}: "
                    f"{verdict}; shared {shared}/{need}, "
                    f"score {value if value is None else round(value, 3)} / {threshold} "
                    f"(sparseness {probe.sparse:.2f}); "
                    f"best {went}"
                )
        return ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    records = read_labelled(args.file)
    deduper = Deduper(DedupSettings(store="memory"))
    tracing = _Tracing(deduper.settings)
    tracing.gold_of = {str(r["url"]): str(r["gold_story"]) for r in records}
    tracing.story_gold, tracing.verbose, tracing.tally = {}, args.verbose, Counter()
    deduper.clusterer = tracing
    predicted = kabar_stories(records, deduper)
    print(score(predicted, [r["gold_story"] for r in records]).line())
    print("same-story predecessors, by what happened at the join decision:")
    for verdict, count in tracing.tally.most_common():
        print(f"  {verdict:<38} {count}")


if __name__ == "__main__":
    main()
