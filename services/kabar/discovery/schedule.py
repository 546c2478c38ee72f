"""When to poll each source next, and the validators for conditional GETs.

Pure bookkeeping over an injectable clock, so it is tested without sleeping.
A source's interval doubles (up to the maximum) after a poll that found
nothing new or failed, halves (down to the minimum) after a busy poll, and
otherwise stays. The first poll of a source never adapts: everything looks
new on first sight.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kabar.discovery.sources import SourceKind

#: Conditional-GET validators remembered (sources and their child sitemaps).
MAX_VALIDATORS = 10_000


@dataclass(frozen=True, slots=True)
class SourceKey:
    portal: str
    kind: SourceKind
    url: str


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Intervals:
    base: float
    minimum: float
    maximum: float
    #: New URLs in one poll that count as busy.
    busy: int = 5

    def clamp(self, seconds: float) -> float:
        return min(self.maximum, max(self.minimum, seconds))


@dataclass(slots=True)
class SourceState:
    interval: float
    next_due: float
    polls: int = 0


class Schedule:
    """Per-source intervals and due times; per-URL validators (bounded, LRU)."""

    def __init__(self, intervals: Intervals, clock: Callable[[], float]) -> None:
        self._intervals = intervals
        self._clock = clock
        self._states: dict[SourceKey, SourceState] = {}
        self._validators: OrderedDict[str, Validators] = OrderedDict()

    def add(self, key: SourceKey, interval: float | None = None) -> None:
        """Start tracking a source; it is due at once."""
        if key not in self._states:
            start = self._intervals.clamp(interval or self._intervals.base)
            self._states[key] = SourceState(start, self._clock())

    def sources(self) -> list[SourceKey]:
        return list(self._states)

    def state(self, key: SourceKey) -> SourceState:
        return self._states[key]

    def due(self) -> list[SourceKey]:
        now = self._clock()
        return [key for key, state in self._states.items() if state.next_due <= now]

    def wait_time(self, key: SourceKey) -> float:
        """Seconds until ``key`` is due (0 when it already is)."""
        return max(0.0, self._states[key].next_due - self._clock())

    def record_poll(self, key: SourceKey, new_urls: int) -> float:
        """Adapt the interval to a finished poll and schedule the next; returns the interval."""
        state = self._states[key]
        if state.polls > 0:
            if new_urls == 0:
                state.interval = self._intervals.clamp(state.interval * 2)
            elif new_urls >= self._intervals.busy:
                state.interval = self._intervals.clamp(state.interval / 2)
        return self._finish(state)

    def record_failure(self, key: SourceKey) -> float:
        """Back off after a failed poll; returns the interval."""
        state = self._states[key]
        state.interval = self._intervals.clamp(state.interval * 2)
        return self._finish(state)

    def validators(self, url: str) -> Validators:
        found = self._validators.get(url)
        if found is None:
            return Validators()
        self._validators.move_to_end(url)
        return found

    def remember(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag is None and last_modified is None:
            self._validators.pop(url, None)
            return
        self._validators[url] = Validators(etag, last_modified)
        self._validators.move_to_end(url)
        while len(self._validators) > MAX_VALIDATORS:
            self._validators.popitem(last=False)

    def _finish(self, state: SourceState) -> float:
        state.polls += 1
        state.next_due = self._clock() + state.interval
        return state.interval
