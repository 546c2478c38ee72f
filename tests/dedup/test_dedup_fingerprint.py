"""Fingerprint building blocks: normalization, hashes, MinHash accuracy, the
sorted-run index behind LSH, and the boilerplate table."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kabar.dedup import content_hash
from kabar.dedup.boilerplate import BoilerplateLines, line_keys
from kabar.dedup.fingerprint import (
    INDEX_BANDS,
    PERMUTATIONS,
    bands_for,
    containment,
    fingerprint,
    jaccard_estimates,
    normalized_lines,
    shingles,
    word_hashes,
)
from kabar.dedup.lsh import SortedMultiIndex
from tests.dedup.samples import OWN_BODIES


def test_content_hash_ignores_case_punctuation_spacing_and_breaks() -> None:
    body = ("Harga cabai naik, kata pedagang.", "Operasi pasar digelar pekan depan!")
    same = ("HARGA  cabai naik kata pedagang", "operasi pasar — digelar pekan depan")
    joined = ("Harga cabai naik, kata pedagang. Operasi pasar digelar pekan depan.",)
    assert content_hash(body) == content_hash(same) == content_hash(joined)
    assert content_hash(body) != content_hash(("Harga cabai turun, kata pedagang.",))
    assert len(content_hash(body)) == 64
    # NFKC: full-width letters and ligatures fold to plain text.
    assert content_hash(("ｐｅｍｉｌｕ ﬁnal",)) == content_hash(("pemilu final",))


def test_word_hashes_depend_on_the_word_only() -> None:
    hashes, lines = word_hashes(["kota baru", "baru kota lama"])
    assert hashes[0] == hashes[3] and hashes[1] == hashes[2]
    assert len(set(hashes.tolist())) == 3
    assert lines.tolist() == [0, 0, 1, 1, 1]
    again, _ = word_hashes(["lama"])
    assert again[0] == hashes[4]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdéñ xyz", min_size=1, max_size=12), min_size=1, max_size=8))
def test_word_hashes_match_per_word_hashing(words: list[str]) -> None:
    lines = normalized_lines(words)
    hashes, _ = word_hashes(lines)
    flat = " ".join(lines).split()
    assert len(hashes) == len(flat)
    singles = [int(word_hashes([w])[0][0]) for w in flat]
    assert hashes.tolist() == singles


def test_minhash_estimates_jaccard() -> None:
    rng = random.Random(4)
    vocab = [f"kata{i}" for i in range(3000)]
    errors = []
    for _ in range(150):
        base = rng.choices(vocab, k=rng.randint(80, 600))
        edited = [w if rng.random() > 0.08 else rng.choice(vocab) for w in base]
        a, _ = word_hashes([" ".join(base)])
        b, _ = word_hashes([" ".join(edited)])
        sa, sb = set(shingles(a).tolist()), set(shingles(b).tolist())
        truth = len(sa & sb) / len(sa | sb)
        fa, fb = fingerprint(a, INDEX_BANDS), fingerprint(b, INDEX_BANDS)
        other = np.frombuffer(fb.signature, dtype=np.uint8)[None, :]
        errors.append(float(jaccard_estimates(fa.signature, other)[0]) - truth)
    assert abs(float(np.mean(errors))) < 0.01
    assert float(np.std(errors)) < 0.06


def test_fingerprint_shape_and_containment() -> None:
    a, _ = word_hashes(normalized_lines(OWN_BODIES[0]))
    fp = fingerprint(a, 12)
    assert len(fp.signature) == PERMUTATIONS and len(fp.bands) == 12
    assert [band & 31 for band in fp.bands] == list(range(12))
    assert fp.size == len(a) - 1
    assert containment(1.0, 100, 100) == 1.0
    assert containment(0.5, 100, 50) == 1.0  # the small set inside the large one
    assert abs(containment(0.25, 100, 100) - 0.4) < 1e-9
    assert containment(0.9, 0, 10) == 0.0


def test_bands_follow_the_threshold() -> None:
    assert bands_for(0.95) < bands_for(0.9) < bands_for(0.8) <= INDEX_BANDS
    assert bands_for(0.5) == INDEX_BANDS


@pytest.mark.parametrize("spread", [5000, 2**32])  # crowded keys; hash-like keys
def test_sorted_multi_index_matches_a_dict(spread: int) -> None:
    rng = random.Random(1)
    universe = [rng.randrange(spread) for _ in range(5000)]
    index = SortedMultiIndex(np.uint32)
    reference: dict[int, list[int]] = {}
    for row in range(40_000):  # several flushes and merges
        keys = [rng.choice(universe) for _ in range(3)]
        index.add(keys, row)
        for key in keys:
            reference.setdefault(key, []).append(row)
        if row % 9973 == 0:
            probe = rng.choice(universe)
            assert sorted(index.lookup([probe])) == sorted(reference.get(probe, []))
    for probe in [*universe[::7], 7, 2**32 - 1]:
        assert sorted(index.lookup([probe])) == sorted(reference.get(probe, []))
    batch = universe[:20]
    assert sorted(index.lookup(batch)) == sorted(r for k in batch for r in reference[k])
    assert len(index) == sum(len(rows) for rows in reference.values())
    # Compaction: drop odd rows, renumber the rest.
    remap = np.full(40_000, -1, dtype=np.int64)
    remap[::2] = np.arange(20_000)
    index.compact(remap)
    for probe in universe[::11]:
        expected = sorted(r // 2 for r in reference.get(probe, []) if r % 2 == 0)
        assert sorted(index.lookup([probe])) == expected


def test_sorted_multi_index_extreme_keys() -> None:
    index = SortedMultiIndex(np.uint64)
    top = 2**64 - 1
    index.add([top, 0], 1)
    index.flush()
    index.add([top], 2)
    assert sorted(index.lookup([top])) == [1, 2]
    assert index.lookup([0]) == [1]
    assert index.lookup([5]) == []


def test_boilerplate_counts_articles_per_portal_and_round_trips() -> None:
    table = BoilerplateLines(min_articles=2)
    keys = line_keys("contoh", ["baca juga berita lain", "isi unik pertama"])
    table.learn(keys)
    table.learn(keys[:1] * 3)  # repeats inside one article count once
    assert table.keep(keys) == [False, True]
    assert table.keep(line_keys("lain", ["baca juga berita lain"])) == [True]
    restored = BoilerplateLines.load(table.dump(), 2)
    assert restored.keep(keys) == [False, True]


def test_boilerplate_table_is_bounded() -> None:
    table = BoilerplateLines(min_articles=2, max_entries=1000)
    common = line_keys("p", ["pesan redaksi"])
    for i in range(5000):
        table.learn([*common, *line_keys("p", [f"kalimat {i}"])])
    assert len(table) <= 1000
    assert table.keep(common) == [False]


def test_hot_keys_return_the_newest_rows_only() -> None:
    from kabar.dedup.lsh import MAX_PER_KEY

    index = SortedMultiIndex(np.uint32)
    for row in range(3 * MAX_PER_KEY):
        index.add([7], row)
        if row == MAX_PER_KEY:
            index.flush()
    rows = index.lookup([7])
    assert len(rows) <= 2 * MAX_PER_KEY
    assert 3 * MAX_PER_KEY - 1 in rows and 0 not in rows
