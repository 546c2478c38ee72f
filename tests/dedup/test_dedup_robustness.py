"""Near-duplicate robustness: generated variants of real and sample bodies must
be found as near-duplicates of their original in at least 99% of cases.

Variants: clutter lines added, clutter lines removed, 5% of words edited, a
paragraph dropped, a paragraph moved. Each variant is judged against an index
of all originals plus unrelated distractors, and is not indexed itself (so it
can only match its original, not an earlier variant).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from kabar.bench.dedup import ArticleFactory
from kabar.dedup import Deduper
from kabar.dedup.store import MemoryStore
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.dedup.samples import (
    OWN_BODIES,
    drop_paragraph,
    edit_words,
    move_paragraph,
    shared_bodies,
    with_clutter,
)

Body = tuple[str, ...]
Variant = Callable[[Body, random.Random], Body]

VARIANTS: dict[str, Variant] = {
    "clutter_added": with_clutter,
    "words_edited_5pct": edit_words,
    "paragraph_dropped": drop_paragraph,
    "paragraph_moved": move_paragraph,
}
SEEDS = range(4)


class ReadOnlyStore:
    """Reads from the wrapped store; forgets writes (variants stay out of the index)."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put(self, *args: Any, **kwargs: Any) -> None:
        pass

    def touch(self, *args: Any, **kwargs: Any) -> None:
        pass


def _article(url: str, body: Body, portal: str) -> Article:
    return Article(url=url, title="Judul", paragraphs=body, portal=portal)


def _index(originals: Sequence[Body], distractors: int) -> tuple[MemoryStore, list[str]]:
    store = MemoryStore(30 * 86400.0)
    deduper = Deduper(DedupSettings(store="memory"), store=store, clustering=False)
    ids = []
    for i, body in enumerate(originals):
        result, _ = deduper.process(_article(f"https://asli.id/{i}", body, "asli"))
        assert result.verdict == "new", (i, result)
        ids.append(result.article_id or "")
    factory = ArticleFactory(seed=99)
    for _ in range(distractors):
        deduper.process(factory.article("pengalih"))
    return store, ids


def _judge(
    store: MemoryStore, ids: list[str], queries: list[tuple[int, str, Body]]
) -> tuple[float, Counter[str], list[Any]]:
    deduper = Deduper(DedupSettings(store="memory"), store=ReadOnlyStore(store), clustering=False)  # type: ignore[arg-type]
    misses: list[Any] = []
    kinds: Counter[str] = Counter()
    for n, (origin, kind, body) in enumerate(queries):
        result, _ = deduper.process(_article(f"https://salinan.id/{n}", body, "salinan"))
        found = result.verdict in ("near_duplicate", "duplicate")
        if not found or result.duplicate_of != ids[origin]:
            misses.append((origin, kind, result.verdict, result.similarity))
            kinds[kind] += 1
    return 1.0 - len(misses) / len(queries), kinds, misses


def _variants(originals: Sequence[Body]) -> list[tuple[int, str, Body]]:
    queries = []
    for i, body in enumerate(originals):
        for seed in SEEDS:
            for kind, make in VARIANTS.items():
                queries.append((i, kind, make(body, random.Random(f"{kind}/{i}/{seed}"))))
    return queries


def _check(originals: Sequence[Body]) -> None:
    store, ids = _index(originals, distractors=300)
    rate, kinds, misses = _judge(store, ids, _variants(originals))
    assert rate >= 0.99, (rate, kinds, misses[:10])
    # Clutter removed: the index holds the cluttered page, the copy is clean.
    cluttered = [with_clutter(body, random.Random(i)) for i, body in enumerate(originals)]
    store, ids = _index(cluttered, distractors=0)
    queries = [(i, "clutter_removed", body) for i, body in enumerate(originals)]
    rate, kinds, misses = _judge(store, ids, queries)
    assert rate >= 0.99, (rate, misses[:10])


def _own_and_synthetic() -> list[Body]:
    factory = ArticleFactory(seed=21)
    return [*OWN_BODIES, *(factory.article().paragraphs for _ in range(30))]


def test_variants_of_sample_bodies_are_near_duplicates() -> None:
    _check(_own_and_synthetic())


@pytest.mark.shared
def test_variants_of_shared_corpus_bodies_are_near_duplicates() -> None:
    bodies = shared_bodies()
    if not bodies:
        pytest.skip("../shared not found: corpus/idn and seeds/clean texts are needed")
    _check(bodies)


def test_unrelated_articles_are_not_flagged() -> None:
    """Different stories (samples, shared texts, synthetic) in one index: all new."""
    factory = ArticleFactory(seed=8)
    bodies = [*OWN_BODIES, *shared_bodies(), *(factory.article().paragraphs for _ in range(300))]
    deduper = Deduper(DedupSettings(store="memory"), clustering=False)
    verdicts = Counter(
        deduper.process(_article(f"https://berita.id/{i}", body, "berita"))[0].verdict
        for i, body in enumerate(bodies)
    )
    assert verdicts == Counter({"new": len(bodies)})
