"""A compact multimap from integer keys to row numbers, and the LSH band index on it.

Python dicts cost ~100 bytes an entry; a million articles with 20 band keys
each would not fit the memory budget. Here keys live in sorted numpy runs
(8 bytes per band entry: a uint32 key and a uint32 row): new entries collect
in a small dict, are flushed as a sorted run, and runs of similar size are
merged (a log-structured merge, like a binary counter), so a lookup is one
vectorized binary search in each of a few runs. Rows are the caller's row
numbers; the caller drops expired rows with ``compact``.

Large runs of 32-bit keys (the band index: 20 entries an article) are packed
to 4 bytes an entry: the top bits of each key are implied by a directory of
bucket offsets, so an entry holds only the key's low bits and its row in one
uint32 (``_PackedRun``). At a million articles that is 84 bytes an article
for the band index instead of 160.
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.uint32]
Keys = npt.NDArray[np.unsignedinteger]

#: Newest rows returned per key: a hot bucket must not stall a lookup.
MAX_PER_KEY = 256
_FLUSH_AT = 16_384
#: A run absorbs the next while at most this many times its size: fewer runs
#: to search per lookup, for a little more merging (merges are cheap sorts).
_MERGE_RATIO = 4
#: Merges up to this many entries sort; larger ones scatter (less peak memory).
_SORT_MERGE_MAX = 1 << 21
#: Merges producing a run this large return freed memory to the OS.
_TRIM_AFTER = 1 << 20
_malloc_trim: Any = None


class _Run:
    """Sorted keys with their rows."""

    __slots__ = ("keys", "rows")

    def __init__(self, keys: Keys, rows: Rows) -> None:
        self.keys = keys
        self.rows = rows

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, query: Keys, out: list[int]) -> None:
        """Append the rows of every key in ``query`` (newest MAX_PER_KEY each).
        One vectorized binary search: for a few dozen keys it beats any per-key
        Python; most keys are absent, so only hits search for their end."""
        keys = self.keys
        starts = keys.searchsorted(query)
        for i in (keys.take(starts, mode="clip") == query).nonzero()[0].tolist():
            end = int(keys.searchsorted(query[i], side="right"))
            out.extend(self.rows[max(int(starts[i]), end - MAX_PER_KEY) : end].tolist())

    def find_one(self, key: Any, out: list[int]) -> None:
        """``find`` for one key (a numpy scalar of the keys' type)."""
        keys = self.keys
        lo = int(keys.searchsorted(key))
        if lo < len(keys) and keys[lo] == key:
            hi = int(keys.searchsorted(key, side="right"))
            out.extend(self.rows[max(lo, hi - MAX_PER_KEY) : hi].tolist())

    def plain(self) -> _Run:
        return self

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {"keys": self.keys, "rows": self.rows}

    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.rows.nbytes)


