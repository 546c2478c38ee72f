"""`kabar bench state`: reopening a large SQLite dedup state, and what
writing state costs the event loop.

Reopen: ``--articles`` rows (default 1M, the issue-14 scale) are written
straight into a dedup state file (made-up ids, hashes, MinHash signatures and
band keys in the store's schema), then ``SqliteStore`` opens it, as a restart
does, and must be able to answer: a sample of ids and of fingerprints is
looked up. Target: ≤ 5 s at 1M.

Stalls: an asyncio loop ticks every 5 ms while verdicts are put (a batch
handed to the writer every second, as in a run) and a ``--blob-mb`` story
checkpoint is saved every ``--checkpoint-every`` puts; the longest gap between
ticks is the worst stall. Target: ≤ 100 ms. (Story state is no longer one blob:
it is checkpointed incrementally as rows, and ``kabar bench dedup --index N``
measures those checkpoints; the large blob here stands for any big blob.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from kabar.dedup.store import ArticleRecord, SqliteStore

TARGET_REOPEN_S = 5.0
TARGET_STALL_MS = 100.0
_BATCH = 50_000
_DAY = 86_400.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=int, default=1_000_000, help="rows in the state")
    parser.add_argument("--dir", help="where the state file goes (default: a temporary dir)")
    parser.add_argument("--puts", type=int, default=20_000, help="verdicts in the stall test")
    parser.add_argument("--blob-mb", type=int, default=64, help="story checkpoint size")
    parser.add_argument("--checkpoint-every", type=int, default=5_000,
                        help="puts between story checkpoints in the stall test")


def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="kabar-bench-state-") as tmp:
        base = Path(args.dir or tmp)
        base.mkdir(parents=True, exist_ok=True)
        path = base / "state.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        sample = build_state(path, args.articles)
        print(f"built a dedup state of {args.articles:,} articles"
              f" ({path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:.1f} s")
        reopen_s = reopen(path, sample)
        stall_ms = asyncio.run(stalls(base / "stall.sqlite3", args.puts, args.blob_mb,
                                      args.checkpoint_every))
    ok = reopen_s <= TARGET_REOPEN_S and stall_ms <= TARGET_STALL_MS
    print(f"reopen_s={reopen_s:.2f} (target {TARGET_REOPEN_S:.0f})"
          f" max_stall_ms={stall_ms:.1f} (target {TARGET_STALL_MS:.0f})"
          f" {'ok' if ok else 'BELOW TARGET'}")
    return 0 if ok else 1


def build_state(path: Path, count: int) -> list[tuple[str, bytes]]:
    """Write ``count`` rows; returns a sample of (id, signature) to look up after reopening."""
    from kabar.dedup.fingerprint import PERMUTATIONS, bands_for
    from kabar.dedup.store import SqliteStore

    SqliteStore(path, ttl_s=30 * _DAY).close()  # the schema, as the store makes it
    rng = np.random.default_rng(14)
    bands = bands_for(0.8)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")  # building the fixture, not measuring it
    sample: list[tuple[str, bytes]] = []
    now = 1_790_000_000.0
    for start in range(0, count, _BATCH):
        n = min(_BATCH, count - start)
        hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
        sigs = rng.integers(0, 256, (n, PERMUTATIONS), dtype=np.uint8)
        keys = rng.integers(0, 2**32, (n, bands), dtype=np.uint32)
        keys = (keys & ~np.uint32(31)) | np.arange(bands, dtype=np.uint32)
        rows = [
            (f"art_{start + i:024x}", hashes[i].tobytes().hex(), 1, now + start + i,
             now + start + i, f"st_{(start + i) // 3:020x}", 300, sigs[i].tobytes(),
             keys[i].tobytes(), 1, start + i + 1)
            for i in range(n)
        ]  # fmt: skip
        db.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.commit()
        sample += [(rows[i][0], rows[i][7]) for i in range(0, n, 997)]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sample


def reopen(path: Path, sample: list[tuple[str, bytes]]) -> float:
    """Seconds to open the store as a restart does (from its snapshot, replaying
    the rows changed after it); the full load and a crash are printed too."""
    from kabar.dedup.store import SNAPSHOT_EVERY

    full_s, store = _timed_open(path, sample, "full load from SQLite (no snapshot yet)")
    store.close()  # writes the snapshot
    clean_s, store = _timed_open(path, sample, "reopen after a clean stop (snapshot)")
    extra = SNAPSHOT_EVERY - 1  # the most a crash leaves to replay
    for n in range(extra):
        record = _bench_record(10**9 + n)
        store.put(record, now=record.first_seen, fingerprint=None, index_hash=True)
    store.sync(120.0)
    # No close: the next open meets the file as a kill -9 leaves it.
    crash_s, crashed = _timed_open(path, sample, f"reopen after a crash ({extra:,} rows replayed)")
    assert crashed.get(_bench_record(10**9 + extra - 1).article_id) is not None
    crashed.close()
    store.close()
    print(f"reopen: full load {full_s:.2f} s, from snapshot {clean_s:.2f} s"
          f" ({full_s / clean_s:.1f}x faster), after a crash {crash_s:.2f} s")
    return max(clean_s, crash_s)


def _bench_record(n: int) -> ArticleRecord:
    from kabar.dedup.store import ArticleRecord

    return ArticleRecord(f"art_{n:024x}", f"{n:064x}", 1, 1_790_000_000.0 + n % 10**6)


def _timed_open(
    path: Path, sample: list[tuple[str, bytes]], what: str
) -> tuple[float, SqliteStore]:
    from kabar.dedup.fingerprint import PERMUTATIONS
    from kabar.dedup.store import SqliteStore

    rss_before = _rss_mb()
    started = time.perf_counter()
    store = SqliteStore(path, ttl_s=30 * _DAY)
    elapsed = time.perf_counter() - started
    assert all(store.get(ident) is not None for ident, _ in sample), "ids lost on reopen"
    db = sqlite3.connect(path)
    for ident, _sig in sample[:50]:
        raw = db.execute("SELECT bands FROM articles WHERE id = ?", (ident,)).fetchone()[0]
        found = store.candidates(np.frombuffer(raw, np.uint32).tolist(), 64)
        assert ident in found.article_ids, "fingerprint not found after reopen"
        assert found.signatures.shape[1] == PERMUTATIONS
    db.close()
    print(f"  {what}: {store.count():,} articles in {elapsed:.2f} s,"
          f" RSS +{_rss_mb() - rss_before:,.0f} MB; {len(sample)} ids and 50 fingerprints"
          " found again")
    return elapsed, store


async def stalls(path: Path, puts: int, blob_mb: int, every: int) -> float:
    """The longest gap (ms) between 5 ms ticks while state is written; the same
    loop with a memory store (nothing written) first, as the machine's own noise."""
    from kabar.dedup.store import MemoryStore

    baseline = await _stall(MemoryStore(30 * _DAY), puts, blob_mb, every, "memory store (baseline)")
    written = await _stall(None, puts, blob_mb, every, "SQLite store", path)
    print(f"  worst stall written {written:.1f} ms vs baseline {baseline:.1f} ms"
          " (machine noise: other processes share the cores)")
    return written


