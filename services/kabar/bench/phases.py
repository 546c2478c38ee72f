"""Per-phase timers for `kabar bench dedup --index N`: which part of the work an
article (or a checkpoint) spent its time in, so a slow one is named.

Named functions of the dedup and story code are wrapped (only in the bench
process) by a timer that credits each call's wall and CPU time (this thread's),
less that of the named calls inside it, to its phase; the garbage collector's
collections are phases too (``gc.callbacks``). Only the calling thread is
timed: the writer thread's encoding is not the event loop's time. The wrapping
costs a microsecond or two a call, on the few calls a typical article makes.
"""

from __future__ import annotations

import functools
import gc
import heapq
import importlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: (phase, module, class or None for a module function, attribute).
PHASES = (
    ("lsh flush", "kabar.dedup.lsh", "SortedMultiIndex", "flush"),
    ("lsh merge", "kabar.dedup.lsh", "SortedMultiIndex", "_merge_runs"),
    ("lsh bulk add", "kabar.dedup.lsh", "SortedMultiIndex", "add_many"),
    ("lsh compact", "kabar.dedup.lsh", "SortedMultiIndex", "compact"),
    ("store expire", "kabar.dedup.store", "MemoryStore", "expire"),
    ("store compact", "kabar.dedup.store", "MemoryStore", "_compact"),
    ("store flush", "kabar.dedup.store", "SqliteStore", "flush"),
    ("store get", "kabar.dedup.store", "MemoryStore", "get"),
    ("store first_with_hash", "kabar.dedup.store", "MemoryStore", "first_with_hash"),
    ("store candidates", "kabar.dedup.store", "MemoryStore", "candidates"),
    ("store put", "kabar.dedup.store", "SqliteStore", "put"),
    ("store snapshot", "kabar.dedup.store", "SqliteStore", "snapshot"),
    ("story cut", "kabar.dedup.stories", "StoryClusterer", "checkpoint"),
    ("story cut: finish last", "kabar.dedup.storystate", "StoryCut", "finish"),
    ("story copy on write", "kabar.dedup.storystate", "StoryCut", "keep"),
    ("story expiry", "kabar.dedup.stories", "StoryClusterer", "expire"),
    ("expiry heap", "kabar.dedup.storyexpiry", "StoryExpiry", "_expire"),
    ("expiry idle sweep", "kabar.dedup.storyexpiry", "StoryExpiry", "_sweep_idle"),
    ("story pack idle", "kabar.dedup.stories", "StoryClusterer", "_freeze_some"),
    ("story settle read", "kabar.dedup.stories", "StoryClusterer", "_settle_read"),
    ("story merge", "kabar.dedup.stories", "StoryClusterer", "_merge"),
    ("vocabulary compact", "kabar.dedup.tfidf", "DocumentFrequencies", "_compact_some"),
    ("vocabulary compact: start", "kabar.dedup.tfidf", "DocumentFrequencies",
     "_start_compaction"),
    ("vocabulary memos", "kabar.dedup.stories", "StoryClusterer", "_use_vocabulary"),
    ("termids grow", "kabar.dedup.termids", "HashedTerms", "_grow"),
    ("termids new words", "kabar.dedup.termids", "HashedTerms", "_resolve"),
    ("near-duplicate", "kabar.dedup.deduper", "Deduper", "_near_duplicate"),
    ("heap freeze", "kabar.dedup.deduper", "Deduper", "_freeze"),
    ("boilerplate copy", "kabar.dedup.boilerplate", "BoilerplateLines", "copy"),
    ("checkpoint gate", "kabar.dedup.storystate", "CheckpointGate", "checkpoint"),
)
#: Slowest articles and checkpoints kept with their phases.
KEEP = 8
#: Articles slower than this (wall ms) are counted by the phase that took most of them.
SLOW_MS = 100.0


@dataclass(order=True, slots=True)
class Timed:
    """One article or checkpoint: wall and CPU ms, and ms (wall, CPU) per phase."""

    wall_ms: float
    cpu_ms: float = field(compare=False)
    n: int = field(compare=False)
    phases: dict[str, tuple[float, float]] = field(compare=False, default_factory=dict)

    def line(self) -> str:
        named = sorted(self.phases.items(), key=lambda kv: -kv[1][0])
        other_wall = self.wall_ms - sum(w for w, _ in self.phases.values())
        other_cpu = self.cpu_ms - sum(c for _, c in self.phases.values())
        parts = [f"{name} {w:.0f}/{c:.0f}" for name, (w, c) in named if w >= 1.0]
        parts.append(f"rest {other_wall:.0f}/{other_cpu:.0f}")
        return (f"#{self.n:,}: {self.wall_ms:.0f} ms wall / {self.cpu_ms:.0f} CPU ="
                f" {', '.join(parts)}")  # fmt: skip

    def dominant(self) -> str:
        rest = self.wall_ms - sum(w for w, _ in self.phases.values())
        best = max(self.phases.items(), key=lambda kv: kv[1][0], default=("rest", (rest, 0.0)))
        return best[0] if best[1][0] >= rest else "rest"


