"""Dedup state: what was seen, under which URL, with which body and fingerprint.

``StateStore`` is the seam; three implementations:

* ``MemoryStore``: numpy rows (195 bytes an article: ids and story ids as the
  bytes their hex spells, the content hash, the 128-byte signature) plus
  sorted-run indexes (``lsh.py``; ~100 bytes an article, 84 of them the LSH
  bands), so a million fingerprints take ~300 MB. A row splits in two: last
  seen and live (5 bytes, read for many rows at once) stay in memory, the rest
  (190 bytes, read for a few rows an article) are the *cold* rows of
  ``rowfile.py``, in memory here.
* ``SqliteStore``: a ``MemoryStore`` for lookups, written through (in batches)
  to a SQLite file and reloaded from it at start, so a restart forgets nothing
  that was flushed (``close`` flushes). Its cold rows are in a file beside the
  state, read on demand (~105 bytes an article stay in memory, not ~300), and
  the band index's big runs, once a snapshot holds them, are read from the
  snapshot file (``lsh.SPILL_MIN``): ~25 bytes an article stay in memory.
* ``RedisStore``: all state in Redis, shared by several instances; Redis key
  expiry does the ageing.

Rows are never updated in place except for their last-seen time: a revision
appends a new row and retires the old one, which keeps the indexes append-only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import struct
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from kabar.dedup import snapshot as snapshots
from kabar.dedup import storystate
from kabar.dedup.fingerprint import PERMUTATIONS, Fingerprint
from kabar.dedup.lsh import BandIndex, RunArrays, SortedMultiIndex, map_large_blocks, spills
from kabar.dedup.rowfile import COLD, FileRows, MemoryRows
from kabar.dedup.snapshot import Snapshot
from kabar.dedup.storystate import CheckpointGate, StoryCut, StoryRows
from kabar.errors import ConfigError, DedupError, StateError
from kabar.settings import DedupSettings
from kabar.statefile import Statement, StateWriter, fsync_dir, open_db, state_error

log = logging.getLogger(__name__)

DAY_S = 86_400.0
_CHUNK_BITS = 16
_CHUNK = 1 << _CHUNK_BITS
#: Retired rows are dropped once there are this many (and a quarter of all rows).
COMPACT_MIN = _CHUNK
#: Article ids are "art_" + 24 hex (``events.article_id``), story ids "st_" + 20
#: hex (``stories``): a row holds the bytes the hex spells. Ids of any other
#: form (tests, older stories) go to side tables, and the row holds zeros.
_ID_PREFIX, _ID_BYTES = "art_", 12
_STORY_PREFIX, _STORY_BYTES = "st_", 10
_NO_ID = bytes(_ID_BYTES)
_NO_STORY = bytes(_STORY_BYTES)
#: What stays in memory of a row (the rest: ``rowfile.COLD``).
_HOT = np.dtype([("seen", "u4"), ("live", "u1")])
#: Rows of layout-2 snapshots (hot and cold fields together): split on reading.
_ROW = np.dtype(
    [
        ("id", "u1", (_ID_BYTES,)),
        ("hash", "u1", (32,)),
        ("sig", "u1", (PERMUTATIONS,)),
        ("story", "u1", (_STORY_BYTES,)),
        ("revision", "u2"),
        ("size", "u2"),
        ("first", "u4"),
        ("seen", "u4"),
        ("live", "u1"),
    ]
)


#: Rows of layout-1 snapshots (before ids were packed): converted on reading.
_ROW_V1 = np.dtype(
    [
        ("id", "S28"),
        ("hash", "u1", (32,)),
        ("sig", "u1", (PERMUTATIONS,)),
        ("story", "S24"),
        ("revision", "u2"),
        ("size", "u2"),
        ("first", "u4"),
        ("seen", "u4"),
        ("live", "u1"),
    ]
)


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """The dedup state of one article (one canonical URL)."""

    article_id: str
    content_hash: str
    revision: int
    first_seen: float
    story_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Loaded:
    """Stored rows as columns, for ``MemoryStore.load``."""

    ids: list[str]
    hashes: npt.NDArray[np.uint8]
    revision: npt.NDArray[np.int64]
    first: npt.NDArray[np.float64]
    seen: npt.NDArray[np.float64]
    stories: list[str | None]
    size: npt.NDArray[np.int64]
    signatures: npt.NDArray[np.uint8]
    has_fp: npt.NDArray[np.bool_]
    #: Band keys of the rows with a fingerprint, concatenated; how many each.
    bands: npt.NDArray[np.uint32]
    band_counts: npt.NDArray[np.int64]
    index_hash: npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Candidates:
    """Near-duplicate candidates: ids with their stored signatures and sizes."""

    article_ids: list[str]
    signatures: npt.NDArray[np.uint8]
    sizes: npt.NDArray[np.int64]


class StateStore(Protocol):
    #: Whether what is put survives the process (worth checkpointing into).
    durable: bool

    def get(self, article_id: str) -> ArticleRecord | None: ...

    def first_with_hash(self, content_hash: str) -> str | None:
        """Id of the first live article whose body has this content hash."""
        ...

    def candidates(self, bands: Sequence[int], limit: int) -> Candidates: ...

    def put(
        self,
        record: ArticleRecord,
        *,
        now: float,
        fingerprint: Fingerprint | None,
        index_hash: bool,
    ) -> None:
        """Store (or replace) an article; index its body hash and fingerprint if given."""
        ...

    def touch(self, article_id: str, now: float) -> None: ...

    def check_writable(self) -> None:
        """Raise ``DedupError`` (state_unwritable) when new state cannot be recorded."""
        ...

    def get_blob(self, name: str) -> bytes | None: ...

    def put_blob(self, name: str, data: bytes) -> None: ...

    def expire(self, now: float) -> int:
        """Forget articles not seen for the TTL; returns how many."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


def open_store(settings: DedupSettings) -> StateStore:
    """The store named by ``settings.store``: memory, sqlite or redis."""
    ttl = settings.fingerprint_ttl_days * DAY_S
    if settings.store == "memory":
        return MemoryStore(ttl)
    if settings.store == "sqlite":
        return SqliteStore(settings.state_path, ttl, flush_interval_s=settings.flush_interval_s)
    if settings.store == "redis":
        return RedisStore(settings.redis_url, ttl)
    raise ConfigError(f"unknown dedup store {settings.store!r} (memory, sqlite or redis)")


def _hex_bytes(text: str, prefix: str, size: int) -> bytes | None:
    """The bytes ``text`` spells as ``prefix`` + lowercase hex of ``size`` bytes;
    None for any other form, and for all zeros (a row's "kept beside" mark)."""
    if len(text) != len(prefix) + 2 * size or not text.startswith(prefix):
        return None
    digits = text[len(prefix) :]
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    return raw if raw.hex() == digits and raw != bytes(size) else None


def _id_bytes(article_id: str) -> bytes | None:
    return _hex_bytes(article_id, _ID_PREFIX, _ID_BYTES)


def _fold32(raw: bytes) -> int:
    """The XOR of ``raw``'s little-endian 32-bit words (``_folded32`` of many)."""
    value = int.from_bytes(raw, "little")
    words = (len(raw) + 3) // 4
    while words > 1:  # fold the top half onto the bottom: log2(words) steps
        half = (words + 1) // 2
        value ^= value >> (32 * half)
        words = half
    return value & 0xFFFFFFFF


