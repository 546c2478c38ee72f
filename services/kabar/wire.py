"""Records between the distributed stages: a fetch request on the frontier topic,
an extracted article on the extracted-articles topic. JSON (orjson), decoded
back into the same frozen value objects the in-process pipeline passes."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from kabar.models import Article, FetchRequest, FetchResult
from kabar.urls import host_of

_ARTICLE_TUPLES = frozenset(
    f.name for f in dataclasses.fields(Article) if str(f.type).startswith("tuple")
)
_REQUEST_FIELDS = frozenset(f.name for f in dataclasses.fields(FetchRequest))
_ARTICLE_FIELDS = frozenset(f.name for f in dataclasses.fields(Article))


@dataclasses.dataclass(frozen=True, slots=True)
class Extracted:
    """What a crawl worker hands the stories stage for one page."""

    article: Article
    request: FetchRequest
    final_url: str
    fetched_at: str
    pages: int = 1

    def result(self) -> FetchResult:
        """The fetch facts dedup and the event need (the page itself stays behind)."""
        return FetchResult(request=self.request, final_url=self.final_url, status=200,
                           html="", fetched_at=self.fetched_at)


def frontier_key(request: FetchRequest) -> bytes:
    """One host, one partition: its politeness holds whatever the number of workers."""
    return host_of(request.url).encode("utf-8")


def encode_request(request: FetchRequest) -> bytes:
    return orjson.dumps(dataclasses.asdict(request))


def decode_request(data: bytes) -> FetchRequest:
    item = orjson.loads(data)
    return FetchRequest(**{k: v for k, v in item.items() if k in _REQUEST_FIELDS})


def encode_extracted(extracted: Extracted) -> bytes:
    return orjson.dumps({
        "article": dataclasses.asdict(extracted.article),
        "request": dataclasses.asdict(extracted.request),
        "final_url": extracted.final_url,
        "fetched_at": extracted.fetched_at,
        "pages": extracted.pages,
    })


def decode_extracted(data: bytes) -> Extracted:
    item: dict[str, Any] = orjson.loads(data)
    fields = {k: v for k, v in item["article"].items() if k in _ARTICLE_FIELDS}
    for name in _ARTICLE_TUPLES:
        if name in fields:
            fields[name] = tuple(fields[name])
    request = {k: v for k, v in item["request"].items() if k in _REQUEST_FIELDS}
    return Extracted(Article(**fields), FetchRequest(**request), str(item["final_url"]),
                     str(item["fetched_at"]), int(item.get("pages", 1)))
