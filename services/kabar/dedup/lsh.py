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
for the band index instead of 160. Once a dedup snapshot holds a packed run
of ``SPILL_MIN`` entries or more, the run's entries are read from the snapshot
file (``spill``; ``snapshot.FileArray``): a lookup reads the few dozen entries
of each queried bucket (one ``pread`` each), the directory stays in memory, and
the process no longer holds the 80 MB of entries the band index has at a
million articles. Runs never change, so the file's copy is the run.

A merge of large runs (``STEP_MIN`` entries and more: the band index's largest
reaches 20 million entries at a million articles) is not done at once on the
caller's thread, which held the event loop for hundreds of milliseconds
(issue 14): it is done in key-range slices (``_MergeJob``), one per ``add``
(an article), into the new run's arrays, packed as they are filled. Lookups
search the two old runs until the last slice is in, then the new run replaces
them; when that happens depends only on the calls made, so results are the
same on every run.

A lookup searched every run: a dozen numpy calls each, and for a run read from
the snapshot one ``pread`` per queried bucket, so its cost grew with the runs
(48 to 168 us an article from 10k to 1M articles, issue 14). The band index
holds a filter of the keys in its runs (``_KeyFilter``, a blocked Bloom filter
of about a byte an entry): a key it rules out is in no run, so a lookup only
searches the runs for the few keys that pass (the keys shared with an indexed
article, and about 4% of the others), one key at a time. It never rules out a
key that is in a run, so lookups answer as without it. It grows by a rebuild
over the runs, a slice per ``add`` (unfiltered lookups until the first is in).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kabar.dedup.snapshot import Array, FileArray, in_memory

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
#: Merges producing a run this large are done in slices, one per ``add`` (see the
#: module docstring); smaller ones at once (a few milliseconds).
STEP_MIN = 1 << 19
#: Entries merged per slice (about a millisecond).
STEP_ENTRIES = 1 << 16
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

    def position(self, key: int) -> int:
        """Entries with keys below ``key`` (any int up to the key space's end)."""
        if key > int(np.iinfo(self.keys.dtype).max):
            return len(self.keys)
        return int(self.keys.searchsorted(self.keys.dtype.type(key)))

    def part(self, start: int, end: int) -> _Run:
        return _Run(self.keys[start:end], self.rows[start:end])

    def row_span(self) -> tuple[int, int]:
        """The lowest and highest row (of a non-empty run)."""
        return int(self.rows.min()), int(self.rows.max())

    def arrays(self) -> RunArrays:
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

    __slots__ = ("_top", "base", "bits", "directory", "packed")

    def __init__(
        self, directory: Rows, packed: Rows | FileArray, base: int, top: int | None = None
    ) -> None:
        self.directory = directory
        #: The entries: in memory, or in a snapshot file (``spill``).
        self.packed = packed
        self.base = np.uint32(base)
        self.bits = (len(directory) - 1).bit_length() - 1
        #: The highest row, when known (else worked out once, when asked).
        self._top = top

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
        if isinstance(self.packed, FileArray):
            self._find_read(self.packed, lo, sizes, low, out)
            return
        offsets = _OFFSETS[:width]
        values = self.packed.take(lo[:, None] + offsets, mode="clip")
        hit = (offsets < sizes[:, None]) & ((values >> np.uint32(bits)) == low[:, None])
        if hit.any():  # width <= _GATHER_MAX < MAX_PER_KEY: no key is cut
            out.extend(((values[hit] & np.uint32((1 << bits) - 1)) + self.base).tolist())

    def _find_read(
        self, packed: FileArray, lo: npt.NDArray[np.intp], sizes: npt.NDArray[np.intp],
        low: Keys, out: list[int],
    ) -> None:
        """The gather of ``find`` (same rows, same order: by query, then entry) over
        the queried buckets read from the snapshot file, one read each."""
        queried = sizes.nonzero()[0]
        counts = sizes[queried]
        values = packed.read_spans(lo[queried], counts)
        hit = (values >> np.uint32(self.bits)) == np.repeat(low[queried], counts)
        if hit.any():
            out.extend(((values[hit] & np.uint32((1 << self.bits) - 1)) + self.base).tolist())

    def _segment(self, lo: int, hi: int) -> Rows:
        """Entries ``lo`` to ``hi``."""
        packed = self.packed
        return packed.read(lo, hi) if isinstance(packed, FileArray) else packed[lo:hi]

    def _entries(self) -> Rows:
        packed = self.packed
        return packed.whole() if isinstance(packed, FileArray) else packed

    def find_one(self, key: Any, out: list[int]) -> None:
        bucket = int(key) >> (32 - self.bits)
        lo, hi = self.directory[bucket : bucket + 2].tolist()
        if hi > lo:
            self._find_in(lo, hi, int(key) & ((1 << (32 - self.bits)) - 1), out)

    def _find_in(self, lo: int, hi: int, low: int, out: list[int]) -> None:
        """The newest MAX_PER_KEY rows of key low bits ``low`` in one bucket."""
        segment = self._segment(lo, hi)
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
        packed = self._entries()
        keys = packed >> np.uint32(self.bits)
        keys |= tops << shift
        del tops
        rows = packed & np.uint32((1 << self.bits) - 1)
        rows += self.base
        return _Run(keys, rows)

    def position(self, key: int) -> int:
        """As ``_Run.position``: the bucket's start, then a search within it."""
        if key >= 1 << 32:
            return len(self.packed)
        shift = 32 - self.bits
        bucket = key >> shift
        lo, hi = self.directory[bucket : bucket + 2].tolist()
        low = key & ((1 << shift) - 1)
        if low == 0 or hi == lo:
            return int(lo)
        return int(lo) + int(self._segment(lo, hi).searchsorted(np.uint32(low << self.bits)))

    def part(self, start: int, end: int) -> _Run:
        """Entries ``start`` to ``end`` as a plain run (a slice of ``plain``)."""
        directory = self.directory
        first = int(directory.searchsorted(np.uint32(start), side="right")) - 1
        last = int(directory.searchsorted(np.uint32(end), side="left"))
        bounds = np.clip(directory[first : last + 1], start, end).astype(np.intp)
        tops = np.repeat(np.arange(first, first + len(bounds) - 1, dtype=np.uint32),
                         np.diff(bounds))  # fmt: skip
        packed = self._segment(start, end)
        keys = packed >> np.uint32(self.bits)
        keys |= tops << np.uint32(32 - self.bits)
        rows = packed & np.uint32((1 << self.bits) - 1)
        rows += self.base
        return _Run(keys, rows)

    def row_span(self) -> tuple[int, int]:
        if self._top is None:
            rows = self._entries() & np.uint32((1 << self.bits) - 1)
            self._top = int(self.base) + int(rows.max())
        return int(self.base), self._top

    def arrays(self) -> RunArrays:
        base = np.array([self.base], dtype=np.uint32)
        return {"directory": self.directory, "packed": self.packed, "base": base}

    def nbytes(self) -> int:
        """Bytes held in memory (entries read from a file are not)."""
        held = self.packed.nbytes if isinstance(self.packed, np.ndarray) else 0
        return int(self.directory.nbytes + held)


