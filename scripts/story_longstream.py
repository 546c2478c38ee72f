"""Story clustering quality and cost with tens of thousands of stories held (issue 14).

The labelled dev streams hold a few hundred stories at most, so nothing that
only matters with a large index (long postings, the story spread) can be
judged on them. This builds a long labelled stream from one of them, in
memory (nothing is written): the file's stories are retold ``--copies``
times, each copy of a story placed ``--gap-s`` seconds after the previous
story (the articles of a story keep their own offsets in event time), so
copies overlap and the stories held grow to ``TTL / gap``. Words used by
at most ``--shared`` gold stories (the events' own: names, places, rarer
words) are renamed per copy to one of ``--variants`` variants (chosen by a
hash of copy and word: copies share such a word now and then, as unrelated
events do); the words of many stories stay, so the common vocabulary's
postings grow with the stream as in a real one (to thousands of stories). Gold labels are per copy.

It drives the ``StoryClusterer`` directly (the deduper would call most
copies near-duplicates of each other) with the deduper's per-article expiry,
and prints every ``--every`` articles the CPU per article (process time) and
the stories held, then pairwise and B-cubed scores of the final stories.

    .venv/bin/python scripts/story_longstream.py ../shared/corpus/stories/basil_dev.jsonl \\
        --copies 700 --gap-s 5
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kabar.dedup.deduper import EXPIRE_PER_ARTICLE
from kabar.dedup.eventtime import event_time
from kabar.dedup.stories import StoryClusterer
from kabar.dedup.storyscore import read_labelled, score
from kabar.models import Article
from kabar.settings import DedupSettings

_WORD = re.compile(r"[A-Za-z]+")
_LETTERS = "bcdfghjklmnpqrstvwxz"
START = datetime(2030, 1, 1, tzinfo=UTC)


def _own_words(records: list[dict[str, Any]], shared: int) -> set[str]:
    """Lower-cased words that occur in ``shared`` gold stories at most."""
    stories: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for word in _WORD.findall(f"{record.get('title') or ''} {record.get('body') or ''}"):
            stories[word.lower()].add(str(record["gold_story"]))
    return {word for word, golds in stories.items() if len(golds) <= shared}


def _tag(copy: int, word: str, variants: int) -> str:
    digest = hashlib.blake2b(f"{copy}|{word}".encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big") % variants
    out = ""
    while True:
        number, letter = divmod(number, len(_LETTERS))
        out += _LETTERS[letter]
        if not number:
            return out


def _renamed(text: str, copy: int, own: set[str], variants: int) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        return word + _tag(copy, word.lower(), variants) if word.lower() in own else word

    return _WORD.sub(swap, text)


def stream(
    records: list[dict[str, Any]], copies: int, gap_s: float, variants: int, shared: int
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """The long stream's records in event-time order (ties in making order)."""
    own = _own_words(records, shared)
    stories: dict[str, list[tuple[float, dict[str, Any]]]] = defaultdict(list)
    for record in records:
        when = event_time(record.get("published_at"), None)
        assert when is not None, "every record needs a published_at"
        stories[str(record["gold_story"])].append((when.timestamp(), record))
    pending: list[tuple[float, int, dict[str, Any]]] = []
    made = 0
    for instance in range(copies * len(stories)):
        copy, index = divmod(instance, len(stories))
        start = instance * gap_s
        while pending and pending[0][0] <= start:
            at, _, record = heapq.heappop(pending)
            yield START + timedelta(seconds=at), record
        members = list(stories.values())[index]
        first = min(t for t, _ in members)
        for t, record in members:
            made += 1
            copied = {
                **record,
                "url": f"{record['url']}#{copy}",
                "title": _renamed(str(record.get("title") or ""), copy, own, variants),
                "body": _renamed(str(record.get("body") or ""), copy, own, variants),
                "gold_story": f"{record['gold_story']}#{copy}",
            }
            heapq.heappush(pending, (start + t - first, made, copied))
    while pending:
        at, _, record = heapq.heappop(pending)
        yield START + timedelta(seconds=at), record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--copies", type=int, default=2000)
    parser.add_argument("--gap-s", type=float, default=20.0)
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument("--shared", type=int, default=5,
                        help="words of at most this many gold stories are renamed per copy")
    parser.add_argument("--every", type=int, default=20_000)
    args = parser.parse_args()
    clusterer = StoryClusterer(DedupSettings(store="memory"))
    predicted: list[str] = []
    gold: list[str] = []
    cpu = 0.0
    print("articles  us/article  held stories  (window)")
    records = read_labelled(args.file)
    for n, (when, record) in enumerate(stream(records, args.copies, args.gap_s,
                                              args.variants, args.shared), 1):  # fmt: skip
        article = Article(
            url=record["url"], title=record["title"], paragraphs=tuple(record["body"].split("\n")),
            portal=record.get("portal") or None, published_at=when.isoformat(),
            language=record.get("language") or None,
        )  # fmt: skip
        t0 = time.process_time()
        clusterer.expire(when, EXPIRE_PER_ARTICLE)
        predicted.append(clusterer.assign(f"a{n}", article, when).story_id)
        cpu += time.process_time() - t0
        gold.append(record["gold_story"])
        if n % args.every == 0:
            print(f"{n:8,} {cpu / args.every * 1e6:10,.0f} {clusterer.held_count:10,}", flush=True)
            cpu = 0.0
    final = [clusterer.resolve(story) for story in predicted]
    s = score(final, gold)
    print(f"pairwise P {s.pair_precision:.3f} R {s.pair_recall:.3f} F1 {s.pair_f1:.3f} |"
          f" B-cubed P {s.bcubed_precision:.3f} R {s.bcubed_recall:.3f} F1 {s.bcubed_f1:.3f} |"
          f" stories {s.stories:,} (gold {s.gold_stories:,}), articles {s.articles:,}")


if __name__ == "__main__":
    main()
