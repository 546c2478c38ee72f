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

With a run's board (``kabar.fetch.hostboard``: the folder of a ``kabar run
--processes N``, or the distributed roles' Redis) the limits hold for the run as a
whole: a pause one process got holds the host for
every process (each reads the board before each request), and the requests of the
run's discovery are charged to the crawl processes' shares of the host. With the
run's slots (``kabar.fetch.hostslots``, one machine) each request also holds one of
the host's slots for the whole run, so discovery's slots come out of the host's too,
and a process's further pages may take the host's slots its other processes leave
free (its new articles keep to its share of them: the fetch queue's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from kabar import metrics
from kabar.fetch.hostboard import Board
from kabar.fetch.hostslots import RunSlots


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
        host: str = "",
        run: RateLimiter | None = None,
    ) -> None:
        self._host = host
        #: The limiter of every host, when it shares a run's board; None: this process alone.
        self._run = run if run is not None and run.board is not None else None
        self._share = share
        self._base_interval = 1.0 / (rate * share) if rate > 0 else 0.0
        self._interval = self._base_interval
        self._base_burst = shared(burst, share)
        self._burst = self._base_burst
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request
        self._not_before = 0.0
        #: How far charges (``charge``) have moved this host's queue back, in all.
        self._moved = 0.0
        #: The host's slots for the whole run, when the run shares them.
        self._whole = concurrency
        # With the run's slots bounding the host's requests of all processes, this
        # process may hold up to all of them: its new articles keep to its share (the
        # fetch queue's per-host slots), but an article's further pages, which bypass
        # that queue, take a slot another process leaves free instead of waiting behind
        # this process's own (a 3-page article's two further pages one after the other).
        whole = self._run is not None and self._run.slots is not None
        self._semaphore = asyncio.Semaphore(concurrency if whole else shared(concurrency, share))

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

    def push_back(self, seconds: float, reason: str = "retry_after") -> None:
        """No request to this host may start within ``seconds`` from now (the host
        said so: ``reason``); with a run's board, none of the run's processes."""
        metrics.child(metrics.HOST_PAUSES_RECEIVED, reason).inc()
        self.hold_for(seconds, reason)
        if self._run is not None:
            self._run.announce(self._host, seconds, reason)

    def hold_for(self, seconds: float, reason: str) -> None:
        """No request to this host may start within ``seconds`` from now."""
        not_before = self._clock() + seconds
        if not_before > self._not_before:
            self._not_before = not_before
            metrics.child(metrics.HOST_PAUSES_APPLIED, reason).inc()

    def charge(self, requests: int, ago: float = 0.0) -> None:
        """Another process of the run (its discovery) sent ``requests`` to the host
        ``ago`` seconds ago: this process's share of them comes off its share of the
        budget, so the shares and discovery together keep to the host's rate. (A
        request long past costs nothing now, as a bucket refills.)"""
        now = self._clock()
        before = max(self._tat, now)
        self._tat = max(self._tat, now - max(0.0, ago)) + requests * self._interval * self._share
        # Requests already booked and waiting move back by as much as the queue did.
        self._moved += max(0.0, self._tat - before)

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
        run = self._run
        try:
            if run is not None and run.slots is not None:
                lease.hold(await run.slots.take(self._host, self._whole), run.slots.release)
            if run is not None:
                run.catch_up()  # discovery's requests, before booking
            wait = self.reserve()
            moved = self._moved
            slept = wait > 0
            if slept:
                await asyncio.sleep(wait)
            # A Retry-After may have arrived while we waited (here or in another process),
            # or discovery's requests moved the queue back.
            while True:
                if run is not None and slept:
                    run.catch_up()
                late = max(self._not_before - self._clock(), self._moved - moved)
                moved = self._moved
                if late <= 0:
                    break
                await asyncio.sleep(late)
                slept = True
            if run is not None:
                run.sent(self._host)
            yield lease
        finally:
            lease.step_aside()


class Lease:
    """One held concurrency slot of a host (and of the run's, when it shares them)."""

    __slots__ = ("_held", "_release", "_run_slot", "_semaphore")

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore
        self._held = True
        self._run_slot = -1
        self._release: Callable[[int], None] | None = None

    def hold(self, run_slot: int, release: Callable[[int], None]) -> None:
        """Also hold the run's slot ``run_slot``, given back by ``release``."""
        self._run_slot, self._release = run_slot, release

    def step_aside(self) -> None:
        """Give the slot back now (once); the request itself goes on."""
        if self._held:
            self._held = False
            self._semaphore.release()
            if self._release is not None:
                self._release(self._run_slot)


class RateLimiter:
    """One ``HostLimiter`` per host, created on first use; with a run's ``board``, the
    host words of the run's other processes applied to them (``catch_up``).
    ``discovery``: this is the run's discovery, whose requests the crawl processes are
    charged for."""

    def __init__(
        self, rate: float, burst: int, concurrency: int, share: float = 1.0, *,
        board: Board | None = None, discovery: bool = False, slots: RunSlots | None = None,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._concurrency = concurrency
        self._share = share
        self.board = board
        self.slots = slots
        self._discovery = discovery
        self._hosts: dict[str, HostLimiter] = {}

    def host(self, host: str) -> HostLimiter:
        limiter = self._hosts.get(host)
        if limiter is None:
            limiter = self._new(host, self._rate)
            self._hosts[host] = limiter
        return limiter

    def set_rate(self, host: str, rate: float) -> None:
        """Override one host's rate (e.g. a portal's configured ``rate``)."""
        self._hosts[host] = self._new(host, rate)

    def _new(self, host: str, rate: float) -> HostLimiter:
        return HostLimiter(rate, self._burst, self._concurrency, share=self._share,
                           host=host, run=self)

    # --- the run's board ------------------------------------------------------------------
    def catch_up(self) -> None:
        """Apply what the run's other processes said since the last look."""
        board = self.board
        if board is None:
            return
        now = board.clock()  # the board's times are wall-clock; the limiters' monotonic
        for word in board.news():
            if word.until > now:
                self.host(word.host).hold_for(word.until - now, word.reason)
            elif word.debit and not self._discovery:
                self.host(word.host).charge(word.debit, now - word.at)

    def announce(self, host: str, seconds: float, reason: str) -> None:
        if self.board is not None:
            self.board.pause(host, seconds, reason)

    def sent(self, host: str) -> None:
        """A request to ``host`` starts now: the crawl processes are told of discovery's."""
        if self.board is not None and self._discovery:
            self.board.debit(host)


def shared(limit: int, share: float) -> int:
    """A count limit kept to ``share`` of it: rounded down (the shares together never
    exceed it), never below one (callers split a host only that many ways)."""
    return max(1, int(limit * share + 1e-9))
