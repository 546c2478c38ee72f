"""The spool: a write-ahead journal of accepted work (fetch requests admitted to
the pipeline, records about to be sent), so ``kill -9`` loses nothing.

Each entry is one JSON line with an ``id``. A request is appended (fsync'd)
before it enters the fetch queue; the records made from it are appended
together with the request's ``done`` mark in one fsync'd write before they are
sent; a record's ``done`` mark follows the broker's ack. At start ``open``
reads the file back, drops what is done, rewrites it with only the pending
entries (a new file renamed over the old one, so nothing is removed before it
is re-sent) and returns them. A record may carry ``mark``: the canonical URL
to mark seen once it is acknowledged, also after a restart.

The service's record writes are fsync'd in a thread, one fsync for every
writer waiting at that moment (group commit): the event loop never waits on
the disk, and no record is sent before the fsync that covers it.

``done`` marks are not fsync'd: losing one re-sends a record, which carries
the same deterministic ``ce_id`` (``kabar.events``), never loses it.

A write the disk refuses (full, read-only) is kept in memory, byte-exact, and
written before anything else once the disk takes it again (no torn or lost
line); meanwhile ``durable`` is False, the pipeline waits before sending what
it journaled, and ``kabar.statefile`` shows the failure on /readyz and in
``kabar_state_write_errors_total{store="spool"}``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import fcntl
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from kabar import statefile
from kabar.models import FetchRequest
from kabar.publish import Outgoing

#: Rewrite the journal once it holds this many bytes and nothing is pending.
_TRUNCATE_BYTES = 8 * 1024 * 1024


class SpoolLocked(OSError):
    """Another process (a running ``kabar run``) holds the journal."""


@dataclasses.dataclass(frozen=True, slots=True)
class Journaled:
    """A record written ahead, with its journal id and what its ack settles."""

    id: int
    record: Outgoing
    mark: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Pending:
    """What a previous run left unfinished."""

    records: list[Journaled]
    requests: list[tuple[int, FetchRequest]]

    def __len__(self) -> int:
        return len(self.records) + len(self.requests)


def read_pending(path: str) -> Pending:
    """What the journal at ``path`` holds pending, read without changing it (while a
    running service may be writing it)."""
    if not path or not Path(path).exists():
        return Pending([], [])
    records, requests = Spool._read(Path(path))
    return Pending(list(records.values()), list(requests.items()))


class Spool:
    def __init__(self, path: str) -> None:
        self.path = Path(path) if path else None
        self._fh: BinaryIO | None = None
        self._next_id = 1
        self._pending: set[int] = set()
        self._pending_records: set[int] = set()
        self._lock: int | None = None
        #: Journal bytes the disk has not taken yet (written first, in order).
        self._backlog = bytearray()
        #: Bytes ever handed to the file, and how many of them an fsync has covered.
        self._appended = 0
        self._synced = 0
        self._syncing: asyncio.Future[bool] | None = None

    # --- lifecycle -----------------------------------------------------------
    def open(self) -> Pending:
        """Read what a previous run left pending, compact the file, return it."""
        if self._fh is not None:
            return Pending([], [])
        records: dict[int, Journaled] = {}
        requests: dict[int, FetchRequest] = {}
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = _lock(self.path)
        if self.path is not None and self.path.exists():
            records, requests = self._read(self.path)
        if self.path is not None:
            self._rewrite(records, requests)
            # Unbuffered: a refused write leaves exactly its unwritten bytes to retry.
            self._fh = open(self.path, "ab", buffering=0)  # noqa: SIM115 - held for the run
        self._pending = set(records) | set(requests)
        self._pending_records = set(records)
        self._next_id = max(self._pending, default=0) + 1
        return Pending(list(records.values()), list(requests.items()))

    def close(self) -> None:
        if self._backlog and not self.retry():
            statefile.report_failure(
                "spool", str(self.path),
                OSError(f"{len(self._backlog)} journal bytes never written at exit"))
        fh, self._fh = self._fh, None
        if fh is not None:
            with contextlib.suppress(OSError):  # a failing disk: reported above
                os.fsync(fh.fileno())
            fh.close()
        lock, self._lock = self._lock, None
        if lock is not None:
            os.close(lock)

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def pending_records(self) -> int:
        return len(self._pending_records)

    # --- writing ---------------------------------------------------------------
    def add_requests(self, requests: Sequence[FetchRequest], *, sync: bool = True) -> list[int]:
        """Journal requests (fsync'd, or with ``sync=False`` left for ``sync_async``)
        before they enter the pipeline; their ids."""
        ids = self._ids(len(requests))
        if self._fh is not None:  # no journal file (a crawl or stories role): no lines
            self._write([{"id": i, "kind": "fetch", **dataclasses.asdict(q)}
                         for i, q in zip(ids, requests, strict=True)], sync=sync)
        self._pending.update(ids)
        return ids

    def add_records(
        self,
        records: Sequence[Outgoing],
        *,
        mark: str | None = None,
        settles: int | None = None,
        sync: bool = True,
    ) -> list[Journaled]:
        """Journal records (fsync'd, or with ``sync=False`` left for ``sync_async``)
        before they are sent; ``mark`` rides on the first, ``settles`` (a request's id)
        is marked done in the same write."""
        ids = self._ids(len(records))
        entries = [Journaled(i, r, mark if n == 0 else None)
                   for n, (i, r) in enumerate(zip(ids, records, strict=True))]
        if self._fh is not None:  # base64 of every value, for no file, cost 25 us a record
            lines: list[dict[str, Any]] = [_record_to_json(e) for e in entries]
            if settles is not None:
                lines.append({"done": [settles]})
            self._write(lines, sync=sync)
        self._pending.update(ids)
        self._pending_records.update(ids)
        if settles is not None:
            self._pending.discard(settles)
        return entries

    def done(self, ids: Sequence[int]) -> None:
        """Mark entries finished (acknowledged, or settled without a record)."""
        if not ids:
            return
        self._write([{"done": list(ids)}], sync=False)
        self._pending.difference_update(ids)
        self._pending_records.difference_update(ids)
        if not self._pending:
            self._truncate_if_large()

    # --- internals ---------------------------------------------------------------
    def _ids(self, count: int) -> list[int]:
        first = self._next_id
        self._next_id += count
        return list(range(first, first + count))

    @property
    def durable(self) -> bool:
        """Whether everything journaled so far is on disk."""
        return not self._backlog

    def retry(self) -> bool:
        """Try to write what the disk refused before; True once it is all written."""
        self._write([], sync=True)
        return self.durable

    async def sync_async(self) -> bool:
        """Make everything journaled so far durable, the fsync in a thread so the
        event loop goes on; writers waiting at the same time share one fsync (group
        commit). False while the disk refuses the bytes or the fsync."""
        if self._fh is None:
            return True
        self._write([], sync=False)
        if self._backlog:
            return False
        target = self._appended
        while self._synced < target:
            if self._syncing is None or self._syncing.done():
                self._syncing = asyncio.ensure_future(self._fsync_upto(self._appended))
            if not await asyncio.shield(self._syncing):
                return False
        return True

    async def _fsync_upto(self, appended: int) -> bool:
        fh = self._fh
        assert fh is not None
        try:
            await asyncio.to_thread(os.fsync, fh.fileno())
        except OSError as exc:
            if fh.closed:  # closed meanwhile: close() fsyncs what is left
                return True
            statefile.report_failure("spool", str(self.path), exc)
            return False
        self._synced = max(self._synced, appended)
        statefile.report_recovered("spool")
        return True

    def _write(self, lines: list[dict[str, Any]], *, sync: bool) -> None:
        if self._fh is None:
            return
        self._backlog += b"".join(orjson.dumps(line) + b"\n" for line in lines)
        if not self._backlog:
            return
        try:
            if (fault := statefile.injected_fault()) is not None:
                raise fault
            while self._backlog:
                written = self._fh.write(self._backlog) or 0
                del self._backlog[:written]
                self._appended += written
            if sync:
                os.fsync(self._fh.fileno())
                self._synced = self._appended
        except OSError as exc:
            statefile.report_failure("spool", str(self.path), exc)
            return
        statefile.report_recovered("spool")

    def _truncate_if_large(self) -> None:
        if self._fh is None or self._backlog or self._fh.tell() < _TRUNCATE_BYTES:
            return
        self._fh.truncate(0)
        self._fh.seek(0)
        os.fsync(self._fh.fileno())

    def _rewrite(self, records: dict[int, Journaled], requests: dict[int, FetchRequest]) -> None:
        assert self.path is not None
        lines = [_record_to_json(r) for r in records.values()]
        lines += [{"id": i, "kind": "fetch", **dataclasses.asdict(q)} for i, q in requests.items()]
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(b"".join(orjson.dumps(line) + b"\n" for line in lines))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        statefile.fsync_dir(self.path.parent)

    @staticmethod
    def _read(path: Path) -> tuple[dict[int, Journaled], dict[int, FetchRequest]]:
        records: dict[int, Journaled] = {}
        requests: dict[int, FetchRequest] = {}
        done: set[int] = set()
        unnumbered = -1  # lines from a spool written before entries had ids
        for line in path.read_bytes().splitlines():
            try:
                item = orjson.loads(line) if line.strip() else None
            except orjson.JSONDecodeError:
                continue  # a line torn by a crash mid-write: it was never fsync'd
            if not isinstance(item, dict):
                continue
            if "done" in item:
                done.update(item["done"])
                continue
            ident = item.pop("id", None)
            if ident is None:
                ident, unnumbered = unnumbered, unnumbered - 1
            if item.pop("kind") == "fetch":
                requests[ident] = FetchRequest(**item)
            else:
                records[ident] = _record_from_json(ident, item)
        # Entries without ids get fresh ids after the numbered ones.
        top = max([i for i in (*records, *requests) if i > 0], default=0)
        renumber = {i: top - i for i in (*records, *requests) if i < 0}
        records = {renumber.get(i, i): dataclasses.replace(r, id=renumber.get(i, i))
                   for i, r in records.items() if i not in done}
        requests = {renumber.get(i, i): q for i, q in requests.items() if i not in done}
        return records, requests


def _lock(path: Path) -> int:
    """An exclusive lock beside the journal, held while it is open (released by the
    kernel when the process dies, even by kill -9)."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise SpoolLocked(f"{path} is in use by another process (a running kabar run?)") from exc
    return fd


def _record_to_json(entry: Journaled) -> dict[str, Any]:
    record = entry.record
    return {
        "id": entry.id,
        "kind": "record",
        "topic": record.topic,
        "key": _b64(record.key) if record.key is not None else None,
        "value": _b64(record.value),
        "headers": [[k, _b64(v)] for k, v in record.headers],
        "mark": entry.mark,
    }


def _record_from_json(ident: int, item: dict[str, Any]) -> Journaled:
    key = item["key"]
    record = Outgoing(
        topic=item["topic"],
        key=base64.b64decode(key) if key is not None else None,
        value=base64.b64decode(item["value"]),
        headers=[(k, base64.b64decode(v)) for k, v in item["headers"]],
    )
    return Journaled(ident, record, item.get("mark"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
