"""The shared URL status (real Redis), frontier offsets and the wire format."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from aiokafka import TopicPartition

from kabar.frontier import RedisStatus, _digest, _Offsets
from kabar.models import Article, FetchRequest
from kabar.settings import ClusterSettings
from kabar.wire import Extracted, decode_extracted, decode_request, encode_extracted, encode_request


@pytest.fixture
def cluster(redis_url: str, request: pytest.FixtureRequest) -> ClusterSettings:
    return ClusterSettings(status_url=redis_url, status_prefix=f"t:{request.node.name}:",
                           fetch_lease_s=30.0)


def test_a_url_is_claimed_once_across_processes(cluster: ClusterSettings) -> None:
    one, two = RedisStatus(cluster, "a"), RedisStatus(cluster, "b")
    assert one.claim("https://x.id/1") and not two.claim("https://x.id/1")
    two.release("https://x.id/1")  # a passing failure: may be queued again
    assert two.claim("https://x.id/1")
    one.done("https://x.id/1")
    assert two.is_done("https://x.id/1") and not one.claim("https://x.id/1")


def test_done_marks_expire_and_claims_in_flight_do_not(cluster: ClusterSettings) -> None:
    import dataclasses

    import redis

    status = RedisStatus(dataclasses.replace(cluster, done_ttl_days=0.5), "e")
    status.claim("https://x.id/a")
    status.claim("https://x.id/b")
    status.done("https://x.id/b")
    keys = redis.Redis.from_url(cluster.status_url)
    ttls = {url: keys.pttl(status._k("s", _digest(url)))
            for url in ("https://x.id/a", "https://x.id/b")}
    assert ttls["https://x.id/a"] == -1  # in flight: the sweeper owns it
    assert 0.49 * 86_400_000 < ttls["https://x.id/b"] <= 0.5 * 86_400_000


def test_the_sweeper_hands_back_claims_nobody_finished(cluster: ClusterSettings) -> None:
    status = RedisStatus(cluster, "d")
    stale, fresh, done = (FetchRequest(f"https://x.id/{n}", "x") for n in range(3))
    for request, at in ((stale, time.time() - 100), (fresh, time.time()), (done, 0.0)):
        status.claim(request.url)
        status.remember(request.url, request, now=at)
    status.done(done.url)
    assert status.overdue(50.0) == [stale]
    assert status.overdue(50.0) == []  # its clock restarted: handed out once per period


def test_a_fetch_lease_holds_while_its_worker_lives(cluster: ClusterSettings) -> None:
    one, two = RedisStatus(cluster, "w1"), RedisStatus(cluster, "w2")
    one.heartbeat(30.0)
    assert one.lease("https://x.id/1")
    assert not two.lease("https://x.id/1")
    assert not one.lease("https://x.id/1")  # a second copy of the request, in the same worker
    one.done("https://x.id/1")
    assert two.lease("https://x.id/1")
    dead = RedisStatus(cluster, "w3")  # never beats: as a worker killed with -9
    assert dead.lease("https://x.id/2") and two.lease("https://x.id/2")


def test_offsets_commit_only_past_the_done_prefix() -> None:
    tp = TopicPartition("f", 0)
    offsets = _Offsets()
    for n in (5, 6, 7):
        offsets.add(tp, n)
    offsets.done(tp, 6)
    assert offsets.committable([tp]) == {}
    offsets.done(tp, 5)
    assert offsets.committable([tp]) == {tp: 7}
    offsets.done(tp, 7)
    assert offsets.committable([tp]) == {tp: 8}
    assert offsets.committable([tp]) == {}


def test_wire_round_trip() -> None:
    request = FetchRequest("https://x.id/1", "x", "feed", 2, "2026-01-01T00:00:00Z", "Judul")
    assert decode_request(encode_request(request)) == request
    article = Article(url="https://x.id/1", title="Judul", paragraphs=("a", "b"),
                      authors=("Ani",), tags=("t",), portal="x")
    extracted = Extracted(article, request, "https://x.id/1", "2026-01-01T00:00:01Z", 2)
    assert decode_extracted(encode_extracted(extracted)) == extracted


def test_portals_fill_distinct_partitions_and_workers_get_equal_shares() -> None:
    from aiokafka.partitioner import DefaultPartitioner

    from kabar.settings import PortalConfig
    from kabar.wire import FrontierPartitioner, frontier_key

    portals = [PortalConfig(f"warta{n}", feeds=[f"http://warta{n}.test:8080/rss.xml"])
               for n in range(6)]
    partitioner = FrontierPartitioner(portals)
    partitions = list(range(12))
    chosen = [partitioner(frontier_key(FetchRequest(f"http://warta{n}.test:8080/berita/1",
                                                    f"warta{n}")), partitions, partitions)
              for n in range(6)]
    assert chosen == [0, 1, 2, 3, 4, 5]
    # The crawl group's round-robin assignment: partition p goes to worker p mod 3.
    assert sorted(Counter(p % 3 for p in chosen).values()) == [2, 2, 2]
    # The same config in another process gives the same partitions (no hash seed).
    assert FrontierPartitioner(portals).slots == partitioner.slots
    # A portal that is not configured (or a request without one) is hashed as Kafka does.
    other = b"lain.test"
    assert partitioner(other, partitions, partitions) == DefaultPartitioner()(
        other, partitions, partitions)
    assert frontier_key(FetchRequest("https://lain.test/x", "")) == other


def test_a_host_named_by_two_portals_has_one_place() -> None:
    from kabar.settings import PortalConfig
    from kabar.wire import host_slots

    portals = [PortalConfig("a", feeds=["https://a.test/rss"]),
               PortalConfig("b", feeds=["https://b.test/rss"], urls=["https://a.test/x"]),
               PortalConfig("c", sitemaps=["https://c.test/sitemap.xml"])]
    assert host_slots(portals) == {"a.test": 0, "b.test": 1, "c.test": 2}
