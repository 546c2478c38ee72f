"""Where the memory of the story + dedup state goes (issue 14).

Grows the state as `kabar bench dedup --index N` does (synthetic StoryStream,
SQLite dedup state, a checkpoint every 2,000 articles), then walks each
structure and sums ``sys.getsizeof`` of the objects it reaches (each object
counted once, in the first structure that reaches it; numpy arrays by their
buffers). Slow: a run of 100k articles takes about 5 minutes of CPU.

    .venv/bin/python scripts/story_memory.py 100000
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from kabar.bench.dedup import StoryStream, _rss_mb
from kabar.dedup import Deduper
from kabar.dedup.storystate import FROZEN_FIELDS, is_frozen
from kabar.settings import DedupSettings

_LEAVES = (str, bytes, bytearray, int, float, bool, array, type(None))


def walk(root: Any, seen: set[int], kinds: dict[str, int]) -> int:
    """Bytes of the objects reachable from ``root`` not ``seen`` yet."""
    total, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        size = sys.getsizeof(obj) if not isinstance(obj, np.ndarray) or obj.base is None else 112
        total += size
        kinds[type(obj).__name__] = kinds.get(type(obj).__name__, 0) + size
        if isinstance(obj, dict):
            stack += [*obj.keys(), *obj.values()]
        elif isinstance(obj, list | tuple | set | frozenset):
            stack += obj
        elif not isinstance(obj, (*_LEAVES, np.ndarray)):
            if hasattr(obj, "__dict__"):
                stack.append(obj.__dict__)
            for cls in type(obj).__mro__:
                for name in getattr(cls, "__slots__", ()):
                    with contextlib.suppress(AttributeError):
                        stack.append(object.__getattribute__(obj, name))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles", type=int)
    parser.add_argument("--per-day", type=int, default=40_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kabar-story-memory-") as tmp:
        settings = DedupSettings(store="sqlite", state_path=str(Path(tmp) / "state.sqlite3"),
                                 checkpoint_interval_s=0.0)  # fmt: skip
        stream = StoryStream(per_day=args.per_day)
        gc.collect()
        before = _rss_mb()
        deduper = Deduper(settings)
        deduper.defer_commits()
        started = time.process_time()
        for n in range(1, args.articles + 1):
            article, when = stream.next()
            deduper.process(article, when=when)
            if n == args.articles or (n % 2000 == 0 and not deduper.checkpoint_busy):
                deduper.commit()
        getattr(deduper.store, "sync", lambda _: True)(600.0)
        gc.collect()
        report(deduper, _rss_mb() - before, args.articles, time.process_time() - started)
        heap(before)
        deduper.close()


def report(deduper: Any, rss_mb: float, articles: int, cpu_s: float) -> None:
    clusterer = deduper.clusterer
    stories = list(clusterer._stories.values())
    frozen = [s for s in stories if is_frozen(s)]
    print(f"{articles:,} articles ({cpu_s:,.0f} s CPU): RSS +{rss_mb:,.0f} MB;"
          f" {len(stories):,} stories held, {len(frozen):,} packed")  # fmt: skip
    seen: set[int] = set()
    keep: list[Any] = []  # the roots stay alive: a freed root's id could be reused

    def part(name: str, *roots: Any) -> None:
        keep.append(roots)
        kinds: dict[str, int] = {}
        size = sum(walk(root, seen, kinds) for root in roots)
        top = sorted(kinds.items(), key=lambda kv: -kv[1])[:4]
        kinds_text = ", ".join(f"{k} {v / 1e6:.1f}" for k, v in top)
        print(f"  {name:34s} {size / 1e6:8.1f} MB  ({kinds_text})")

    part("vocabulary (document frequencies)", clusterer._df)
    part("word-hash and token memos", clusterer._term_ids, clusterer._hashed_terms)
    for name in FROZEN_FIELDS:
        held = []
        for story in stories:
            with contextlib.suppress(AttributeError):
                held.append(object.__getattribute__(story, name))
        part(f"unpacked .{name} ({len(held):,})", held)
    part("packed stories (raw rows)", [s.raw for s in stories])
    postings = clusterer._postings
    sizes = np.fromiter(map(len, postings.values()), np.int64, len(postings)) // 4
    arrays = sum(type(p) is bytearray for p in postings.values())
    print(f"  postings: {len(postings):,} terms ({arrays:,} bytearrays); stories a posting:"
          f" 1: {(sizes == 1).sum():,}, 2-8: {((sizes > 1) & (sizes <= 8)).sum():,},"
          f" 9-31: {((sizes > 8) & (sizes < 32)).sum():,}, 32+: {(sizes >= 32).sum():,}"
          f" ({sizes[sizes >= 32].sum():,} entries); {len(clusterer._dropped):,} trimmed,"
          f" {sum(clusterer._dropped.values()):,} entries dropped")  # fmt: skip
    part("postings", postings)
    part(f"cold terms ({clusterer._cold.size:,} hashes)", clusterer._cold)
    part("story objects (slots, ids, keys)", stories)
    part("story maps (by id, by number)", clusterer._stories, clusterer._numbered)
    part("rest of the clusterer", clusterer)
    part("dedup rows, indexes (store)", deduper.store)
    part("boilerplate line counts", deduper.boilerplate)
    part("rest of the deduper", deduper)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]  # fmt: skip


def heap(before: float) -> None:
    """Where the bytes no structure accounts for are: pymalloc's arenas (blocks in
    use, free blocks in used pools, free pools), malloc's heap (in use, free), and
    what a ``malloc_trim`` gives back."""
    sys.stdout.flush()
    sys._debugmallocstats()  # (to stderr, from C)
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    started = time.perf_counter()
    info = libc.mallinfo2()
    took = time.perf_counter() - started
    print(f"  malloc: heap {info.arena / 1e6:.1f} MB, in use {info.uordblks / 1e6:.1f},"
          f" free {info.fordblks / 1e6:.1f}, mmapped {info.hblkhd / 1e6:.1f} MB"
          f" (mallinfo2 {took * 1e3:.1f} ms)")
    started = time.perf_counter()
    libc.malloc_trim(0)
    took = time.perf_counter() - started
    print(f"  RSS after malloc_trim ({took * 1e3:.1f} ms): +{_rss_mb() - before:,.0f} MB")


if __name__ == "__main__":
    main()
