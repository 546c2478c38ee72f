"""The terms only one packed story uses, held as hashes (issue 14).

Most postings are one story's own bigrams: 772k of 793k terms at 100k
articles, each a string key and a dict entry (~110 bytes) in the clusterer's
postings. When a story is packed (idle: ``FREEZE_AFTER_S``), its terms no
other story uses leave the postings for this table: the term's ``hash()``
(cached on the string, so free to ask) and the story's number, 12 bytes a
slot. The table never answers a query itself: an article whose terms hit it
*warms* the stories hit first (their terms go back into the postings, as
strings, from the story's centroid), so the postings the clusterer reads are
exact, and a hash collision costs a warming, never a result. Which terms fit
(a full bucket leaves a term in the postings) depends on the hash seed; the
results do not.

Buckets of ``SLOTS`` slots, one bucket per hash: a query is a few array
operations for all of an article's terms. Doubling splits each bucket in two
by one more hash bit, so no bucket overflows on growth.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import numpy.typing as npt

Hashes = npt.NDArray[np.int64]
SLOTS = 16
#: The table doubles before it is more than this full (3% of the terms then find
#: their bucket full and stay in the postings).
MAX_LOAD = 0.75
_INITIAL_BUCKETS = 1 << 10


#: An empty slot (``hash()`` is never -1); a key's low bits pick its bucket.
EMPTY = -1


def term_hashes(terms: Collection[str]) -> Hashes:
    """The keys of ``terms``."""
    return np.fromiter(map(hash, terms), np.int64, len(terms))


class ColdTerms:
    """Term hash -> number of the one story using the term (see the module docstring)."""

    def __init__(self) -> None:
        self._allocate(_INITIAL_BUCKETS)
        self.size = 0

    def _allocate(self, buckets: int) -> None:
        self._keys: Hashes = np.full((buckets, SLOTS), EMPTY, dtype=np.int64)
        self._numbers: npt.NDArray[np.uint32] = np.zeros((buckets, SLOTS), dtype=np.uint32)
        self._mask = buckets - 1
        self._bits = buckets.bit_length() - 1

    def add(self, hashes: Hashes, number: int | Hashes) -> npt.NDArray[np.bool_]:
        """Hold ``hashes`` as story ``number``'s (or each as its own number's);
        which were held (a hash held already, repeated in ``hashes``, or whose
        bucket is full, is not)."""
        numbers = np.broadcast_to(np.asarray(number, dtype=np.uint32), hashes.shape)
        while self.size + len(hashes) > MAX_LOAD * self._keys.size:
            self._grow()
        buckets = hashes & self._mask
        rows = self._keys[buckets]
        if _distinct(buckets):  # (small batches: one hash a bucket)
            return self._add_apart(hashes, numbers, buckets, rows)
        first, counts = _firsts(hashes)
        todo = np.sort(first[counts == 1])
        todo = todo[~(rows[todo] == hashes[todo, None]).any(axis=1)]
        placed = np.zeros(len(hashes), dtype=bool)
        while len(todo):
            at = buckets[todo]
            free = self._keys[at] == EMPTY
            room = free.any(axis=1)
            one, _ = _firsts(at)  # one per bucket per round
            go = one[room[one]]
            slots = free[go].argmax(axis=1)
            self._keys[at[go], slots] = hashes[todo[go]]
            self._numbers[at[go], slots] = numbers[todo[go]]
            placed[todo[go]] = True
            waiting = room.copy()
            waiting[one] = False
            todo = todo[waiting]
        self.size += int(placed.sum())
        return placed

    def _add_apart(self, hashes: Hashes, numbers: npt.NDArray[np.uint32], buckets: Hashes,
                   rows: Hashes) -> npt.NDArray[np.bool_]:  # fmt: skip
        """``add`` when no two of the ``hashes`` share a bucket: in one pass."""
        free = rows == EMPTY
        slots = free.argmax(axis=1)
        placed = free[np.arange(len(hashes)), slots] & ~(rows == hashes[:, None]).any(axis=1)
        self._keys[buckets[placed], slots[placed]] = hashes[placed]
        self._numbers[buckets[placed], slots[placed]] = numbers[placed]
        self.size += int(placed.sum())
        held: npt.NDArray[np.bool_] = placed
        return held

    @classmethod
    def filled(cls, hashes: Hashes, numbers: Hashes) -> tuple[ColdTerms, npt.NDArray[np.bool_]]:
        """A new table holding ``hashes`` (each as its own of ``numbers``), and which
        were held (a full bucket leaves the rest out): as ``add`` on an empty table, in
        one sort (a reopen cools millions of terms at once; ``add``'s rounds of one hash
        a bucket took 11 s for 3M). A hash given twice (two terms, one hash) is held
        twice, where ``add`` holds neither: a hit warms both stories, as any collision."""
        table = cls()
        buckets = _INITIAL_BUCKETS
        while len(hashes) > MAX_LOAD * buckets * SLOTS:  # (as ``add`` would have grown it)
            buckets *= 2
        table._allocate(buckets)
        count = len(hashes)
        if not count:
            return table, np.zeros(0, dtype=bool)
        # Bucket and position in one uint64, sorted (no argsort: twice the time): each
        # bucket's hashes together, in their order; a hash's slot is its rank there.
        bucket = (hashes & table._mask).view(np.uint64)
        keys = np.sort((bucket << np.uint64(32)) | np.arange(count, dtype=np.uint64))
        order = (keys & np.uint64(0xFFFFFFFF)).astype(np.intp)
        at = (keys >> np.uint64(32)).astype(np.intp)
        starts = np.empty(count, dtype=bool)
        starts[0] = True
        np.not_equal(at[1:], at[:-1], out=starts[1:])
        position = np.arange(count)
        slot = position - np.maximum.accumulate(np.where(starts, position, 0))
        fits = np.flatnonzero(slot < SLOTS)
        flat, held = at[fits] * SLOTS + slot[fits], order[fits]
        table._keys.reshape(-1)[flat] = hashes[held]
        table._numbers.reshape(-1)[flat] = numbers[held]
        table.size = len(held)
        placed = np.zeros(count, dtype=bool)
        placed[held] = True
        return table, placed

    def hits(self, hashes: Hashes) -> list[int]:
        """The numbers of the stories holding any of ``hashes`` (maybe by a
        collision), in ascending order."""
        buckets = hashes & self._mask
        found = self._keys[buckets] == hashes[:, None]
        if not found.any():
            return []
        rows, slots = np.nonzero(found)
        numbers: list[int] = np.unique(self._numbers[buckets[rows], slots]).tolist()
        return numbers

    def hits_of(self, hashes: Hashes, number: int | Hashes) -> npt.NDArray[np.bool_]:
        """Which of ``hashes`` are held as story ``number``'s (or each as its own number's)."""
        held = np.asarray(self._found(hashes, number).any(axis=1), dtype=bool)
        return held

    def take(self, hashes: Hashes, number: int) -> npt.NDArray[np.bool_]:
        """Forget the ``hashes`` held as story ``number``'s; which were."""
        found = self._found(hashes, number)
        rows, slots = np.nonzero(found)
        self._keys[(hashes & self._mask)[rows], slots] = EMPTY
        self.size -= len(rows)
        held = np.asarray(found.any(axis=1), dtype=bool)
        return held

    def _found(self, hashes: Hashes, number: int | Hashes) -> npt.NDArray[np.bool_]:
        buckets = hashes & self._mask
        numbers = np.asarray(number, dtype=np.int64)
        found: npt.NDArray[np.bool_] = (self._keys[buckets] == hashes[:, None]) & (
            self._numbers[buckets] == (numbers[:, None] if numbers.ndim else numbers)
        )
        return found

    def _grow(self) -> None:
        """Double: bucket b splits into b and b + old size by the next hash bit
        (slots kept in place: a bucket is read whole, holes and all)."""
        keys, numbers = self._keys, self._numbers
        high = ((keys >> self._bits) & 1).astype(bool)
        self._allocate(2 * len(keys))
        half = len(keys)
        self._keys[:half] = np.where(high, EMPTY, keys)
        self._keys[half:] = np.where(high, keys, EMPTY)
        self._numbers[:half] = numbers
        self._numbers[half:] = numbers


def _distinct(values: Hashes) -> bool:
    """Whether no two of ``values`` are equal (a sort: ``np.unique`` hashes, ~15x slower)."""
    ordered = np.sort(values)
    return not bool((ordered[1:] == ordered[:-1]).any())


def _firsts(values: Hashes) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The index of each distinct value's first occurrence and its count, in value
    order: what ``np.unique(values, return_index=True, return_counts=True)`` gives,
    from one stable argsort (its hashing path took 0.35 ms for 4096 values)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, len(values)))
    return order[starts], counts
