"""The records between the stages keep their bytes: a request and an extracted article
encode as their fields in order (what ``dataclasses.asdict`` gave), and decode back."""

from __future__ import annotations

import dataclasses

import orjson

from kabar.models import Article, FetchRequest
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
