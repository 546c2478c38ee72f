"""Verdicts of the Deduper: unchanged, revision, duplicate, near_duplicate, new."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from kabar import metrics
from kabar.dedup import Deduper, content_hash
from kabar.events import article_id
from kabar.settings import DedupSettings
from kabar.urls import canonicalize
from tests.dedup.conftest import MakeArticle
from tests.dedup.samples import BOILERPLATE, OWN_BODIES, edit_words

BODY = OWN_BODIES[0]
URL = "https://www.contoh.co.id/berita/2026/banjir-bandarmulya"


def test_unchanged_revision_unchanged(settings: DedupSettings, make_article: MakeArticle) -> None:
    deduper = Deduper(settings, clustering=False)
    first, events = deduper.process(make_article(URL, BODY))
    assert first.verdict == "new" and events == []
    assert first.article_id == article_id(URL)
    assert first.revision == 1

    again, _ = deduper.process(make_article(URL, BODY))
    assert again.verdict == "unchanged"
    assert again.article_id == first.article_id

    changed = (*BODY, "Pembaruan: air mulai surut pada Rabu sore dan warga kembali ke rumah.")
    revised, _ = deduper.process(make_article(URL, changed))
    assert revised.verdict == "revision"
    assert revised.revision == 2
    assert revised.previous_content_hash == content_hash(BODY)
    assert revised.article_id == first.article_id

    same_again, _ = deduper.process(make_article(URL, changed))
    assert same_again.verdict == "unchanged"
    assert same_again.revision == 2

    third = (*changed, "Pemerintah kota menyalurkan bantuan sembako kepada warga terdampak.")
    revised3, _ = deduper.process(make_article(URL, third))
    assert (revised3.verdict, revised3.revision) == ("revision", 3)
    assert revised3.previous_content_hash == content_hash(changed)


def test_url_variants_are_the_same_article(
    settings: DedupSettings, make_article: MakeArticle
) -> None:
    deduper = Deduper(settings, clustering=False)
    deduper.process(make_article(URL, BODY))
    variants = [
        URL + "?utm_source=facebook&utm_medium=social&fbclid=abc",
        URL.replace("https://www.", "https://m.") + "?amp=1",
        URL.replace("https://www.", "https://amp.") + "/amp",
        URL.replace("https://www.", "https://mobile.") + "/",
        URL + "#komentar",
        URL.replace("https://www.", "https://WWW.") + ".amp",
        URL + "?outputType=amp&utm_campaign=x&amp;utm_source=feed",
    ]
    for variant in variants:
        assert canonicalize(variant) == canonicalize(URL), variant
        result, _ = deduper.process(make_article(variant, BODY))
        assert result.verdict == "unchanged", variant
        # The deduper canonicalizes once (inside article_id): that relies on
        # canonicalize being idempotent.
        assert canonicalize(canonicalize(variant)) == canonicalize(variant)
        assert result.article_id == article_id(canonicalize(variant))


def test_canonical_url_field_wins_over_url(
    settings: DedupSettings, make_article: MakeArticle
) -> None:
    deduper = Deduper(settings, clustering=False)
    deduper.process(make_article(URL, BODY))
    article = make_article("https://www.contoh.co.id/amp-view?id=99", BODY)
    from dataclasses import replace

    result, _ = deduper.process(replace(article, canonical_url=URL))
    assert result.verdict == "unchanged"


def test_exact_duplicate_at_another_url(settings: DedupSettings, make_article: MakeArticle) -> None:
    deduper = Deduper(settings, clustering=False)
    first, _ = deduper.process(make_article(URL, BODY))
    # Same words; different case, punctuation, spacing and paragraph breaks.
    reflowed = (" ".join(BODY[:2]).upper(), *[p.replace(",", " ,  ") for p in BODY[2:]])
    copy, _ = deduper.process(make_article("https://lain.id/read/1", reflowed, "lain"))
    assert copy.verdict == "duplicate"
    assert copy.duplicate_of == first.article_id
    assert copy.similarity == 1.0
    assert copy.article_id == article_id("https://lain.id/read/1")
    # A third copy still points at the first article.
    third, _ = deduper.process(make_article("https://ketiga.id/x", BODY, "ketiga"))
    assert third.duplicate_of == first.article_id


def test_near_duplicate_and_different_story(
    settings: DedupSettings, make_article: MakeArticle
) -> None:
    deduper = Deduper(settings, clustering=False)
    first, _ = deduper.process(make_article(URL, BODY))
    edited = edit_words(BODY[1:], random.Random(3))
    near, _ = deduper.process(make_article("https://lain.id/read/2", edited, "lain"))
    assert near.verdict == "near_duplicate"
    assert near.duplicate_of == first.article_id
    assert near.similarity is not None and settings.near_duplicate_threshold <= near.similarity
    assert near.similarity <= 1.0
    other, _ = deduper.process(make_article("https://lain.id/read/3", OWN_BODIES[1], "lain"))
    assert other.verdict == "new"


def test_tiny_bodies_are_not_duplicates(settings: DedupSettings, make_article: MakeArticle) -> None:
    deduper = Deduper(settings, clustering=False)
    a, _ = deduper.process(make_article("https://contoh.id/video/1", ("Video: banjir",)))
    b, _ = deduper.process(make_article("https://contoh.id/video/2", ("Video: banjir",)))
    empty, _ = deduper.process(make_article("https://contoh.id/kosong", ()))
    assert (a.verdict, b.verdict, empty.verdict) == ("new", "new", "new")


def _stories() -> list[tuple[str, ...]]:
    """The sample stories, plus short versions (first two paragraphs) of them, in
    which the portal block below is about half of the text."""
    return [*OWN_BODIES, *(body[:2] for body in OWN_BODIES)]


def test_boilerplate_pairs_zero_flagged(settings: DedupSettings, make_article: MakeArticle) -> None:
    """Every pair of different stories sharing the portal block, in a fresh index
    (so nothing is known as boilerplate yet): none is flagged."""
    stories = _stories()
    flagged = []
    for i, a in enumerate(stories):
        for j, b in enumerate(stories):
            if i == j or i % len(OWN_BODIES) == j % len(OWN_BODIES):
                continue  # a story and its own short version are not different stories
            deduper = Deduper(settings, clustering=False)
            deduper.process(make_article("https://www.contoh.co.id/a", (*a, *BOILERPLATE)))
            second = make_article("https://www.contoh.co.id/b", (*BOILERPLATE[:2], *b))
            result, _ = deduper.process(second)
            if result.verdict != "new":
                flagged.append((i, j, result.verdict, result.similarity))
    assert flagged == []


def test_portal_boilerplate_is_learned_and_ignored(
    settings: DedupSettings, make_article: MakeArticle
) -> None:
    from kabar.bench.dedup import ArticleFactory
    from kabar.dedup.boilerplate import line_keys
    from kabar.dedup.fingerprint import body_lines

    deduper = Deduper(settings, clustering=False)
    factory = ArticleFactory(seed=5)
    bodies = [*_stories(), *(factory.article().paragraphs[:3] for _ in range(60))]
    verdicts = []
    for i, body in enumerate(bodies):
        url = f"https://www.contoh.co.id/berita/{i}"
        verdicts.append(deduper.process(make_article(url, (*body, *BOILERPLATE)))[0].verdict)
    assert verdicts == ["new"] * len(bodies)
    keys = line_keys("contoh", body_lines(BOILERPLATE))
    assert deduper.boilerplate.keep(keys) == [False] * len(BOILERPLATE)
    # The block is boilerplate for this portal only.
    assert deduper.boilerplate.keep(line_keys("lain", body_lines(BOILERPLATE))) == [True] * len(
        BOILERPLATE
    )


def test_near_duplicates_and_revisions_keep_the_original_story(
    make_article: MakeArticle,
) -> None:
    deduper = Deduper(DedupSettings(store="memory"))
    if deduper.clusterer is None:
        import pytest

        pytest.skip("story clusterer (kabar.dedup.stories) not importable")
    first, events = deduper.process(make_article(URL, BODY))
    assert first.story_id is not None
    assert events and events[0]["story_id"] == first.story_id
    copy, copy_events = deduper.process(make_article("https://lain.id/1", BODY, "lain"))
    near, _ = deduper.process(
        make_article("https://lain.id/2", edit_words(BODY, random.Random(1)), "lain")
    )
    revised, _ = deduper.process(make_article(URL, (*BODY, "Pembaruan terakhir sore ini.")))
    assert copy.verdict == "duplicate" and copy_events == []
    assert near.verdict == "near_duplicate"
    assert revised.verdict == "revision"
    assert {copy.story_id, near.story_id, revised.story_id} == {first.story_id}


def test_verdict_metrics_are_counted(settings: DedupSettings, make_article: MakeArticle) -> None:
    counter = metrics.DEDUP_VERDICTS.labels("metrikportal", "unchanged")
    before = counter._value.get()
    deduper = Deduper(settings, clustering=False)
    deduper.process(make_article(URL, BODY, "metrikportal"))
    deduper.process(make_article(URL, BODY, "metrikportal"))
    assert counter._value.get() == before + 1


def test_fingerprints_expire_after_ttl(make_article: MakeArticle) -> None:
    settings = DedupSettings(store="memory", fingerprint_ttl_days=1.0)
    deduper = Deduper(settings, clustering=False)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    deduper.process(make_article(URL, BODY), when=start)
    later, _ = deduper.process(make_article(URL, BODY), when=start + timedelta(hours=20))
    assert later.verdict == "unchanged"  # seen again: its clock restarts
    gone, _ = deduper.process(make_article(URL, BODY), when=start + timedelta(days=3))
    assert gone.verdict == "new"
