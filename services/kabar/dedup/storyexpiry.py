"""Story expiry spread over articles (issue 14).

Forgetting the stories not updated within the TTL walked every held story in
one batch an hour of event time (776 ms on the event loop at 1M articles,
201k stories held). Here each call does a bounded share of that work, in
event-time order, the same on every run:

* stories to drop come off a min-heap keyed by last update (event time,
  whole seconds) then story number. It is lazy: a story updated since it was
  pushed is pushed again with its new time when its old entry comes up, and
  entries of stories gone (merged away, dropped) are skipped. New stories are
  taken in by number (numbers only grow), a bounded count per call; past
  ``MAX_STORIES`` the oldest go first;
* idle stories to pack (``freeze``) come off a second min-heap of the same
  entries, pushed when a story is taken in and again whenever it may be left
  unpacked (updated, merged into, or held unpacked after a read: ``touched``);
  at most once an hour of event time, the entries due then are popped, a slice
  per call. A sweep over every held story did this before: its work per
  article grew with the stories held (10 us an article at 70k held, 42 stories
  looked at; 120 at the 200k cap), where the heap's is what was updated;
* merge aliases leading to no held story are pruned by the same kind of sweep.

With no budget (``budget=None``) a call does all that is due at once.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

#: Heap entries: last update (whole seconds) above these bits, the story number below.
_NUMBER_BITS = 40
_NUMBER_MASK = (1 << _NUMBER_BITS) - 1
#: Story numbers taken into the heap per call (a reopen numbers every held story).
INTAKE_PER_CALL = 256
#: Idle-heap entries and aliases looked at per call.
SWEEP_PER_CALL = 256
#: A sweep starts at most this often (event time), as the hourly batch did.
SWEEP_EVERY_S = 3600.0


class StoryExpiry:
    """The expiry state of one clusterer (see the module docstring)."""

    def __init__(self) -> None:
        self._heap: list[int] = []
        #: Story numbers below this are in the heap (or were gone when looked at).
        self._taken = 0
        #: Entries as ``_heap``'s of stories that may be held unpacked: one pushed at
        #: each change (the older ones are stale then), popped once idle.
        self._idle: list[int] = []
        #: Entries below this are popped by the idle sweep under way (None: none is).
        self._idle_due: int | None = None
        self._aliases: list[str] = []
        self._alias_at = 0
        self._swept_at: float | None = None

    def run(self, clusterer: Any, now: float, cutoff: float, idle: float, cap: int,
            budget: int | None) -> int:  # fmt: skip
        """Drop the stories last updated before ``cutoff`` (and the oldest past
        ``cap``), queue idle ones (before ``idle``) for packing, prune aliases;
        at most ``budget`` heap entries looked at, and a slice of each sweep
        (None: everything due). The stories dropped."""
        self._intake(clusterer, budget)
        dropped = self._expire(clusterer, cutoff, cap, budget)
        due = self._swept_at is None or now - self._swept_at >= SWEEP_EVERY_S
        done = self._idle_due is None and self._alias_at >= len(self._aliases)
        if budget is None or (due and done):
            self._swept_at = now
            self._idle_due = _entry(idle, 0)
            self._aliases, self._alias_at = list(clusterer._aliases), 0
        self._sweep_idle(clusterer, idle, budget)
        self._sweep_aliases(clusterer, budget)
        return dropped

    def _intake(self, clusterer: Any, budget: int | None) -> None:
        numbered, heap = clusterer._numbered, self._heap
        end = clusterer._next_number
        if budget is not None:
            end = min(end, self._taken + INTAKE_PER_CALL)
        for number in range(self._taken, end):
            story = numbered.get(number)
            if story is not None:
                heapq.heappush(heap, _entry(story.last_seen, number))
                heapq.heappush(self._idle, _entry(story.last_seen, number))
        self._taken = max(self._taken, end)

    def touched(self, story: Any) -> None:
        """``story`` was changed (or is held unpacked after a read): it may be idle
        and unpacked ``FREEZE_AFTER_S`` after its last update."""
        if story.number < self._taken:  # (else the intake pushes it)
            heapq.heappush(self._idle, _entry(story.last_seen, story.number))

    def _expire(self, clusterer: Any, cutoff: float, cap: int, budget: int | None) -> int:
        heap, numbered, stories = self._heap, clusterer._numbered, clusterer._stories
        # An entry below this is of a story last updated before its whole second + 1,
        # at most ``cutoff``.
        due = math.floor(cutoff) << _NUMBER_BITS
        left = -1 if budget is None else budget
        dropped = 0
        while heap and left != 0 and (heap[0] < due or len(stories) > cap):
            left -= 1
            entry = heapq.heappop(heap)
            story = numbered.get(entry & _NUMBER_MASK)
            if story is None:
                continue  # dropped or merged away since
            current = _entry(story.last_seen, story.number)
            if current > entry:  # updated since: comes up again by its new time
                heapq.heappush(heap, current)
                continue
            clusterer._drop(story)
            dropped += 1
        return dropped

    def _sweep_idle(self, clusterer: Any, idle: float, budget: int | None) -> None:
        """Queue for packing the unpacked stories whose last update was before the
        sweep's cutoff (an hour's worth at once: the packing batches their terms
        for the cold table, ``_cool_packed``); stale entries (of a story changed
        since, whose later entry is in the heap, or gone) are dropped."""
        clusterer._freeze_before = idle
        due = self._idle_due
        if due is None:
            return
        heap, numbered, held = self._idle, clusterer._numbered, clusterer._stories
        queue = clusterer._to_freeze
        left = -1 if budget is None else SWEEP_PER_CALL
        while heap and heap[0] < due and left != 0:
            left -= 1
            entry = heapq.heappop(heap)
            story = numbered.get(entry & _NUMBER_MASK)
            if story is None or _entry(story.last_seen, story.number) != entry:
                continue
            if story.raw is None and story.last_seen < idle and held.get(story.id) is story:
                queue.append(story)
        if not heap or heap[0] >= due:
            self._idle_due = None

    def _sweep_aliases(self, clusterer: Any, budget: int | None) -> None:
        aliases, held = clusterer._aliases, clusterer._stories
        end = len(self._aliases)
        if budget is not None:
            end = min(end, self._alias_at + SWEEP_PER_CALL)
        for alias in self._aliases[self._alias_at : end]:
            target = aliases.get(alias)
            if target is None:
                continue
            if target in aliases:  # (most lead straight to a story: no resolve call)
                target = clusterer.resolve(target)
            if target not in held:
                del aliases[alias]
        self._alias_at = end
        if end >= len(self._aliases):
            self._aliases = []
            self._alias_at = 0


def _entry(last_seen: float, number: int) -> int:
    return (math.floor(last_seen) << _NUMBER_BITS) | number