class _PackedRun:
    """A sorted run of 32-bit keys in 4 bytes an entry (``_Run`` takes 8).

    ``bits`` is both the width of the row numbers (counted from ``base``, the
    run's first row: a recent run spans few rows) and of the keys' top part,
    which the directory implies: entries ``directory[b]`` to ``directory[b + 1]``
    have keys ``b << (32 - bits) | packed >> bits`` and rows
    ``base + (packed & (2**bits - 1))``. Within a bucket entries are sorted by
    key low bits, then row: the plain run's order, so lookups answer alike."""

    __slots__ = ("base", "bits", "directory", "packed")

    def __init__(self, directory: Rows, packed: Rows, base: int) -> None:
        self.directory = directory
        self.packed = packed
        self.base = np.uint32(base)
        self.bits = (len(directory) - 1).bit_length() - 1

    def __len__(self) -> int:
        return len(self.packed)

    def find(self, query: Keys, out: list[int]) -> None:
        """As ``_Run.find``. Buckets hold a few dozen entries: all queried
        buckets are read in one gather, unless one is hot (many copies of a
        key), then each bucket is binary-searched."""
        bits = self.bits
        buckets = (query >> np.uint32(32 - bits)).astype(np.intp)
        lo = self.directory.take(buckets).astype(np.intp)
        sizes = self.directory.take(buckets + 1).astype(np.intp) - lo
        width = int(sizes.max())
        if width == 0:
            return
        low = query & np.uint32((1 << (32 - bits)) - 1)
        if width > _GATHER_MAX:
            for i in sizes.nonzero()[0].tolist():
                self._find_in(int(lo[i]), int(lo[i] + sizes[i]), int(low[i]), out)
            return
        offsets = _OFFSETS[:width]
        values = self.packed.take(lo[:, None] + offsets, mode="clip")
        hit = (offsets < sizes[:, None]) & ((values >> np.uint32(bits)) == low[:, None])
        if hit.any():  # width <= _GATHER_MAX < MAX_PER_KEY: no key is cut
            out.extend(((values[hit] & np.uint32((1 << bits) - 1)) + self.base).tolist())

    def find_one(self, key: Any, out: list[int]) -> None:
        bucket = int(key) >> (32 - self.bits)
        lo, hi = self.directory[bucket : bucket + 2].tolist()
        if hi > lo:
            self._find_in(lo, hi, int(key) & ((1 << (32 - self.bits)) - 1), out)

    def _find_in(self, lo: int, hi: int, low: int, out: list[int]) -> None:
        """The newest MAX_PER_KEY rows of key low bits ``low`` in one bucket."""
        segment = self.packed[lo:hi]
        mask = (1 << self.bits) - 1
        start = int(segment.searchsorted(np.uint32(low << self.bits)))
        end = int(segment.searchsorted(np.uint32(low << self.bits | mask), side="right"))
        if end > start:
            rows = segment[max(start, end - MAX_PER_KEY) : end] & np.uint32(mask)
            out.extend((rows + self.base).tolist())

    def plain(self) -> _Run:
        """The same entries as a plain run (for merging and compaction)."""
        shift = np.uint32(32 - self.bits)
        tops = np.repeat(np.arange(len(self.directory) - 1, dtype=np.uint32),
                         np.diff(self.directory))  # fmt: skip
        keys = self.packed >> np.uint32(self.bits)
        keys |= tops << shift
        del tops
        rows = self.packed & np.uint32((1 << self.bits) - 1)
        rows += self.base
        return _Run(keys, rows)

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        base = np.array([self.base], dtype=np.uint32)
        return {"directory": self.directory, "packed": self.packed, "base": base}

    def nbytes(self) -> int:
        return int(self.directory.nbytes + self.packed.nbytes)


AnyRun = _Run | _PackedRun
#: A run as arrays by name (``keys`` and ``rows``, or ``directory`` and ``packed``),
#: for snapshots.
RunArrays = dict[str, npt.NDArray[Any]]
#: Runs of 32-bit keys this long are packed when that saves memory.
PACK_MIN = 1 << 16
#: ... and hold this many times as many entries as the directory has buckets
#: (each bucket costs 4 bytes, each entry packed saves 4).
PACK_RATIO = 2
#: Widest bucket read in one gather; hotter buckets are binary-searched.
_GATHER_MAX = 64
_OFFSETS = np.arange(_GATHER_MAX, dtype=np.intp)
#: Widest row number (and directory) packed: a 64 MB directory at most.
_MAX_BITS = 24


def _packed_if_smaller(run: _Run) -> AnyRun:
    """``run`` packed when its keys are 32-bit and it holds at least twice as many
    entries as the directory needs buckets (one per row number it spans)."""
    if run.keys.dtype != np.uint32 or len(run) < PACK_MIN or not len(run):
        return run
    base = int(run.rows.min())
    bits = max(1, (int(run.rows.max()) - base).bit_length())
    if bits > _MAX_BITS or len(run) < PACK_RATIO << bits:
        return run
    buckets = run.keys >> np.uint32(32 - bits)
    counts = np.bincount(buckets, minlength=1 << bits)
    del buckets
    directory = np.zeros((1 << bits) + 1, dtype=np.uint32)
    np.cumsum(counts, out=directory[1:])
    packed = run.keys << np.uint32(bits)
    packed |= run.rows - np.uint32(base)
    return _PackedRun(directory, packed, base)