async def _stall(
    memory: Any, puts: int, blob_mb: int, every: int, what: str, path: Path | None = None
) -> float:
    from kabar.dedup.store import SqliteStore

    store = memory if memory is not None else SqliteStore(path or Path(":memory:"),
                                                           ttl_s=30 * _DAY, flush_interval_s=1.0)
    worst = 0.0
    running = True

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            worst = max(worst, now - last - 0.005)
            last = now

    blob = os.urandom(blob_mb * 1024 * 1024)
    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    checkpoints = 0
    put_s = 0.0
    for n in range(puts):
        started = time.perf_counter()
        record = _bench_record(n)
        store.put(record, now=record.first_seen, fingerprint=None, index_hash=True)
        if n % every == every - 1:
            store.put_blob("stories", blob)
            checkpoints += 1
        put_s += time.perf_counter() - started
        if n % 100 == 0:
            await asyncio.sleep(0.001)  # an article's worth of other work
    written = True
    if isinstance(store, SqliteStore):
        written = await asyncio.to_thread(store.sync, 120.0)
    running = False
    await tick
    store.close()
    print(f"  {what}: {puts:,} verdicts and {checkpoints} checkpoints of {blob_mb} MB"
          f" ({'all written' if written else 'NOT all written'}): {put_s * 1e6 / puts:.1f} us"
          f" per put on the loop, longest loop stall {worst * 1000:.1f} ms")
    return worst * 1000


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6
