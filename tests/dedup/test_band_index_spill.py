"""Band index runs read from the dedup snapshot that holds them answer as runs in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from kabar.dedup import lsh
from kabar.dedup import snapshot as snapshots
from kabar.dedup.fingerprint import PERMUTATIONS, Fingerprint
from kabar.dedup.lsh import SortedMultiIndex
from kabar.dedup.store import ArticleRecord, MemoryStore, SqliteStore

T0 = datetime(2026, 3, 1, tzinfo=UTC).timestamp()


def _keys(spread: int, rows: int, seed: int = 3) -> list[list[int]]:
    """20 keys a row (as bands), ``spread`` distinct values over the 32-bit space."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, spread, (rows, 20), dtype=np.uint64)
    return (keys * np.uint64(2**32 // spread)).astype(np.uint32).tolist()  # type: ignore[no-any-return]


def _spilled(index: SortedMultiIndex, path: Path) -> None:
    """Write the index's runs as a snapshot does, then read the big ones from the file."""
    runs = index.runs()
    snap = snapshots.Snapshot("t", 0, 0, 0, 1, [], {}, {"bands": runs})
    offsets = snapshots.write(path, snap)
    file = snapshots.SnapshotFile(path)
    placed = [(run["packed"], snapshots.FileArray(file, offsets[f"bands:{i}:packed"],
                                                  len(run["packed"]), np.dtype(np.uint32)))
              for i, run in enumerate(runs) if "packed" in run]  # fmt: skip
    assert placed
    index.spill(placed)


@pytest.mark.parametrize("spread", [300, 70_000, 2**32])  # hot keys; crowded; hash-like
def test_spilled_runs_answer_merge_and_compact_as_runs_in_memory(
    spread: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lsh, "PACK_MIN", 0)
    monkeypatch.setattr(lsh, "PACK_RATIO", 0)
    monkeypatch.setattr(lsh, "STEP_ENTRIES", 1 << 12)
    keys = _keys(spread, 6_000)
    held, spilled = SortedMultiIndex(np.uint32), SortedMultiIndex(np.uint32)
    for index in (held, spilled):
        for row, row_keys in enumerate(keys[:4_000]):
            index.add(row_keys, row)
        index.flush()
    before = spilled.nbytes()
    _spilled(spilled, tmp_path / "one.snapshot")
    assert spilled.nbytes() < before / 2  # the entries left memory; directories stay
    probes = [*keys[::37], [1, 2**32 - 1, 12345, 0]]
    for probe in probes:
        assert spilled.lookup(probe) == held.lookup(probe)
        assert spilled.lookup(probe[:1]) == held.lookup(probe[:1])
    for index in (held, spilled):  # merges read the spilled runs in slices
        for row, row_keys in enumerate(keys[4_000:], 4_000):
            index.add(row_keys, row)
        index.finish_merge()
    for probe in probes:
        assert spilled.lookup(probe) == held.lookup(probe)
    # A spilled run is copied into the next snapshot, then read from that one.
    _spilled(spilled, tmp_path / "two.snapshot")
    assert (tmp_path / "two.snapshot").read_bytes() == _written(held, tmp_path / "three")
    remap = np.where(np.arange(6_000) % 3 == 0, -1, np.arange(6_000) // 2)
    held.compact(remap)
    spilled.compact(remap)
    for probe in probes:
        assert spilled.lookup(probe) == held.lookup(probe)


def _written(index: SortedMultiIndex, path: Path) -> bytes:
    snapshots.write(path, snapshots.Snapshot("t", 0, 0, 0, 1, [], {}, {"bands": index.runs()}))
    return path.read_bytes()


def _put(store: SqliteStore | MemoryStore, rows: list[list[int]], first: int) -> None:
    for n, bands in enumerate(rows, first):
        fp = Fingerprint(bytes(n % 251 for _ in range(PERMUTATIONS)), 50, tuple(bands))
        record = ArticleRecord(f"art_{n:024x}", f"{n:064x}", 1, T0)
        store.put(record, now=T0, fingerprint=fp, index_hash=True)


def _answers(store: SqliteStore | MemoryStore, probes: list[list[int]]) -> list[list[str]]:
    return [store.candidates(probe, 50).article_ids for probe in probes]


def _scenario(path: Path, keys: list[list[int]], probes: list[list[int]]) -> list[object]:
    """Band index bytes in memory after a snapshot of the first 2,000 rows; answers
    after 1,000 more, and after a crash then (the snapshot's rows read from it, the
    rest replayed from SQLite); bytes and answers after a clean reopen."""
    seen: list[object] = []
    store = SqliteStore(path, ttl_s=86400.0 * 30)
    _put(store, keys[:2_000], 0)
    store.snapshot()
    assert store.sync()
    store.flush()  # takes over where the snapshot holds the runs
    seen.append(_run_bytes(store))
    _put(store, keys[2_000:], 2_000)
    seen.append(_answers(store, probes))
    assert store.sync()
    crashed = SqliteStore(path, ttl_s=86400.0 * 30)  # the snapshot has 2,000 rows, SQLite all
    seen.append(_answers(crashed, probes))
    crashed.close()
    store.close()
    again = SqliteStore(path, ttl_s=86400.0 * 30)
    seen += [_run_bytes(again), _answers(again, probes)]
    again.close()
    return seen


def _run_bytes(store: SqliteStore) -> int:
    """Bytes of the band index's runs in memory (its key filter is the same either way)."""
    bands = store._memory._bands
    return bands.nbytes() - bands.filter_nbytes()


def test_a_sqlite_store_reads_big_band_runs_from_its_snapshot_and_reopens_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lsh, "PACK_MIN", 1 << 12)
    keys = _keys(200_000, 3_000, seed=4)
    probes = [*keys[::53], *[[k ^ 1 for k in row] for row in keys[:20]]]
    monkeypatch.setattr(lsh, "SPILL_MIN", 10**12)
    held = _scenario(tmp_path / "held.db", keys, probes)
    monkeypatch.setattr(lsh, "SPILL_MIN", 1 << 14)
    spilled = _scenario(tmp_path / "spilled.db", keys, probes)
    assert spilled[1:3] == held[1:3] and spilled[4] == held[4]  # answers, in the same order
    for ours, theirs in ((spilled[0], held[0]), (spilled[3], held[3])):  # bytes in memory
        assert isinstance(ours, int) and isinstance(theirs, int) and ours < theirs / 2
    memory = MemoryStore(86400.0 * 30)
    _put(memory, keys, 0)
    assert all(sorted(a) == sorted(b) for a, b in zip(held[1], _answers(memory, probes),
                                                      strict=True))  # fmt: skip



def test_a_band_run_a_merge_made_is_read_from_a_file_of_its_own_before_the_next_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge's big run leaves memory at the next flush, written to an unlinked file
    (it stayed in memory until the next snapshot, SNAPSHOT_EVERY changes later), and
    lookups answer as with the run in memory; no file is left in the directory."""
    monkeypatch.setattr(lsh, "PACK_MIN", 1 << 12)
    keys = _keys(200_000, 2_000, seed=5)
    probes = [*keys[::41], *[[k ^ 1 for k in row] for row in keys[:20]]]
    memory = MemoryStore(86400.0 * 30)
    _put(memory, keys, 0)
    monkeypatch.setattr(lsh, "SPILL_MIN", 1 << 14)
    store = SqliteStore(tmp_path / "state.db", ttl_s=86400.0 * 30)
    _put(store, keys[:1_000], 0)
    assert store.sync()
    assert not store._memory.unspilled()  # (runs too small to spill yet)
    _put(store, keys[1_000:], 1_000)
    assert store._memory.unspilled()  # merged: 32k entries, packed, in memory
    held = _run_bytes(store)
    assert store.sync()  # the flush hands the run to the writer; then read from its file
    assert not store._memory.unspilled()
    assert _run_bytes(store) < held / 2
    assert not (tmp_path / "state.db.snapshot").exists()  # (no snapshot was written for it)
    assert _answers(store, probes) == _answers(memory, probes)
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "spill" in p.name) == []
