"""The band index's key filter (``lsh._KeyFilter``): lookups answer exactly as
without it (same rows, same order) through flushes, merges done at once and in
slices, compaction, a rebuild as it grows, and a restore whose filter is built
a slice per add; keys added always pass it, few others do."""

from __future__ import annotations

import numpy as np
import pytest

from kabar.dedup import lsh
from kabar.dedup.lsh import SortedMultiIndex


def _band_keys(rng: np.random.Generator, articles: int) -> list[list[int]]:
    """20 keys an article shaped like ``fingerprint.band_keys`` (band number in the
    low 5 bits), drawn from a narrow hash range so that keys repeat."""
    hashed = rng.integers(0, 1 << 14, (articles, 20), dtype=np.uint64) << np.uint64(5)
    return (hashed | np.arange(20, dtype=np.uint64)).astype(np.uint32).tolist()


def _probes(rng: np.random.Generator, added: list[list[int]]) -> list[list[int]]:
    """Queries: keys of added articles, partly or wholly replaced by fresh ones."""
    fresh = _band_keys(rng, 60)
    mixed = [[*a[:3], *f[3:]] for a, f in zip(added[::7], fresh, strict=False)]
    return [*added[::11], *fresh, *mixed]


@pytest.fixture
def small_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sizes scaled down so that a few thousand articles pack, merge in slices,
    and rebuild the filter several times."""
    monkeypatch.setattr(lsh, "_FLUSH_AT", 512)
    monkeypatch.setattr(lsh, "PACK_MIN", 1 << 10)
    monkeypatch.setattr(lsh, "STEP_MIN", 1 << 13)
    monkeypatch.setattr(lsh, "STEP_ENTRIES", 1 << 10)
    monkeypatch.setattr(lsh, "FILTER_MIN", 1 << 10)


@pytest.mark.usefixtures("small_sizes")
def test_filtered_lookups_answer_as_unfiltered_ones() -> None:
    rng = np.random.default_rng(7)
    filtered = SortedMultiIndex(np.uint32, filtered=True)
    plain = SortedMultiIndex(np.uint32)
    added: list[list[int]] = []
    rebuilds = 0
    for step in range(6):
        for keys in _band_keys(rng, 700):
            row = len(added)
            added.append(keys)
            filtered.add(keys, row)
            plain.add(keys, row)
            rebuilds += filtered._filter_job is not None
        assert filtered._filter is not None
        for probe in _probes(rng, added):
            assert filtered.lookup(probe) == plain.lookup(probe)
        if step == 3:  # drop every third row, renumber the rest
            remap = np.full(len(added), -1, dtype=np.int64)
            kept = np.arange(len(added))[np.arange(len(added)) % 3 != 0]
            remap[kept] = np.arange(len(kept))
            filtered.compact(remap)
            plain.compact(remap)
            added = [added[i] for i in kept.tolist()]
            for probe in _probes(rng, added):
                assert filtered.lookup(probe) == plain.lookup(probe)
    assert rebuilds > 0  # the filter grew (a rebuild in slices) on the way


@pytest.mark.usefixtures("small_sizes")
def test_a_restored_index_builds_its_filter_a_slice_per_add_and_answers_alike() -> None:
    rng = np.random.default_rng(11)
    source = SortedMultiIndex(np.uint32, filtered=True)
    added = _band_keys(rng, 3_000)
    for row, keys in enumerate(added):
        source.add(keys, row)
    restored = SortedMultiIndex(np.uint32, filtered=True)
    restored.set_runs(source.runs())
    plain = SortedMultiIndex(np.uint32)
    plain.set_runs(source.runs())
    assert restored._filter is None and restored._filter_job is not None
    probes = _probes(rng, added)
    assert [restored.lookup(p) for p in probes] == [plain.lookup(p) for p in probes]
    for keys in _band_keys(rng, 400):  # the build goes on as articles come
        row = len(added)
        added.append(keys)
        restored.add(keys, row)
        plain.add(keys, row)
    assert restored._filter is not None and restored._filter_job is None
    probes = _probes(rng, added)
    assert [restored.lookup(p) for p in probes] == [plain.lookup(p) for p in probes]


def test_added_keys_always_pass_and_few_others_do() -> None:
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32)
    key_filter = lsh._KeyFilter(len(keys))
    key_filter.add(keys)
    assert key_filter.passing(keys).all()
    others = rng.integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32)
    others = others[~np.isin(others, keys)]
    assert key_filter.passing(others).mean() < 0.06
    assert not key_filter.full
    key_filter.add(keys[:1])
    assert key_filter.full  # more keys than it was sized for: rebuilt larger
