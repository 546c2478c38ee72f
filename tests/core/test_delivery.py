"""Nothing is marked done before the broker acknowledged it: URLs become seen and
dedup verdicts durable only after the ack, and the journal on disk holds every
accepted request or record at any moment (what ``kill -9`` would leave)."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from pathlib import Path

from kabar.claims import LocalClaims
from kabar.dedup import Deduper
from kabar.discovery.seen import SeenStore
from kabar.settings import Settings
from kabar.spool import Pending, Spool, read_pending
from tests.core.test_pipeline import BASE, Sender, make, page, requests_for, until


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])


def _journaled(pending: Pending) -> set[str]:
    """URLs of the requests and article records a restart would resume."""
    return {q.url for _, q in pending.requests} | {e.mark for e in pending.records if e.mark}


def _long_page(n: int) -> str:
    words = " ".join(f"kata{n}x{i}" for i in range(30))
    return f"judul {n}|{words}|{words} lagi|"


async def test_seen_and_dedup_state_wait_for_the_ack(tmp_path: Path) -> None:
    urls = [f"{BASE}/{n}" for n in range(3)]
    sender = Sender()
    sender.gate.clear()  # the broker acknowledges nothing yet
    pipe, _ = make(tmp_path, {u: _long_page(n) for n, u in enumerate(urls)},
                   requests_for(*urls), sender)
    settings = Settings()
    settings.dedup.state_path = str(tmp_path / "state.sqlite3")
    settings.dedup.flush_interval_s = 0.05
    pipe.settings.dedup.flush_interval_s = 0.05
    deduper = Deduper(settings.dedup)
    seen = SeenStore()
    claims = LocalClaims(seen)
    for url in urls:
        claims.claim(url)
    pipe.parts = dataclasses.replace(pipe.parts, deduper=deduper, claims=claims)
    task = asyncio.create_task(pipe.run())
    try:
        await until(lambda: pipe.spool.pending_records >= 2)
        await asyncio.sleep(0.2)  # several commit intervals pass without an ack
        assert not any(url in seen for url in urls)
        assert _rows(tmp_path / "state.sqlite3") == 0
        pending = read_pending(str(tmp_path / "spool.jsonl"))  # what kill -9 would leave
        journaled = _journaled(pending)
        assert journaled == set(urls)

        sender.gate.set()
        await until(lambda: all(url in seen for url in urls))
        await until(lambda: _rows(tmp_path / "state.sqlite3") == 3)
    finally:
        pipe.request_stop()
        await asyncio.wait_for(task, 10)
        deduper.close()
    assert len(Spool(str(tmp_path / "spool.jsonl")).open()) == 0


async def test_journal_holds_requests_not_yet_fetched(tmp_path: Path) -> None:
    urls = [f"{BASE}/{n}" for n in range(30)]
    sender = Sender()
    sender.gate.clear()
    pipe, fetcher = make(tmp_path, {u: page(n) for n, u in enumerate(urls)},
                         requests_for(*urls), sender, queue=2)
    task = asyncio.create_task(pipe.run())
    try:
        await until(lambda: pipe.publish_q.full() and pipe.fetch_q.full())
        pending = read_pending(str(tmp_path / "spool.jsonl"))  # what kill -9 would leave
        journaled = _journaled(pending)
        assert set(fetcher.fetched) <= journaled
        assert len(journaled) >= len(fetcher.fetched) + 2  # + those waiting in the fetch queue
    finally:
        sender.gate.set()
        await until(lambda: len(sender.sent) == 30)
        pipe.request_stop()
        await asyncio.wait_for(task, 10)


async def test_stop_during_an_outage_is_quick_and_says_what_is_spooled(
    tmp_path: Path, caplog: object
) -> None:
    import logging

    import pytest

    assert isinstance(caplog, pytest.LogCaptureFixture)
    urls = [f"{BASE}/{n}" for n in range(5)]
    sender = Sender(failures=10_000)  # the broker is down
    pipe, _ = make(tmp_path, {u: page(n) for n, u in enumerate(urls)}, requests_for(*urls),
                   sender)
    pipe.settings.pipeline.drain_timeout_s = 30.0
    pipe.settings.pipeline.outage_drain_s = 0.3
    pipe.settings.pipeline.outage_log_interval_s = 60.0
    task = asyncio.create_task(pipe.run())
    await until(lambda: pipe.counts["extracted"] == 5 and pipe.outage.down_since is not None)
    with caplog.at_level(logging.INFO, "kabar.pipeline"):
        loop = asyncio.get_running_loop()
        started = loop.time()
        pipe.request_stop()
        await asyncio.wait_for(task, 10)
        assert loop.time() - started < 5.0  # far inside the 30 s drain deadline
    spooled = [r for r in caplog.records if "work spooled" in r.getMessage()]
    assert len(spooled) == 1
    failures = [r for r in caplog.records if "publishing fails" in r.getMessage()]
    assert len(failures) <= 1  # rate-limited, not one line per attempt
    assert len(Spool(str(tmp_path / "spool.jsonl")).open().records) == 5
