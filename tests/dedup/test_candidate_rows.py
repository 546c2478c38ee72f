"""Near-duplicate candidates are read as one array of their cold rows
(``rowfile.*.read_many``): the same ids, signatures and sizes as reading each
row, from rows in the file, rows not written yet, and in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kabar.dedup.fingerprint import Fingerprint
from kabar.dedup.rowfile import COLD, FileRows, MemoryRows
from kabar.dedup.store import ArticleRecord, MemoryStore, SqliteStore
from kabar.events import article_id


def _records(count: int) -> np.ndarray:
    block = np.zeros(count, dtype=COLD)
    block["id"] = np.arange(count * 12, dtype=np.uint64).reshape(count, 12) % 251
    block["sig"] = (np.arange(count * 128).reshape(count, 128) * 7) % 256
    block["size"] = np.arange(count) + 40
    block["first"] = np.arange(count) * 3
    return block


def test_read_many_reads_what_read_does(tmp_path: Path) -> None:
    file_rows = FileRows.create(tmp_path / "state.rows", "t" * 32)
    file_rows.append_block(_records(50))
    assert file_rows.flush()
    file_rows.append_block(_records(20))  # pending: not written yet
    memory_rows = MemoryRows()
    memory_rows.append_block(_records(70))
    wanted = [3, 61, 0, 49, 50, 69, 17, 3]
    for rows in (file_rows, memory_rows):
        many = rows.read_many(wanted)
        assert many.dtype == COLD and len(many) == len(wanted)
        assert [r.tobytes() for r in many] == [rows.read(row).tobytes() for row in wanted]
    file_rows.close()


def _store_candidates(store: MemoryStore | SqliteStore) -> list[tuple[str, bytes, int]]:
    bands = (1000 << 5 | 1, 1001 << 5 | 2)
    found = store.candidates(bands, 64)
    assert found.sizes.dtype == np.int64 and found.signatures.shape == (len(found.article_ids), 128)
    found_rows = zip(found.article_ids, found.signatures, found.sizes.tolist(), strict=True)
    return [(ident, sig.tobytes(), int(size)) for ident, sig, size in found_rows]


def test_candidates_are_the_rows_sharing_bands_with_their_signatures(tmp_path: Path) -> None:
    expected = []
    stores = (MemoryStore(86_400.0), SqliteStore(tmp_path / "state.sqlite3", 86_400.0))
    for i in range(12):
        ident = article_id(f"https://www.contoh.co.id/berita/{i}") if i != 6 else "odd-id-6"
        signature = bytes((i * 11 + j) % 256 for j in range(128))
        bands = (1000 << 5 | 1, 1001 << 5 | 2) if i % 3 == 0 else (i << 5 | 1, (i + 100) << 5 | 2)
        for store in stores:
            store.put(ArticleRecord(ident, f"{i:064x}", 1, 1.0e9), now=1.0e9,
                      fingerprint=Fingerprint(signature, 100 + i, bands), index_hash=True)
            if i == 7 and isinstance(store, SqliteStore):
                store.flush()  # the rows so far to the file, the later ones pending
        if i % 3 == 0:
            expected.append((ident, signature, 100 + i))
    for store in stores:
        assert _store_candidates(store) == expected
    stores[1].close()
