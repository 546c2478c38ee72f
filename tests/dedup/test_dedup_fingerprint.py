"""Fingerprint building blocks: normalization, hashes, MinHash accuracy, the
sorted-run index behind LSH, and the boilerplate table."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kabar.dedup import content_hash, lsh
from kabar.dedup.boilerplate import BoilerplateLines, line_keys
from kabar.dedup.fingerprint import (
    INDEX_BANDS,
    PERMUTATIONS,
    bands_for,
    body_lines,
    containment,
    fingerprint,
    fingerprint_text,
    jaccard_estimates,
    line_numbers,
    normalized_lines,
    shingles,
    tokens,
    word_hashes,
)
from kabar.dedup.lsh import SortedMultiIndex
from tests.dedup.samples import OWN_BODIES

#: Computed by the first release's fingerprinting (before the speed work).
PINNED_FINGERPRINT = ("3497488fd3d7021c", 11, (3544506336, 3036100417, 1615615746))
PINNED_CONTENT_HASH = "9881b1b195da18c8"


def test_content_hash_ignores_case_punctuation_spacing_and_breaks() -> None:
    body = ("Harga cabai naik, kata pedagang.", "Operasi pasar digelar pekan depan!")
    same = ("HARGA  cabai naik kata pedagang", "operasi pasar — digelar pekan depan")
    joined = ("Harga cabai naik, kata pedagang. Operasi pasar digelar pekan depan.",)
    assert content_hash(body) == content_hash(same) == content_hash(joined)
    assert content_hash(body) != content_hash(("Harga cabai turun, kata pedagang.",))
    assert len(content_hash(body)) == 64
    # NFKC: full-width letters and ligatures fold to plain text.
    assert content_hash(("ｐｅｍｉｌｕ ﬁnal",)) == content_hash(("pemilu final",))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(max_codepoint=0x2FFF), max_size=40), max_size=4))
def test_ascii_fast_paths_normalize_like_the_regex(paragraphs: list[str]) -> None:
    ascii_only = [p.encode("ascii", "replace").decode("ascii") for p in paragraphs]
    for body in (paragraphs, ascii_only, [*ascii_only, "a\x1fb"]):
        expected = [" ".join(tokens(p)) for p in body if tokens(p)]
        assert normalized_lines(body) == expected


def test_signatures_are_stable_across_versions() -> None:
    """Signatures and band keys are persisted (SQLite, Redis): a change to the
    hashing would silently stop new articles matching stored ones."""
    paragraphs = (
        "Harga cabai naik, kata pedagang di Pasar Minggu.",
        "Operasi pasar “murah” digelar.",
    )
    fp = fingerprint_text(paragraphs)
    digest = hashlib.sha256(fp.signature).hexdigest()[:16]
    assert (digest, fp.size, fp.bands[:3]) == PINNED_FINGERPRINT
    assert content_hash(paragraphs)[:16] == PINNED_CONTENT_HASH


def test_word_hashes_depend_on_the_word_only() -> None:
    lines = [b"kota baru", b"baru kota lama"]
    hashes = word_hashes(lines)
    assert hashes[0] == hashes[3] and hashes[1] == hashes[2]
    assert len(set(hashes.tolist())) == 3
    assert line_numbers(lines).tolist() == [0, 0, 1, 1, 1]
    assert word_hashes([b"lama"])[0] == hashes[4]
    assert len(word_hashes([])) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdéñ xyz", min_size=1, max_size=12), min_size=1, max_size=8))
def test_word_hashes_match_per_word_hashing(words: list[str]) -> None:
    lines = body_lines(words)
    hashes = word_hashes(lines)
    flat = b" ".join(lines).split()
    assert len(hashes) == len(flat)
    singles = [int(word_hashes([w])[0]) for w in flat]
    assert hashes.tolist() == singles


def test_minhash_estimates_jaccard() -> None:
    rng = random.Random(4)
    vocab = [f"kata{i}" for i in range(3000)]
    errors = []
    for _ in range(150):
        base = rng.choices(vocab, k=rng.randint(80, 600))
        edited = [w if rng.random() > 0.08 else rng.choice(vocab) for w in base]
        a = word_hashes([" ".join(base).encode()])
        b = word_hashes([" ".join(edited).encode()])
        sa, sb = set(shingles(a).tolist()), set(shingles(b).tolist())
        truth = len(sa & sb) / len(sa | sb)
        fa, fb = fingerprint(a, INDEX_BANDS), fingerprint(b, INDEX_BANDS)
        other = np.frombuffer(fb.signature, dtype=np.uint8)[None, :]
        errors.append(float(jaccard_estimates(fa.signature, other)[0]) - truth)
    assert abs(float(np.mean(errors))) < 0.01
    assert float(np.std(errors)) < 0.06


def test_fingerprint_shape_and_containment() -> None:
    a = word_hashes(body_lines(OWN_BODIES[0]))
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
@pytest.mark.parametrize("sort_merge_max", [1 << 21, 0])  # merge by sorting; by scattering
@pytest.mark.parametrize("packed", [False, True])  # every run packed (4 bytes an entry)
@pytest.mark.parametrize("stepped", [False, True])  # large merges in slices, one per add
def test_sorted_multi_index_matches_a_dict(
    spread: int, sort_merge_max: int, packed: bool, stepped: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(lsh, "_SORT_MERGE_MAX", sort_merge_max)
    if stepped:
        monkeypatch.setattr(lsh, "STEP_MIN", 1 << 12)
        monkeypatch.setattr(lsh, "STEP_ENTRIES", 1 << 9)
    if packed:
        monkeypatch.setattr(lsh, "PACK_MIN", 0)
        monkeypatch.setattr(lsh, "PACK_RATIO", 0)
    rng = random.Random(1)
    universe = [rng.randrange(spread) for _ in range(5000)]
    index = SortedMultiIndex(np.uint32)
    reference: dict[int, list[int]] = {}
    sliced = False
    for row in range(40_000):  # several flushes and merges
        keys = [rng.choice(universe) for _ in range(3)]
        index.add(keys, row)
        sliced |= index._job is not None
        for key in keys:
            reference.setdefault(key, []).append(row)
        if row % 9973 == 0:
            probe = rng.choice(universe)
            assert sorted(index.lookup([probe])) == sorted(reference.get(probe, []))
    for probe in [*universe[::7], 7, 2**32 - 1]:
        assert sorted(index.lookup([probe])) == sorted(reference.get(probe, []))
    assert sliced == stepped  # a merge was done in slices, searched meanwhile
    batch = universe[:20]
    assert sorted(index.lookup(batch)) == sorted(r for k in batch for r in reference[k])
    # A key repeated within one add counts twice, pending or flushed.
    twice = SortedMultiIndex(np.uint32)
    twice.add([5, 5, 6], 1)
    twice.add([5], 2)
    assert sorted(twice.lookup([5])) == [1, 1, 2]
    twice.flush()
    assert sorted(twice.lookup([5, 6])) == [1, 1, 1, 2]
    assert len(index) == sum(len(rows) for rows in reference.values())
    # Compaction: drop odd rows, renumber the rest.
    remap = np.full(40_000, -1, dtype=np.int64)
    remap[::2] = np.arange(20_000)
    index.compact(remap)
    for probe in universe[::11]:
        expected = sorted(r // 2 for r in reference.get(probe, []) if r % 2 == 0)
        assert sorted(index.lookup([probe])) == expected


@pytest.mark.parametrize("spread", [300, 2**32])  # hot buckets (and keys); hash-like keys
def test_packed_runs_answer_exactly_as_plain_runs(
    spread: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same rows in the same order (the deduper ranks candidates by it), the
    newest MAX_PER_KEY of a hot key included, before and after compaction."""
    rng = np.random.default_rng(3)
    keys = rng.integers(0, spread, (30_000, 4), dtype=np.uint64)
    keys = (keys * np.uint64(2**32 // spread)).astype(np.uint32)
    plain, packed = SortedMultiIndex(np.uint32), SortedMultiIndex(np.uint32)
    monkeypatch.setattr(lsh, "PACK_MIN", 10**9)
    for row, row_keys in enumerate(keys.tolist()):
        plain.add(row_keys, row)
    plain.flush()
    monkeypatch.setattr(lsh, "PACK_MIN", 0)
    monkeypatch.setattr(lsh, "PACK_RATIO", 0)
    for row, row_keys in enumerate(keys.tolist()):
        packed.add(row_keys, row)
    packed.flush()
    assert packed.nbytes() < 0.7 * plain.nbytes()  # small runs: directories weigh
    probes = [*keys[::97].tolist(), [1, 2**32 - 1, 12345, 0]]
    for probe in probes:
        assert packed.lookup(probe) == plain.lookup(probe)
        assert packed.lookup(probe[:1]) == plain.lookup(probe[:1])
    assert max(len(plain.lookup([k])) for k in keys[:50, 0].tolist()) >= (
        lsh.MAX_PER_KEY if spread == 300 else 1
    )
    remap = np.where(np.arange(30_000) % 3 == 0, -1, np.arange(30_000) // 2)
    plain.compact(remap)
    packed.compact(remap)
    for probe in probes:
        assert packed.lookup(probe) == plain.lookup(probe)
    restored = SortedMultiIndex(np.uint32)
    restored.set_runs(packed.runs())
    assert restored.lookup(probes[0]) == plain.lookup(probes[0])


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
    keys = line_keys("contoh", [b"baca juga berita lain", b"isi unik pertama"])
    table.learn(keys)
    table.learn(keys[:1] * 3)  # repeats inside one article count once
    assert table.keep(keys) == [False, True]
    assert table.keep(line_keys("lain", [b"baca juga berita lain"])) == [True]
    restored = BoilerplateLines.load(table.dump(), 2)
    assert restored.keep(keys) == [False, True]


def test_boilerplate_table_is_bounded() -> None:
    table = BoilerplateLines(min_articles=2, max_entries=1000)
    common = line_keys("p", [b"pesan redaksi"])
    for i in range(5000):
        table.learn([*common, *line_keys("p", [f"kalimat {i}".encode()])])
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


@pytest.mark.parametrize("spread", [300, 70_000, 2**32])  # hot keys; crowded; hash-like
@pytest.mark.parametrize("sizes", [(200_000, 60_000), (70_000, 90_000), (5, 100_000)])
@pytest.mark.parametrize("pack_older", [False, True])
def test_a_merge_in_slices_makes_the_run_a_merge_at_once_makes(
    spread: int, sizes: tuple[int, int], pack_older: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Key for key and row for row, packed (band-like: 20 keys a row) or not."""
    monkeypatch.setattr(lsh, "STEP_ENTRIES", 1 << 12)
    rng = np.random.default_rng(5)

    def run(entries: int, first_row: int, per_row: int) -> lsh.AnyRun:
        keys = rng.integers(0, spread, entries, dtype=np.uint64) * np.uint64(2**32 // spread)
        rows = np.repeat(np.arange(first_row, first_row + entries, dtype=np.uint32), per_row)
        plain = lsh._Run(np.sort(keys.astype(np.uint32)), rng.permutation(rows[:entries]))
        return lsh._packed_if_smaller(plain)

    for per_row in (1, 20):
        older = run(sizes[0], 0, per_row)
        if not pack_older:
            older = older.plain()
        newer = run(sizes[1], sizes[0] // per_row + 1, per_row)
        want = lsh._packed_if_smaller(lsh._merge(older.plain(), newer.plain()))
        job = lsh._MergeJob(older, newer, np.dtype(np.uint32))
        steps = 0
        while not job.done:
            job.step()
            steps += 1
        got = job.result()
        assert steps > 10
        assert type(got) is type(want)
        assert isinstance(got, lsh._PackedRun) == (per_row == 20)
        for ours, theirs in zip(got.arrays().values(), want.arrays().values(), strict=True):
            assert np.array_equal(ours, theirs)
