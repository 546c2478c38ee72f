"""Dedup's text-only work done in the extraction process (``TextFeatures``) gives
the same verdicts and story events, byte for byte, as the deduper doing it itself;
an article changed after its features were made (stitched pages, a filled-in
title) is never judged on stale ones."""

from __future__ import annotations

import dataclasses
import pickle
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from kabar.dedup import text
from kabar.dedup.deduper import Deduper
from kabar.dedup.text import TextFeatures
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.dedup.samples import OWN_BODIES, edit_words, with_clutter

TITLES = ("Banjir Rendam Ratusan Rumah di Bandarmulya, Rudi Hartanto Minta Warga Waspada",
          "Harga Cabai Rawit Melonjak di Pasar Induk Sentosa",
          "Pemkot Siapkan 12 Posko Pengungsian Jelang Puncak Musim Hujan")


def stream() -> list[Article]:
    rng = random.Random(7)
    out = []
    for n, body in enumerate(OWN_BODIES):
        title = TITLES[n % len(TITLES)]
        out.append(Article(url=f"https://warta.test/{n}", title=title, paragraphs=body,
                           portal="warta"))
        out.append(Article(url=f"https://salin.test/{n}", title=title, paragraphs=body,
                           portal="salin"))
        out.append(Article(url=f"https://kabar.test/{n}", title=title,
                           paragraphs=with_clutter(body, rng), portal="kabar"))
        out.append(Article(url=f"https://warta.test/{n}", title=title,
                           paragraphs=edit_words(body, rng), portal="warta"))
    return out


def handed_over(articles: list[Article]) -> list[tuple[Article, TextFeatures | None]]:
    """As an extraction process hands them over: one pickle with the article."""
    return [pickle.loads(pickle.dumps((a, TextFeatures.of(a)))) for a in articles]


def run(articles: list[tuple[Article, TextFeatures | None]]) -> list[bytes]:
    deduper = Deduper(DedupSettings(store="memory"))
    start = datetime(2026, 5, 1, tzinfo=UTC)
    out = []
    for i, (article, made) in enumerate(articles):
        result, events = deduper.process(dataclasses.replace(article, canonical_url=article.url),
                                         when=start + timedelta(minutes=i), features=made)
        out.append(orjson.dumps({"result": dataclasses.asdict(result), "events": events},
                                default=str))
    deduper.close()
    return out


def refuse(*_: Any) -> Any:
    raise AssertionError("worked out again on the deduper's side")


def test_verdicts_and_story_events_are_the_same_with_features_from_elsewhere(
        monkeypatch: pytest.MonkeyPatch) -> None:
    articles = stream()
    own = run([(a, None) for a in articles])
    given = handed_over(articles)
    assert {orjson.loads(r)["result"]["verdict"] for r in own} >= {
        "new", "near_duplicate", "revision", "duplicate"}
    # With features the deduper does none of that work itself.
    monkeypatch.setattr("kabar.dedup.deduper.body_lines", refuse)
    monkeypatch.setattr("kabar.dedup.deduper.word_hashes", refuse)
    monkeypatch.setattr(text, "_entity_words", refuse)
    assert run(given) == own


def test_features_of_another_text_are_not_used() -> None:
    first = stream()[0]
    features = TextFeatures.of(first)
    stitched = dataclasses.replace(first, paragraphs=(*first.paragraphs, "Halaman kedua."))
    retitled = dataclasses.replace(first, title="Judul Lain dari Sumber Umpan")
    assert not features.fits(stitched) and features.fits(retitled)
    deduper = Deduper(DedupSettings(store="memory"))
    other = Deduper(DedupSettings(store="memory"))
    when = datetime(2026, 5, 1, tzinfo=UTC)
    for article in (stitched, retitled):
        article = dataclasses.replace(article, canonical_url=article.url + "/" + article.title)
        given = deduper.process(article, when=when, features=features)
        assert given == other.process(article, when=when)
