"""Records between the distributed stages: a fetch request on the frontier topic,
an extracted article on the extracted-articles topic. JSON (orjson), decoded
back into the same frozen value objects the in-process pipeline passes."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from typing import Any

import orjson
from aiokafka.partitioner import DefaultPartitioner

from kabar.models import Article, FetchRequest, FetchResult
from kabar.settings import PortalConfig
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


def frontier_key(request: FetchRequest, shards: int = 1) -> bytes:
    """A request's frontier key is its URL's host (its portal when it has no host): a
    host's requests are on one partition, so one crawl worker fetches the host and
    its politeness budget is that worker's alone, whichever portals link to it.

    With ``shards`` above 1 the host's requests are split by URL over that many
    keys (``host#k``), each on its own partition, so a busy host's pages are shared
    out among the crawl workers like everything else; each worker then keeps to
    ``1/shards`` of every host's budget (``fetch.host_share``), and as no host has
    more than ``shards`` keys, however they fall the host sees no more than its
    limits. By URL, not at random: the same URL (a revisit, a replay) always takes
    the same key. (Keyed by portal, a host that two portals link to was on both
    portals' partitions: fetched by more workers than its shares allow.)"""
    name = host_of(request.url) or request.portal
    if shards <= 1:
        return name.encode("utf-8")
    return f"{name}#{url_shard(request.url, shards)}".encode()


def url_shard(url: str, shards: int) -> int:
    return zlib.crc32(url.encode("utf-8", "replace")) % shards  # stable, unlike hash()


def host_slots(portals: Sequence[PortalConfig]) -> dict[str, int]:
    """Each host of the configured URLs its place, in config order (a host named by
    several portals takes its first)."""
    slots: dict[str, int] = {}
    for portal in portals:
        for host in _hosts(portal):
            slots.setdefault(host, len(slots))
    return slots


def _hosts(portal: PortalConfig) -> list[str]:
    urls = (*portal.feeds, *portal.sitemaps, *portal.sections, *portal.urls)
    return [h for h in (host_of(u) for u in urls) if h]


class FrontierPartitioner:
    """The producer's partitioner: a configured host's key goes to partition
    ``slot mod partitions`` (``host_slots``), so N hosts fill N distinct partitions
    and the crawl group's round-robin assignment gives each worker a near-equal
    share of them. Hashing the keys instead (Kafka's default, kept for other keys)
    lets several hosts fall on one partition and leaves workers unevenly loaded.
    Deterministic: every discovery process with the same config sends a host to the
    same partition (adding portals at the end moves none of the others).

    With ``shards`` (``frontier_key``) shard ``k`` of the host in slot ``s`` goes to
    partition ``s * shards + k``: with partitions a multiple of the workers and as
    many shards as workers, worker ``k`` of the round-robin assignment owns shard
    ``k`` of every host, so each gets an equal share of every host's pages. A host
    no portal names (articles on another host than the feed) takes a slot from a
    hash of its name, so its shards, too, go to distinct workers."""

    def __init__(self, portals: Sequence[PortalConfig], shards: int = 1) -> None:
        self.slots = {name.encode("utf-8"): slot for name, slot in host_slots(portals).items()}
        self.shards = max(1, shards)
        self._hashed = DefaultPartitioner()

    def __call__(self, key: bytes | None, all_partitions: list[int],
                 available: list[int]) -> int:
        name, shard = self._split(key)
        slot = self.slots.get(name) if name is not None else None
        if slot is None:
            if name is None or self.shards <= 1:
                return int(self._hashed(key, all_partitions, available))
            slot = zlib.crc32(name)  # stable, unlike hash()
        ordered = sorted(all_partitions)
        return ordered[(slot * self.shards + shard) % len(ordered)]

    def _split(self, key: bytes | None) -> tuple[bytes | None, int]:
        if key is None or self.shards <= 1:
            return key, 0
        name, mark, shard = key.rpartition(b"#")
        if not mark or not shard.isdigit():
            return key, 0
        return name, int(shard) % self.shards


def encode_request(request: FetchRequest) -> bytes:
    # orjson writes a dataclass as its fields in order, as ``dataclasses.asdict`` would,
    # without asdict's deep copy of every field (12x the cost of the encoding itself).
    return orjson.dumps(request)


def decode_request(data: bytes) -> FetchRequest:
    item = orjson.loads(data)
    return FetchRequest(**{k: v for k, v in item.items() if k in _REQUEST_FIELDS})


def encode_extracted(extracted: Extracted) -> bytes:
    return orjson.dumps({
        "article": extracted.article,  # as encode_request: the same bytes as asdict's
        "request": extracted.request,
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
