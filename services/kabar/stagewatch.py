"""Where a pipeline waits: stage occupancy sampled over a run (a debugging aid).

The pipeline counts what its workers are doing at each moment (fetching, handing
a page to the extract queue, waiting for an extraction process, awaiting an ack
...) in ``Occupancy``. With ``KABAR_DEBUG_STAGES`` set, a ``Sampler`` reads those
counts, the queue depths and the event loop's lag every few milliseconds and logs
their means, and the share of samples each queue sat empty or full, when the
run ends. Which queue sits full and which empty names the stage that holds the
others up; the loop lag says whether this process's event loop is itself the
busy resource.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable

from kabar.logs import log_event

log = logging.getLogger("kabar.stagewatch")

#: Set (to anything but "" or "0") to sample and log stage occupancy.
ENV = "KABAR_DEBUG_STAGES"
INTERVAL_S = 0.01


def enabled() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


class Occupancy(Counter[str]):
    """Workers by what they are doing now (``with occupancy.doing(what)`` around each
    wait, or ``enter``/``leave`` where the wait ends on two paths)."""

    def enter(self, what: str) -> None:
        self[what] += 1

    def leave(self, what: str) -> None:
        self[what] -= 1

    def doing(self, what: str) -> _Doing:
        return _Doing(self, what)


class _Doing:
    """The context of ``Occupancy.doing`` (a class: it is on every page's path, where a
    generator-based context manager costs several times more)."""

    __slots__ = ("_occupancy", "_what")

    def __init__(self, occupancy: Occupancy, what: str) -> None:
        self._occupancy, self._what = occupancy, what

    def __enter__(self) -> None:
        self._occupancy[self._what] += 1

    def __exit__(self, *_: object) -> None:
        self._occupancy[self._what] -= 1


Probe = Callable[[], float]


class Sampler:
    """Means and empty/full shares of named probes, sampled every ``INTERVAL_S``."""

    def __init__(self, probes: dict[str, Probe], bounds: dict[str, int],
                 occupancy: Occupancy) -> None:
        self.probes = probes
        self.bounds = bounds  # probe name -> capacity, for the "full" share
        self.occupancy = occupancy
        self.sums: dict[str, float] = {}
        self.empty: Counter[str] = Counter()
        self.full: Counter[str] = Counter()
        self.samples = 0
        self.lag_s = 0.0
        self.lag_max_s = 0.0
        self._cpu = resource.getrusage(resource.RUSAGE_SELF)
        self._wall = time.perf_counter()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + INTERVAL_S
            await asyncio.sleep(INTERVAL_S)
            lag = max(0.0, loop.time() - due)
            self.lag_s += lag
            self.lag_max_s = max(self.lag_max_s, lag)
            self.sample()

    def sample(self) -> None:
        self.samples += 1
        values = {name: probe() for name, probe in self.probes.items()}
        values.update(self.occupancy)
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
            if value <= 0:
                self.empty[name] += 1
            bound = self.bounds.get(name)
            if bound and value >= bound:
                self.full[name] += 1

    def report(self) -> None:
        n = max(1, self.samples)
        now = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (now.ru_utime - self._cpu.ru_utime) + (now.ru_stime - self._cpu.ru_stime)
        wall = time.perf_counter() - self._wall
        parts = []
        for name in sorted(self.sums):
            text = f"{name}={self.sums[name] / n:.1f}"
            if name in self.bounds:
                text += f"(empty {self.empty[name] / n:.0%} full {self.full[name] / n:.0%})"
            parts.append(text)
        log_event(log, "INFO", "stage occupancy: " + " ".join(parts),
                  samples=self.samples, loop_lag_ms_mean=round(self.lag_s / n * 1000, 2),
                  loop_lag_ms_max=round(self.lag_max_s * 1000, 1),
                  process_cpu_s=round(cpu, 2), wall_s=round(wall, 2),
                  process_cores=round(cpu / wall, 2) if wall else 0.0)


@contextlib.asynccontextmanager
async def watching(probes: dict[str, Probe], bounds: dict[str, int],
                   occupancy: Occupancy) -> AsyncIterator[None]:
    """Sample while the block runs (when ``enabled``), then log the figures."""
    if not enabled():
        yield
        return
    sampler = Sampler(probes, bounds, occupancy)
    task = asyncio.create_task(sampler.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sampler.report()