def _folded32(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """``_fold32`` of each row of a (n, 4k) byte array."""
    words: npt.NDArray[np.uint32] = np.ascontiguousarray(rows).view("<u4")
    folded: npt.NDArray[np.uint32] = np.bitwise_xor.reduce(words, axis=1).astype(np.uint32)
    return folded


def _id_key(article_id: str, raw: bytes | None) -> int:
    """32-bit key of an id in the id index: its bytes folded (ids are hashes, or
    at least differ somewhere: made-up ids count up), or a hash of an id of
    another form. Rows found are checked against the id."""
    if raw is None:
        raw = hashlib.blake2b(article_id.encode("utf-8"), digest_size=4).digest()
    return _fold32(raw)


def _hash_key(content_hash: str) -> int:
    """32-bit key of a content hash in the hash index (rows found are checked)."""
    return _fold32(bytes.fromhex(content_hash))


def _packed_column(
    texts: Sequence[str], pack: Any, size: int
) -> tuple[npt.NDArray[np.uint8], list[int]]:
    """Many ids packed as ``pack`` does, as a (len, size) array; and the positions
    of those it cannot pack (zeros in the array)."""
    packed = [pack(t) for t in texts]
    odd = [i for i, raw in enumerate(packed) if raw is None]
    joined = b"".join([raw or bytes(size) for raw in packed])
    return np.frombuffer(joined, np.uint8).reshape(len(texts), size), odd


def _story_bytes(story_id: str) -> bytes | None:
    return _hex_bytes(story_id, _STORY_PREFIX, _STORY_BYTES)


_NO_SIGNATURE = bytes(PERMUTATIONS)
_TAIL = struct.Struct("<HHI")  # revision, size, first seen: the cold record's end


def _empty_candidates() -> Candidates:
    return Candidates([], np.empty((0, PERMUTATIONS), np.uint8), np.empty(0, np.int64))


class MemoryStore:
    """Everything in process memory, compactly (see the module docstring); the
    cold rows elsewhere when given (``SqliteStore``: a file)."""

    durable = False

    def __init__(self, ttl_s: float, cold: MemoryRows | FileRows | None = None) -> None:
        map_large_blocks()  # (the state's large arrays must not leave holes in the heap)
        self.ttl_s = ttl_s
        #: Last seen and live of each row, in chunks of ``_CHUNK``.
        self._chunks: list[npt.NDArray[np.void]] = []
        #: Each chunk's live field (a view): read by ``item``, the cheapest numpy read.
        self._lives: list[npt.NDArray[np.uint8]] = []
        self._cold: MemoryRows | FileRows = cold if cold is not None else MemoryRows()
        self._rows = 0
        self._dead = 0
        # Filtered: most ids and body hashes looked up are new, and a filter rules
        # them out at once (two bytes an article each; ``lsh._KeyFilter``).
        self._by_id = SortedMultiIndex(np.uint32, filtered=True)
        self._by_hash = SortedMultiIndex(np.uint32, filtered=True)
        self._bands = BandIndex()
        #: Row → story id / article id the row cannot hold (see ``_ID_PREFIX``).
        self._long_stories: dict[int, str] = {}
        self._odd_ids: dict[int, str] = {}
        self._blobs: dict[str, bytes] = {}
        self._last_get: tuple[str, int | None] = ("", None)

    # -- reads ---------------------------------------------------------------
    def get(self, article_id: str) -> ArticleRecord | None:
        found = self._match(article_id)
        self._last_get = (article_id, found[0] if found is not None else None)
        if found is None:
            return None
        row, rec = found
        story = self._long_stories.get(row) or self._story_text(rec)
        return ArticleRecord(
            article_id=article_id,
            content_hash=rec["hash"].tobytes().hex(),
            revision=int(rec["revision"]),
            first_seen=float(rec["first"]),
            story_id=story,
        )

    def first_with_hash(self, content_hash: str) -> str | None:
        wanted = bytes.fromhex(content_hash)
        for row in sorted(self._by_hash.lookup((_hash_key(content_hash),))):
            if not self._live(row):
                continue
            rec = self._cold.read(row)
            if rec["hash"].tobytes() == wanted:
                return self._id_text(row, rec)
        return None

    def candidates(self, bands: Sequence[int], limit: int) -> Candidates:
        rows = [r for r in self._bands.candidates(bands) if self._live(r)][:limit]
        if not rows:
            return _empty_candidates()
        # One array of the rows, not a record each: the candidates (chance band
        # collisions, mostly) grow with the index, 0.06 an article at 10k, 0.3 at 60k.
        recs = self._cold.read_many(rows)
        raw_ids = recs["id"].tobytes()
        ids = []
        for i, row in enumerate(rows):
            raw = raw_ids[i * _ID_BYTES : (i + 1) * _ID_BYTES]
            ids.append(_ID_PREFIX + raw.hex() if raw != _NO_ID else self._odd_ids[row])
        return Candidates(ids, np.ascontiguousarray(recs["sig"]), recs["size"].astype(np.int64))

    def count(self) -> int:
        return self._rows - self._dead

    def get_blob(self, name: str) -> bytes | None:
        return self._blobs.get(name)

    def check_writable(self) -> None:
        pass

    # -- writes --------------------------------------------------------------
    def put(
        self,
        record: ArticleRecord,
        *,
        now: float,
        fingerprint: Fingerprint | None,
        index_hash: bool,
    ) -> None:
        # The deduper reads an article just before writing it: reuse that lookup.
        last_id, last_row = self._last_get
        old = last_row if last_id == record.article_id else self._row_of(record.article_id)
        self._last_get = ("", None)
        if old is not None:
            self._hot(old)["live"] = 0
            self._dead += 1
        raw_id = _id_bytes(record.article_id)
        row = self._append(record, now, fingerprint, raw_id)
        self._by_id.add((_id_key(record.article_id, raw_id),), row)
        if index_hash:
            self._by_hash.add((_hash_key(record.content_hash),), row)
        if fingerprint is not None:
            self._bands.add(row, fingerprint.bands)

    def touch(self, article_id: str, now: float) -> None:
        row = self._row_of(article_id)
        if row is not None:
            self._hot(row)["seen"] = int(now)

    def put_blob(self, name: str, data: bytes) -> None:
        self._blobs[name] = data

    def drop_blob(self, name: str, data: bytes) -> bool:
        """Forget blob ``name`` if it is still ``data`` (not put again since)."""
        if self._blobs.get(name) is not data:
            return False
        del self._blobs[name]
        return True

    def expire(self, now: float) -> int:
        cutoff = now - self.ttl_s
        self._last_get = ("", None)
        expired = 0
        for chunk in self._chunks:
            old = (chunk["live"] == 1) & (chunk["seen"] < cutoff)
            n = int(np.count_nonzero(old))
            if n:
                chunk["live"][old] = 0
                expired += n
        self._dead += expired
        if self._dead > max(COMPACT_MIN, self._rows // 4):
            self._compact()
        return expired

    def close(self) -> None:
        pass

    def load(self, rows: _Loaded) -> None:
        """Append stored rows in bulk, as ``put`` would one by one. Only for
        reloading: the ids must be new to the store and distinct."""
        count = len(rows.ids)
        first_row = self._rows
        ids, odd = _packed_column(rows.ids, _id_bytes, _ID_BYTES)
        id_keys = _folded32(ids)
        for i in odd:
            self._odd_ids[first_row + i] = rows.ids[i]
            id_keys[i] = _id_key(rows.ids[i], None)
        stories, long = _packed_column([s or "" for s in rows.stories], _story_bytes,
                                       _STORY_BYTES)  # fmt: skip
        for i in long:
            if rows.stories[i]:
                self._long_stories[first_row + i] = rows.stories[i] or ""
        cold = np.zeros(count, dtype=COLD)
        cold["id"] = ids
        cold["hash"] = rows.hashes
        cold["sig"] = rows.signatures
        cold["story"] = stories
        cold["revision"] = np.minimum(rows.revision, 65535)
        cold["size"] = np.where(rows.has_fp, np.minimum(rows.size, 65535), 0)
        cold["first"] = rows.first.astype(np.int64)
        hot = np.zeros(count, dtype=_HOT)
        hot["seen"] = rows.seen.astype(np.int64)
        hot["live"] = 1
        self._cold.append_block(cold)
        self._append_block(hot)
        self._last_get = ("", None)
        numbers = np.arange(first_row, first_row + count, dtype=np.uint32)
        self._by_id.add_many(id_keys, numbers)
        hash_keys = _folded32(rows.hashes)
        self._by_hash.add_many(hash_keys[rows.index_hash], numbers[rows.index_hash])
        self._bands.add_many(rows.bands, np.repeat(numbers[rows.has_fp], rows.band_counts))

    def snapshot(self, token: str, seq: int) -> Snapshot:
        """The state as it is now, cheaply (references, not copies): chunk rows
        below ``rows`` change later only in their live and seen fields, which
        the SQLite rows after ``seq`` correct on reload; index runs are replaced,
        never changed in place. The cold rows are not in it: the snapshot names
        the generation of their file (``rowfile.FileRows``), which holds them."""
        if not isinstance(self._cold, FileRows):
            raise TypeError("only a store with its cold rows in a file is snapshotted")
        return Snapshot(
            token=token, seq=seq, rows=self._rows, dead=self._dead, chunk_rows=_CHUNK,
            chunks=list(self._chunks), long_stories=dict(self._long_stories),
            indexes={"id": self._by_id.runs(), "hash": self._by_hash.runs(),
                     "bands": self._bands.runs(),
                     _ROWFILE: [{_ROWFILE: _generation_array(self._cold.generation)}]},
            odd_ids=dict(self._odd_ids),
        )  # fmt: skip

    def restore(self, snap: Snapshot) -> None:
        """Take over a snapshot's state (on an empty store whose cold rows are
        the snapshot's, as ``snapshot_rows`` checks)."""
        if snap.chunk_rows != _CHUNK:
            raise ValueError("snapshot chunks have another size")
        if len(self._cold) != snap.rows:
            raise ValueError("the cold rows are not the snapshot's")
        self._chunks = snap.chunks
        self._lives = [chunk["live"] for chunk in self._chunks]
        self._rows = snap.rows
        self._dead = snap.dead
        self._long_stories = dict(snap.long_stories)
        self._odd_ids = dict(snap.odd_ids)
        self._by_id.set_runs(snap.indexes.get("id", []))
        self._by_hash.set_runs(snap.indexes.get("hash", []))
        self._bands.set_runs(snap.indexes.get("bands", []))
        self._last_get = ("", None)

    def spill(self, placed: Sequence[tuple[snapshots.Array, snapshots.FileArray]]) -> None:
        """Band index runs read their entries from the snapshot file holding them."""
        self._bands.spill(placed)

    def unspilled(self) -> list[npt.NDArray[np.uint32]]:
        """Band index entries held in memory that a file could hold (``spill``)."""
        return self._bands.unspilled()

    def _append_block(self, block: npt.NDArray[np.void]) -> None:
        done = 0
        while done < len(block):
            row = self._rows + done
            if row >> _CHUNK_BITS >= len(self._chunks):
                self._new_chunk()
            offset = row & (_CHUNK - 1)
            take = min(_CHUNK - offset, len(block) - done)
            self._chunks[row >> _CHUNK_BITS][offset : offset + take] = block[done : done + take]
            done += take
        self._rows += len(block)

    # -- internals -----------------------------------------------------------
    def _hot(self, row: int) -> Any:
        return self._chunks[row >> _CHUNK_BITS][row & (_CHUNK - 1)]

    def _new_chunk(self) -> None:
        self._chunks.append(np.zeros(_CHUNK, dtype=_HOT))
        self._lives.append(self._chunks[-1]["live"])

    def _live(self, row: int) -> bool:
        return bool(self._lives[row >> _CHUNK_BITS].item(row & (_CHUNK - 1)))

    def _row_of(self, article_id: str) -> int | None:
        found = self._match(article_id)
        return found[0] if found is not None else None

    def _match(self, article_id: str) -> tuple[int, Any] | None:
        """The live row of ``article_id`` (the newest) and its cold record."""
        raw = _id_bytes(article_id)
        best: tuple[int, Any] | None = None
        for row in self._by_id.lookup((_id_key(article_id, raw),)):
            if (best is not None and row < best[0]) or not self._live(row):
                continue
            rec = self._cold.read(row)
            if raw is not None:
                same = rec["id"].tobytes() == raw
            else:
                same = self._odd_ids.get(row) == article_id
            if same:
                best = (row, rec)
        return best

    def _id_text(self, row: int, rec: Any) -> str:
        raw = rec["id"].tobytes()
        return _ID_PREFIX + raw.hex() if raw != _NO_ID else self._odd_ids[row]

    @staticmethod
    def _story_text(rec: Any) -> str | None:
        raw = rec["story"].tobytes()
        return _STORY_PREFIX + raw.hex() if raw != _NO_STORY else None

    def _append(
        self, record: ArticleRecord, now: float, fp: Fingerprint | None, raw_id: bytes | None
    ) -> int:
        row = self._rows
        if row >> _CHUNK_BITS >= len(self._chunks):
            self._new_chunk()
        if raw_id is None:
            self._odd_ids[row] = record.article_id
        story = _NO_STORY
        if record.story_id:
            story = _story_bytes(record.story_id) or _NO_STORY
            if story == _NO_STORY:
                self._long_stories[row] = record.story_id
        # The cold record as bytes (``rowfile.COLD``'s layout): one copy, no per-field work.
        self._cold.append(b"".join((
            raw_id or _NO_ID, bytes.fromhex(record.content_hash),
            _NO_SIGNATURE if fp is None else fp.signature, story,
            _TAIL.pack(min(record.revision, 65535), 0 if fp is None else min(fp.size, 65535),
                       int(record.first_seen)),
        )))  # fmt: skip
        self._chunks[row >> _CHUNK_BITS][row & (_CHUNK - 1)] = (int(now), 1)
        self._rows += 1
        return row

    def _compact(self) -> None:
        """Drop retired rows and renumber the indexes, one chunk at a time."""
        live = np.concatenate([c["live"] for c in self._chunks])[: self._rows].astype(bool)
        remap = np.full(self._rows, -1, dtype=np.int64)
        remap[live] = np.arange(int(live.sum()), dtype=np.int64)
        try:
            self._cold.compact(live)
        except OSError as exc:  # the rows file cannot be rewritten: try again later
            log.warning("dedup rows not compacted (%s): retried at the next expiry", exc)
            return
        old_chunks, self._chunks, self._lives = self._chunks, [], []
        self._rows = 0
        for i in range(len(old_chunks)):
            mask = live[i * _CHUNK : (i + 1) * _CHUNK]
            part = old_chunks[i][: len(mask)][mask]
            old_chunks[i] = part[:0]  # release the old chunk early
            self._append_block(part)
        self._long_stories = {
            int(remap[r]): s for r, s in self._long_stories.items() if remap[r] >= 0
        }
        self._odd_ids = {int(remap[r]): s for r, s in self._odd_ids.items() if remap[r] >= 0}
        self._dead = 0
        self._last_get = ("", None)
        for index in (self._by_id, self._by_hash, self._bands):
            index.compact(remap)

    def nbytes(self) -> int:
        """Bytes held by the numpy parts (rows and indexes)."""
        return sum(self.components().values())

    def components(self) -> dict[str, int]:
        """Bytes of each part in memory (benchmarks): the hot rows in use, the rest
        of the last chunk (allocated, untouched until used), the cold rows held in
        memory (all, or those a file has not been written yet), each index's runs."""
        allocated = sum(c.nbytes for c in self._chunks)
        return {
            "rows": self._rows * _HOT.itemsize,
            "unused rows": allocated - self._rows * _HOT.itemsize,
            "cold rows": self._cold.nbytes(),
            "id index": self._by_id.nbytes(),
            "hash index": self._by_hash.nbytes(),
            "band index": self._bands.nbytes(),
        }


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    seen REAL NOT NULL,
    story_id TEXT,
    size INTEGER,
    signature BLOB,
    bands BLOB,
    index_hash INTEGER NOT NULL,
    seq INTEGER
);
CREATE INDEX IF NOT EXISTS articles_seen ON articles (seen);
CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
""" + storystate.SCHEMA
_COLUMNS = "id, content_hash, revision, first_seen, seen, story_id, size, signature, bands,"
_UPSERT = f"INSERT OR REPLACE INTO articles ({_COLUMNS} index_hash, seq) VALUES ({'?, ' * 10}?)"
_TOUCH = "UPDATE articles SET seen = ?, seq = ? WHERE id = ?"
_FLUSH_EVERY = 1000
#: Unwritten rows while the file fails, beyond which new articles are refused
#: (dead-lettered with reason state_unwritable) rather than held in memory.
MAX_UNWRITTEN = 50_000
#: A snapshot of the memory store is written after this many changes (and at close):
#: a restart replays at most these from SQLite, row by row.
SNAPSHOT_EVERY = 50_000
_TOKEN_BLOB = "snapshot_token"
#: Blobs this large are kept in a file of their own; the table names the file.
_BLOB_FILE_MIN = 1 << 20
_BLOB_FILE = b"kabar-blob-file:"
#: At close, how long a story checkpoint being encoded is waited for.
CLOSE_WAIT_S = 60.0


class SqliteStore:
    """A ``MemoryStore`` written through to SQLite in batches and reloaded at start.

    A batch is handed to the file's writer thread (``kabar.statefile``) once it
    holds ``_FLUSH_EVERY`` changes or is ``flush_interval_s`` old, whichever
    comes first: a crash loses at most that last second or so of verdicts, and
    no write (nor its fsync: ``synchronous=FULL``) runs on the caller's thread.
    A batch that cannot be written is retried, never dropped.

    Every change carries a sequence number; now and then the writer also saves
    a snapshot of the memory store (``kabar.dedup.snapshot``), and a restart
    loads that and replays only the rows changed after it."""

    durable = True
    #: False while the owner decides when rows are written (``flush``), e.g. only
    #: once the events of their verdicts were acknowledged by the broker.
    autoflush = True

    def __init__(
        self,
        path: str | Path,
        ttl_s: float,
        *,
        now: float | None = None,
        flush_interval_s: float = 1.0,
        max_unwritten: int = MAX_UNWRITTEN,
    ) -> None:
        self.path = Path(path)
        self.flush_interval_s = flush_interval_s
        self.max_unwritten = max_unwritten
        self._flushed_at = time.monotonic()
        self._memory = MemoryStore(ttl_s)  # replaced by ``_load``
        self._upserts: dict[str, tuple[Any, ...]] = {}
        self._touches: dict[str, float] = {}
        self._seq = 0
        self._snapshot_seq = 0
        #: The snapshot on disk no longer describes the rows file (an older layout
        #: converted, a compaction): the next flush writes one.
        self._snapshot_due = False
        self._snapshot_path = None if str(path) == ":memory:" else Path(f"{path}.snapshot")
        #: Band index entries the last snapshot written holds, and where (``_placed``): set
        #: on the writer thread, taken over by the next flush on the caller's.
        self._placed: list[tuple[snapshots.Array, snapshots.FileArray]] = []
        self._placed_lock = threading.Lock()
        #: Large blobs held by their files only (``_let_go``), and the lock under which
        #: the writer thread lets one go while the caller's may put it again.
        self._blob_files: dict[str, Path] = {}
        self._blob_lock = threading.Lock()
        #: Band index entries handed to the writer to be spilled (``_spill_new``).
        self._spilling: list[weakref.ref[npt.NDArray[np.uint32]]] = []
        self._rows_path = Path(f"{path}.rows")
        db = open_db(path, "dedup state", "dedup.state_path")
        try:
            db.executescript(_SCHEMA)
            _migrate(db)
            self._token = _token(db)
            self._load(db, now)
        except StateError:
            db.close()
            raise
        except sqlite3.Error as exc:
            db.close()
            raise state_error(exc, "dedup state", str(path), "dedup.state_path") from exc
        self._writer = StateWriter(db, "dedup", str(path))
        #: Writes pass through it: held back while a story checkpoint is encoded.
        self._gate = CheckpointGate(self._writer)
        #: Committed story rows, read back for the packed stories that dropped their bytes.
        self._story_rows = None if str(path) == ":memory:" else storystate.StoredRows(self.path)
        #: What the last story checkpoint wrote (tests, benchmarks).
        self.last_story_rows: StoryRows | None = None
        if self._snapshot_due:  # converted or compacted while loading: saved as it is now
            self.snapshot()

    def _load(self, db: sqlite3.Connection, now: float | None) -> None:
        # Without ``now`` everything is loaded: the deduper's first expire() call
        # ages rows by its own clock, which may differ from the wall clock.
        ttl_s = self._memory.ttl_s
        cutoff = -1.0 if now is None else now - ttl_s
        opened = self._read_snapshot()
        select = f"SELECT {_COLUMNS} index_hash FROM articles"
        if opened is not None:
            snap, cold, converted = opened
            self._memory = MemoryStore(ttl_s, cold)
            self._memory.restore(snap)
            self._snapshot_seq = snap.seq
            self._snapshot_due = converted
            generation = cold.generation
            fresh = []
            for row in db.execute(f"{select} WHERE seq > ? ORDER BY seq", (snap.seq,)):
                if self._memory._row_of(row[0]) is None:
                    fresh.append(row)  # new since the snapshot: loaded in bulk below
                else:
                    self._replay(row)
            if fresh:
                self._memory.load(_columns(fresh))
            if now is not None:
                self._memory.expire(now)  # only skipped, as the full load below skips
                self._snapshot_due |= cold.generation != generation
        else:
            self._memory = MemoryStore(ttl_s, self._new_cold())
            cursor = db.execute(f"{select} WHERE seen >= ? ORDER BY rowid", (cutoff,))
            parts = []
            while rows := cursor.fetchmany(_LOAD_BATCH):
                parts.append(_columns(rows))
            if parts:  # one load: each index is built as one sorted run
                self._memory.load(_concat(parts) if len(parts) > 1 else parts[0])
        top = db.execute("SELECT max(seq) FROM articles").fetchone()[0]
        self._seq = max(self._snapshot_seq, int(top or 0))
        for name, data in db.execute("SELECT name, data FROM blobs"):
            blob = bytes(data)
            if blob.startswith(_BLOB_FILE):  # read from its file when asked for
                target = self.path.parent / blob[len(_BLOB_FILE) :].decode("utf-8")
                if not os.access(target, os.R_OK):
                    log.warning("dedup state blob %s unreadable (%s missing or not readable):"
                                " starting without it", name, target)  # fmt: skip
                    continue
                self._blob_files[name] = target
                continue
            self._memory.put_blob(name, blob)

    def _new_cold(self) -> MemoryRows | FileRows:
        """Empty cold rows: a new file beside the state (none for ``:memory:``)."""
        if self._snapshot_path is None:
            return MemoryRows()
        try:
            return FileRows.create(self._rows_path, self._token)
        except OSError as exc:
            raise StateError(
                f"dedup state {self.path}: cannot create {self._rows_path} ({exc})",
                reason="state_unwritable",
            ) from exc

    def _read_snapshot(self) -> tuple[Snapshot, FileRows, bool] | None:
        """The snapshot with its cold rows, and whether it was converted from an
        older layout (rows whole in it: their cold fields go to a new file)."""
        if self._snapshot_path is None:
            return None
        path = self._snapshot_path
        try:
            try:
                snap = snapshots.read(path, self._token, _HOT, _ROW_V1, spills)
            except ValueError as exc:
                if "another layout" not in str(exc):
                    raise
                snap = snapshots.read(path, self._token, _ROW, in_file=spills)  # layout 2
            if snap is None:
                return None
            if snap.version == 1:
                snap = _upgraded(snap)
            if len(snap.chunks) * snap.chunk_rows < snap.rows:
                raise ValueError("snapshot holds fewer rows than it counts")
            if any(chunk.dtype == _ROW for chunk in snap.chunks) or (
                    _ROWFILE not in snap.indexes and snap.rows == 0):  # fmt: skip
                cold = FileRows.create(self._rows_path, self._token)
                log.info("dedup snapshot %s has rows of an older layout: their cold fields"
                         " moved to %s", path, self._rows_path)  # fmt: skip
                return _split(snap, cold), cold, True
            generation = _generation_text(snapshots.in_memory(snap.indexes[_ROWFILE][0][_ROWFILE]))
            opened = FileRows.reopen(self._rows_path, self._token, generation, snap.rows)
            if opened is None:
                log.warning("dedup rows %s missing or not those of snapshot %s: loading the"
                            " state in full", self._rows_path, path)  # fmt: skip
                return None
            return snap, opened, False
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("dedup snapshot %s unreadable (%s): loading the state in full",
                        path, exc)
            return None

    def _replay(self, row: tuple[Any, ...]) -> None:
        ident, chash, revision, first, seen, story, size, sig, bands, index_hash = row
        fp = None
        if sig is not None and bands is not None:
            keys = tuple(np.frombuffer(bands, dtype=np.uint32).tolist())
            fp = Fingerprint(bytes(sig), int(size), keys)
        record = ArticleRecord(ident, chash, int(revision), float(first), story)
        self._memory.put(record, now=float(seen), fingerprint=fp, index_hash=bool(index_hash))

    def get(self, article_id: str) -> ArticleRecord | None:
        return self._memory.get(article_id)

    def first_with_hash(self, content_hash: str) -> str | None:
        return self._memory.first_with_hash(content_hash)

    def candidates(self, bands: Sequence[int], limit: int) -> Candidates:
        return self._memory.candidates(bands, limit)

    def count(self) -> int:
        return self._memory.count()

    def get_blob(self, name: str) -> bytes | None:
        """A blob as last put: from memory, or a large one from its file."""
        with self._blob_lock:
            data = self._memory.get_blob(name)
            target = self._blob_files.get(name) if data is None else None
        if target is None:
            return data
        try:
            return target.read_bytes()
        except OSError as exc:
            log.warning("dedup state blob %s unreadable (%s): taken as missing", name, exc)
            return None

    def check_writable(self) -> None:
        """Refuse new state while the file fails and the unwritten backlog is full."""
        writer = self._writer
        backlog = writer.pending_rows + self._gate.held_rows() + len(self._upserts)
        if writer.problem and backlog >= self.max_unwritten:
            raise DedupError(
                f"{writer.problem}; {writer.pending_rows} changes wait to be written",
                reason="state_unwritable",
            )

    def put(
        self,
        record: ArticleRecord,
        *,
        now: float,
        fingerprint: Fingerprint | None,
        index_hash: bool,
    ) -> None:
        self._memory.put(record, now=now, fingerprint=fingerprint, index_hash=index_hash)
        fp = fingerprint
        bands = np.array(fp.bands, dtype=np.uint32).tobytes() if fp is not None else None
        self._seq += 1
        self._upserts[record.article_id] = (
            record.article_id, record.content_hash, record.revision, record.first_seen, now,
            record.story_id, fp.size if fp else None, fp.signature if fp else None, bands,
            int(index_hash), self._seq,
        )  # fmt: skip
        self._touches.pop(record.article_id, None)
        self._maybe_flush()

    def touch(self, article_id: str, now: float) -> None:
        self._memory.touch(article_id, now)
        self._seq += 1
        pending = self._upserts.get(article_id)
        if pending is not None:
            self._upserts[article_id] = (*pending[:4], now, *pending[5:10], self._seq)
        else:
            self._touches[article_id] = now
        self._maybe_flush()

    def put_blob(self, name: str, data: bytes) -> None:
        """Kept in memory at once; written (in order, after pending verdicts) by the
        writer. A large blob (the story checkpoint) goes to a file beside the state,
        named in the blobs table: SQLite would copy it while holding the GIL."""
        with self._blob_lock:
            self._memory.put_blob(name, data)
        self.flush()
        if len(data) >= _BLOB_FILE_MIN and self._snapshot_path is not None:
            # Its file is written by the writer in the transaction naming it (a job ran
            # after the statements queued with it: committed, they named the old file).
            stored: Any = _LaterBlob(self, name, lambda: data, held=True)
        else:
            stored = [(name, data)]
        self._gate.submit_blob([(_PUT_BLOB, stored)])

    def put_blob_later(self, name: str, make: Callable[[], bytes]) -> None:
        """``put_blob`` of what ``make`` returns, made on the writer thread when a
        story checkpoint is being encoded (the blob joins its transaction): the
        boilerplate counts (2.4 MB at their cap) took 20 ms and more of the event
        loop at each checkpoint. ``make`` must not read state the caller changes."""
        if not self._gate.holding:
            self.put_blob(name, make())
            return
        self.flush()
        self._gate.submit_blob([(_PUT_BLOB, _LaterBlob(self, name, make))])

    def _stored_blob(self, name: str, data: bytes, *, held: bool = False) -> bytes:
        """What the blobs table holds for ``data`` (on the writer thread, in the
        transaction that commits it): the data, or for a large blob the name of the
        file it was just written to; ``held``: the caller keeps it in memory already.
        Of two files a blob takes turns on, never the one the committed state names: a
        crash before this transaction commits finds the blob that goes with the rows
        and offset on disk (the same name each time let a new file beside old rows
        count their articles twice when replayed)."""
        if not held:
            with self._blob_lock:
                self._memory.put_blob(name, data)
        if len(data) < _BLOB_FILE_MIN or self._snapshot_path is None:
            return data
        targets = [f"{self.path.name}.{name}.blob", f"{self.path.name}.{name}.1.blob"]
        committed = _committed_blob(self.path, name)
        target = self.path.parent / targets[committed == _BLOB_FILE + targets[0].encode()]
        try:
            self._write_blob(name, target, data)
        except OSError as exc:  # the writer retries a failed transaction: this one too
            raise sqlite3.OperationalError(f"cannot write {target}: {exc}") from exc
        return _BLOB_FILE + target.name.encode("utf-8")

    def _write_blob(self, name: str, target: Path, data: bytes) -> None:
        """Write a large blob to its file (writer thread); then its bytes leave memory
        unless it was put again meanwhile, and ``get_blob`` reads the file: the
        boilerplate counts (2.4 MB at their cap) were held all along, as was a blob of
        an older state's stories once loaded."""
        _write_file(target, data)
        with self._blob_lock:
            if self._memory.drop_blob(name, data):
                self._blob_files[name] = target

    def save_stories(self, header_blob: str, cut: StoryCut) -> None:
        """Checkpoint the story changes ``cut`` holds: encoded on the writer thread and
        committed in one transaction with the dedup rows pending now and the blobs
        put until it is encoded (``storystate.CheckpointGate``)."""

        def encode() -> list[Statement]:
            rows = cut.encode()
            self._memory.put_blob(header_blob, rows.header)
            self.last_story_rows = rows
            return storystate.statements(rows, header_blob)

        if self._story_rows is not None:
            cut.stored_in(self._story_rows)
        self._gate.checkpoint(self.flush, encode, cut.committed)

    @property
    def checkpoint_pending(self) -> bool:
        """A story checkpoint is being encoded (writes are held for it)."""
        return self._gate.holding

    def story_state(self, header_blob: str) -> storystate.StoredStories | None:
        """The incrementally checkpointed story state, None when there is none
        (rows and terms are read as the caller iterates)."""
        header = self.get_blob(header_blob)
        if header is None or str(self.path) == ":memory:":
            return None
        return storystate.StoredStories(header, self.path, self._token, self._story_rows)

    def save_story_index(self, cut: int, postings: Mapping[str, bytes | bytearray]) -> None:
        """At a clean stop, after the last checkpoint: the clusterer's postings as of
        checkpoint ``cut``, for a fast reopen (``storystate.write_index``)."""
        if str(self.path) == ":memory:":
            return
        target, token = storystate.index_path(self.path), self._token
        self._gate.submit_job(
            lambda: storystate.write_index(target, token, cut, postings), "story index"
        )

    def expire(self, now: float) -> int:
        if self.autoflush:
            self.flush()
        cutoff = now - self._memory.ttl_s
        self._seq += 1  # a change the next snapshot must include
        self._gate.submit([("DELETE FROM articles WHERE seen < ?", [(cutoff,)])])
        cold = self._memory._cold
        generation = getattr(cold, "generation", None)
        expired = self._memory.expire(now)
        # Compacted: the snapshot on disk names the old rows file. Written at the
        # next flush (the owner's commit, when it holds writes back), not now.
        self._snapshot_due |= getattr(cold, "generation", None) != generation
        return expired

    def flush(self) -> None:
        """Hand the pending batch to the writer (it is written soon, off this thread),
        and a snapshot after it when one is due."""
        self._hand_over()
        if self._snapshot_due or self._seq - self._snapshot_seq >= SNAPSHOT_EVERY:
            self.snapshot()

    def _hand_over(self) -> None:
        self._flushed_at = time.monotonic()
        self._take_placed()
        self._spill_new()
        if isinstance(self._memory._cold, FileRows):
            self._memory._cold.flush()  # to the page cache: out of process memory
        if not self._upserts and not self._touches:
            return
        upserts = list(self._upserts.values())
        touches = [(seen, self._seq, ident) for ident, seen in self._touches.items()]
        self._upserts = {}
        self._touches = {}
        self._gate.submit([(_UPSERT, upserts), (_TOUCH, touches)])

    def _take_placed(self) -> None:
        """Band index runs a snapshot or a spill file holds are read from there now."""
        if self._placed:
            with self._placed_lock:
                placed, self._placed = self._placed, []
            self._memory.spill(placed)

    def _spill_new(self) -> None:
        """A band index run a merge made since the last snapshot is written to a file
        of its own on the writer thread (``snapshots.spilled``), and read from there
        once it is written: it stayed in memory until the next snapshot, up to 50,000
        changes later (a run of 4M entries at 200k articles, 16M at 1M: 16 and 64 MB).
        Where a run's entries are read from never changes what a lookup finds."""
        if self._snapshot_path is None:
            return
        self._spilling = [ref for ref in self._spilling if ref() is not None]
        asked = {id(ref()) for ref in self._spilling}
        for array in self._memory.unspilled():
            if id(array) in asked:
                continue
            self._spilling.append(weakref.ref(array))
            self._gate.submit_job(partial(self._write_spill, array), "band index spill")

    def _write_spill(self, array: npt.NDArray[np.uint32]) -> None:
        stored = snapshots.spilled(self.path.parent, array)
        with self._placed_lock:
            self._placed.append((array, stored))

    def snapshot(self) -> None:
        """Have the writer save the memory store as it is now (after what is queued)."""
        if self._snapshot_path is None:
            return
        self._hand_over()
        cold = self._memory._cold
        if not isinstance(cold, FileRows) or not cold.flush():
            return  # rows the file lacks (disk full): no snapshot may count on them
        snap = self._memory.snapshot(self._token, self._seq)
        self._snapshot_seq = self._seq
        self._snapshot_due = False
        target = self._snapshot_path

        def write() -> None:
            cold.sync()  # the rows the snapshot names, durable before it
            offsets = snapshots.write(target, snap)
            placed = _placed(target, snap, offsets)
            with self._placed_lock:
                self._placed += placed

        self._gate.submit_job(write, "snapshot")

    def after_commit(self, run: Callable[[], None]) -> None:
        """Run ``run`` on the writer thread once what was handed over so far is written
        (never, when it cannot be)."""
        self._gate.submit_job(run, "after commit")

    @contextmanager
    def together(self) -> Iterator[None]:
        """Everything handed over in the block (rows, a story checkpoint, blobs) is
        committed in one transaction (``StateWriter.together``)."""
        with self._writer.together():
            yield

    def sync(self, timeout_s: float = 10.0) -> bool:
        """Flush and wait until everything is committed (tests, benchmarks); the band
        index runs a snapshot or spill file written meanwhile holds are read from it."""
        self.flush()
        done = self._writer.wait(timeout_s)
        if done:
            self._take_placed()
        return done

    def close(self) -> None:
        self.flush()
        if self._seq != self._snapshot_seq or self._snapshot_due:
            self.snapshot()
        if self._gate.holding and not self._writer.problem:
            self._writer.wait(CLOSE_WAIT_S)  # a story checkpoint is being encoded: let it out
        unwritten = self._writer.close() + self._gate.held_rows()
        if self._story_rows is not None:
            self._story_rows.close()
        if isinstance(self._memory._cold, FileRows):
            self._memory._cold.close()
        if unwritten:
            raise StateError(
                f"dedup state {self.path}: {unwritten} changes could not be written"
                f" ({self._writer.problem or 'write failed'}); articles they describe may be"
                " published again after a restart. Free disk space or fix permissions.",
                reason="state_unwritable",
            )

    def _maybe_flush(self) -> None:
        if not self.autoflush:
            return
        full = len(self._upserts) + len(self._touches) >= _FLUSH_EVERY
        if full or time.monotonic() - self._flushed_at >= self.flush_interval_s:
            self.flush()


_LOAD_BATCH = 65_536
_PUT_BLOB = "INSERT OR REPLACE INTO blobs VALUES (?, ?)"


class _LaterBlob(Sequence[tuple[str, bytes]]):
    """The parameter row of a blob made when the writer reads it (``put_blob_later``),
    in the transaction that commits it (``StateWriter.submit``: lazy)."""

    lazy = True

    def __init__(
        self, store: SqliteStore, name: str, make: Callable[[], bytes], *, held: bool = False
    ) -> None:
        self._store, self._name, self._make, self._held = store, name, make, held
        self._row: tuple[str, bytes] | None = None

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: Any) -> Any:
        if index not in (0, -1):
            return [self[0]][index]  # (a slice)
        if self._row is None:
            stored = self._store._stored_blob(self._name, self._make(), held=self._held)
            self._row = (self._name, stored)
        return self._row

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        yield self[0]


