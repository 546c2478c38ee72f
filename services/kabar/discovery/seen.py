"""The seen-URL store: which canonical URLs discovery has already queued.

Memory stays bounded with two generations of 64-bit key hashes: when the
current generation holds half of ``max_entries`` it becomes the previous one
and the old previous generation is forgotten. A key found in the previous
generation is moved forward, so URLs that keep appearing in sources are never
forgotten while they matter. Each key may carry a stamp (epoch seconds; the
last update a source announced), kept in the same bounded generations. With a
``path`` the hashes and stamps persist in SQLite (written in batches and on
``close``) and are reloaded on the next start. Writes go through a writer
thread (``kabar.statefile``: WAL, ``synchronous=FULL``, checkpointed during the
run), so neither the SQL nor its fsync runs on the event loop, and a batch
that cannot be written is retried rather than lost.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable

from kabar.errors import StateError
from kabar.statefile import StateWriter, open_db, state_error

_FLUSH_EVERY = 256
_UPSERT = "INSERT OR REPLACE INTO seen (hash, generation, stamp) VALUES (?, ?, ?)"
#: Stored for keys without a stamp (a small int: shared, no memory per key).
_NO_STAMP = 0


def url_hash(canonical_url: str) -> int:
    """A signed 64-bit hash (fits an SQLite INTEGER); collisions are ~1e-8 at 1M URLs."""
    digest = hashlib.blake2b(canonical_url.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SeenStore:
    """Bounded set of canonical URLs (or other keys) with an optional stamp each,
    optionally persisted in SQLite."""

    def __init__(self, path: str = "", max_entries: int = 1_000_000) -> None:
        self._half = max(1, max_entries // 2)
        self._current: dict[int, int] = {}
        self._previous: dict[int, int] = {}
        self._generation = 0
        self._pending: list[tuple[int, int, int]] = []
        self._writer: StateWriter | None = None
        self.path = path
        if path:
            db = open_db(path, "seen-URL state", "discovery.seen_path")
            try:
                _prepare(db)
                self._load(db)
            except sqlite3.Error as exc:
                db.close()
                raise state_error(exc, "seen-URL state", path, "discovery.seen_path") from exc
            self._writer = StateWriter(db, "seen", path)
            # Generations a rotation while loading left behind.
            self._writer.submit(
                [("DELETE FROM seen WHERE generation < ?", [(self._generation - 1,)])]
            )

    def add(self, canonical_url: str, stamp: float | None = None) -> bool:
        """Remember a key, replacing its stamp when one is given; True if it was not known."""
        key = url_hash(canonical_url)
        current = key in self._current
        known = current or key in self._previous
        old = self._current[key] if current else self._previous.pop(key, _NO_STAMP)
        value = old if stamp is None else int(stamp)
        if current and value == old:
            return False
        self._current[key] = value
        self._persist(key, value)
        if len(self._current) >= self._half:
            self._rotate()
        return not known

    def stamp(self, canonical_url: str) -> float | None:
        """The stamp last stored with the key; None when unknown or stored without one."""
        key = url_hash(canonical_url)
        value = self._current.get(key, self._previous.get(key, _NO_STAMP))
        return None if value == _NO_STAMP else float(value)

    def __contains__(self, canonical_url: object) -> bool:
        if not isinstance(canonical_url, str):
            return False
        key = url_hash(canonical_url)
        return key in self._current or key in self._previous

    def known_of(self, canonical_urls: Iterable[str]) -> set[str]:
        """The keys among ``canonical_urls`` that are known: one call for a whole poll's
        links, so a shared store answers them in one round trip."""
        return {url for url in canonical_urls if url in self}

    def discard(self, canonical_url: str) -> None:
        """Forget a key (it was marked but never handed on, e.g. at shutdown)."""
        key = url_hash(canonical_url)
        self._current.pop(key, None)
        self._previous.pop(key, None)
        self._pending = [entry for entry in self._pending if entry[0] != key]
        if self._writer is not None:
            self.flush()
            self._writer.submit([("DELETE FROM seen WHERE hash = ?", [(key,)])])

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)

    def flush(self) -> None:
        """Hand pending marks to the writer thread (written soon, off this thread)."""
        if self._writer is None or not self._pending:
            return
        pending, self._pending = self._pending, []
        self._writer.submit([(_UPSERT, pending)])

    def sync(self, timeout_s: float = 10.0) -> bool:
        """Flush and wait until everything is committed (tests, benchmarks)."""
        self.flush()
        return self._writer is None or self._writer.wait(timeout_s)

    def close(self) -> None:
        if self._writer is None:
            return
        self.flush()
        writer, self._writer = self._writer, None
        unwritten = writer.close()
        if unwritten:
            raise StateError(
                f"seen-URL state {self.path}: {unwritten} marks could not be written"
                f" ({writer.problem or 'write failed'}); those URLs are fetched again after"
                " a restart. Free disk space or fix permissions.",
                reason="state_unwritable",
            )

    def _persist(self, key: int, stamp: int) -> None:
        if self._writer is None:
            return
        self._pending.append((key, self._generation, stamp))
        if len(self._pending) >= _FLUSH_EVERY:
            self.flush()

    def _rotate(self) -> None:
        self._previous = self._current
        self._current = {}
        self._generation += 1
        if self._writer is not None:
            self.flush()
            self._writer.submit(
                [("DELETE FROM seen WHERE generation < ?", [(self._generation - 1,)])]
            )

    def _load(self, db: sqlite3.Connection) -> None:
        row = db.execute("SELECT MAX(generation) FROM seen").fetchone()
        if row is None or row[0] is None:
            return
        self._generation = int(row[0])
        for key, generation, stamp in db.execute("SELECT hash, generation, stamp FROM seen"):
            if generation == self._generation:
                self._current[key] = stamp
            elif generation == self._generation - 1:
                self._previous[key] = stamp
        if len(self._current) >= self._half:
            self._rotate()


def _prepare(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS seen (hash INTEGER PRIMARY KEY, generation INTEGER NOT NULL,"
        " stamp INTEGER NOT NULL DEFAULT 0)"
    )
    columns = {row[1] for row in db.execute("PRAGMA table_info(seen)")}
    if "stamp" not in columns:  # a store written before stamps existed
        db.execute("ALTER TABLE seen ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX IF NOT EXISTS seen_generation ON seen (generation)")
    db.commit()
