"""The SQLite store's cold rows (``rowfile.FileRows``): in a file beside the state,
not in memory; compaction writes a new generation; a file that is not the
snapshot's, or that cannot be written, costs speed, never an answer."""

from __future__ import annotations

import errno
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kabar.dedup import rowfile
from kabar.dedup import store as store_module
from kabar.dedup.fingerprint import fingerprint_text
from kabar.dedup.store import ArticleRecord, SqliteStore
from tests.dedup.samples import OWN_BODIES

T0 = datetime(2026, 2, 1, tzinfo=UTC).timestamp()
DAY = 86400.0


def _record(n: int, first: float = T0) -> ArticleRecord:
    return ArticleRecord(f"art_{n:024x}", f"{n + 1:064x}", 1, first, f"st_{n:020x}")


def _fill(store: SqliteStore, numbers: range, now: float = T0) -> None:
    for n in numbers:
        fp = fingerprint_text(OWN_BODIES[n % len(OWN_BODIES)], 20)
        store.put(_record(n, now), now=now, fingerprint=fp, index_hash=True)


def _answers(store: SqliteStore, numbers: range) -> list[Any]:
    return [(store.get(f"art_{n:024x}"), store.first_with_hash(f"{n + 1:064x}")) for n in numbers]


def test_cold_fields_leave_memory_for_the_rows_file(tmp_path: Path) -> None:
    path = tmp_path / "cold.db"
    store = SqliteStore(path, ttl_s=30 * DAY)
    _fill(store, range(40))
    store.flush()
    assert store._memory.components()["cold rows"] == 0  # all written: none held
    rows = Path(f"{path}.rows")
    assert rows.stat().st_size == 128 + 40 * rowfile.RECORD
    assert _answers(store, range(40))[3] == (_record(3), f"art_{3:024x}")
    fp = fingerprint_text(OWN_BODIES[5 % len(OWN_BODIES)], 20)
    assert f"art_{5:024x}" in store.candidates(fp.bands, 64).article_ids
    store.close()


def test_compaction_writes_a_new_generation_and_a_snapshot_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "COMPACT_MIN", 0)
    path = tmp_path / "compact.db"
    store = _reopened_with_aged_rows(path, old=range(30), fresh=range(30, 50))
    old_generation = store._memory._cold.generation  # type: ignore[union-attr]
    assert store.expire(T0 + 3 * DAY + 1) == 30
    assert store._memory._cold.generation != old_generation  # type: ignore[union-attr]
    assert store._memory._rows == 20
    expected = [(None, None)] * 30 + [(_record(n, T0 + 3 * DAY), f"art_{n:024x}")
                                      for n in range(30, 50)]  # fmt: skip
    assert _answers(store, range(50)) == expected
    _fill(store, range(50, 55), now=T0 + 3 * DAY)
    assert store.sync()
    # A crash: the snapshot written after the compaction names the new file.
    _reopens_alike(store, path, 55)


def test_a_rows_file_not_the_snapshots_means_the_full_load(tmp_path: Path) -> None:
    path, other = tmp_path / "a.db", tmp_path / "b.db"
    for target in (path, other):
        store = SqliteStore(target, ttl_s=30 * DAY)
        _fill(store, range(12))
        store.close()
    expected = _answers(SqliteStore(path, ttl_s=30 * DAY), range(12))
    rows = Path(f"{path}.rows")
    rows.write_bytes(Path(f"{other}.rows").read_bytes())  # another state's file
    assert _answers(SqliteStore(path, ttl_s=30 * DAY), range(12)) == expected
    rows.unlink()
    assert _answers(SqliteStore(path, ttl_s=30 * DAY), range(12)) == expected
    with open(rows, "r+b") as short:  # the full load wrote a new one: cut it short
        short.truncate(128 + 5 * rowfile.RECORD)
    assert _answers(SqliteStore(path, ttl_s=30 * DAY), range(12)) == expected


def test_rows_that_cannot_be_written_are_kept_and_no_snapshot_counts_on_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "full.db"
    store = SqliteStore(path, ttl_s=30 * DAY)
    _fill(store, range(10))
    store.close()
    store = SqliteStore(path, ttl_s=30 * DAY)
    snapshot = Path(f"{path}.snapshot").read_bytes()

    def full(*_: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patched:
        patched.setattr(os, "pwrite", full)
        _fill(store, range(10, 20))
        store.snapshot()
        assert store._memory.components()["cold rows"] == 10 * rowfile.RECORD
        assert _answers(store, range(20))[15] == (_record(15), f"art_{15:024x}")
        assert store.sync()
        assert Path(f"{path}.snapshot").read_bytes() == snapshot  # not replaced
    store.snapshot()  # the disk has room again
    assert store._memory.components()["cold rows"] == 0
    expected = _answers(store, range(20))
    store.close()
    assert _answers(SqliteStore(path, ttl_s=30 * DAY), range(20)) == expected


def test_a_compaction_while_commits_are_held_back_writes_no_verdict_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot a compaction makes due waits for the owner's flush: rows of
    verdicts not yet acknowledged must not reach the file with it."""
    monkeypatch.setattr(store_module, "COMPACT_MIN", 0)
    path = tmp_path / "held.db"
    store = _reopened_with_aged_rows(path, old=range(10), fresh=range(10, 14))
    store.autoflush = False
    _fill(store, range(20, 21), now=T0 + 3 * DAY)
    assert store.expire(T0 + 3 * DAY + 1) == 10
    assert store._writer.wait(30.0)

    def stored() -> int:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT count(*) FROM articles WHERE id = ?",
                                  (f"art_{20:024x}",)).fetchone()[0])  # fmt: skip

    assert stored() == 0
    store.flush()  # the commit: the verdict, then the snapshot naming the new file
    assert store._writer.wait(30.0) and stored() == 1
    _reopens_alike(store, path, 21)


def _reopens_alike(store: SqliteStore, path: Path, count: int) -> None:
    """A second store opened on ``path`` while ``store`` is still open (a crash)
    reads the same rows file generation and gives the same answers."""
    expected = _answers(store, range(count))
    generation = store._memory._cold.generation  # type: ignore[union-attr]
    crashed = SqliteStore(path, ttl_s=DAY)
    assert crashed._memory._cold.generation == generation  # type: ignore[union-attr]
    assert _answers(crashed, range(count)) == expected
    crashed.close()
    store.close()


def _reopened_with_aged_rows(path: Path, old: range, fresh: range) -> SqliteStore:
    """A store on ``path`` reopened after rows ``old`` were seen at T0 and ``fresh``
    three days later (so ``old`` expire first)."""
    store = SqliteStore(path, ttl_s=DAY)
    _fill(store, old, now=T0)
    _fill(store, fresh, now=T0 + 3 * DAY)
    store.close()
    return SqliteStore(path, ttl_s=DAY)
