"""The dedup store's id and body-hash indexes are filtered (``lsh._KeyFilter``):
an article's id and body hash, looked up alone and mostly new, are ruled out of
every sorted run in one test instead of a binary search per run (issue 14: the
runs multiply as the index grows); lookups answer exactly as without it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from kabar.dedup import lsh
from kabar.dedup.lsh import SortedMultiIndex
from kabar.dedup.store import ArticleRecord, MemoryStore
from kabar.events import article_id


def test_single_key_lookups_answer_as_unfiltered_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lsh, "_FLUSH_AT", 256)
    monkeypatch.setattr(lsh, "FILTER_MIN", 1 << 9)
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 1 << 12, 4_000, dtype=np.uint64).astype(np.uint32).tolist()
    filtered = SortedMultiIndex(np.uint32, filtered=True)
    plain = SortedMultiIndex(np.uint32)
    for row, key in enumerate(keys):
        filtered.add((key,), row)
        plain.add((key,), row)
        if row % 97 == 0:  # keys held, repeated, pending, and never added (above 4096)
            for probe in (keys[row // 2], key, 5_000 + row, int(rng.integers(0, 1 << 13))):
                assert filtered.lookup((probe,)) == plain.lookup((probe,))
    assert filtered._filter is not None and filtered._runs


def test_one_key_passes_the_filter_as_an_array_of_it_does() -> None:
    rng = np.random.default_rng(9)
    key_filter = lsh._KeyFilter(2_000)
    key_filter.add(rng.integers(0, 1 << 32, 2_000, dtype=np.uint64).astype(np.uint32))
    probes = rng.integers(0, 1 << 32, 5_000, dtype=np.uint64).astype(np.uint32)
    one_by_one = [key_filter.passes(key) for key in probes.tolist()]
    assert one_by_one == key_filter.passing(probes).tolist()
    assert any(one_by_one)


def test_new_ids_and_hashes_search_no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore(86_400.0)
    known = []
    for i in range(300):
        ident = article_id(f"https://www.contoh.co.id/berita/{i}/laporan")
        chash = f"{i:064x}"
        store.put(ArticleRecord(ident, chash, 1, 1.0e9), now=1.0e9, fingerprint=None,
                  index_hash=True)  # fmt: skip
        known.append((ident, chash))
    store._by_id.flush()  # into sorted runs, as past 16k entries
    store._by_hash.flush()
    searched: list[Any] = []
    find_one = lsh._Run.find_one

    def counted(run: lsh._Run, key: Any, out: list[int]) -> None:
        searched.append(key)
        find_one(run, key, out)

    monkeypatch.setattr(lsh._Run, "find_one", counted)
    for i in range(300, 400):
        assert store.get(article_id(f"https://www.contoh.co.id/berita/{i}/laporan")) is None
        assert store.first_with_hash(f"{i:064x}") is None
    assert searched == []
    for ident, chash in known[::30]:
        record = store.get(ident)
        assert record is not None and record.content_hash == chash
        assert store.first_with_hash(chash) == ident
    assert searched  # (the known ones are searched for, and found)
