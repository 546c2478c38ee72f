"""Per-host politeness: a token bucket for the request rate plus a semaphore for
the number of requests in flight.

The bucket is kept as a schedule (GCRA): each request reserves the next free
start time, so waiting callers are spaced ``1/rate`` apart after an initial
burst and the spacing holds no matter how many workers ask at once.
Crawl-delay (robots.txt) widens the spacing; Retry-After pushes the host's next
free slot into the future for everyone. A slow request may give its slot back
before it ends (``Lease.step_aside``: see ``kabar.fetch.hostqueue``).

A ``share`` below 1 keeps to that part of every limit (rate, burst, slots, and the
crawl-delay widened to match): a crawl process that gets one of a host's N
frontier shards keeps to 1/N of it, so the N together keep to the host's limits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class HostLimiter:
    """Rate and concurrency limits for one host."""

    def __init__(
        self,
        rate: float,
        burst: int,
        concurrency: int,
        *,
        share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._share = share
        self._base_interval = 1.0 / (rate * share) if rate > 0 else 0.0
        self._interval = self._base_interval
        self._base_burst = shared(burst, share)
        self._burst = self._base_burst
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request
        self._not_before = 0.0
        self._semaphore = asyncio.Semaphore(shared(concurrency, share))

    @property
    def interval(self) -> float:
        return self._interval

    def set_crawl_delay(self, delay: float | None) -> None:
        """Space requests at least ``delay`` seconds apart, without bursts."""
        if delay is None or delay <= 0:
            self._interval = self._base_interval
            self._burst = self._base_burst
            return
        self._interval = max(self._base_interval, delay / self._share)
        self._burst = 1

    def push_back(self, seconds: float) -> None:
        """No request to this host may start within ``seconds`` from now."""
        self._not_before = max(self._not_before, self._clock() + seconds)

    def reserve(self) -> float:
        """Book the next start time; returns how long the caller must wait."""
        now = self._clock()
        tolerance = (self._burst - 1) * self._interval
        start = max(now, self._tat - tolerance, self._not_before)
        self._tat = max(self._tat, start) + self._interval
        return start - now

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Lease]:
        """Hold one of the host's concurrency slots, started no earlier than the rate
        allows; ``Lease.step_aside`` gives it back early (a parked slow request)."""
        await self._semaphore.acquire()
        lease = Lease(self._semaphore)
        try:
            wait = self.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
            # A Retry-After may have arrived while we waited.
            while (late := self._not_before - self._clock()) > 0:
                await asyncio.sleep(late)
            yield lease
        finally:
            lease.step_aside()


class Lease:
    """One held concurrency slot of a host."""

    __slots__ = ("_held", "_semaphore")

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore
        self._held = True

    def step_aside(self) -> None:
        """Give the slot back now (once); the request itself goes on."""
        if self._held:
            self._held = False
            self._semaphore.release()


class RateLimiter:
    """One ``HostLimiter`` per host, created on first use."""

    def __init__(self, rate: float, burst: int, concurrency: int, share: float = 1.0) -> None:
        self._rate = rate
        self._burst = burst
        self._concurrency = concurrency
        self._share = share
        self._hosts: dict[str, HostLimiter] = {}

    def host(self, host: str) -> HostLimiter:
        limiter = self._hosts.get(host)
        if limiter is None:
            limiter = HostLimiter(self._rate, self._burst, self._concurrency, share=self._share)
            self._hosts[host] = limiter
        return limiter

    def set_rate(self, host: str, rate: float) -> None:
        """Override one host's rate (e.g. a portal's configured ``rate``)."""
        self._hosts[host] = HostLimiter(rate, self._burst, self._concurrency, share=self._share)


def shared(limit: int, share: float) -> int:
    """A count limit kept to ``share`` of it: rounded down (the shares together never
    exceed it), never below one (callers split a host only that many ways)."""
    return max(1, int(limit * share + 1e-9))