class Phases:
    """The timers (``install``), the current item's phases, and what was kept."""

    def __init__(self) -> None:
        self._main = threading.get_ident()
        self._stack: list[list[float]] = []  # [child wall, child cpu] per open call
        self._now: dict[str, list[float]] = {}
        self._undo: list[Callable[[], None]] = []
        self._gc: tuple[float, float] | None = None
        self.slowest: dict[str, list[Timed]] = {"article": [], "checkpoint": []}
        self.slow_by_phase: dict[str, int] = {}
        #: Phase totals (CPU ms) over the current window, per kind of item
        #: (``window_totals``).
        self._windows: dict[str, dict[str, float]] = {}

    def install(self) -> None:
        for name, module, owner, attr in PHASES:
            target: Any = importlib.import_module(module)
            if owner is not None:
                target = getattr(target, owner)
            original = target.__dict__[attr]
            setattr(target, attr, self._wrap(name, original))
            self._undo.append(functools.partial(setattr, target, attr, original))
        gc.callbacks.append(self._on_gc)

    def uninstall(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != self._main:
                return fn(*args, **kwargs)
            self._enter()
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self._leave(name, time.perf_counter() - t0, time.thread_time() - c0)

        return timed

    def _enter(self) -> None:
        self._stack.append([0.0, 0.0])

    def _leave(self, name: str, wall: float, cpu: float) -> None:
        child = self._stack.pop()
        spent = self._now.setdefault(name, [0.0, 0.0])
        spent[0] += (wall - child[0]) * 1000
        spent[1] += (cpu - child[1]) * 1000
        if self._stack:
            self._stack[-1][0] += wall
            self._stack[-1][1] += cpu

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if threading.get_ident() != self._main:
            return
        if phase == "start":
            self._enter()
            self._gc = (time.perf_counter(), time.thread_time())
        elif self._gc is not None:
            t0, c0 = self._gc
            self._gc = None
            self._leave(f"gc gen{info['generation']}", time.perf_counter() - t0,
                        time.thread_time() - c0)  # fmt: skip

    @contextmanager
    def item(self, kind: str, n: int) -> Iterator[None]:
        """Time one article or checkpoint (``kind``) as a whole, with its phases."""
        self._now = {}
        t0, c0 = time.perf_counter(), time.thread_time()
        yield
        wall, cpu = (time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000
        window = self._windows.setdefault(kind, {})
        for name, (_, c) in self._now.items():
            window[name] = window.get(name, 0.0) + c
        if kind not in self.slowest:
            return  # (the reference articles of the fair comparison: totals only)
        kept = self.slowest[kind]
        if len(kept) < KEEP or wall > kept[0].wall_ms:
            timed = Timed(wall, cpu, n, {k: (v[0], v[1]) for k, v in self._now.items()})
            (heapq.heappush if len(kept) < KEEP else heapq.heapreplace)(kept, timed)
            if kind == "article" and wall >= SLOW_MS:
                self._count_slow(timed)
        elif kind == "article" and wall >= SLOW_MS:
            self._count_slow(Timed(wall, cpu, n, {k: (v[0], v[1]) for k, v in self._now.items()}))

    def _count_slow(self, timed: Timed) -> None:
        what = timed.dominant()
        self.slow_by_phase[what] = self.slow_by_phase.get(what, 0) + 1

    def window_totals(self, kind: str = "article") -> dict[str, float]:
        """CPU ms per phase of ``kind``'s items since the last call (a window of
        articles), and reset."""
        return self._windows.pop(kind, {})

    def report(self) -> list[str]:
        lines = []
        for kind, kept in self.slowest.items():
            lines.append(f"slowest {kind}s (ms wall/CPU by phase; rest: not a named phase):")
            lines += [f"  {t.line()}" for t in sorted(kept, reverse=True)]
        slow = ", ".join(f"{k} {v:,}" for k, v in sorted(self.slow_by_phase.items(),
                                                          key=lambda kv: -kv[1]))  # fmt: skip
        lines.append(f"articles over {SLOW_MS:.0f} ms wall, by the phase that took most: "
                     f"{slow or 'none'}")  # fmt: skip
        return lines


def window_line(totals: dict[str, float], articles: int) -> str:
    """The named phases' CPU per article over a window (us), largest first."""
    parts = sorted(totals.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {v * 1000 / articles:,.1f}" for k, v in parts if v > 0) or "none"
