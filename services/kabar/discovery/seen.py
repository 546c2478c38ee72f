"""The seen-URL store: which canonical URLs discovery has already queued.

Memory stays bounded with two generations of 64-bit key hashes: when the
current generation holds half of ``max_entries`` it becomes the previous one
and the old previous generation is forgotten. A key found in the previous
generation is moved forward, so URLs that keep appearing in sources are never
forgotten while they matter. Each key may carry a stamp (epoch seconds; the
last update a source announced), kept in the same bounded generations. With a
``path`` the hashes and stamps persist in SQLite (written in batches and on
``close``) and are reloaded on the next start.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

_FLUSH_EVERY = 256
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
        self._db: sqlite3.Connection | None = None
        if path:
            self._db = _open(path)
            self._load(self._db)

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

    def discard(self, canonical_url: str) -> None:
        """Forget a key (it was marked but never handed on, e.g. at shutdown)."""
        key = url_hash(canonical_url)
        self._current.pop(key, None)
        self._previous.pop(key, None)
        self._pending = [entry for entry in self._pending if entry[0] != key]
        if self._db is not None:
            self._db.execute("DELETE FROM seen WHERE hash = ?", (key,))
            self._db.commit()

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)

    def flush(self) -> None:
        if self._db is None or not self._pending:
            return
        self._db.executemany(
            "INSERT OR REPLACE INTO seen (hash, generation, stamp) VALUES (?, ?, ?)",
            self._pending,
        )
        self._db.commit()
        self._pending.clear()

    def close(self) -> None:
        if self._db is not None:
            self.flush()
            self._db.close()
            self._db = None

    def _persist(self, key: int, stamp: int) -> None:
        if self._db is None:
            return
        self._pending.append((key, self._generation, stamp))
        if len(self._pending) >= _FLUSH_EVERY:
            self.flush()

    def _rotate(self) -> None:
        self._previous = self._current
        self._current = {}
        self._generation += 1
        if self._db is not None:
            self.flush()
            self._db.execute("DELETE FROM seen WHERE generation < ?", (self._generation - 1,))
            self._db.commit()

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


def _open(path: str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS seen (hash INTEGER PRIMARY KEY, generation INTEGER NOT NULL,"
        " stamp INTEGER NOT NULL DEFAULT 0)"
    )
    columns = {row[1] for row in db.execute("PRAGMA table_info(seen)")}
    if "stamp" not in columns:  # a store written before stamps existed
        db.execute("ALTER TABLE seen ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX IF NOT EXISTS seen_generation ON seen (generation)")
    db.commit()
    return db
