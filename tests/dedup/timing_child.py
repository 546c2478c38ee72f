"""One run of the story stream for tests/dedup/test_state_timing.py, in a process of
its own (its own hash seed): ``python -m tests.dedup.timing_child STATE EVERY``
processes the stream's first part committing every EVERY articles (as the stories
role commits on a wall-clock interval) and prints what the state file holds and
how the in-memory state was laid out; run again on the same STATE it reopens it,
processes the rest and prints every result. Not a test itself."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path
from typing import Any

import orjson

from kabar.bench.dedup import StoryStream
from kabar.dedup import Deduper
from kabar.dedup.storystate import StoredRows, is_frozen
from tests.dedup.state_support import Stream, clusterer_of, stream_deduper

#: Articles before the reopen, then after it (event time: 200 a day, so stories idle
#: for hours are packed and their terms go cold).
FIRST, THEN = 600, 150
#: Written fresh by every state file (its identity), or counting its checkpoints.
_IDENTITY = ("snapshot_token",)


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def content(path: Path) -> dict[str, str]:
    """What the state file holds, table by table (rows in key order), blob by blob;
    without the file's identity and the stories header's checkpoint count."""
    db = sqlite3.connect(path)
    try:
        out = {}
        for table in ("articles", "story_rows", "story_terms"):
            rows = sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            out[table] = _digest(
                [[v.hex() if isinstance(v, bytes) else v for v in row] for row in rows]
            )
        for name, data in db.execute("SELECT name, data FROM blobs"):
            blob = bytes(data)
            if name in _IDENTITY:
                continue
            if name == "stories":
                header = orjson.loads(blob)
                header.pop("cut")
                blob = orjson.dumps(header, option=orjson.OPT_SORT_KEYS)
            out[f"blob:{name}"] = hashlib.sha256(blob).hexdigest()
        return out
    finally:
        db.close()


def _results(deduper: Deduper, items: Stream) -> str:
    results = []
    for article, when in items:
        result, events = deduper.process(article, when=when)
        results.append([result.verdict, result.story_id, result.article_id, events])
    return _digest(results)


def main(path: Path, every: int) -> dict[str, Any]:
    stream = StoryStream(seed=7, per_day=200)
    items = [stream.next() for _ in range(FIRST + THEN)]
    reopen = path.exists()
    deduper = stream_deduper(path)
    if reopen:
        results = _results(deduper, items[FIRST:])
        deduper.close()
        return {"results": results}
    for n, (article, when) in enumerate(items[:FIRST], 1):
        deduper.process(article, when=when)
        if every and n % every == 0:
            deduper.commit()
    deduper.commit()
    if every == 0:  # never reopened: the rest straight on
        return {"results": _results(deduper, items[FIRST:])}
    stories = clusterer_of(deduper)._stories.values()
    layout = {
        "cold_terms": clusterer_of(deduper)._cold.size,
        "packed": sum(map(is_frozen, stories)),
        "held_as_rows": sum(
            isinstance(object.__getattribute__(s, "raw"), StoredRows) for s in stories
        ),
    }
    deduper.close()
    return {"content": content(path), "layout": layout}


if __name__ == "__main__":
    print(orjson.dumps(main(Path(sys.argv[1]), int(sys.argv[2]))).decode())
