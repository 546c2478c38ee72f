"""Snapshots of the dedup memory store: its row chunks and index runs as raw
arrays in one file beside the SQLite state (``<state>.snapshot``).

A restart reads them back at disk speed instead of rebuilding a million rows
through SQL, one Python tuple each (36 s at 1M, issue 14; the target is 5 s).
The SQLite table stays the record: rows changed after the snapshot (``seq``
above the snapshot's) are replayed from it, and a missing, foreign (another
file's token), or unreadable snapshot only means the slower full load.

Large arrays (the LSH band index's big runs, ``lsh.SPILL_MIN``) need not stay in
memory once a snapshot holds them: ``FileArray`` reads slices of one from the
snapshot file (``pread``: the page cache holds them, not the process). An open
file outlives a later snapshot renamed over its path, and the next snapshot
copies the array from it.

Layout: a magic line, a length-prefixed JSON header (token, seq, counts, ids
and story ids kept beside the rows, then name, dtype and length of each array),
then the arrays' raw bytes in that order. A snapshot of layout 1 (``MAGIC_V1``,
Kabar before packed rows) is read with ``version`` 1 for the store to convert;
the next snapshot written has the current layout. Written to a
temporary name, synced and renamed, so a crash leaves the old snapshot or the
new one, never half of one.
"""

from __future__ import annotations

import io
import os
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from kabar.statefile import fsync_dir

MAGIC = b"KABAR-DEDUP-SNAPSHOT-2\n"
MAGIC_V1 = b"KABAR-DEDUP-SNAPSHOT-1\n"
class SnapshotFile:
    """A snapshot file held open while arrays in it are read (closed when unused)."""

    __slots__ = ("__weakref__", "fd")

    def __init__(self, path: Path | None, fd: int = -1) -> None:
        """The file at ``path``, opened; or, without one, the open file ``fd``."""
        self.fd = os.open(path, os.O_RDONLY) if path is not None else fd
        weakref.finalize(self, os.close, self.fd)


class FileArray:
    """An array in a snapshot file, read a slice at a time."""

    __slots__ = ("dtype", "file", "length", "offset")

    def __init__(self, file: SnapshotFile, offset: int, length: int, dtype: np.dtype[Any]) -> None:
        self.file = file
        self.offset = offset
        self.length = length
        self.dtype = dtype

    def __len__(self) -> int:
        return self.length

    def read(self, start: int, end: int) -> npt.NDArray[Any]:
        """Items ``start`` to ``end`` (a new array)."""
        size = self.dtype.itemsize
        data = os.pread(self.file.fd, (end - start) * size, self.offset + start * size)
        if len(data) != (end - start) * size:
            raise OSError(f"snapshot array cut short at {start}")
        return np.frombuffer(data, dtype=self.dtype)

    def read_spans(
        self, starts: npt.NDArray[np.intp], counts: npt.NDArray[np.intp]
    ) -> npt.NDArray[Any]:
        """Items ``starts[i]`` to ``starts[i] + counts[i]`` for each ``i``, one after
        another (one ``pread`` each, called at C level: a lookup reads a few dozen)."""
        size = self.dtype.itemsize
        offsets = (starts * size + self.offset).tolist()
        lengths = (counts * size).tolist()
        data = b"".join(map(os.pread, repeat(self.file.fd), lengths, offsets))
        if len(data) != sum(lengths):
            raise OSError("snapshot array cut short")
        return np.frombuffer(data, dtype=self.dtype)

    def whole(self) -> npt.NDArray[Any]:
        return self.read(0, self.length)

    def blocks(self) -> Iterator[bytes]:
        """The bytes, a few MB at a time (a snapshot copies them)."""
        size = self.dtype.itemsize
        step = _COPY_BYTES // size
        for start in range(0, self.length, step):
            yield self.read(start, min(self.length, start + step)).tobytes()


def spilled(directory: Path, array: npt.NDArray[Any]) -> FileArray:
    """``array`` written to a file of its own in ``directory``, read from there: the
    file is unlinked at once (it lasts while it is read, and no crash leaves it
    behind), as the page cache, not the process, holds it. For an array made
    between two snapshots that would otherwise stay in memory until the next."""
    fd, name = tempfile.mkstemp(prefix=".kabar-spill-", dir=directory)
    try:
        os.unlink(name)
        data = np.ascontiguousarray(array).view(np.uint8).data
        done = 0
        while done < len(data):
            done += os.pwrite(fd, data[done:], done)
    except OSError:
        os.close(fd)
        raise
    return FileArray(SnapshotFile(None, fd), 0, len(array), array.dtype)


#: An array of a snapshot: in memory, or left in the file it was read from.
Array = npt.NDArray[Any] | FileArray


def in_memory(array: Array) -> npt.NDArray[Any]:
    """``array`` itself, or read whole from its file."""
    return array.whole() if isinstance(array, FileArray) else array