def _run_from(arrays: RunArrays, dtype: np.dtype[Any]) -> AnyRun:
    if "packed" in arrays:
        return _PackedRun(arrays["directory"].astype(np.uint32, copy=False),
                          arrays["packed"].astype(np.uint32, copy=False),
                          int(arrays["base"][0]))  # fmt: skip
    return _Run(arrays["keys"].astype(dtype, copy=False), arrays["rows"])


class SortedMultiIndex:
    """Integer key → row numbers; several rows may share a key."""

    def __init__(self, key_dtype: type[np.unsignedinteger] = np.uint32) -> None:
        self._dtype = np.dtype(key_dtype)
        # key → row, or → rows when several share it: no list per entry, so
        # adding allocates no objects for the garbage collector to walk.
        self._pending: dict[int, int | list[int]] = {}
        self._pending_keys: list[int] = []
        self._pending_rows: list[int] = []
        self._runs: list[AnyRun] = []

    def __len__(self) -> int:
        return len(self._pending_keys) + sum(len(run) for run in self._runs)

    def add(self, keys: Sequence[int], row: int) -> None:
        pending = self._pending
        if pending.keys().isdisjoint(keys) and (len(keys) == 1 or len(set(keys)) == len(keys)):
            pending.update(zip(keys, itertools.repeat(row)))
        else:
            for key in keys:
                have = pending.get(key)
                if have is None:
                    pending[key] = row
                elif isinstance(have, int):
                    pending[key] = [have, row]
                else:
                    have.append(row)
        self._pending_keys.extend(keys)
        self._pending_rows.extend([row] * len(keys))
        if len(self._pending_keys) >= _FLUSH_AT:
            self.flush()

    def lookup(self, keys: Sequence[int]) -> list[int]:
        """Rows stored under any of ``keys`` (may repeat; per key and per run,
        at most MAX_PER_KEY, the newest)."""
        keys = list(keys)
        if len(keys) == 1:
            return self._lookup_one(keys[0])
        out: list[int] = []
        pending = self._pending
        if not pending.keys().isdisjoint(keys):
            for key in keys:
                _extend_pending(out, pending.get(key))
        if self._runs:
            query = np.array(keys, dtype=self._dtype)
            for run in self._runs:
                run.find(query, out)
        return out

    def _lookup_one(self, key: int) -> list[int]:
        """``lookup`` for one key: scalar binary searches, cheaper than arrays."""
        out: list[int] = []
        _extend_pending(out, self._pending.get(key))
        wanted = self._dtype.type(key)
        for run in self._runs:
            run.find_one(wanted, out)
        return out

    def flush(self) -> None:
        """Turn pending entries into a sorted run and merge runs of similar size."""
        if not self._pending:
            return
        keys = np.array(self._pending_keys, dtype=self._dtype)
        rows = np.array(self._pending_rows, dtype=np.uint32)
        self._pending = {}
        self._pending_keys = []
        self._pending_rows = []
        order = np.argsort(keys, kind="stable")
        self._runs.append(_Run(keys[order], rows[order]))
        self._merge_runs()

    def add_many(self, keys: Keys, rows: Rows) -> None:
        """Add entries in bulk (rows newer than any held) as one sorted run:
        reloading a million articles without a Python call per entry."""
        self.flush()
        if not len(keys):
            return
        keys = np.asarray(keys, dtype=self._dtype)
        order = np.argsort(keys, kind="stable")
        run = _Run(keys[order], np.asarray(rows, dtype=np.uint32)[order])
        del keys, rows, order
        self._runs.append(_packed_if_smaller(run))
        self._merge_runs()

    def runs(self) -> list[RunArrays]:
        """The sorted runs (pending entries flushed first), for a snapshot. Runs are
        replaced, never changed in place, so another thread may read them later."""
        self.flush()
        return [run.arrays() for run in self._runs]

    def set_runs(self, runs: list[RunArrays]) -> None:
        """Restore what ``runs`` returned (on an empty index)."""
        self._runs = [_run_from(arrays, self._dtype) for arrays in runs]

    def _merge_runs(self) -> None:
        merged = 0
        while len(self._runs) > 1 and len(self._runs[-2]) <= _MERGE_RATIO * len(self._runs[-1]):
            # Unpacked one at a time, the packed copy dropped as soon as it is read.
            newer = self._runs.pop().plain()
            older = self._runs.pop().plain()
            run = _merge(older, newer)
            del older, newer
            self._runs.append(_packed_if_smaller(run))
            merged = max(merged, len(run))
            del run
        if merged >= _TRIM_AFTER:
            _release_freed_memory()

    def compact(self, remap: npt.NDArray[np.int64]) -> None:
        """Renumber rows through ``remap`` (old row → new row, -1: drop)."""
        self.flush()
        runs = self._runs
        self._runs = []
        while runs:
            run = runs.pop(0).plain()
            new_rows = remap[run.rows]
            keep = new_rows >= 0
            if keep.any():
                kept = _Run(run.keys[keep], new_rows[keep].astype(np.uint32))
                self._runs.append(_packed_if_smaller(kept))
            del run, new_rows, keep
        self._runs.sort(key=len, reverse=True)

    def nbytes(self) -> int:
        return sum(run.nbytes() for run in self._runs)


