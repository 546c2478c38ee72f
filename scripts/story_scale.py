"""How story clustering fares as the story index grows (issue 14), quickly.

Runs the synthetic stream of `kabar bench dedup --index N` (``StoryStream``)
through a ``Deduper`` with a memory store (no SQLite, no checkpoints: only the
dedup + story path) and prints, every ``--every`` articles: CPU per article
(process time, over the window), stories held, stories made per event, the
share of articles whose shortlist was empty, and how the articles were placed
against the stream's own events (joined the story of their event's previous
article / started a story for a new event: right; anything else: wrong).

    .venv/bin/python scripts/story_scale.py 200000 [--every 10000] [--posting-cap 100]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from kabar.bench.dedup import StoryStream
from kabar.dedup import Deduper, stories
from kabar.settings import DedupSettings


class _Counting(stories.StoryClusterer):
    """The clusterer, counting articles whose shortlist came back empty."""

    empty = 0

    def _shortlist(self, doc: Any, heads: Any) -> list[Any]:
        found = super()._shortlist(doc, heads)
        if not found:
            _Counting.empty += 1
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles", type=int)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--per-day", type=int, default=40_000)
    parser.add_argument("--posting-cap", type=int, default=stories.POSTING_CAP,
                        help="a lower cap shows at a smaller index what the default does at a"
                             " larger one")
    args = parser.parse_args()
    stories.POSTING_CAP = args.posting_cap
    stream = StoryStream(per_day=args.per_day)
    deduper = Deduper(DedupSettings(store="memory"), clustering=False)
    clusterer = _Counting(deduper.settings)
    deduper.clusterer = clusterer
    story_of_event: dict[int, str] = {}
    created = right = 0
    cpu = 0.0
    print("articles  us/article  held  stories/events  empty-shortlist  right  (window)")
    for n in range(1, args.articles + 1):
        article, when = stream.next()
        t0 = time.process_time()
        _, events = deduper.process(article, when=when)
        cpu += time.process_time() - t0
        event = stream.last_event
        story = clusterer.resolve(events[0]["story_id"]) if events else ""
        new = bool(events) and events[0]["type"] == "story.created"
        created += new
        before = story_of_event.get(event)
        if before is None:
            right += new
        else:
            right += clusterer.resolve(before) == story
        story_of_event[event] = story
        if n % args.every == 0:
            print(f"{n:8,} {cpu / args.every * 1e6:10,.0f} {clusterer.held_count:7,}"
                  f" {created / max(stream.events_made, 1):10.2f}"
                  f" {_Counting.empty / args.every:12.2f} {right / args.every:12.3f}",
                  flush=True)
            cpu, right, _Counting.empty = 0.0, 0, 0


if __name__ == "__main__":
    main()
