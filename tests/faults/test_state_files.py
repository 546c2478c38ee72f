"""State files under faults: durable settings, checkpoints during the run,
truncated files and read-only or full disks (real mounts), failures visible
in the metric and /readyz, nothing dropped, and a one-line error naming the path."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kabar import metrics, statefile
from kabar.bench.dedup import ArticleFactory
from kabar.dedup import Deduper
from kabar.dedup.store import ArticleRecord, SqliteStore
from kabar.discovery.seen import SeenStore
from kabar.errors import DedupError, StateError
from kabar.http import ObservabilityServer
from kabar.settings import DedupSettings
from tests.faults.conftest import SmallDisk

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = 86400.0


def _until(check: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _record(n: int) -> ArticleRecord:
    return ArticleRecord(f"art_{n:024x}", f"{n:064x}", 1, T0.timestamp())


def _put(store: SqliteStore, first: int, count: int) -> None:
    for n in range(first, first + count):
        store.put(_record(n), now=T0.timestamp(), fingerprint=None, index_hash=True)


def _rows(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        db.close()


def test_state_files_are_opened_wal_with_full_sync(tmp_path: Path) -> None:
    db = statefile.open_db(tmp_path / "x.sqlite3", "test state", "test.path")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        db.close()


def test_wal_is_checkpointed_during_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main file alone (as if the WAL were lost) holds what was written, before close."""
    monkeypatch.setattr(statefile, "CHECKPOINT_EVERY_S", 0.05)
    path = tmp_path / "dedup.sqlite3"
    store = SqliteStore(path, ttl_s=DAY, flush_interval_s=0.0)
    _put(store, 0, 50)
    assert store.sync()
    copy = tmp_path / "main-file-only.sqlite3"

    def checkpointed() -> bool:
        shutil.copyfile(path, copy)  # no -wal beside the copy
        try:
            return _rows(copy) == 50
        except sqlite3.OperationalError:  # not even the schema checkpointed yet
            return False

    _until(checkpointed)
    store.close()