def _extend_pending(out: list[int], found: int | list[int] | None) -> None:
    if isinstance(found, int):
        out.append(found)
    elif found:
        out.extend(found[-MAX_PER_KEY:])


def _release_freed_memory() -> None:
    """Hand the merge's freed buffers back to the OS. glibc keeps freed blocks
    under its (adaptive, up to 32 MB) mmap threshold in the heap, so without
    this the resident size drifts ~15% above the live arrays."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


def _merge(older: _Run, newer: _Run) -> _Run:
    """Merge two sorted runs; older entries stay first among equal keys."""
    if len(older) + len(newer) <= _SORT_MERGE_MAX:
        # A stable sort of the concatenation is a linear merge here: timsort
        # finds the two sorted runs and gallops through them (3-7x faster).
        keys = np.concatenate((older.keys, newer.keys))
        order = keys.argsort(kind="stable")
        return _Run(keys.take(order), np.concatenate((older.rows, newer.rows)).take(order))
    # Large runs: scatter into place, without the sort's 8-byte order array
    # (hundreds of MB of peak memory at a million articles).
    at = np.searchsorted(older.keys, newer.keys, side="right") + np.arange(len(newer))
    total = len(older) + len(newer)
    from_newer = np.zeros(total, dtype=bool)
    from_newer[at] = True
    keys = np.empty(total, dtype=older.keys.dtype)
    rows = np.empty(total, dtype=np.uint32)
    keys[at] = newer.keys
    rows[at] = newer.rows
    from_older = ~from_newer
    keys[from_older] = older.keys
    rows[from_older] = older.rows
    return _Run(keys, rows)


class BandIndex:
    """LSH buckets: rows whose signatures agree on all rows of some band.

    Band keys carry the band number in their low bits (see
    ``fingerprint.band_keys``), so all bands share one multimap.
    """

    def __init__(self) -> None:
        self._index = SortedMultiIndex(np.uint32)

    def __len__(self) -> int:
        return len(self._index)

    def add(self, row: int, bands: Sequence[int]) -> None:
        self._index.add(bands, row)

    def add_many(self, keys: Keys, rows: Rows) -> None:
        self._index.add_many(keys, rows)

    def runs(self) -> list[RunArrays]:
        return self._index.runs()

    def set_runs(self, runs: list[RunArrays]) -> None:
        self._index.set_runs(runs)

    def candidates(self, bands: Sequence[int]) -> list[int]:
        """Distinct rows sharing at least one band, most shared bands first."""
        rows = self._index.lookup(bands)
        if len(rows) <= 1:
            return rows
        counts: dict[int, int] = {}
        for row in rows:
            counts[row] = counts.get(row, 0) + 1
        return sorted(counts, key=lambda r: -counts[r])

    def compact(self, remap: npt.NDArray[np.int64]) -> None:
        self._index.compact(remap)

    def nbytes(self) -> int:
        return self._index.nbytes()
