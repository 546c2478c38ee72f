"""Each portal's frontier records split over as many keys as crawl processes
(``cluster.host_shards``): every process gets its share of every portal's pages,
and each keeps to its share of every host's politeness budget, so the processes
together keep to the host's limits."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from kabar.errors import ConfigError
from kabar.fetch.hostqueue import HostFairQueue
from kabar.fetch.ratelimit import HostLimiter, RateLimiter
from kabar.models import FetchRequest
from kabar.processes import share_partitions, split_hosts
from kabar.settings import FetchSettings, PortalConfig, Settings
from kabar.wire import FrontierPartitioner, frontier_key


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_busy_portal_is_shared_out_among_the_crawl_processes() -> None:
    portals = [PortalConfig("besar", urls=["http://besar.test/a"]),
               PortalConfig("kecil", urls=["http://kecil.test/a"])]
    partitions = list(range(12))
    owner = {p: i for i, share in enumerate(share_partitions(12, 2)) for p in share}
    requests = [FetchRequest(f"http://besar.test/berita/{n}", "besar") for n in range(900)]
    requests += [FetchRequest(f"http://kecil.test/berita/{n}", "kecil") for n in range(100)]

    def pages(shards: int) -> list[int]:
        partitioner = FrontierPartitioner(portals, shards)
        got = Counter(owner[partitioner(frontier_key(r, shards), partitions, partitions)]
                      for r in requests)
        return [got[0], got[1]]

    assert sorted(pages(1)) == [100, 900]  # whole portals: one process does 90%
    split = pages(2)
    assert sum(split) == 1000 and min(split) > 430  # by URL hash: about half each
    # The same URL always takes the same key (a revisit, a replay), in any process.
    assert frontier_key(requests[5], 2) == frontier_key(requests[5], 2)
    assert frontier_key(requests[5], 1) == b"besar.test"
    assert frontier_key(requests[5], 2) in (b"besar.test#0", b"besar.test#1")


def test_each_shard_of_a_host_lands_with_its_own_process() -> None:
    portals = [PortalConfig(f"p{n}", feeds=[f"http://p{n}.test/rss"]) for n in range(7)]
    partitioner = FrontierPartitioner(portals, 2)
    partitions = list(range(12))
    # Configured hosts, and hosts no portal names (articles away from the feed's host).
    for host in [*(f"p{n}.test" for n in range(7)), "cdn.lain.test", "m.p3.test"]:
        chosen = [partitioner(f"{host}#{k}".encode(), partitions, partitions) for k in (0, 1)]
        assert [p % 2 for p in chosen] == [0, 1], host
    # A key without a shard is shard 0.
    assert partitioner(b"p3.test", partitions, partitions) == partitioner(
        b"p3.test#0", partitions, partitions)


def test_a_host_two_portals_link_to_keeps_to_its_shares() -> None:
    """Both portals' articles live on one host their configs do not name: its requests
    take the host's keys, so no more crawl processes than its shares fetch it."""
    portals = [PortalConfig(f"p{n}", feeds=[f"http://p{n}.test/rss"]) for n in range(6)]
    processes, shards = 6, 2
    partitioner = FrontierPartitioner(portals, shards)
    partitions = list(range(12))
    owner = {p: i for i, share in enumerate(share_partitions(12, processes)) for p in share}
    requests = [FetchRequest(f"http://berita.bersama.test/{n}", f"p{n % 6}") for n in range(600)]
    fetching = {owner[partitioner(frontier_key(r, shards), partitions, partitions)]
                for r in requests}
    assert len(fetching) <= shards  # each keeps to 1/shards of the host: the whole at most
    # A portal's own host, too, is fetched by as many processes as it has shares.
    own = {owner[partitioner(frontier_key(FetchRequest(f"http://p1.test/{n}", "p5"), shards),
                             partitions, partitions)] for n in range(100)}
    assert len(own) == shards


async def test_a_share_of_a_host_keeps_to_that_share_of_its_limits() -> None:
    clock = Clock()
    whole = HostLimiter(rate=4.0, burst=2, concurrency=2, clock=clock)
    half = HostLimiter(rate=4.0, burst=2, concurrency=2, share=0.5, clock=clock)
    assert [round(clock.now + whole.reserve(), 6) for _ in range(3)] == [100.0, 100.0, 100.25]
    # Half the rate, a burst of one: two such processes together make the whole.
    assert [round(clock.now + half.reserve(), 6) for _ in range(3)] == [100.0, 100.5, 101.0]
    half.set_crawl_delay(2.0)  # robots' delay is the host's: each half waits twice as long
    assert half.interval == 4.0
    slots = 0
    async with half.slot():
        slots += 1
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05), half.slot():
                slots += 1
    assert slots == 1
    assert RateLimiter(4.0, 2, 2, 0.5).host("a.test").interval == 0.5


def test_the_fetch_queue_gives_a_host_its_share_of_slots() -> None:
    fetch = FetchSettings(per_host_concurrency=4, host_share=0.5)
    assert HostFairQueue.for_fetch(10, fetch)._per_host == 2
    assert HostFairQueue.for_fetch(10, FetchSettings(per_host_concurrency=4))._per_host == 4


def test_shards_follow_the_crawl_processes_within_the_host_limits() -> None:
    settings = Settings()
    split_hosts(settings, None, 2)
    assert settings.cluster.host_shards == 2 and settings.fetch.host_share == 1.0
    split_hosts(settings, "crawl", 1)  # a crawl process of that run: half of each host
    assert settings.fetch.host_share == 0.5
    alone = Settings()
    split_hosts(alone, None, 1)
    assert alone.cluster.host_shards == 1
    strict = Settings()
    strict.fetch.per_host_concurrency = 1
    split_hosts(strict, None, 4)  # one slot a host cannot be split
    assert strict.cluster.host_shards == 1
    many = Settings()
    many.cluster.host_shards = 3
    with pytest.raises(ConfigError, match="host_shards"):
        split_hosts(many, "crawl", 1)
