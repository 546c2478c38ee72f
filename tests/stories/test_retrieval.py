"""Candidate retrieval and the cheap paths that keep clustering fast: a story is
found among many unrelated ones, language comes from the article when set,
bigram IDF follows its rarer word, and saved state of the previous version loads."""

from __future__ import annotations

import dataclasses
import math
import random
import struct
from collections import Counter
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import orjson
import pytest

from kabar.dedup import stories, storystate, termids, text, tfidf
from kabar.dedup.fingerprint import BodyWords
from kabar.dedup.stories import StoryClusterer
from kabar.dedup.tfidf import DocumentFrequencies
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.stories.story_fixtures import FLOOD_A, FLOOD_B, SAMPLES, T0

_SYLLABLES = ("ka", "ri", "mo", "tu", "se", "la", "pan", "dor", "gi", "wen", "sul", "bra")


def _filler(rng: random.Random, i: int) -> Article:
    """An unrelated made-up article (invented words, its own outlet)."""
    vocab = ["".join(rng.choices(_SYLLABLES, k=3)) for _ in range(60)]
    paragraphs = tuple(" ".join(rng.choices(vocab, k=40)) + "." for _ in range(4))
    title = " ".join(rng.choices(vocab, k=6)).title()
    return Article(url=f"https://isi{i}.example/{i}", title=title, paragraphs=paragraphs)


def test_same_event_is_found_among_many_unrelated_stories(settings: DedupSettings) -> None:
    clusterer = StoryClusterer(settings)
    rng = random.Random(3)
    first = clusterer.assign("banjir-a", FLOOD_A.article, FLOOD_A.when)
    for i in range(300):
        clusterer.assign(f"isi-{i}", _filler(rng, i), FLOOD_A.when + timedelta(minutes=i))
    second = clusterer.assign("banjir-b", FLOOD_B.article, FLOOD_B.when)
    assert second.story_id == first.story_id
    assert clusterer.held_count >= 250


