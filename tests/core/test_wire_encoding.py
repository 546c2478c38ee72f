"""The records between the stages keep their bytes: a request and an extracted article
encode as their fields in order (what ``dataclasses.asdict`` gave), and decode back."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import orjson

from kabar.dedup import Deduper
from kabar.dedup.text import TextFeatures
from kabar.models import Article, FetchRequest
from kabar.settings import DedupSettings
from kabar.wire import Extracted, decode_extracted, decode_request, encode_extracted, encode_request


def test_records_encode_as_their_fields_and_decode_back() -> None:
    request = FetchRequest("https://berita.test/a/1", "berita.test", source="sitemap",
                           title_hint="Banjir surut", published_hint="2026-01-02T03:04:05Z")
    article = Article(url="https://berita.test/a/1", title="Banjir surut",
                      paragraphs=("Warga kembali.", "Jalan dibuka."), authors=("Ani",),
                      tags=("banjir",), next_pages=("https://berita.test/a/1?page=2",),
                      rule_misses=("body",), language="id")
    extracted = Extracted(article, request, "https://berita.test/a/1", "2026-01-02T03:05:00Z", 2)
    assert encode_request(request) == orjson.dumps(dataclasses.asdict(request))
    assert encode_extracted(extracted) == orjson.dumps({
        "article": dataclasses.asdict(article), "request": dataclasses.asdict(request),
        "final_url": extracted.final_url, "fetched_at": extracted.fetched_at, "pages": 2})
    assert decode_request(encode_request(request)) == request
    assert decode_extracted(encode_extracted(extracted)) == extracted


WHEN = datetime(2026, 1, 2, 3, 5, tzinfo=UTC)
SENTENCES = ("Presiden Joko Widodo meresmikan Bendungan Sepaku di Kalimantan Timur pada Senin.",
             "Menurut Kementerian PUPR, bendungan itu mengairi 2.500 hektare sawah warga.",
             "“Ini untuk petani,” kata Basuki Hadimuljono — menteri — di lokasi.")


def test_an_extracted_article_carries_its_text_features_and_dedup_reads_them_alike(
    tmp_path: Path,
) -> None:
    article = Article(url="https://berita.test/b/2", title="Bendungan Sepaku diresmikan",
                      paragraphs=SENTENCES, language="id")
    request = FetchRequest(article.url, "berita.test")
    features = TextFeatures.of(article)
    record = encode_extracted(Extracted(article, request, article.url, "2026-01-02T03:05:00Z",
                                        1, features))
    back = decode_extracted(record)
    assert back.article == article and back.features is not None
    assert back.features.fits(back.article)
    assert back.features.lines == features.lines and back.features.names == features.names
    assert back.features.hashes.tolist() == features.hashes.tolist()
    assert (back.features.content_hash, back.features.entity_text) == (
        features.content_hash, features.entity_text)
    # The same verdicts and story events whether the features come along or not.
    made = []
    for given in (back.features, None):
        deduper = Deduper(DedupSettings(store="memory", state_path=str(tmp_path / "s")))
        try:
            made.append(deduper.process(back.article, when=WHEN, features=given))
        finally:
            deduper.close()
    assert made[0] == made[1]


def test_features_that_do_not_read_are_left_for_the_stories_stage() -> None:
    article = Article(url="https://berita.test/b/3", title="Judul", paragraphs=SENTENCES)
    record = orjson.loads(encode_extracted(Extracted(
        article, FetchRequest(article.url, "berita.test"), article.url, "2026-01-02T03:05:00Z",
        1, TextFeatures.of(article))))
    record["features"]["hashes"] = "not base64!"
    assert decode_extracted(orjson.dumps(record)).features is None
    del record["features"]
    assert decode_extracted(orjson.dumps(record)).features is None
    # Features of another text (a stitched article) are not sent.
    other = dataclasses.replace(article, paragraphs=SENTENCES[:2])
    sent = encode_extracted(Extracted(other, FetchRequest(article.url, "berita.test"),
                                      article.url, "", 1, TextFeatures.of(article)))
    assert "features" not in orjson.loads(sent)