def _placed(
    path: Path, snap: Snapshot, offsets: Mapping[str, int]
) -> list[tuple[snapshots.Array, snapshots.FileArray]]:
    """The band index entries the snapshot just written to ``path`` holds that are
    read from there from now on (``lsh.spills``), each with its place in the file."""
    placed = []
    file: snapshots.SnapshotFile | None = None
    for i, run in enumerate(snap.indexes.get("bands", [])):
        name, packed = f"bands:{i}:packed", run.get("packed")
        if packed is None or not spills(name, len(packed)):
            continue
        file = file or snapshots.SnapshotFile(path)
        placed.append((packed, snapshots.FileArray(file, offsets[name], len(packed),
                                                   np.dtype(np.uint32))))  # fmt: skip
    return placed


def _upgraded(snap: Snapshot) -> Snapshot:
    """A layout-1 snapshot (ids as text in 225-byte rows, 64-bit id and hash index
    keys) in the current layout: a second or two at a million rows, where the
    full load from SQLite takes half a minute. Rows keep their numbers, so the
    band index's runs carry over; the id and hash indexes are rebuilt over the
    same rows (every row is in the id index, the hash index's rows are read
    from its runs)."""
    odd_ids: dict[int, str] = {}
    long_stories = dict(snap.long_stories)
    chunks: list[npt.NDArray[np.void]] = []
    ids = np.zeros((snap.rows, _ID_BYTES), np.uint8)
    for number, old in enumerate(snap.chunks):
        first = number * snap.chunk_rows
        used = max(0, min(snap.rows - first, snap.chunk_rows))
        new = np.zeros(snap.chunk_rows, dtype=_ROW)
        for name in ("hash", "sig", "revision", "size", "first", "seen", "live"):
            new[name][:used] = old[name][:used]
        texts = [raw.decode("ascii") for raw in old["id"][:used].tolist()]
        new["id"][:used], odd = _packed_column(texts, _id_bytes, _ID_BYTES)
        odd_ids.update((first + i, texts[i]) for i in odd)
        stories = [raw.decode("ascii") for raw in old["story"][:used].tolist()]
        new["story"][:used], odd = _packed_column(stories, _story_bytes, _STORY_BYTES)
        long_stories.update((first + i, stories[i]) for i in odd if stories[i])
        ids[first : first + used] = new["id"][:used]
        chunks.append(new)
    id_keys = _folded32(ids)
    for row, text in odd_ids.items():
        id_keys[row] = _id_key(text, None)
    hashed = np.sort(np.concatenate(
        [run["rows"] for run in snap.indexes.get("hash", [])] or [np.empty(0, np.uint32)]
    ))  # fmt: skip
    hashes = np.concatenate([c["hash"] for c in chunks] or [np.empty((0, 32), np.uint8)])
    indexes = {
        "id": [_sorted_run(id_keys, np.arange(snap.rows, dtype=np.uint32))],
        "hash": [_sorted_run(_folded32(hashes[hashed]), hashed.astype(np.uint32))],
        "bands": snap.indexes.get("bands", []),
    }
    return Snapshot(
        token=snap.token, seq=snap.seq, rows=snap.rows, dead=snap.dead,
        chunk_rows=snap.chunk_rows, chunks=chunks, long_stories=long_stories,
        indexes=indexes, odd_ids=odd_ids,
    )  # fmt: skip