@pytest.mark.parametrize("kind", ["dedup", "seen"])
def test_truncated_state_file_is_one_line_error_and_moves_aside(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.sqlite3"
    if kind == "dedup":
        store = SqliteStore(path, ttl_s=DAY)
        _put(store, 0, 3000)
        store.close()
    else:
        seen = SeenStore(str(path))
        for n in range(3000):
            seen.add(f"https://a.example.id/berita/{n}")
        seen.close()
    with open(path, "r+b") as raw:
        raw.truncate(path.stat().st_size // 2)

    with pytest.raises(StateError) as err:
        SqliteStore(path, ttl_s=DAY) if kind == "dedup" else SeenStore(str(path))
    message = str(err.value)
    assert err.value.reason == "state_corrupt"
    assert str(path) in message and "kabar state repair" in message and "\n" not in message

    aside = statefile.move_aside(path)
    assert aside == Path(f"{path}.corrupt-1") and aside.exists() and not path.exists()
    if kind == "dedup":  # the rows file beside the state goes with it
        assert Path(f"{aside}.rows").exists() and not Path(f"{path}.rows").exists()
        fresh = SqliteStore(path, ttl_s=DAY)
        assert fresh.count() == 0
        fresh.close()
    else:
        fresh_seen = SeenStore(str(path))
        assert len(fresh_seen) == 0
        fresh_seen.close()


def test_not_a_database_is_corrupt_too(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite3"
    path.write_bytes(b"this is no database file, only some words" * 100)
    with pytest.raises(StateError) as err:
        SeenStore(str(path))
    assert err.value.reason == "state_corrupt"


def test_read_only_state_dir_is_one_line_error(small_disk: SmallDisk) -> None:
    existing = small_disk.root / "old.sqlite3"
    store = SqliteStore(existing, ttl_s=DAY)
    _put(store, 0, 10)
    store.close()
    small_disk.read_only(True)
    try:
        for make, path in (
            (lambda p: SeenStore(str(p)), small_disk.root / "seen.sqlite3"),
            (lambda p: SqliteStore(p, ttl_s=DAY), small_disk.root / "new.sqlite3"),
            (lambda p: SqliteStore(p, ttl_s=DAY), existing),
        ):
            with pytest.raises(StateError) as err:
                make(path)
            assert err.value.reason == "state_unwritable", str(err.value)
            assert str(path) in str(err.value) and "\n" not in str(err.value)
    finally:
        small_disk.read_only(False)


async def _readyz(server: ObservabilityServer, port: int) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
        return await client.get(f"http://127.0.0.1:{port}/readyz")


async def test_full_disk_keeps_every_verdict_and_says_so(small_disk: SmallDisk) -> None:
    async def ready() -> tuple[bool, str]:
        return True, "ok"

    server = ObservabilityServer("127.0.0.1", 0, ready)
    port = await server.start()
    path = small_disk.root / "dedup.sqlite3"
    store = SqliteStore(path, ttl_s=DAY, flush_interval_s=0.0)
    errors = metrics.STATE_WRITE_ERRORS.labels("dedup")
    before = errors._value.get()
    try:
        _put(store, 0, 20)
        assert store.sync()
        small_disk.fill()
        _put(store, 20, 3000)  # far more than the few free pages left
        _until(lambda: bool(statefile.problems()))
        resp = await _readyz(server, port)
        assert resp.status_code == 503 and str(path) in resp.text
        assert errors._value.get() > before
        assert store.get(_record(2500).article_id) is not None  # verdicts held in memory
        small_disk.free()
        assert store.sync(30.0)
        assert not statefile.problems()
        assert (await _readyz(server, port)).status_code == 200
    finally:
        small_disk.free()
        store.close()
        await server.stop()
    assert _rows(path) == 3020  # nothing dropped while the disk was full


def test_backlog_full_refuses_new_articles_before_recording(small_disk: SmallDisk) -> None:
    path = small_disk.root / "dedup.sqlite3"
    store = SqliteStore(path, ttl_s=DAY, flush_interval_s=0.0, max_unwritten=100)
    deduper = Deduper(DedupSettings(store="sqlite"), store=store, clustering=False)
    factory = ArticleFactory(seed=8)
    try:
        small_disk.fill()
        _put(store, 0, 500)
        _until(lambda: bool(statefile.problems()))
        article = factory.article("contoh")
        with pytest.raises(DedupError) as err:
            deduper.process(article, when=T0)
        assert err.value.reason == "state_unwritable" and str(path) in err.value.detail
        assert store.count() == 500  # the refused article left no state behind
        small_disk.free()
        assert store.sync(30.0)
        assert deduper.process(article, when=T0)[0].verdict == "new"
    finally:
        small_disk.free()
        deduper.close()


def test_unwritable_at_close_is_an_error_naming_the_path(
    small_disk: SmallDisk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statefile, "CLOSE_TIMEOUT_S", 0.5)
    path = small_disk.root / "seen.sqlite3"
    seen = SeenStore(str(path))
    seen.add("https://a.example.id/berita/1")
    assert seen.sync()
    small_disk.fill()
    try:
        for n in range(2, 3000):
            seen.add(f"https://a.example.id/berita/{n}")
        with pytest.raises(StateError) as err:
            seen.close()
        assert err.value.reason == "state_unwritable" and str(path) in str(err.value)
    finally:
        small_disk.free()
    assert not statefile.problems()  # a closed store no longer counts against /readyz


def test_spool_journal_on_a_full_disk_waits_whole_and_recovers(small_disk: SmallDisk) -> None:
    from kabar.publish import Outgoing
    from kabar.spool import Spool, read_pending

    path = small_disk.root / "spool.jsonl"
    spool = Spool(str(path))
    spool.open()
    try:
        small_disk.fill()
        records = [Outgoing(topic="t", key=b"k", value=b"v" * 3000, headers=[]) for _ in range(40)]
        entries = spool.add_records(records, mark="https://a.example.id/1")
        assert not spool.durable and not spool.retry()  # kept, not raised, not torn
        assert any("spool" in p for p in statefile.problems())
        small_disk.free()
        assert spool.retry() and spool.durable
        assert not statefile.problems()
        spool.done([entries[0].id])
    finally:
        small_disk.free()
        spool.close()
    pending = read_pending(str(path))
    assert len(pending.records) == 39  # every journaled line whole; the acked one done


def test_injected_read_only_fails_every_state_write_until_it_clears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam `kabar bench faults` (read_only_mid) uses: the SQLite writers and the
    spool journal all fail as on a read-only filesystem, keep what they hold, and
    write it once the fault clears."""
    from kabar.publish import Outgoing
    from kabar.spool import Spool, read_pending

    flag = tmp_path / "read-only.flag"
    monkeypatch.setenv(statefile.FAULT_ENV, str(flag))
    seen = SeenStore(str(tmp_path / "seen.sqlite3"))
    store = SqliteStore(tmp_path / "dedup.sqlite3", ttl_s=DAY, flush_interval_s=0.0)
    spool = Spool(str(tmp_path / "spool.jsonl"))
    spool.open()
    try:
        flag.touch()
        seen.add("https://a.example.id/berita/1")
        seen.flush()
        _put(store, 0, 5)
        spool.add_records([Outgoing(topic="t", key=b"k", value=b"v", headers=[])])
        assert not spool.durable
        _until(lambda: len(statefile.problems()) == 3)
        assert all("Read-only file system" in p for p in statefile.problems())
        flag.unlink()
        assert spool.retry() and seen.sync() and store.sync(30.0)
        assert not statefile.problems()
    finally:
        flag.unlink(missing_ok=True)
        seen.close()
        store.close()
        spool.close()
    assert _rows(tmp_path / "dedup.sqlite3") == 5
    reopened = SeenStore(str(tmp_path / "seen.sqlite3"))
    try:
        assert "https://a.example.id/berita/1" in reopened
    finally:
        reopened.close()
    assert len(read_pending(str(tmp_path / "spool.jsonl")).records) == 1


def test_moving_a_state_file_aside_takes_its_story_files_along(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite3"
    for suffix in ("", "-wal", ".stories.index"):
        Path(f"{path}{suffix}").write_bytes(b"x")
    aside = statefile.move_aside(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dedup.sqlite3.corrupt-1", "dedup.sqlite3.corrupt-1-wal",
        "dedup.sqlite3.corrupt-1.stories.index"]
    assert aside == Path(f"{path}.corrupt-1")
