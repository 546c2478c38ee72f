"""Dedup state: what was seen, under which URL, with which body and fingerprint.

``StateStore`` is the seam; three implementations:

* ``MemoryStore``: columnar numpy rows (~250 bytes an article) plus sorted-run
  indexes (``lsh.py``), so a million fingerprints fit in a few hundred MB.
* ``SqliteStore``: a ``MemoryStore`` for lookups, written through (in batches)
  to a SQLite file and reloaded from it at start, so a restart forgets nothing
  that was flushed (``close`` flushes).
* ``RedisStore``: all state in Redis, shared by several instances; Redis key
  expiry does the ageing.

Rows are never updated in place except for their last-seen time: a revision
appends a new row and retires the old one, which keeps the indexes append-only.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from kabar.dedup.fingerprint import PERMUTATIONS, Fingerprint
from kabar.dedup.lsh import BandIndex, SortedMultiIndex
from kabar.errors import ConfigError, DedupError, StateError
from kabar.settings import DedupSettings
from kabar.statefile import StateWriter, open_db, state_error

DAY_S = 86_400.0
_CHUNK_BITS = 16
_CHUNK = 1 << _CHUNK_BITS
#: "art_" + 24 hex (events.article_id); story ids are "st_" + 20 hex. Longer
#: story ids go to a side table; longer article ids are refused.
_ID_BYTES = 28
_STORY_BYTES = 24
_ROW = np.dtype(
    [
        ("id", f"S{_ID_BYTES}"),
        ("hash", "u1", (32,)),
        ("sig", "u1", (PERMUTATIONS,)),
        ("story", f"S{_STORY_BYTES}"),
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
    bands: list[npt.NDArray[np.uint32]]
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


def key64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


_NO_SIGNATURE = np.zeros(PERMUTATIONS, np.uint8)


def _empty_candidates() -> Candidates:
    return Candidates([], np.empty((0, PERMUTATIONS), np.uint8), np.empty(0, np.int64))


class MemoryStore:
    """Everything in process memory, compactly (see the module docstring)."""

    durable = False

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._chunks: list[npt.NDArray[np.void]] = []
        self._rows = 0
        self._dead = 0
        self._by_id = SortedMultiIndex(np.uint64)
        self._by_hash = SortedMultiIndex(np.uint64)
        self._bands = BandIndex()
        self._long_stories: dict[int, str] = {}
        self._blobs: dict[str, bytes] = {}
        self._last_get: tuple[str, int | None] = ("", None)

    # -- reads ---------------------------------------------------------------
    def get(self, article_id: str) -> ArticleRecord | None:
        row = self._row_of(article_id)
        self._last_get = (article_id, row)
        if row is None:
            return None
        rec = self._record(row)
        story = self._long_stories.get(row) or rec["story"].decode("ascii") or None
        return ArticleRecord(
            article_id=article_id,
            content_hash=bytes(rec["hash"]).hex(),
            revision=int(rec["revision"]),
            first_seen=float(rec["first"]),
            story_id=story,
        )

    def first_with_hash(self, content_hash: str) -> str | None:
        wanted = np.frombuffer(bytes.fromhex(content_hash), dtype=np.uint8)
        for row in sorted(self._by_hash.lookup((int(content_hash[:16], 16),))):
            rec = self._record(row)
            if rec["live"] and np.array_equal(rec["hash"], wanted):
                return str(rec["id"].decode("ascii"))
        return None

    def candidates(self, bands: Sequence[int], limit: int) -> Candidates:
        rows = [r for r in self._bands.candidates(bands) if self._record(r)["live"]][:limit]
        if not rows:
            return _empty_candidates()
        recs = [self._record(r) for r in rows]
        return Candidates(
            [str(rec["id"].decode("ascii")) for rec in recs],
            np.stack([rec["sig"] for rec in recs]),
            np.array([int(rec["size"]) for rec in recs], dtype=np.int64),
        )

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
            self._record(old)["live"] = 0
            self._dead += 1
        row = self._append(record, now, fingerprint)
        self._by_id.add((key64(record.article_id),), row)
        if index_hash:
            self._by_hash.add((int(record.content_hash[:16], 16),), row)
        if fingerprint is not None:
            self._bands.add(row, fingerprint.bands)

    def touch(self, article_id: str, now: float) -> None:
        row = self._row_of(article_id)
        if row is not None:
            self._record(row)["seen"] = int(now)

    def put_blob(self, name: str, data: bytes) -> None:
        self._blobs[name] = data

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
        if self._dead > max(_CHUNK, self._rows // 4):
            self._compact()
        return expired

    def close(self) -> None:
        pass

    def load(self, rows: _Loaded) -> None:
        """Append stored rows in bulk, as ``put`` would one by one. Only for
        reloading: the ids must be new to the store and distinct."""
        if any(len(i) > _ID_BYTES for i in rows.ids):
            raise DedupError("article id too long for the memory store", reason="state_error")
        count = len(rows.ids)
        first_row = self._rows
        block = np.zeros(count, dtype=_ROW)
        block["id"] = rows.ids
        block["hash"] = rows.hashes
        block["sig"] = rows.signatures
        block["story"] = [self._short_story(first_row + i, s) for i, s in enumerate(rows.stories)]
        block["revision"] = np.minimum(rows.revision, 65535)
        block["size"] = np.where(rows.has_fp, np.minimum(rows.size, 65535), 0)
        block["first"] = rows.first.astype(np.int64)
        block["seen"] = rows.seen.astype(np.int64)
        block["live"] = 1
        done = 0
        while done < count:
            row = first_row + done
            if row >> _CHUNK_BITS >= len(self._chunks):
                self._chunks.append(np.zeros(_CHUNK, dtype=_ROW))
            offset = row & (_CHUNK - 1)
            take = min(_CHUNK - offset, count - done)
            self._chunks[row >> _CHUNK_BITS][offset : offset + take] = block[done : done + take]
            done += take
        self._rows += count
        self._last_get = ("", None)
        numbers = np.arange(first_row, first_row + count, dtype=np.uint32)
        self._by_id.add_many(np.array([key64(i) for i in rows.ids], dtype=np.uint64), numbers)
        hash_keys = rows.hashes[:, :8].copy().view(">u8").ravel().astype(np.uint64)
        self._by_hash.add_many(hash_keys[rows.index_hash], numbers[rows.index_hash])
        if rows.bands:
            lengths = [len(b) for b in rows.bands]
            self._bands.add_many(
                np.concatenate(rows.bands), np.repeat(numbers[rows.has_fp], lengths)
            )

    def _short_story(self, row: int, story: str | None) -> bytes:
        raw = (story or "").encode("ascii")
        if len(raw) > _STORY_BYTES:
            self._long_stories[row] = story or ""
            return b""
        return raw

    # -- internals -----------------------------------------------------------
    def _record(self, row: int) -> Any:
        return self._chunks[row >> _CHUNK_BITS][row & (_CHUNK - 1)]

    def _row_of(self, article_id: str) -> int | None:
        wanted = article_id.encode("ascii")
        best: int | None = None
        for row in self._by_id.lookup((key64(article_id),)):
            rec = self._record(row)
            if rec["live"] and rec["id"] == wanted and (best is None or row > best):
                best = row
        return best

    def _append(self, record: ArticleRecord, now: float, fp: Fingerprint | None) -> int:
        row = self._rows
        if row >> _CHUNK_BITS >= len(self._chunks):
            self._chunks.append(np.zeros(_CHUNK, dtype=_ROW))
        ident = record.article_id.encode("ascii")
        if len(ident) > _ID_BYTES:
            raise DedupError("article id too long for the memory store", reason="state_error")
        story = (record.story_id or "").encode("ascii")
        if len(story) > _STORY_BYTES:
            self._long_stories[row] = record.story_id or ""
            story = b""
        # One structured assignment: field by field costs a lookup each.
        self._chunks[row >> _CHUNK_BITS][row & (_CHUNK - 1)] = (
            ident,
            np.frombuffer(bytes.fromhex(record.content_hash), dtype=np.uint8),
            _NO_SIGNATURE if fp is None else np.frombuffer(fp.signature, dtype=np.uint8),
            story,
            min(record.revision, 65535),
            0 if fp is None else min(fp.size, 65535),
            int(record.first_seen),
            int(now),
            1,
        )
        self._rows += 1
        return row

    def _compact(self) -> None:
        """Drop retired rows and renumber the indexes, one chunk at a time."""
        live = np.concatenate([c["live"] for c in self._chunks])[: self._rows].astype(bool)
        remap = np.full(self._rows, -1, dtype=np.int64)
        remap[live] = np.arange(int(live.sum()), dtype=np.int64)
        old_chunks, self._chunks = self._chunks, []
        fill = _CHUNK
        for i in range(len(old_chunks)):
            mask = live[i * _CHUNK : (i + 1) * _CHUNK]
            part = old_chunks[i][: len(mask)][mask]
            old_chunks[i] = part[:0]  # release the old chunk early
            while len(part):
                if fill == _CHUNK:
                    self._chunks.append(np.zeros(_CHUNK, dtype=_ROW))
                    fill = 0
                take = min(_CHUNK - fill, len(part))
                self._chunks[-1][fill : fill + take] = part[:take]
                part = part[take:]
                fill += take
        self._long_stories = {
            int(remap[r]): s for r, s in self._long_stories.items() if remap[r] >= 0
        }
        self._rows = int(live.sum())
        self._dead = 0
        self._last_get = ("", None)
        for index in (self._by_id, self._by_hash, self._bands):
            index.compact(remap)

    def nbytes(self) -> int:
        """Bytes held by the numpy parts (rows and indexes)."""
        rows = sum(c.nbytes for c in self._chunks)
        return rows + self._by_id.nbytes() + self._by_hash.nbytes() + self._bands.nbytes()


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
    index_hash INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_seen ON articles (seen);
CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
_UPSERT = "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_TOUCH = "UPDATE articles SET seen = ? WHERE id = ?"
_FLUSH_EVERY = 1000
#: Unwritten rows while the file fails, beyond which new articles are refused
#: (dead-lettered with reason state_unwritable) rather than held in memory.
MAX_UNWRITTEN = 50_000


class SqliteStore:
    """A ``MemoryStore`` written through to SQLite in batches and reloaded at start.

    A batch is handed to the file's writer thread (``kabar.statefile``) once it
    holds ``_FLUSH_EVERY`` changes or is ``flush_interval_s`` old, whichever
    comes first: a crash loses at most that last second or so of verdicts, and
    no write (nor its fsync: ``synchronous=FULL``) runs on the caller's thread.
    A batch that cannot be written is retried, never dropped."""

    durable = True

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
        self._memory = MemoryStore(ttl_s)
        self._upserts: dict[str, tuple[Any, ...]] = {}
        self._touches: dict[str, float] = {}
        db = open_db(path, "dedup state", "dedup.state_path")
        try:
            db.executescript(_SCHEMA)
            self._load(db, now)
        except sqlite3.Error as exc:
            db.close()
            raise state_error(exc, "dedup state", str(path), "dedup.state_path") from exc
        self._writer = StateWriter(db, "dedup", str(path))

    def _load(self, db: sqlite3.Connection, now: float | None) -> None:
        # Without ``now`` everything is loaded: the deduper's first expire() call
        # ages rows by its own clock, which may differ from the wall clock.
        cutoff = -1.0 if now is None else now - self._memory.ttl_s
        query = (
            "SELECT id, content_hash, revision, first_seen, seen, story_id, size, signature,"
            " bands, index_hash FROM articles WHERE seen >= ? ORDER BY first_seen, rowid"
        )
        cursor = db.execute(query, (cutoff,))
        while rows := cursor.fetchmany(_LOAD_BATCH):
            self._memory.load(_columns(rows))
        for name, data in db.execute("SELECT name, data FROM blobs"):
            self._memory.put_blob(name, bytes(data))

    def get(self, article_id: str) -> ArticleRecord | None:
        return self._memory.get(article_id)

    def first_with_hash(self, content_hash: str) -> str | None:
        return self._memory.first_with_hash(content_hash)

    def candidates(self, bands: Sequence[int], limit: int) -> Candidates:
        return self._memory.candidates(bands, limit)

    def count(self) -> int:
        return self._memory.count()

    def get_blob(self, name: str) -> bytes | None:
        return self._memory.get_blob(name)

    def check_writable(self) -> None:
        """Refuse new state while the file fails and the unwritten backlog is full."""
        writer = self._writer
        if writer.problem and writer.pending_rows + len(self._upserts) >= self.max_unwritten:
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
        self._upserts[record.article_id] = (
            record.article_id, record.content_hash, record.revision, record.first_seen, now,
            record.story_id, fp.size if fp else None, fp.signature if fp else None, bands,
            int(index_hash),
        )  # fmt: skip
        self._touches.pop(record.article_id, None)
        self._maybe_flush()

    def touch(self, article_id: str, now: float) -> None:
        self._memory.touch(article_id, now)
        pending = self._upserts.get(article_id)
        if pending is not None:
            self._upserts[article_id] = (*pending[:4], now, *pending[5:])
        else:
            self._touches[article_id] = now
        self._maybe_flush()

    def put_blob(self, name: str, data: bytes) -> None:
        """Kept in memory at once; written (in order, after pending verdicts) by the writer."""
        self._memory.put_blob(name, data)
        self.flush()
        self._writer.submit([("INSERT OR REPLACE INTO blobs VALUES (?, ?)", [(name, data)])])

    def expire(self, now: float) -> int:
        self.flush()
        cutoff = now - self._memory.ttl_s
        self._writer.submit([("DELETE FROM articles WHERE seen < ?", [(cutoff,)])])
        return self._memory.expire(now)

    def flush(self) -> None:
        """Hand the pending batch to the writer (it is written soon, off this thread)."""
        self._flushed_at = time.monotonic()
        if not self._upserts and not self._touches:
            return
        upserts = list(self._upserts.values())
        touches = [(seen, ident) for ident, seen in self._touches.items()]
        self._upserts = {}
        self._touches = {}
        self._writer.submit([(_UPSERT, upserts), (_TOUCH, touches)])

    def sync(self, timeout_s: float = 10.0) -> bool:
        """Flush and wait until everything is committed (tests, benchmarks)."""
        self.flush()
        return self._writer.wait(timeout_s)

    def close(self) -> None:
        self.flush()
        unwritten = self._writer.close()
        if unwritten:
            raise StateError(
                f"dedup state {self.path}: {unwritten} changes could not be written"
                f" ({self._writer.problem or 'write failed'}); articles they describe may be"
                " published again after a restart. Free disk space or fix permissions.",
                reason="state_unwritable",
            )

    def _maybe_flush(self) -> None:
        full = len(self._upserts) + len(self._touches) >= _FLUSH_EVERY
        if full or time.monotonic() - self._flushed_at >= self.flush_interval_s:
            self.flush()


_LOAD_BATCH = 65_536


def _columns(rows: list[tuple[Any, ...]]) -> _Loaded:
    """Rows of the articles table as column arrays (one numpy pass per column)."""
    columns = zip(*rows, strict=True)
    ident, chash, revision, first, seen, story, size, sig, bands, index_hash = columns
    has_fp = np.array([s is not None and b is not None for s, b in zip(sig, bands, strict=True)])
    fp_rows = has_fp.nonzero()[0].tolist()
    signatures = np.zeros((len(rows), PERMUTATIONS), np.uint8)
    if fp_rows:
        signatures[has_fp] = np.frombuffer(
            b"".join([sig[i] for i in fp_rows]), np.uint8
        ).reshape(len(fp_rows), PERMUTATIONS)
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
        bands=[np.frombuffer(bands[i], np.uint32) for i in fp_rows],
        index_hash=np.array(index_hash, dtype=bool),
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