def test_a_posting_is_read_no_further_than_the_cap(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no entry of any posting read there are no candidates: a second
    # report of the same event starts its own story.
    monkeypatch.setattr(stories, "POSTING_CAP", 0)
    clusterer = StoryClusterer(settings)
    a = clusterer.assign("banjir-a", FLOOD_A.article, FLOOD_A.when)
    b = clusterer.assign("banjir-b", FLOOD_B.article, FLOOD_B.when)
    assert a.story_id != b.story_id


def test_terms_used_by_more_stories_than_the_cap_retrieve_the_latest_of_them(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forty earlier stories (other events: their own names, which the entity guard
    # tells apart) used the flood's words but two of its names, so the second
    # report shares only those two rare terms with the first (too few to be
    # scored); every other posting it reads is longer than the cap. A long
    # posting's end holds the story that took the word up last, the first
    # report's: it is found (when such terms were skipped, the second report had
    # no candidate and started a story of its own).
    monkeypatch.setattr(stories, "POSTING_CAP", 10)
    clusterer = StoryClusterer(settings)
    rng = random.Random(6)
    words = " ".join((*FLOOD_A.article.paragraphs, *FLOOD_B.article.paragraphs)).lower().split()
    common = " ".join(w for w in words if w.strip(".,()") not in {"cibening", "hartono"})
    for i in range(40):
        other = dataclasses.replace(_filler(rng, i), paragraphs=(common,))
        clusterer.assign(f"lain-{i}", other, FLOOD_A.when - timedelta(hours=40 - i))
    first = clusterer.assign("banjir-a", FLOOD_A.article, FLOOD_A.when)
    assert first.events[0]["type"] == "story.created"
    assert clusterer.held_count > stories.SPARSE_STORIES  # a dense stream: MIN_SHARED applies
    second = clusterer.assign("banjir-b", FLOOD_B.article, FLOOD_B.when)
    assert second.story_id == first.story_id


def test_language_set_by_the_pipeline_is_used_as_is(settings: DedupSettings) -> None:
    article = dataclasses.replace(FLOOD_A.article, language="jv")
    (event,) = StoryClusterer(settings).assign("x", article, T0).events
    assert event["language"] == "jv"
    (detected,) = StoryClusterer(settings).assign("y", FLOOD_A.article, T0).events
    assert detected["language"] == "id"


def test_bigram_is_as_common_as_its_rarer_word() -> None:
    df = DocumentFrequencies()
    for words in (["banjir", "desa"], ["banjir"], ["banjir", "desa"], ["gempa"]):
        df.add(words)
    assert df.df("banjir") == 3
    assert df.df("banjir desa") == 2 == df.df("desa")
    assert df.df("banjir longsor") == 0
    assert df.idf("banjir desa") == df.idf("desa") > df.idf("banjir")
    idfs = list(df.word_idfs(["banjir", "desa", "gempa", "baru"]))
    assert idfs == [df.idf("banjir"), df.idf("desa"), df.idf("gempa"), df.idf("baru")]


def test_word_idfs_cover_counts_after_many_documents() -> None:
    df = DocumentFrequencies()
    for _ in range(1500):
        df.add(["rutin"])
    restored = DocumentFrequencies.from_dict(df.to_dict())
    assert list(restored.word_idfs(["rutin"])) == [df.idf("rutin")]


def test_version_one_state_still_loads(settings: DedupSettings) -> None:
    clusterer = StoryClusterer(settings)
    for sample in SAMPLES[:4]:
        clusterer.assign(sample.key, sample.article, sample.when)
    state = orjson.loads(clusterer.dump())
    state["version"] = 1
    restored = StoryClusterer.load(orjson.dumps(state), settings)
    assert restored.held_count == clusterer.held_count
    later = SAMPLES[4]
    assert (
        restored.assign(later.key, later.article, later.when).story_id
        == clusterer.assign(later.key, later.article, later.when).story_id
    )


def _reference_terms(heading: list[str], words: list[str]) -> tuple[Counter[str], dict[str, float]]:
    """Word counts (lede and headline boosted) and the bigrams reaching a whole
    count, in half words, as plain Python counts them."""
    boosted = words[: stories.LEAD_WORDS] * (stories.LEAD_BOOST - 1)
    tf = Counter(words + boosted + heading * stories.TITLE_BOOST)
    pairs = Counter([*pairwise(words), *list(pairwise(heading)) * stories.TITLE_BOOST])
    bigrams = {
        f"{a} {b}": c * stories.BIGRAM_WEIGHT
        for (a, b), c in pairs.items()
        if c >= stories.MIN_PAIRS
    }
    return tf, bigrams


def _reference_weigh(
    df: DocumentFrequencies, tf: dict[str, int], bigrams: dict[str, float]
) -> dict[str, float]:
    """The article vector as plain Python computes it: sublinear TF times IDF,
    the heaviest ARTICLE_TERMS kept (ties in first-seen order), L2-normalized."""
    weights = {t: (1.0 + math.log(c)) * df.idf(t) for t, c in tf.items()}
    weights |= {b: (1.0 + math.log(c)) * df.idf(b) for b, c in bigrams.items()}
    top = sorted(weights, key=weights.__getitem__, reverse=True)[: stories.ARTICLE_TERMS]
    norm = math.hypot(*(weights[t] for t in top))
    return {t: weights[t] / norm for t in top}


def test_vectorized_weighting_matches_plain_python(settings: DedupSettings) -> None:
    clusterer = StoryClusterer(settings)
    rng = random.Random(5)
    for i in range(40):  # a stream that has learned some document frequencies
        clusterer.assign(f"isi-{i}", _filler(rng, i), T0 + timedelta(minutes=i))
    for i in range(40, 60):
        article = _filler(rng, i)
        heading = text.content_words(article.title)
        tf, bigrams = _reference_terms(heading, text.content_words(article.body))
        words = BodyWords.of(article.paragraphs)
        doc = clusterer._features(f"isi-{i}", article, T0, words)
        expected = _reference_weigh(clusterer._df, tf, bigrams)
        assert list(doc.vector) == list(expected)  # same terms, same order (ties included)
        assert doc.vector == pytest.approx(expected, rel=1e-12)
        idf = dict(zip(doc.vector, doc.idf, strict=True)) | doc.title_idf
        assert all(idf[t] == pytest.approx(clusterer._df.idf(t)) for t in [*doc.vector, *heading])
        assert sorted(clusterer._df.terms[i] for i in doc.terms.tolist()) == sorted(tf)


def test_vocabulary_forgets_single_sightings_and_clustering_carries_on(
    settings: DedupSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tfidf, "MAX_VOCABULARY", 50)
    clusterer = StoryClusterer(settings)
    rng = random.Random(9)
    first = clusterer.assign("banjir-a", FLOOD_A.article, FLOOD_A.when)
    for i in range(30):  # each compacts the vocabulary: renumbered ids, a fresh token memo
        clusterer.assign(f"isi-{i}", _filler(rng, i), FLOOD_A.when + timedelta(minutes=i))
    df = clusterer._df
    assert 0 < len(df.terms) <= 2 * 50 + 400
    assert all(df.ids[t] == i for i, t in enumerate(df.terms))
    assert DocumentFrequencies.from_dict(df.to_dict()).to_dict() == df.to_dict()
    second = clusterer.assign("banjir-b", FLOOD_B.article, FLOOD_B.when)
    assert second.story_id == first.story_id


def test_word_hashes_give_the_term_ids_of_their_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(termids, "MAX_WORDS", 200)  # the table starts over now and then
    df = DocumentFrequencies()
    by_token = text.TermIds(df.intern)
    hashed = termids.HashedTerms(by_token)
    rng = random.Random(4)
    for i in range(200):
        article = _filler(rng, i)
        paragraphs = (*article.paragraphs, "Baru baru kata-kata Ma'ruf tiba_tiba 2026 ÉTÉ été")
        words = BodyWords.of(paragraphs)
        expected = [by_token[w.decode()] for w in b" ".join(words.lines).split()]
        assert hashed(words.hashes, words.lines).tolist() == expected


def test_a_grown_word_table_keeps_every_word() -> None:
    """The table doubles in bulk (most words straight into a free slot, the rest
    kicked into place one by one) and still answers every word it held."""
    hashed = termids.HashedTerms(text.TermIds(DocumentFrequencies().intern))
    rng = np.random.default_rng(8)
    keys = np.unique(rng.integers(1, 2**64, 20_000, dtype=np.uint64))
    for value, key in enumerate(keys.tolist()):
        hashed._put(key, value)
    assert len(hashed._keys) >= 2 * termids._INITIAL_SLOTS  # grown at least once
    assert hashed._used == len(keys)
    assert [hashed._get(key) for key in keys.tolist()] == list(range(len(keys)))
    assert hashed._get(12345) is None
    kicked = []
    put = hashed._put
    hashed._put = lambda key, value: (kicked.append(key), put(key, value))[1]  # type: ignore[method-assign]
    hashed._grow()
    assert len(kicked) < len(keys) // 10  # the rest went in in bulk
    assert [hashed._get(key) for key in keys.tolist()] == list(range(len(keys)))


def test_a_posting_forgets_only_the_story_dropped(settings: DedupSettings) -> None:
    clusterer = StoryClusterer(settings)
    pack = struct.Struct("<I").pack
    # 0x0100 followed by 0x0200 holds the bytes of 0x02000000 at an odd offset.
    numbers = [0x0100, 0x0200, 7]
    clusterer._postings["banjir"] = bytearray(b"".join(map(pack, numbers)))
    clusterer._unpost("banjir", pack(0x02000000))
    assert bytes(clusterer._postings["banjir"]) == b"".join(map(pack, numbers))
    clusterer._unpost("banjir", pack(0x0200))
    assert bytes(clusterer._postings["banjir"]) == pack(0x0100) + pack(7)
    clusterer._unpost("banjir", pack(0x0100))
    clusterer._unpost("banjir", pack(7))
    assert "banjir" not in clusterer._postings


def test_a_long_posting_forgets_a_story_at_either_end_and_keeps_the_order(
    settings: DedupSettings,
) -> None:
    clusterer = StoryClusterer(settings)
    pack = struct.Struct("<I").pack
    numbers = list(range(100, 140))
    clusterer._postings["banjir"] = b"".join(map(pack, numbers))  # bytes, as read from an index
    for gone in (100, 101, 107, 139, 120, 138, 102):  # the front half moves its head on
        clusterer._unpost("banjir", pack(gone))
        numbers.remove(gone)
        assert bytes(clusterer._postings["banjir"]) == b"".join(map(pack, numbers))
    stories._post(clusterer._postings, "banjir", pack(5))  # it still grows at its end
    assert bytes(clusterer._postings["banjir"]) == b"".join(map(pack, [*numbers, 5]))


def test_a_term_of_one_story_holds_that_storys_key_and_grows_into_its_own_posting(
    settings: DedupSettings,
) -> None:
    clusterer = StoryClusterer(settings)
    for sample in SAMPLES:
        clusterer.assign(sample.key, sample.article, sample.when)
    keys = {story.key for story in clusterer._stories.values()}
    single = [(t, p) for t, p in clusterer._postings.items() if len(p) == stories._NUMBER_BYTES]
    assert single and all(type(p) is bytes and p in keys for _, p in single)
    # No copy per term: the terms a story posts at once (its first article's, each
    # later member's new ones) share one key object.
    members = {story.key: story.member_count for story in clusterer._stories.values()}
    objects: dict[bytes, set[int]] = {}
    for _, p in single:
        objects.setdefault(p, set()).add(id(p))
    assert all(len(ids) <= members[p] for p, ids in objects.items())
    assert sum(map(len, objects.values())) < len(single) / 4
    term, posting = single[0]
    stories._post(clusterer._postings, term, struct.pack("<I", 999))
    grown = clusterer._postings[term]
    assert bytes(grown) == posting + struct.pack("<I", 999)
    assert posting in keys  # the shared key itself is untouched
    # A posting read back from a saved index is bytes of any length: changed, it is replaced.
    numbers = b"".join(map(struct.Struct("<I").pack, [3, 4, 5]))
    clusterer._postings["muara"] = numbers
    clusterer._unpost("muara", struct.pack("<I", 4))
    assert bytes(clusterer._postings["muara"]) == numbers[:4] + numbers[8:]
    assert numbers == b"".join(map(struct.Struct("<I").pack, [3, 4, 5]))


@pytest.mark.parametrize("size", [0, 1, 59, 60, 61, 300])
def test_heaviest_first_is_a_stable_sort_prefix(size: int) -> None:
    rng = np.random.default_rng(size)
    for tied in (False, True):  # many equal weights: ties must keep position order
        weights = rng.integers(0, 5, size) * 0.5 if tied else rng.random(size)
        expected = np.argsort(-weights, kind="stable")[: stories.ARTICLE_TERMS]
        got = stories._heaviest_first(weights, stories.ARTICLE_TERMS)
        assert got.tolist() == expected.tolist()


def _reference_spread(clusterer: StoryClusterer, term: str) -> float:
    stories_using = len(clusterer._postings.get(term, b"")) // stories._NUMBER_BYTES
    return math.log(clusterer.held_count + stories.SPREAD_PRIOR) - math.log(stories_using + 1.0)


def test_profile_weights_and_norms_are_the_plain_loops_bit_for_bit(
    settings: DedupSettings,
) -> None:
    # The profile weighting, story norms and probe weights run in C-level maps; they
    # must give the very floats the plain loops give (scores feed verdicts and events).
    clusterer = StoryClusterer(settings)
    rng = random.Random(9)
    for i in range(60):
        clusterer.assign(f"isi-{i}", _filler(rng, i), T0 + timedelta(minutes=i))
    for sample in SAMPLES:
        clusterer.assign(sample.key, sample.article, sample.when)
    df = clusterer._df
    checked_bigrams = 0
    for story in list(clusterer._stories.values()):
        known = next(iter(story.centroid)).split(" ")[0]
        unmet = {"kata-yang-belum-pernah": 0.5, "belum pernah": 0.25, f"{known} baru": 0.125}
        profile = {**story.centroid, **unmet}
        expected = {t: x * (df._base() - math.log(df.df(t) + 1.0)) for t, x in profile.items()}
        assert df.weighted(profile) == expected
        assert list(df.weighted(profile)) == list(profile)
        checked_bigrams += sum(" " in t for t in story.centroid)
        squares = 0.0
        for term, x in df.weighted(story.centroid).items():
            squares += (x * _reference_spread(clusterer, term)) ** 2
        story.norms_at = -1
        assert clusterer._norms(story)[0] == math.sqrt(squares)
    assert checked_bigrams > 0
    for i in range(60, 70):
        article = _filler(rng, i)
        doc = clusterer._features(f"isi-{i}", article, T0, BodyWords.of(article.paragraphs))
        probe = clusterer._probe(doc)
        weights, squares = [], 0.0
        for (term, x), idf in zip(doc.vector.items(), doc.idf, strict=True):
            spread = _reference_spread(clusterer, term)
            squares += (x * spread) ** 2
            weights.append(x * spread * spread * idf)
        assert probe.weights == tuple(weights)
        assert probe.norm == math.sqrt(squares)


def test_vocabulary_full_of_words_seen_twice_is_not_compacted_at_every_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each word is in two articles in a row: forgetting the words seen once cannot
    # bring such a vocabulary under its cap.
    monkeypatch.setattr(tfidf, "MAX_VOCABULARY", 50)
    df = DocumentFrequencies()
    compactions = 0
    for i in range(1, 201):
        words = [f"kata{i}x{k}" for k in range(5)] + [f"kata{i - 1}x{k}" for k in range(5)]
        ids = np.array([df.intern(w) for w in words], dtype=np.int64)
        compactions += df.add_ids(ids)
        assert len(df.terms) - 1 <= 2 * 50 + 10
    assert compactions <= 40  # about one in ten articles (at every article before the fix)
    assert all(df.ids[t] == i for i, t in enumerate(df.terms))


def test_postings_hold_each_story_number_in_four_bytes(
    settings: DedupSettings, tmp_path: Path
) -> None:
    # uint32 entries: half the memory of int64 ones (the postings of common words
    # hold most entries). A saved index of int64 entries must not be read as uint32s.
    clusterer = StoryClusterer(settings)
    for sample in SAMPLES:
        clusterer.assign(sample.key, sample.article, sample.when)
    held = list(clusterer._stories.values())
    assert {len(story.key) for story in held} == {4}
    entries = sum(map(len, clusterer._postings.values()))
    assert entries == 4 * sum(len(story.centroid) for story in held)
    path = tmp_path / "state.stories.index"
    storystate.write_index(path, "token", 3, clusterer._postings)
    assert storystate.read_index(path, "token", 3) == clusterer._postings
    data = path.read_bytes()
    path.write_bytes(data.replace(storystate.INDEX_MAGIC, b"KABAR-STORY-INDEX-1\n", 1))
    assert storystate.read_index(path, "token", 3) is None


def test_vocabulary_compaction_in_slices_keeps_every_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A large vocabulary is renumbered a slice an article (no article pays for all
    # of it); words counted meanwhile keep what they were counted since it started.
    monkeypatch.setattr(tfidf, "MAX_VOCABULARY", 60)
    monkeypatch.setattr(tfidf, "COMPACT_SLICE", 4)
    df = DocumentFrequencies()
    compactions = 0
    for i in range(1, 301):
        words = [f"kata{i}x{k}" for k in range(3)] + ["sering", f"ulang{i % 7}"]
        ids = np.array([df.intern(w) for w in words], dtype=np.int64)
        before = df.to_dict()["counts"]
        renumbered = df.add_ids(ids)
        compactions += renumbered
        if not renumbered:  # counted, nothing forgotten
            assert df.to_dict()["counts"] == {**before, **{w: before.get(w, 0) + 1 for w in words}}
        assert all(df.ids[t] == n for n, t in enumerate(df.terms))
    assert 5 <= compactions <= 40
    assert df.df("sering") == 300 and df.df(f"ulang{300 % 7}") > 1  # kept words keep counts
    assert len(df.terms) - 1 <= 2 * 60 + 3 * 5 * 20