#: The snapshot's record of its cold rows' file: an "index" of one array.
_ROWFILE = "rowfile"


def _generation_array(generation: str) -> npt.NDArray[np.uint8]:
    return np.frombuffer(generation.encode("ascii"), np.uint8).copy()


def _generation_text(array: npt.NDArray[Any]) -> str:
    return bytes(array.astype(np.uint8)).decode("ascii")


def _split(snap: Snapshot, cold: FileRows) -> Snapshot:
    """A snapshot with whole rows (layouts 1 and 2, before rows split) with its
    cold fields appended to ``cold`` (empty) and its hot fields as its rows."""
    chunks: list[npt.NDArray[np.void]] = []
    left = snap.rows
    for old in snap.chunks:
        used = max(0, min(left, snap.chunk_rows))
        left -= used
        block = np.zeros(used, dtype=COLD)
        for name in COLD.names or ():
            block[name] = old[name][:used]
        cold.append_block(block)
        hot = np.zeros(snap.chunk_rows, dtype=_HOT)
        hot["seen"][:used] = old["seen"][:used]
        hot["live"][:used] = old["live"][:used]
        chunks.append(hot)
    if not cold.flush():
        raise OSError(f"cannot write {cold.path}")
    indexes = dict(snap.indexes)
    indexes[_ROWFILE] = [{_ROWFILE: _generation_array(cold.generation)}]
    return Snapshot(
        token=snap.token, seq=snap.seq, rows=snap.rows, dead=snap.dead,
        chunk_rows=snap.chunk_rows, chunks=chunks, long_stories=snap.long_stories,
        indexes=indexes, odd_ids=snap.odd_ids,
    )  # fmt: skip


