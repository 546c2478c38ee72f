"""The fetch queue: requests handed out round-robin by host, only for hosts with a
free slot, so a slow or never-answering host costs only its own slots.

A request that is still running ``slow_after_s`` after it started may *step
aside* (``step_aside``): it gives its host slot back and goes on as a parked
request, so one host's slow or silent URLs do not hold up that same host's
healthy ones. Parked requests are bounded per host and in all; the pipeline runs
that many spare fetch workers for them, and ``max_active`` keeps the rest of the
workers to the configured number.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
from collections import Counter
from collections.abc import Sequence
from typing import TypeVar

from kabar import metrics
from kabar.fetch.ratelimit import shared
from kabar.models import FetchRequest
from kabar.settings import FetchSettings
from kabar.urls import host_of

_K = TypeVar("_K")

#: The fetch queue holds at most this many times ``fetch_queue_size`` over all hosts.
_HARD_CAP = 8


class HostFairQueue(asyncio.Queue[FetchRequest]):
    """A bounded queue that hands out requests round-robin by host, and only for
    hosts with a free slot.

    ``get`` takes one of the request's host slots (at most ``per_host`` in flight)
    before the worker commits to it, and ``release`` gives it back when the worker
    is done (answered, failed or re-queued). A slow or never-answering host thus
    holds at most ``per_host`` workers; its other requests wait here while other
    hosts' requests pass them. ``defer`` puts a request back for later (a
    Retry-After): it is not handed out before then and does not count against the
    bound, so a worker re-queueing its own request never blocks on a full queue.
    ``get_nowait`` (used to spool leftovers) hands out anything, slots or not.

    ``step_aside`` parks a slow request (see the module notes): its host slot is
    free again at once, and ``release`` later ends it as parked. At most
    ``parked_per_host`` per host and ``parked_total`` in all. ``max_active`` (0: no
    cap) bounds the workers busy with a request that is not parked, from ``get`` to
    ``task_done`` (a worker blocked on the next stage still counts), so the spare
    workers that carry parked requests never add to the back-pressure bound.

    The bound applies per host: ``put`` waits while the request's host already
    has ``maxsize`` requests waiting, so a host that never answers fills only its
    own share and other portals' sources can still queue theirs; the whole queue
    stops at ``_HARD_CAP`` times that.
    """

    def __init__(
        self,
        maxsize: int = 0,
        *,
        per_host: int = 0,
        parked_per_host: int = 0,
        parked_total: int = 0,
        max_active: int = 0,
    ) -> None:
        super().__init__(maxsize)
        #: 0: no per-host cap (slots are still counted).
        self._per_host = per_host
        self._parked_per_host = max(0, parked_per_host)
        self.parked_total = max(0, parked_total) if parked_per_host > 0 else 0
        self._max_active = max(0, max_active)

    @classmethod
    def for_fetch(cls, maxsize: int, fetch: FetchSettings) -> HostFairQueue:
        """The pipeline's queue: host slots and parking as the fetch settings say."""
        return cls(
            maxsize,
            per_host=shared(fetch.per_host_concurrency, fetch.host_share),
            parked_per_host=fetch.max_parked_per_host,
            parked_total=fetch.max_parked,
            max_active=fetch.workers,
        )

    def attach(self, fetcher: object) -> None:
        """Let ``fetcher`` park its slow requests here (a fetcher that cannot is left be)."""
        attach = getattr(fetcher, "attach_queue", None)
        if callable(attach) and self.parked_total:
            attach(self)
        else:
            self.parked_total = 0  # no parking: no spare workers either

    def _init(self, maxsize: int) -> None:
        self._by_host: dict[str, collections.deque[FetchRequest]] = {}
        self._turns: collections.deque[str] = collections.deque()
        self._count = 0
        self._busy: Counter[str] = Counter()
        #: Further pages of articles under way, by host, not fetched yet (``urgent``).
        self._urgent: Counter[str] = Counter()
        self._active = 0
        #: Requests handed out and not yet released, and how many of those are parked.
        self._out: Counter[FetchRequest] = Counter()
        self._stepped: Counter[FetchRequest] = Counter()
        self._parked: Counter[str] = Counter()
        self._parked_count = 0
        #: (due time on the loop clock, sequence, request), earliest first.
        self._later: list[tuple[float, int, FetchRequest]] = []
        self._sequence = 0
        self._wake: asyncio.TimerHandle | None = None

    async def put(self, item: FetchRequest) -> None:
        """Queue ``item`` once its host has room (see the class notes)."""
        host = host_of(item.url)
        while not self._room_for(host):
            putter = asyncio.get_running_loop().create_future()
            self._putters.append(putter)  # type: ignore[attr-defined]
            try:
                await putter
            except BaseException:
                putter.cancel()
                with contextlib.suppress(ValueError):
                    self._putters.remove(putter)  # type: ignore[attr-defined]
                raise
        self.put_nowait(item)

    def put_nowait(self, item: FetchRequest) -> None:
        if not self._room_for(host_of(item.url)):
            raise asyncio.QueueFull
        self._put(item)
        self._unfinished_tasks += 1  # type: ignore[attr-defined]
        self._finished.clear()  # type: ignore[attr-defined]
        self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def _room_for(self, host: str) -> bool:
        if self.maxsize <= 0:
            return True
        waiting = len(self._by_host.get(host, ()))
        return waiting < self.maxsize and self._count < self.maxsize * _HARD_CAP

    def _wake_putters(self) -> None:
        """Every waiting producer checks again: room freed for one host is not room
        for another, so waking just one could wake the wrong one."""
        putters = self._putters  # type: ignore[attr-defined]
        while putters:
            self._wakeup_next(putters)  # type: ignore[attr-defined]

    def _put(self, item: FetchRequest) -> None:
        host = host_of(item.url)
        waiting = self._by_host.get(host)
        if waiting is None:
            waiting = self._by_host[host] = collections.deque()
            self._turns.append(host)
        waiting.append(item)
        self._count += 1

    def _get(self) -> FetchRequest:
        """Any request (``get_nowait``: spooling); deferred ones once the rest are out."""
        item = self._take(ignore_slots=True)
        if item is None:
            _, _, item = heapq.heappop(self._later)
        self._wake_putters()
        return item

    def _take(self, *, ignore_slots: bool = False) -> FetchRequest | None:
        """The next request, in host turns, whose host has a free slot."""
        if not ignore_slots and 0 < self._max_active <= self._active:
            return None
        for _ in range(len(self._turns)):
            host = self._turns.popleft()
            if not ignore_slots and self._per_host and (
                    self._busy[host] + self._urgent[host] >= self._per_host):
                self._turns.append(host)
                continue
            waiting = self._by_host[host]
            item = waiting.popleft()
            if waiting:
                self._turns.append(host)
            else:
                del self._by_host[host]
            self._count -= 1
            return item
        return None

    async def get(self) -> FetchRequest:
        """Wait for a request whose host has a free slot, and take that slot."""
        loop = asyncio.get_running_loop()
        while True:
            self._release_due(loop.time())
            item = self._take()
            if item is not None:
                self._busy[host_of(item.url)] += 1
                self._active += 1
                self._out[item] += 1
                self._wake_putters()
                if self._count:  # several may have become ready at once (slots, due times)
                    self._wakeup_next(self._getters)  # type: ignore[attr-defined]
                return item
            getter = loop.create_future()
            self._getters.append(getter)  # type: ignore[attr-defined]
            self._arm_timer(loop)
            try:
                await getter
            except BaseException:
                woken = getter.done() and not getter.cancelled()
                getter.cancel()
                with contextlib.suppress(ValueError):
                    self._getters.remove(getter)  # type: ignore[attr-defined]
                if woken:  # pass the wake-up on rather than lose it
                    self._wakeup_next(self._getters)  # type: ignore[attr-defined]
                raise

    def release(self, request: FetchRequest) -> None:
        """The worker is done with ``request`` (taken with ``get``): free its host slot
        (a parked request's slot was freed when it stepped aside)."""
        host = host_of(request.url)
        _decrement(self._out, request)
        if self._stepped[request] > 0:
            _decrement(self._stepped, request)
            _decrement(self._parked, host)
            self._parked_count -= 1
            metrics.FETCH_PARKED.set(self._parked_count)
            self._active += 1  # its worker is back at ordinary work until ``task_done``
            return
        _decrement(self._busy, host)
        if host in self._by_host:
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def urgent(self, urls: Sequence[str]) -> Urgent:
        """Further pages of an article under way go first on their hosts: until each is
        fetched (``Urgent.fetched``, or ``Urgent.close`` for all), it takes one of its
        host's slots here, so no new request of that host is handed out in its place
        and the fetcher's host slot freed next is the page's. Articles are finished
        before more are started; other hosts' requests pass meanwhile."""
        hosts = [host_of(u) for u in urls]
        for host in hosts:
            self._urgent[host] += 1
        return Urgent(self, hosts)

    def _not_urgent(self, host: str) -> None:
        _decrement(self._urgent, host)
        if host in self._by_host:
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def holds(self, request: FetchRequest) -> bool:
        return self._out[request] > 0

    def step_aside(self, request: FetchRequest) -> bool:
        """Park ``request`` (handed out by ``get``, still running): its host slot goes
        to the next request at once. True when it is parked (now or before); False
        when it is not this queue's or the parking places are taken."""
        outstanding = self._out[request]
        if outstanding and self._stepped[request] >= outstanding:
            return True
        host = host_of(request.url)
        if (
            not outstanding
            or self._parked[host] >= self._parked_per_host
            or self._parked_count >= self.parked_total
        ):
            return False
        self._stepped[request] += 1
        self._parked[host] += 1
        self._parked_count += 1
        metrics.FETCH_PARKED.set(self._parked_count)
        _decrement(self._busy, host)
        self._active -= 1
        if self._count:
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]
        return True

    def task_done(self) -> None:
        """A worker finished the request it took (see ``max_active``)."""
        super().task_done()
        self._active = max(0, self._active - 1)
        if self._count:
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def parked(self, host: str) -> int:
        return self._parked[host]

    def defer(self, request: FetchRequest, delay_s: float) -> None:
        """Queue ``request`` again, to be handed out no sooner than ``delay_s`` from now."""
        loop = asyncio.get_running_loop()
        self._sequence += 1
        heapq.heappush(self._later, (loop.time() + max(0.0, delay_s), self._sequence, request))
        self._unfinished_tasks += 1  # type: ignore[attr-defined]
        self._finished.clear()  # type: ignore[attr-defined]
        self._arm_timer(loop)

    def _release_due(self, now: float) -> None:
        while self._later and self._later[0][0] <= now:
            _, _, item = heapq.heappop(self._later)
            self._put(item)

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake a waiting worker when the earliest deferred request falls due."""
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        if self._later:
            self._wake = loop.call_at(self._later[0][0], self._on_due)

    def _on_due(self) -> None:
        self._wake = None
        self._release_due(asyncio.get_running_loop().time())
        self._wakeup_next(self._getters)  # type: ignore[attr-defined]
        self._arm_timer(asyncio.get_running_loop())

    def in_flight(self, host: str) -> int:
        return self._busy[host]

    def qsize(self) -> int:
        return self._count + len(self._later)

    def full(self) -> bool:
        """At the nominal bound (other hosts may still have room: see ``put``).
        Deferred requests are already accepted work: they do not count."""
        return 0 < self.maxsize <= self._count

    def empty(self) -> bool:
        return not self._count and not self._later


def _decrement(counter: Counter[_K], key: _K) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


class Urgent:
    """The further pages ``HostFairQueue.urgent`` gave their hosts' slots to."""

    __slots__ = ("_hosts", "_queue")

    def __init__(self, queue: HostFairQueue, hosts: list[str]) -> None:
        self._queue = queue
        self._hosts = hosts

    def fetched(self, url: str) -> None:
        """The page of ``url`` is fetched (or failed): its host's slot is free again."""
        host = host_of(url)
        if host in self._hosts:
            self._hosts.remove(host)
            self._queue._not_urgent(host)

    def close(self) -> None:
        """The article is done: whatever it still held is freed."""
        hosts, self._hosts = self._hosts, []
        for host in hosts:
            self._queue._not_urgent(host)