AnyRun = _Run | _PackedRun
#: A run as arrays by name (``keys`` and ``rows``, or ``directory`` and ``packed``),
#: for snapshots (``packed`` may be in a snapshot file).
RunArrays = dict[str, Array]
#: Packed runs this long read their entries from a snapshot file that holds them.
SPILL_MIN = 1 << 20
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
    base, top = int(run.rows.min()), int(run.rows.max())
    bits = _packed_bits(len(run), base, top)
    if bits is None:
        return run
    buckets = run.keys >> np.uint32(32 - bits)
    counts = np.bincount(buckets, minlength=1 << bits)
    del buckets
    directory = np.zeros((1 << bits) + 1, dtype=np.uint32)
    np.cumsum(counts, out=directory[1:])
    packed = run.keys << np.uint32(bits)
    packed |= run.rows - np.uint32(base)
    return _PackedRun(directory, packed, base, top)


def _packed_bits(entries: int, base: int, top: int) -> int | None:
    """The row width of a packed run of ``entries`` (32-bit keys) with rows ``base``
    to ``top``; None when packing would not save memory."""
    bits = max(1, (top - base).bit_length())
    if bits > _MAX_BITS or entries < PACK_RATIO << bits:
        return None
    return bits


def _run_from(arrays: RunArrays, dtype: np.dtype[Any]) -> AnyRun:
    if "packed" in arrays:
        packed = arrays["packed"]
        return _PackedRun(in_memory(arrays["directory"]).astype(np.uint32, copy=False),
                          packed if isinstance(packed, FileArray)
                          else packed.astype(np.uint32, copy=False),
                          int(in_memory(arrays["base"])[0]))  # fmt: skip
    return _Run(in_memory(arrays["keys"]).astype(dtype, copy=False),
                in_memory(arrays["rows"]))  # fmt: skip