def _sorted_run(keys: npt.NDArray[np.uint32], rows: npt.NDArray[np.uint32]) -> RunArrays:
    """One index run (rows ascending among equal keys, as added)."""
    order = np.argsort(keys, kind="stable")
    return {"keys": keys[order], "rows": rows[order]}


def _write_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably (the rename too: the
    transaction naming the file commits next)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _committed_blob(path: Path, name: str) -> bytes | None:
    """The blob ``name`` as committed in the state file (read beside the writer's
    connection, whose open transaction sees its own uncommitted rows)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
    finally:
        db.close()
    return None if row is None else bytes(row[0])


def _migrate(db: sqlite3.Connection) -> None:
    """Columns and indexes a state file written by an older Kabar lacks."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
    if "seq" not in columns:
        db.execute("ALTER TABLE articles ADD COLUMN seq INTEGER")
    db.execute("CREATE INDEX IF NOT EXISTS articles_seq ON articles (seq)")
    db.commit()


def _token(db: sqlite3.Connection) -> str:
    """This file's identity: a snapshot made for another file (or an earlier file
    at the same path, moved aside) is never loaded into it."""
    row = db.execute("SELECT data FROM blobs WHERE name = ?", (_TOKEN_BLOB,)).fetchone()
    if row is not None:
        return bytes(row[0]).decode("ascii")
    token = os.urandom(16).hex()
    with db:
        db.execute("INSERT INTO blobs VALUES (?, ?)", (_TOKEN_BLOB, token.encode("ascii")))
    return token


