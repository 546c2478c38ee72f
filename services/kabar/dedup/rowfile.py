"""The dedup store's cold row fields: kept in memory, or in a file read on demand.

A stored article's fields split in two (``store.py``): the few that every
verdict or the hourly expiry reads for many rows (last seen, live) stay in
memory; the rest (packed id, content hash, the 128-byte signature, story,
revision, size, first seen: 190 bytes) are read for a handful of rows an
article only (an id or body-hash index hit, a near-duplicate candidate). Those
are the *cold* rows here, fixed-width records numbered as the store's rows:

* ``MemoryRows``: numpy chunks in process memory (the memory store).
* ``FileRows``: a file beside the SQLite state (``<state>.rows``), appended in
  batches and read with ``pread``: the page cache holds what is hot and
  process memory (RSS) only the rows not written yet (issue 14: 190 of the
  ~370 bytes an article the dedup state took).

The file is a cache of the SQLite rows, tied to the snapshot it was synced for
by a random generation in its header, which the snapshot records; a missing,
foreign or short file only means the full load from SQLite, which writes a
new one. Records are never changed in place: compaction writes a new
generation.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kabar.dedup.fingerprint import PERMUTATIONS

log = logging.getLogger(__name__)

ID_BYTES = 12
STORY_BYTES = 10
COLD = np.dtype(
    [
        ("id", "u1", (ID_BYTES,)),
        ("hash", "u1", (32,)),
        ("sig", "u1", (PERMUTATIONS,)),
        ("story", "u1", (STORY_BYTES,)),
        ("revision", "<u2"),
        ("size", "<u2"),
        ("first", "<u4"),
    ]
)
RECORD = COLD.itemsize
_CHUNK_BITS = 16
_CHUNK = 1 << _CHUNK_BITS
_MAGIC = b"KABAR-DEDUP-ROWS-1\n"
_HEADER = 128  # magic, the state file's token (32 hex), the generation (16 hex), padding
#: Rows not yet in the file are written once they take this much memory (and at
#: every ``flush`` of the store, a second's verdicts).
_PENDING_MAX = 1 << 20
#: Rows copied per read and write when compaction rewrites the file.
_COPY_ROWS = 1 << 14


class MemoryRows:
    """Cold rows in numpy chunks of 65,536 (a chunk is allocated whole)."""

    def __init__(self) -> None:
        self._chunks: list[npt.NDArray[np.void]] = []
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def read(self, row: int) -> Any:
        return self._chunks[row >> _CHUNK_BITS][row & (_CHUNK - 1)]

    def read_many(self, rows: list[int]) -> npt.NDArray[np.void]:
        """``read`` of several rows, as one array."""
        return np.array([self.read(row) for row in rows], dtype=COLD)

    def append(self, record: bytes) -> None:
        row = self._rows
        if row >> _CHUNK_BITS >= len(self._chunks):
            self._chunks.append(np.zeros(_CHUNK, dtype=COLD))
        self._chunks[row >> _CHUNK_BITS].view(np.uint8).reshape(_CHUNK, RECORD)[
            row & (_CHUNK - 1)
        ] = np.frombuffer(record, np.uint8)
        self._rows += 1

    def append_block(self, block: npt.NDArray[np.void]) -> None:
        done = 0
        while done < len(block):
            row = self._rows + done
            if row >> _CHUNK_BITS >= len(self._chunks):
                self._chunks.append(np.zeros(_CHUNK, dtype=COLD))
            offset = row & (_CHUNK - 1)
            take = min(_CHUNK - offset, len(block) - done)
            self._chunks[row >> _CHUNK_BITS][offset : offset + take] = block[done : done + take]
            done += take
        self._rows += len(block)

    def compact(self, keep: npt.NDArray[np.bool_]) -> None:
        """Keep only the rows ``keep`` marks (one flag a row), renumbered in order."""
        old, self._chunks, self._rows = self._chunks, [], 0
        for i in range(len(old)):
            mask = keep[i * _CHUNK : (i + 1) * _CHUNK]
            part = old[i][: len(mask)][mask]
            old[i] = part[:0]  # release the old chunk early
            self.append_block(part)

    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._chunks)


class FileRows:
    """Cold rows in ``<state>.rows``: ``RECORD`` bytes each after a 128-byte header.

    Appends collect in memory and are written at ``flush`` (or once they take a
    megabyte); a write that fails (disk full) keeps them, and reads serve them,
    until one succeeds. ``sync`` (the store's writer thread, before a snapshot)
    makes the written rows durable."""

    def __init__(self, path: Path, token: str, generation: str, fd: int, rows: int) -> None:
        self.path = path
        self._token = token
        self.generation = generation
        self._fd = fd
        self._written = rows
        self._pending = bytearray()
        self._failing = False
        #: Held while the descriptor is synced or swapped (compaction).
        self._lock = threading.Lock()

    @classmethod
    def create(cls, path: Path, token: str) -> FileRows:
        """A new, empty file of a new generation (replacing any at ``path``)."""
        generation = os.urandom(8).hex()
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.pwrite(fd, _header(token, generation), 0)
            os.replace(tmp, path)
        except OSError:
            os.close(fd)
            raise
        return cls(path, token, generation, fd, 0)

    @classmethod
    def reopen(cls, path: Path, token: str, generation: str, rows: int) -> FileRows | None:
        """The file at ``path`` cut to ``rows`` rows, if it is of ``token``'s state and
        ``generation`` and holds that many rows; else None."""
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            return None
        try:
            size = os.fstat(fd).st_size
            if (os.pread(fd, _HEADER, 0) != _header(token, generation)
                    or size < _HEADER + rows * RECORD):  # fmt: skip
                os.close(fd)
                return None
            os.ftruncate(fd, _HEADER + rows * RECORD)  # rows after the snapshot come back
        except OSError:
            os.close(fd)
            return None
        return cls(path, token, generation, fd, rows)

    def __len__(self) -> int:
        return self._written + len(self._pending) // RECORD

    def read(self, row: int) -> Any:
        if row >= self._written:
            at = (row - self._written) * RECORD
            data: bytes = bytes(self._pending[at : at + RECORD])
        else:
            data = os.pread(self._fd, RECORD, _HEADER + row * RECORD)
        return np.frombuffer(data, COLD)[0]

    def read_many(self, rows: list[int]) -> npt.NDArray[np.void]:
        """``read`` of several rows (a lookup's near-duplicate candidates), as one
        array: the bytes of each row, then one numpy pass over them all (making a
        record of each row cost 3-4x the ``pread``)."""
        written, pending = self._written, self._pending
        parts = []
        for row in rows:
            if row >= written:
                at = (row - written) * RECORD
                parts.append(bytes(pending[at : at + RECORD]))
            else:
                parts.append(os.pread(self._fd, RECORD, _HEADER + row * RECORD))
        return np.frombuffer(b"".join(parts), COLD)

    def append(self, record: bytes) -> None:
        self._pending += record
        if len(self._pending) >= _PENDING_MAX:
            self.flush()

    def append_block(self, block: npt.NDArray[np.void]) -> None:
        for start in range(0, len(block), _COPY_ROWS):
            self._pending += block[start : start + _COPY_ROWS].tobytes()
            if len(self._pending) >= _PENDING_MAX:
                self.flush()

    def flush(self) -> bool:
        """Write the pending rows; False when they could not be (they are kept)."""
        if not self._pending:
            return True
        try:
            os.pwrite(self._fd, self._pending, _HEADER + self._written * RECORD)
        except OSError as exc:
            if not self._failing:
                log.warning("dedup rows %s cannot be written (%s): kept in memory until"
                            " they can", self.path, exc)  # fmt: skip
            self._failing = True
            return False
        self._failing = False
        self._written += len(self._pending) // RECORD
        self._pending = bytearray()
        return True

    def sync(self) -> None:
        """Make the written rows durable (on the store's writer thread)."""
        with self._lock:
            os.fsync(self._fd)

    def compact(self, keep: npt.NDArray[np.bool_]) -> None:
        """Rewrite the file with only the rows ``keep`` marks, as a new generation.
        The snapshot on disk names the old one until the next is written: a crash
        in between means the full load."""
        new = FileRows.create(self.path.with_name(self.path.name + ".new"), self._token)
        for start in range(0, self._written, _COPY_ROWS):
            count = min(_COPY_ROWS, self._written - start)
            data = os.pread(self._fd, count * RECORD, _HEADER + start * RECORD)
            rows = np.frombuffer(data, COLD)
            new.append_block(rows[keep[start : start + count]])
        pending = np.frombuffer(bytes(self._pending), COLD)
        new.append_block(pending[keep[self._written : self._written + len(pending)]])
        new.flush()
        os.replace(new.path, self.path)
        with self._lock:
            os.close(self._fd)
            self._fd, new._fd = new._fd, -1
        self.generation = new.generation
        self._written, self._pending = new._written, new._pending

    def nbytes(self) -> int:
        """Process memory held: the rows not written yet."""
        return len(self._pending)

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _header(token: str, generation: str) -> bytes:
    return (_MAGIC + token.encode("ascii") + b"\n" + generation.encode("ascii")).ljust(_HEADER)
