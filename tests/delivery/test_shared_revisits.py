"""Revisits in the distributed roles (real Redis): discovery processes share what is
known and the announced dates (``RedisSeen``), so of two processes only one queues a
revisit, even when both decided it at the same moment, and an update announced after
a restart is still revisited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kabar.discovery import Discovery
from kabar.discovery.revisits import Revisits, stamp_key
from kabar.discovery.sources import Link
from kabar.frontier import RedisSeen, RedisStatus
from kabar.models import FetchRequest
from kabar.settings import ClusterSettings, PortalConfig
from kabar.urls import canonicalize
from tests.discovery.conftest import fetcher, site
from tests.discovery.discovery_http import HttpxSourceFetcher, Site
from tests.discovery.discovery_portals import NOW, settings
from tests.discovery.test_discovery_revisits import HOUR, Clock, atom

__all__ = ["fetcher", "site"]


@pytest.fixture
def cluster(redis_url: str, request: pytest.FixtureRequest) -> Iterator[ClusterSettings]:
    prefix = f"t:revisits:{request.node.name}:"
    yield ClusterSettings(status_url=redis_url, status_prefix=prefix)
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def process(cluster: ClusterSettings, name: str) -> tuple[RedisStatus, RedisSeen]:
    """What one discovery process holds: its Redis status and the shared seen-store."""
    status = RedisStatus(cluster, name)
    return status, RedisSeen(status, 96 * HOUR)


def discovery(site: Site, fetcher: HttpxSourceFetcher, status: RedisStatus, seen: RedisSeen,
              clock: Clock) -> Discovery:
    portal = PortalConfig("kilat", feeds=[site.url("/kilat/feed")])
    return Discovery([portal], settings(), fetcher, seen, clock=clock, claims=status)


def slugs(requests: list[FetchRequest]) -> list[tuple[str, bool]]:
    return sorted((r.url.rsplit("/", 1)[-1], r.revisit) for r in requests)


async def test_two_processes_revisit_once_and_a_restart_still_revisits(
    site: Site, fetcher: HttpxSourceFetcher, cluster: ClusterSettings
) -> None:
    clock = Clock()
    entries = {"gempa": (NOW - 6 * HOUR, NOW - 6 * HOUR),
               "banjir": (NOW - 5 * HOUR, NOW - 4 * HOUR)}
    site.put("/kilat/feed", atom(site, entries))
    (sa, a), (sb, b) = process(cluster, "a"), process(cluster, "b")
    one, two = discovery(site, fetcher, sa, a, clock), discovery(site, fetcher, sb, b, clock)
    assert slugs(await one.poll_once()) == [("banjir", False), ("gempa", False)]
    assert await two.poll_once() == []  # known: queued by the other process
    for slug in entries:  # fetched and published by a crawl worker
        sa.done(canonicalize(site.url(f"/kilat/berita/{slug}")))

    entries["gempa"] = (NOW - 6 * HOUR, NOW - HOUR)
    site.put("/kilat/feed", atom(site, entries))
    revisits = await two.poll_once() + await one.poll_once()
    assert slugs(revisits) == [("gempa", True)]

    # A restart: new objects, same Redis. The last announcement is the base.
    sc, c = process(cluster, "c")
    again = discovery(site, fetcher, sc, c, clock)
    assert await again.poll_once() == []
    entries["gempa"] = (NOW - 6 * HOUR, NOW - HOUR / 2)
    site.put("/kilat/feed", atom(site, entries))
    assert slugs(await again.poll_once()) == [("gempa", True)]
    for status in (sa, sb, sc):
        status.close()


def test_of_two_processes_deciding_together_only_one_keeps_the_revisit(
    cluster: ClusterSettings,
) -> None:
    (sa, a), (sb, b) = process(cluster, "a"), process(cluster, "b")
    url = "https://kilat.test/berita/gempa"
    canonical = canonicalize(url)
    sa.claim(canonical)
    sa.done(canonical)
    key = stamp_key("feed", canonical)
    a.add(key, NOW - 6 * HOUR)  # the base both know
    link = Link(url, published=None, updated="2026-05-01T11:00:00+00:00")
    links = {canonical: link}
    cutoff = NOW - 48 * HOUR

    class ReadsFirst(RedisSeen):
        """B's whole decision runs between A's read of the stamp and A's write."""

        def stamp(self, name: str) -> float | None:
            value = super().stamp(name)
            assert Revisits(b, 50).due("feed", links, {canonical}, cutoff)
            return value

    racing = ReadsFirst(sa, 96 * HOUR)
    decided = Revisits(racing, 50).due("feed", links, {canonical}, cutoff)
    assert [r.canonical for r in decided] == [canonical]  # A decided too, on a stale read
    assert racing.lost(key)  # ... but B raised the stamp first: the revisit is B's
    assert not b.lost(key)
    assert not racing.lost(key)  # asked once per request
    sa.close()
    sb.close()


async def test_discovery_publishes_only_the_revisits_it_won(cluster: ClusterSettings) -> None:
    from kabar.pipeline import Components
    from kabar.roles import DiscoveryPipeline
    from kabar.settings import Settings

    (sa, a), (sb, b) = process(cluster, "a"), process(cluster, "b")
    won, lost = (FetchRequest(f"https://kilat.test/berita/{n}", "kilat", "feed", revisit=True)
                 for n in ("gempa", "banjir"))
    for request, first, second in ((won, a, b), (lost, b, a)):
        key = stamp_key("feed", canonicalize(request.url))
        assert first.add(key, NOW) and not second.add(key, NOW)
    unused: object = object()
    settings = Settings()
    settings.pipeline.spool_path = ""
    parts = Components(fetcher=unused, sources=unused, sender=unused,  # type: ignore[arg-type]
                       extract=unused, stitch=unused, content_hash=unused)  # type: ignore[arg-type]
    pipeline = DiscoveryPipeline(settings, parts)
    pipeline.status, pipeline.seen = sa, a
    for request in (won, lost):
        await pipeline.fetch_q.put(request)
        await pipeline._fetch_one(await pipeline.fetch_q.get())
    sent = [pipeline.publish_q.get_nowait().entry.record for _ in range(pipeline.publish_q.qsize())]
    assert [r.topic for r in sent] == [settings.cluster.frontier_topic]
    assert b"gempa" in sent[0].value
    assert pipeline.counts["revisit_taken_elsewhere"] == 1
    sa.close()
    sb.close()


def test_a_poll_asks_the_shared_status_once_for_all_its_links(
    cluster: ClusterSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which of a sitemap's thousands of links are known is one Redis round trip, not one
    each (every one would hold the event loop), and says the same as asking one by one."""
    status, seen = process(cluster, "d1")
    urls = [canonicalize(f"https://kilat.example/berita/{n}") for n in range(300)]
    for url in urls[::7]:
        assert status.claim(url)
    status.done(urls[5])
    calls: list[int] = []
    execute = type(status._r.pipeline()).execute

    def counted(pipe: object, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return execute(pipe, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(status._r.pipeline()), "execute", counted)
    known = seen.known_of(urls)
    assert calls == [1]
    monkeypatch.undo()
    assert known == {url for url in urls if url in seen}
    assert known == set(urls[::7]) | {urls[5]}
    status.close()