def _columns(rows: list[tuple[Any, ...]]) -> _Loaded:
    """Rows of the articles table as column arrays (one numpy pass per column)."""
    columns = zip(*rows, strict=True)
    ident, chash, revision, first, seen, story, size, sig, bands, index_hash = columns
    has_fp = np.array([s is not None and b is not None for s, b in zip(sig, bands, strict=True)])
    fp_rows = np.flatnonzero(has_fp).tolist()
    signatures = np.zeros((len(rows), PERMUTATIONS), np.uint8)
    if fp_rows:
        signatures[has_fp] = np.frombuffer(
            b"".join([sig[i] for i in fp_rows]), np.uint8
        ).reshape(len(fp_rows), PERMUTATIONS)
    band_blobs = [bands[i] for i in fp_rows]
    return _Loaded(
        ids=list(ident),
        hashes=np.frombuffer(bytes.fromhex("".join(chash)), np.uint8).reshape(len(rows), 32),
        revision=np.array(revision, dtype=np.int64),
        first=np.array(first, dtype=np.float64),
        seen=np.array(seen, dtype=np.float64),
        stories=list(story),
        size=np.array([0 if s is None else s for s in size], dtype=np.int64),
        signatures=signatures,
        has_fp=has_fp,
        bands=np.frombuffer(b"".join(band_blobs), np.uint32),
        band_counts=np.fromiter(map(len, band_blobs), np.int64, len(band_blobs)) // 4,
        index_hash=np.array(index_hash, dtype=bool),
    )


