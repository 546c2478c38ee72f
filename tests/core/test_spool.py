"""The spool is a write-ahead journal: requests and records are kept until they
are settled or acknowledged, across restarts and crashes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from kabar import statefile
from kabar.models import FetchRequest
from kabar.publish import Outgoing
from kabar.spool import Spool, SpoolLocked, read_pending

RECORD = Outgoing("t", b"k\xff", b'{"a":1}', [("ce_id", b"1"), ("bin", b"\x00\xff")])
REQUEST = FetchRequest(url="https://x.id/a", portal="x", source="feed", attempt=2)


def test_pending_work_survives_a_crash_and_leaves_only_when_done(tmp_path: Path) -> None:
    path = tmp_path / "s" / "spool.jsonl"
    spool = Spool(str(path))
    assert len(spool.open()) == 0
    [ticket] = spool.add_requests([REQUEST])
    [other] = spool.add_requests([FetchRequest(url="https://x.id/b", portal="x")])
    entries = spool.add_records([RECORD, Outgoing("t", None, b"v", [])],
                                mark="https://x.id/a", settles=ticket)
    spool.done([entries[1].id])
    assert spool.pending == 2 and spool.pending_records == 1
    # no close(): as after kill -9, what is on disk now
    with pytest.raises(SpoolLocked):
        Spool(str(path)).open()  # and a second process may not write beside it
    again = read_pending(str(path))
    assert [(e.record, e.mark) for e in again.records] == [(RECORD, "https://x.id/a")]
    assert [q.url for _, q in again.requests] == ["https://x.id/b"]
    assert [i for i, _ in again.requests] == [other]


def test_reopening_keeps_the_file_until_entries_are_done(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    first = Spool(str(path))
    first.open()
    [entry] = first.add_records([RECORD])
    first.close()
    second = Spool(str(path))
    [resent] = second.open().records
    assert resent.id == entry.id and path.exists()  # still on disk while being re-sent
    second.close()
    third = Spool(str(path))
    assert [e.record for e in third.open().records] == [RECORD]  # not acked: still there
    third.done([resent.id])
    [new] = third.add_records([RECORD])
    assert new.id > resent.id
    third.close()
    assert [e.id for e in Spool(str(path)).open().records] == [new.id]


def test_a_torn_last_line_and_an_old_format_spool_are_read(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    old = {"kind": "fetch", "url": "https://x.id/old", "portal": "x", "source": "feed",
           "attempt": 1, "published_hint": None, "title_hint": None, "revisit": False}
    path.write_bytes(orjson.dumps(old) + b"\n" + b'{"id": 7, "kind": "rec')
    pending = Spool(str(path)).open()
    assert [q.url for _, q in pending.requests] == ["https://x.id/old"]


def test_disabled_spool_keeps_nothing() -> None:
    spool = Spool("")
    spool.open()
    spool.add_records([Outgoing("t", None, b"v", [])])
    spool.close()
    assert len(Spool("").open()) == 0


async def test_writers_waiting_together_share_one_fsync_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import os
    import threading

    spool = Spool(str(tmp_path / "spool.jsonl"))
    spool.open()
    calls: list[str] = []
    gate = threading.Event()
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        calls.append(threading.current_thread().name)
        gate.wait(5)  # the first fsync is still running while the others write
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)

    async def writer(n: int) -> bool:
        spool.add_records([Outgoing("t", None, f"v{n}".encode(), [])], sync=False)
        return await spool.sync_async()

    first = asyncio.create_task(writer(0))
    async with asyncio.timeout(5):  # the first fsync starts (in a thread: the loop runs on)
        while not calls:
            await asyncio.sleep(0.01)
    rest = [asyncio.create_task(writer(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(first, *rest) == [True] * 6
    assert len(calls) == 2  # one for the first writer, one for the five after it
    assert threading.main_thread().name not in calls
    assert len(read_pending(str(tmp_path / "spool.jsonl")).records) == 6


async def test_a_refused_fsync_is_not_durable_until_the_disk_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    spool = Spool(str(tmp_path / "spool.jsonl"))
    spool.open()
    real_fsync = os.fsync

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", failing)
    spool.add_records([RECORD], sync=False)
    assert await spool.sync_async() is False
    assert "spool" in str(statefile.problems())  # /readyz says so meanwhile
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert await spool.sync_async() is True
    assert not statefile.problems()
