"""The fetcher spreads concurrent requests over several small connection pools
(httpcore's bookkeeping walks every connection of a pool per request)."""

from __future__ import annotations

import asyncio
import dataclasses

from kabar.fetch.client import POOL_WORKERS, Fetcher
from kabar.models import FetchRequest
from kabar.settings import FetchSettings
from tests.fetch.server import LocalServer, Reply

PAGE = ("<html><body><article>" + "<p>Kalimat berita yang cukup panjang.</p>" * 20
        + "</article></body></html>").encode()


async def test_concurrent_requests_use_every_pool_and_all_succeed() -> None:
    settings = FetchSettings(allow_private_addresses=True, workers=2 * POOL_WORKERS,
                             per_host_rate=1000.0, per_host_burst=50,
                             per_host_concurrency=2 * POOL_WORKERS, respect_robots=False)
    with LocalServer() as srv:
        for n in range(8):
            srv.route(f"/b/{n}", Reply(200, PAGE, {"Content-Type": "text/html"}, delay_s=0.3))
        async with Fetcher(settings) as fetcher:
            peak = [0] * len(fetcher._in_flight)

            async def watch() -> None:
                while True:
                    peak[:] = [max(a, b) for a, b in zip(peak, fetcher._in_flight, strict=True)]
                    await asyncio.sleep(0.01)

            watcher = asyncio.create_task(watch())
            results = await asyncio.gather(*(
                fetcher.fetch(FetchRequest(url=srv.url(f"/b/{n}"), portal="x"))
                for n in range(8)))
            watcher.cancel()
    assert len(peak) == 2 and min(peak) >= 2  # both pools carried requests at once
    assert [r.status for r in results] == [200] * 8


def test_one_pool_for_few_workers() -> None:
    settings = dataclasses.replace(FetchSettings(), workers=POOL_WORKERS - 1)

    async def pools() -> int:
        async with Fetcher(settings) as fetcher:
            return len(fetcher._clients)

    assert asyncio.run(pools()) == 1


async def test_each_host_keeps_to_its_own_pools() -> None:
    # Two requests a host at once: each host keeps to one pool, so a pool holds the
    # connections of a few hosts, not idle ones to every host (walked per request).
    settings = FetchSettings(allow_private_addresses=True, workers=4 * POOL_WORKERS,
                             per_host_concurrency=2, respect_robots=False)
    async with Fetcher(settings) as fetcher:
        hosts = [f"portal-{n}.example" for n in range(12)]
        first = [fetcher._shard(h) for h in hosts]
        fetcher._in_flight[first[0]] += 3  # a busy pool does not send its hosts elsewhere
        assert [fetcher._shard(h) for h in hosts] == first
        assert len(set(first)) > 1  # the hosts are spread over the pools


async def test_an_idle_connection_is_kept_alive_and_reused() -> None:
    settings = FetchSettings(allow_private_addresses=True, respect_robots=False)
    with LocalServer() as srv:
        srv.route("/a", Reply(200, PAGE, {"Content-Type": "text/html"}))
        async with Fetcher(settings) as fetcher:
            for _ in range(3):
                result = await fetcher.fetch(FetchRequest(url=srv.url("/a"), portal="x"))
                assert result.status == 200
            pools = [p.transport._pool for p in fetcher._clients]  # type: ignore[attr-defined]
            connections = [c for pool in pools for c in pool.connections]
            assert len(connections) == 1 and connections[0].is_idle()  # kept alive, reused
            assert not connections[0].has_expired()


async def test_a_page_request_is_the_one_the_client_would_build() -> None:
    """Headers (in order), cookies and timeouts are merged once per Accept, not per
    page, and come out as httpx's client builds them."""
    async with Fetcher(FetchSettings()) as fetcher:
        pool = fetcher._clients[0]
        pool.client.cookies.set("sesi", "abc", domain="a.test")
        for url in ("http://a.test/berita?hal=2", "https://b.test:8443/kabar", "http://a.test/"):
            for accept in ("text/html", "text/plain"):
                ours = pool.request(url, accept, ())
                httpx_own = pool.client.build_request("GET", url, headers=[("Accept", accept)])
                assert ours.headers.raw == httpx_own.headers.raw
                assert (ours.method, ours.url, ours.extensions) == (
                    httpx_own.method, httpx_own.url, httpx_own.extensions)
        assert b"sesi=abc" in pool.request("http://a.test/", "text/html", ()).headers.raw[-1]
        assert b"sesi" not in b"".join(v for _, v in pool.request("http://b.test/", "text/html",
                                                                    ()).headers.raw)
        validators = (("If-None-Match", '"v1"'),)
        assert pool.request("http://a.test/rss", "text/xml", validators).headers[
            "If-None-Match"] == '"v1"'