def _concat(parts: list[_Loaded]) -> _Loaded:
    def cat(name: str) -> Any:
        return np.concatenate([getattr(p, name) for p in parts])

    return _Loaded(
        ids=[i for p in parts for i in p.ids],
        hashes=cat("hashes"),
        revision=cat("revision"),
        first=cat("first"),
        seen=cat("seen"),
        stories=[s for p in parts for s in p.stories],
        size=cat("size"),
        signatures=cat("signatures"),
        has_fp=cat("has_fp"),
        bands=cat("bands"),
        band_counts=cat("band_counts"),
        index_hash=cat("index_hash"),
    )


_PREFIX = "kabar:dedup:"
#: Newest members read from one LSH bucket (a hot bucket must not stall a lookup).
_MAX_PER_BUCKET = 256


class RedisStore:
    """All state in Redis (shared by several instances); Redis expiry ages it out.

    Keys: ``a:<id>`` hash (content hash, revision, first/last seen, story,
    signature, size), ``h:<content hash>`` → first id, ``b:<band key>`` sorted set
    of ids scored by time (trimmed to the TTL), ``blob:<name>``.
    """

    durable = True

    def __init__(self, url: str, ttl_s: float, *, prefix: str = _PREFIX) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=10.0)
        self._prefix = prefix
        self._ttl = max(1, int(ttl_s))
        self.ttl_s = ttl_s
        with _redis_errors():
            self._redis.ping()

    def _k(self, kind: str, name: str) -> str:
        return f"{self._prefix}{kind}:{name}"

    def get(self, article_id: str) -> ArticleRecord | None:
        with _redis_errors():
            fields: list[Any] = self._redis.hmget(self._k("a", article_id), ["h", "r", "f", "s"])
            chash, revision, first, story = fields
            if chash is None:
                return None
            return ArticleRecord(
                article_id,
                _text(chash),
                int(revision),
                float(first),
                _text(story) or None,
            )

    def first_with_hash(self, content_hash: str) -> str | None:
        with _redis_errors():
            found: Any = self._redis.get(self._k("h", content_hash))
            return _text(found) if found else None

    def candidates(self, bands: Sequence[int], limit: int) -> Candidates:
        with _redis_errors():
            pipe = self._redis.pipeline(transaction=False)
            for band in bands:
                pipe.zrevrange(self._k("b", str(band)), 0, _MAX_PER_BUCKET - 1)
            counts: dict[bytes, int] = {}
            for members in pipe.execute():
                for member in members:
                    counts[member] = counts.get(member, 0) + 1
            if not counts:
                return _empty_candidates()
            ranked = sorted(counts, key=lambda m: -counts[m])[:limit]
            pipe = self._redis.pipeline(transaction=False)
            for member in ranked:
                pipe.hmget(self._k("a", member.decode("ascii")), ["sig", "n"])
            ids: list[str] = []
            sigs: list[bytes] = []
            sizes: list[int] = []
            for member, (sig, size) in zip(ranked, pipe.execute(), strict=True):
                if sig is not None and size is not None and len(sig) == PERMUTATIONS:
                    ids.append(member.decode("ascii"))
                    sigs.append(sig)
                    sizes.append(int(size))
            if not ids:
                return _empty_candidates()
            matrix = np.frombuffer(b"".join(sigs), dtype=np.uint8).reshape(len(ids), PERMUTATIONS)
            return Candidates(ids, matrix, np.array(sizes, dtype=np.int64))

    def put(
        self,
        record: ArticleRecord,
        *,
        now: float,
        fingerprint: Fingerprint | None,
        index_hash: bool,
    ) -> None:
        with _redis_errors():
            key = self._k("a", record.article_id)
            mapping: dict[Any, Any] = {
                "h": record.content_hash,
                "r": record.revision,
                "f": record.first_seen,
                "t": now,
                "s": record.story_id or "",
            }
            if fingerprint is not None:
                mapping["sig"] = fingerprint.signature
                mapping["n"] = fingerprint.size
            pipe = self._redis.pipeline(transaction=True)
            pipe.delete(key)
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, self._ttl)
            if index_hash:
                pipe.set(
                    self._k("h", record.content_hash), record.article_id, nx=True, ex=self._ttl
                )
            if fingerprint is not None:
                for band in fingerprint.bands:
                    bkey = self._k("b", str(band))
                    pipe.zadd(bkey, {record.article_id: now})
                    pipe.zremrangebyscore(bkey, "-inf", now - self.ttl_s)
                    pipe.expire(bkey, self._ttl)
            pipe.execute()

    def touch(self, article_id: str, now: float) -> None:
        with _redis_errors():
            key = self._k("a", article_id)
            pipe = self._redis.pipeline(transaction=False)
            pipe.hset(key, "t", now)
            pipe.expire(key, self._ttl)
            pipe.execute()

    def check_writable(self) -> None:
        pass  # every call writes through: a failure raises there

    def get_blob(self, name: str) -> bytes | None:
        with _redis_errors():
            data: Any = self._redis.get(self._k("blob", name))
            return bytes(data) if data is not None else None

    def put_blob(self, name: str, data: bytes) -> None:
        with _redis_errors():
            self._redis.set(self._k("blob", name), data)

    def expire(self, now: float) -> int:
        return 0  # Redis key TTLs do it

    def count(self) -> int:
        with _redis_errors():
            return sum(1 for _ in self._redis.scan_iter(match=self._k("a", "*"), count=1000))

    def close(self) -> None:
        self._redis.close()


def _text(value: Any) -> str:
    """A Redis reply (bytes, or str) as text."""
    if value is None:
        return ""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@contextmanager
def _redis_errors() -> Iterator[None]:
    """Redis failures as DedupError (stage dedup, reason state_error)."""
    import redis

    try:
        yield
    except redis.RedisError as exc:
        raise DedupError(f"redis: {exc}") from exc