#: One sorted run of an index: its arrays by name (``lsh.RunArrays``).
Run = dict[str, Array]
#: Bytes copied at a time from one snapshot file to the next.
_COPY_BYTES = 1 << 22


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a ``MemoryStore`` needs to come back, plus where the SQLite log resumes."""

    token: str
    seq: int
    rows: int
    dead: int
    chunk_rows: int
    #: Row chunks; only the first ``rows`` rows over all chunks are meaningful.
    chunks: list[npt.NDArray[np.void]]
    long_stories: dict[int, str]
    #: Index name → its sorted runs.
    indexes: dict[str, list[Run]] = field(default_factory=dict)
    #: Row → article id, for ids the rows cannot hold.
    odd_ids: dict[int, str] = field(default_factory=dict)
    #: Layout read (1: ``MAGIC_V1``; its rows have the caller's older row type).
    version: int = 2


def write(path: Path, snap: Snapshot) -> dict[str, int]:
    """Write ``snap`` atomically (temporary file, fsync, rename, fsync of the directory);
    where each array of the runs starts in the file, by name (``index:number:part``)."""
    arrays: list[tuple[str, Array]] = []
    left = snap.rows
    for i, chunk in enumerate(snap.chunks):
        used = min(left, snap.chunk_rows)
        if used <= 0:
            break
        arrays.append((f"chunk:{i}", chunk[:used]))
        left -= used
    for name, runs in snap.indexes.items():
        for i, run in enumerate(runs):
            arrays += [(f"{name}:{i}:{part}", array) for part, array in run.items()]
    header = orjson.dumps({
        "token": snap.token, "seq": snap.seq, "rows": snap.rows, "dead": snap.dead,
        "chunk_rows": snap.chunk_rows,
        "long_stories": {str(k): v for k, v in snap.long_stories.items()},
        "odd_ids": {str(k): v for k, v in snap.odd_ids.items()},
        "arrays": [[name, _dtype_descr(a.dtype), len(a)] for name, a in arrays],
    })  # fmt: skip
    tmp = path.with_name(path.name + ".tmp")
    offsets: dict[str, int] = {}
    with open(tmp, "wb") as out:
        out.write(MAGIC + len(header).to_bytes(8, "little") + header)
        at = len(MAGIC) + 8 + len(header)
        for name, array in arrays:
            offsets[name] = at
            if isinstance(array, FileArray):
                for block in array.blocks():
                    out.write(block)
            else:
                out.write(np.ascontiguousarray(array).view(np.uint8).data)
            at += len(array) * array.dtype.itemsize
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return offsets


def read(
    path: Path,
    token: str,
    row_dtype: np.dtype[Any],
    v1_row_dtype: np.dtype[Any] | None = None,
    in_file: Callable[[str, int], bool] | None = None,
) -> Snapshot | None:
    """The snapshot at ``path`` if it belongs to the state file ``token`` names;
    None when there is none (or it has layout 1 and ``v1_row_dtype`` is not
    given). Raises ValueError/OSError when it is unreadable. An array of a run
    for which ``in_file(name, length)`` holds is left in the file (``FileArray``)."""
    if not path.exists():
        return None
    shared = SnapshotFile(path)
    with open(shared.fd, "rb", closefd=False) as src:
        magic = src.read(len(MAGIC))
        version = 1 if magic == MAGIC_V1 else 2
        if version == 1:
            if v1_row_dtype is None:
                return None
            row_dtype = v1_row_dtype
        elif magic != MAGIC:
            raise ValueError("not a Kabar dedup snapshot")
        size = int.from_bytes(_exactly(src, 8), "little")
        header = orjson.loads(_exactly(src, size))
        if header["token"] != token:
            return None
        chunk_rows = int(header["chunk_rows"])
        chunks: list[npt.NDArray[np.void]] = []
        runs: dict[tuple[str, int], Run] = {}
        for name, descr, length in header["arrays"]:
            dtype = np.dtype(_dtype_from(descr))
            if name.startswith("chunk:"):
                if dtype != row_dtype:
                    raise ValueError("snapshot rows have another layout")
                chunk = np.zeros(chunk_rows, dtype=row_dtype)
                _fill(src, chunk[:length])
                chunks.append(chunk)
                continue
            index, number, part = name.split(":")
            array: Array
            if in_file is not None and in_file(name, length):
                array = FileArray(shared, src.tell(), length, dtype)
                src.seek(length * dtype.itemsize, io.SEEK_CUR)
            else:
                array = np.empty(length, dtype=dtype)
                _fill(src, array)
            runs.setdefault((index, int(number)), {})[part] = array
        if src.tell() > os.fstat(shared.fd).st_size:
            raise ValueError("snapshot is truncated")
        if src.read(1):
            raise ValueError("snapshot longer than its header says")
    indexes: dict[str, list[Run]] = {}
    for (index, _), run in sorted(runs.items()):
        indexes.setdefault(index, []).append(run)
    return Snapshot(
        token=token,
        seq=int(header["seq"]),
        rows=int(header["rows"]),
        dead=int(header["dead"]),
        chunk_rows=chunk_rows,
        chunks=chunks,
        long_stories={int(k): str(v) for k, v in header["long_stories"].items()},
        indexes=indexes,
        odd_ids={int(k): str(v) for k, v in header.get("odd_ids", {}).items()},
        version=version,
    )


def _dtype_descr(dtype: np.dtype[Any]) -> Any:
    return dtype.descr if dtype.fields else dtype.str


def _dtype_from(descr: Any) -> Any:
    if isinstance(descr, str):
        return descr
    return [tuple(field) if len(field) == 2 else (field[0], field[1], tuple(field[2]))
            for field in descr]


def _fill(src: io.BufferedReader, array: npt.NDArray[Any]) -> None:
    view = array.view(np.uint8).data
    if src.readinto(view) != len(view):
        raise ValueError("snapshot is truncated")


def _exactly(src: io.BufferedReader, size: int) -> bytes:
    data = src.read(size)
    if len(data) != size:
        raise ValueError("snapshot is truncated")
    return data