def spills(name: str, length: int) -> bool:
    """Whether a snapshot's array (``index:number:part``) is read from its file."""
    index, _, part = name.split(":")
    return index == "bands" and part == "packed" and length >= SPILL_MIN


class _MergeJob:
    """The merge of two adjacent runs (older first), a key-range slice per ``step``,
    into the arrays of the run that replaces them: the same run ``_merge`` and
    ``_packed_if_smaller`` make at once. Slices split the key space evenly (keys are
    hashes); for a packed result they hold whole buckets of its directory."""

    __slots__ = ("_at", "_bits", "_dtype", "_out", "_slices", "_steps", "base", "newer",
                 "older", "top")  # fmt: skip

    def __init__(self, older: AnyRun, newer: AnyRun, dtype: np.dtype[Any]) -> None:
        self.older, self.newer, self._dtype = older, newer, dtype
        total = len(older) + len(newer)
        spans = (older.row_span(), newer.row_span())
        self.base, self.top = min(lo for lo, _ in spans), max(hi for _, hi in spans)
        bits = None
        if dtype == np.uint32 and total >= PACK_MIN:
            bits = _packed_bits(total, self.base, self.top)
        self._bits = bits
        self._steps = max(1, -(-total // STEP_ENTRIES))
        #: Slices done, and entries written so far.
        self._slices = 0
        self._at = 0
        if bits is None:
            self._out: tuple[npt.NDArray[Any], ...] = (
                np.empty(total, dtype=dtype), np.empty(total, dtype=np.uint32))
        else:
            self._out = (np.empty((1 << bits) + 1, dtype=np.uint32),
                         np.empty(total, dtype=np.uint32))  # fmt: skip

    @property
    def done(self) -> bool:
        return self._slices >= self._steps

    def _bound(self, j: int) -> int:
        """The first key of slice ``j`` (the key space's end for ``j == steps``)."""
        if self._bits is None:
            return (j << (8 * self._dtype.itemsize)) // self._steps
        return ((j << self._bits) // self._steps) << (32 - self._bits)

    def step(self) -> None:
        """Merge the next slice."""
        j = self._slices
        lo, hi = self._bound(j), self._bound(j + 1)
        older, newer = self.older, self.newer
        a = older.part(older.position(lo), older.position(hi))
        b = newer.part(newer.position(lo), newer.position(hi))
        keys = np.concatenate((a.keys, b.keys))
        order = keys.argsort(kind="stable")  # older first among equal keys, as ``_merge``
        keys = keys.take(order)
        rows = np.concatenate((a.rows, b.rows)).take(order)
        at, end = self._at, self._at + len(keys)
        if self._bits is None:
            self._out[0][at:end] = keys
            self._out[1][at:end] = rows
        else:
            bits = self._bits
            directory, packed = self._out
            first, last = lo >> (32 - bits), hi >> (32 - bits)
            buckets = keys >> np.uint32(32 - bits)
            directory[first:last] = np.searchsorted(
                buckets, np.arange(first, last, dtype=np.uint32)) + at
            keys <<= np.uint32(bits)
            keys |= rows - np.uint32(self.base)
            packed[at:end] = keys
        self._at = end
        self._slices += 1

    def result(self) -> AnyRun:
        if self._bits is None:
            return _Run(*self._out)
        directory, packed = self._out
        directory[-1] = len(packed)
        return _PackedRun(directory, packed, self.base, self.top)


#: Filter bits an entry of the runs (``_KeyFilter``): about 4% of absent keys pass.
FILTER_BITS = 8
#: A filter is sized for this many times the entries held when it is built, and at
#: least FILTER_MIN; once as many keys were added as it is sized for, it is rebuilt.
FILTER_GROWTH = 2
FILTER_MIN = 1 << 16
#: Queries with at most this many keys passing the filter search each run a key
#: at a time (scalar searches: cheaper than a run's vectorized ``find``).
_FEW_KEYS = 4
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PATTERN_SHIFT = np.uint64(22)
_PATTERN_MASK = np.uint64(1023)
_SHIFT_32 = np.uint64(32)


def _patterns(count: int = 1024, bits: int = 4, seed: int = 20261207) -> npt.NDArray[np.uint64]:
    """``count`` 64-bit words with ``bits`` bits set each (fixed: the same on every run),
    bit numbers from a 64-bit LCG's top bits. No large temporary arrays: freed at
    import, they would raise glibc's mmap threshold before ``map_large_blocks``."""
    words, state = [], seed
    for _ in range(count):
        word = 0
        while word.bit_count() < bits:
            state = (state * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
            word |= 1 << (state >> 58)
        words.append(word)
    return np.array(words, dtype=np.uint64)


_PATTERNS = _patterns()
#: The same constants as Python ints (``_KeyFilter.passes``).
_PATTERN_INTS: list[int] = _PATTERNS.tolist()
_MIX_INT = int(_MIX)
_MASK_64 = (1 << 64) - 1


class _KeyFilter:
    """A blocked Bloom filter of 32-bit keys: a key sets the bits of one of
    ``_PATTERNS`` (four bits) in one 64-bit word, both picked by a multiplicative
    hash of the key. A key that was added always passes; of the others about 4%
    do at FILTER_BITS bits an added key. Keys are never removed (a compaction's
    dropped keys pass until the next rebuild: a filter only needs to hold a
    superset)."""

    __slots__ = ("added", "capacity", "words")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.words = np.zeros(max(1, -(-capacity * FILTER_BITS // 64)), dtype=np.uint64)
        #: Keys added so far (with repeats): past ``capacity`` it is rebuilt.
        self.added = 0

    def _where(self, keys: Keys) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        hashed = keys.astype(np.uint64) * _MIX
        word = ((hashed >> _SHIFT_32) * np.uint64(len(self.words))) >> _SHIFT_32
        return word, _PATTERNS.take((hashed >> _PATTERN_SHIFT) & _PATTERN_MASK)

    def add(self, keys: Keys) -> None:
        word, bits = self._where(keys)
        np.bitwise_or.at(self.words, word, bits)
        self.added += len(keys)

    def passes(self, key: int) -> bool:
        """``passing`` of one key, in Python ints (a tenth of the numpy calls' cost)."""
        hashed = (key * _MIX_INT) & _MASK_64
        word = ((hashed >> 32) * len(self.words)) >> 32
        bits = _PATTERN_INTS[(hashed >> 22) & 1023]
        return int(self.words.item(word)) & bits == bits

    def passing(self, keys: Keys) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` may have been added (all that were, few others)."""
        word, bits = self._where(keys)
        passing: npt.NDArray[np.bool_] = (self.words.take(word) & bits) == bits
        return passing

    @property
    def full(self) -> bool:
        return self.added > self.capacity

    def nbytes(self) -> int:
        return int(self.words.nbytes)


class _FilterJob:
    """A new ``_KeyFilter`` filled from the runs held when it started, a slice of
    STEP_ENTRIES entries per ``step``; keys of runs made meanwhile are added to it
    as they are flushed (``SortedMultiIndex._filter_add``). Runs merged or compacted
    meanwhile hold the same keys or fewer: the old runs' keys are a superset."""

    __slots__ = ("_at", "_runs", "filter")

    def __init__(self, runs: list[AnyRun], capacity: int) -> None:
        self.filter = _KeyFilter(capacity)
        self._runs = list(runs)
        self._at = 0

    @property
    def done(self) -> bool:
        return not self._runs

    def step(self) -> None:
        run = self._runs[0]
        end = min(len(run), self._at + STEP_ENTRIES)
        if end > self._at:
            self.filter.add(run.part(self._at, end).keys)
        self._at = end
        if end >= len(run):
            self._runs.pop(0)
            self._at = 0


class SortedMultiIndex:
    """Integer key → row numbers; several rows may share a key."""

    def __init__(
        self, key_dtype: type[np.unsignedinteger] = np.uint32, *, filtered: bool = False
    ) -> None:
        self._dtype = np.dtype(key_dtype)
        #: Whether lookups go through a ``_KeyFilter`` of the runs' keys (32-bit keys).
        self._filtered = filtered and self._dtype == np.uint32
        self._filter: _KeyFilter | None = None
        #: The filter being (re)built, a slice per ``add`` (``_FilterJob``).
        self._filter_job: _FilterJob | None = None
        # key → row, or → rows when several share it: no list per entry, so
        # adding allocates no objects for the garbage collector to walk.
        self._pending: dict[int, int | list[int]] = {}
        self._pending_keys: list[int] = []
        self._pending_rows: list[int] = []
        self._runs: list[AnyRun] = []
        #: A large merge being done a slice per ``add``: of the last two runs that
        #: are not newer than it (``_MergeJob``).
        self._job: _MergeJob | None = None

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
        if self._job is not None:
            self._step()
        if self._filter_job is not None:
            self._filter_step()
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
        if not self._runs:
            return out
        query = np.array(keys, dtype=self._dtype)
        if self._filter is not None:
            query = query[self._filter.passing(query)]  # (the others are in no run)
            if len(query) <= _FEW_KEYS:
                wanted = query.tolist()
                if not wanted:
                    return out
                for run in self._runs:  # (rows by run, then by key, as ``find``)
                    for key in wanted:
                        run.find_one(self._dtype.type(key), out)
                return out
        for run in self._runs:
            run.find(query, out)
        return out

    def _lookup_one(self, key: int) -> list[int]:
        """``lookup`` for one key: scalar binary searches, cheaper than arrays. Most
        keys looked up alone (an article's id, its body hash) are new: the filter
        rules them out of every run in one test, where each run's search costs a
        few microseconds more as the index grows (issue 14)."""
        out: list[int] = []
        _extend_pending(out, self._pending.get(key))
        if self._filter is not None and not self._filter.passes(key):
            return out
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
        self._filter_add(keys)
        self._merge_runs()

    def add_many(self, keys: Keys, rows: Rows) -> None:
        """Add entries in bulk (rows newer than any held) as one sorted run:
        reloading a million articles without a Python call per entry."""
        self.flush()
        self.finish_merge()
        if not len(keys):
            return
        keys = np.asarray(keys, dtype=self._dtype)
        order = np.argsort(keys, kind="stable")
        run = _Run(keys[order], np.asarray(rows, dtype=np.uint32)[order])
        del rows, order
        self._runs.append(_packed_if_smaller(run))
        del run
        self._filter_add(keys)
        del keys
        self._merge_runs()

    def runs(self) -> list[RunArrays]:
        """The sorted runs (pending entries flushed first), for a snapshot. Runs are
        replaced, never changed in place, so another thread may read them later."""
        self.flush()
        return [run.arrays() for run in self._runs]

    def set_runs(self, runs: list[RunArrays]) -> None:
        """Restore what ``runs`` returned (on an empty index)."""
        self._job = None
        self._runs = [_run_from(arrays, self._dtype) for arrays in runs]
        self._filter = self._filter_job = None
        if self._filtered and self._runs:  # built a slice per ``add``: a reopen does not wait
            self._filter_job = _FilterJob(self._runs, self._filter_capacity())

    def spill(self, placed: Sequence[tuple[Array, FileArray]]) -> None:
        """Packed runs whose entries are the first of a pair of ``placed`` read them
        from the second (where a snapshot file holds them) from now on."""
        for run in self._runs:
            if isinstance(run, _PackedRun):
                for held, stored in placed:
                    if run.packed is held:
                        run.packed = stored

    def unspilled(self) -> list[Rows]:
        """The entries of packed runs long enough to be read from a file (``SPILL_MIN``)
        that are held in memory (a merge made them since the last snapshot)."""
        return [run.packed for run in self._runs if isinstance(run, _PackedRun)
                and isinstance(run.packed, np.ndarray) and len(run) >= SPILL_MIN]  # fmt: skip

    def finish_merge(self) -> None:
        """Do the rest of a merge in slices now (before the runs are rewritten)."""
        while self._job is not None:
            self._step()

    def finish_filter(self) -> None:
        """Build the rest of a filter being rebuilt now (tests)."""
        while self._filter_job is not None:
            self._filter_step()

    def _filter_capacity(self) -> int:
        return max(FILTER_MIN, int(FILTER_GROWTH * sum(len(run) for run in self._runs)))

    def _filter_add(self, keys: Keys) -> None:
        """Keys of a run just made: into the filter (and the one being built); a
        filter first made, or rebuilt larger once as many keys went in as it is sized for."""
        if not self._filtered:
            return
        if self._filter_job is not None:
            self._filter_job.filter.add(keys)
        if self._filter is None:
            if self._filter_job is None:  # the first run: built at once (it is small)
                self._filter = _KeyFilter(self._filter_capacity())
                self._filter.add(keys)
            return
        self._filter.add(keys)
        if self._filter.full and self._filter_job is None:
            self._filter_job = _FilterJob(self._runs, self._filter_capacity())

    def _filter_step(self) -> None:
        job = self._filter_job
        assert job is not None
        job.step()
        if job.done:
            self._filter, self._filter_job = job.filter, None

    def _step(self) -> None:
        job = self._job
        assert job is not None
        job.step()
        if not job.done:
            return
        at = self._runs.index(job.older)
        assert self._runs[at + 1] is job.newer
        run = job.result()
        self._runs[at : at + 2] = [run]
        self._job = None
        size = len(run)
        del job, run
        if size >= _TRIM_AFTER:
            release_freed_memory()
        self._merge_runs()

    def _merge_runs(self) -> None:
        merged = 0
        # While a merge is being done in slices, only runs newer than its two merge.
        first = 0 if self._job is None else self._runs.index(self._job.newer) + 1
        while (len(self._runs) - first > 1
               and len(self._runs[-2]) <= _MERGE_RATIO * len(self._runs[-1])):  # fmt: skip
            if len(self._runs[-2]) + len(self._runs[-1]) >= STEP_MIN:
                if self._job is None:
                    self._job = _MergeJob(self._runs[-2], self._runs[-1], self._dtype)
                break
            # Unpacked one at a time, the packed copy dropped as soon as it is read.
            newer = self._runs.pop().plain()
            older = self._runs.pop().plain()
            run = _merge(older, newer)
            del older, newer
            self._runs.append(_packed_if_smaller(run))
            merged = max(merged, len(run))
            del run
        if merged >= _TRIM_AFTER:
            release_freed_memory()

    def compact(self, remap: npt.NDArray[np.int64]) -> None:
        """Renumber rows through ``remap`` (old row → new row, -1: drop)."""
        self.flush()
        self.finish_merge()
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
        return sum(run.nbytes() for run in self._runs) + self.filter_nbytes()

    def filter_nbytes(self) -> int:
        """Bytes of the key filter (and of the one being built)."""
        held = 0 if self._filter is None else self._filter.nbytes()
        if self._filter_job is not None:
            held += self._filter_job.filter.nbytes()
        return held


def _extend_pending(out: list[int], found: int | list[int] | None) -> None:
    if isinstance(found, int):
        out.append(found)
    elif found:
        out.extend(found[-MAX_PER_KEY:])


#: Blocks of this size and more are mapped apart by malloc (``map_large_blocks``).
MMAP_THRESHOLD = 256 << 10
_M_MMAP_THRESHOLD = -3  # (glibc's mallopt parameter)
_mapped_apart = False


def map_large_blocks() -> None:
    """Have malloc map blocks of ``MMAP_THRESHOLD`` bytes and more apart (unmapped
    when freed), once per process. glibc raises its threshold to the size of each
    mapped block freed, up to 32 MB: then the index's and the cold table's arrays
    replaced as they grow were freed into the heap, holes between live blocks that
    stay resident. At 100k articles the heap held 48 MB free of 151 (RSS +224 MB);
    with the threshold fixed, 8 of 52 (RSS +196 MB; ``scripts/story_memory.py``)."""
    global _mapped_apart
    if _mapped_apart:
        return
    _mapped_apart = True
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its own policy
        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_freed_memory() -> None:
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
        self._index = SortedMultiIndex(np.uint32, filtered=True)

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

    def spill(self, placed: Sequence[tuple[Array, FileArray]]) -> None:
        self._index.spill(placed)

    def unspilled(self) -> list[Rows]:
        return self._index.unspilled()

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

    def filter_nbytes(self) -> int:
        return self._index.filter_nbytes()
