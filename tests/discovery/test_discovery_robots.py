"""Sitemaps listed in robots.txt are polled for portals configured without sitemaps,
when the fetcher can read robots.txt (an optional capability)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from kabar.discovery import Discovery, SeenStore
from kabar.discovery.robots_sitemaps import pick_sitemaps, portal_origins
from kabar.discovery.sources import RobotsReader, SourceFetcher
from kabar.models import FetchRequest
from kabar.settings import PortalConfig
from tests.discovery.discovery_http import HttpxSourceFetcher, Page, Site
from tests.discovery.discovery_portals import NOW, RSS_TYPE, XML_TYPE, settings


@dataclass(frozen=True, slots=True)
class Robots:
    sitemaps: tuple[str, ...]


class RobotsFetcher(HttpxSourceFetcher):
    """The test fetcher plus ``robots``: reads the Sitemap lines of robots.txt."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        super().__init__(client)
        self.client = client
        self.asked: list[str] = []

    async def robots(self, url: str) -> Robots:
        self.asked.append(url)
        parts = urlsplit(url)
        answer = await self.client.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
        if answer.status_code != 200:
            return Robots(())
        lines = (line.partition(":") for line in answer.text.splitlines())
        return Robots(tuple(v.strip() for k, _, v in lines if k.strip().lower() == "sitemap"))


@pytest.fixture
async def robots_fetcher() -> AsyncIterator[RobotsFetcher]:
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        yield RobotsFetcher(client)


def install(site: Site) -> None:
    robots = "\n".join(
        [
            "User-agent: *",
            "Disallow: /tanpa/admin/",
            f"Sitemap: {site.url('/tanpa/sitemap.xml')}",
            "Sitemap: ftp://127.0.0.1/tidak-didukung.xml",
            f"Sitemap: {site.url('/tanpa/sitemap.xml')}",
            f"Sitemap: {site.url('/tanpa/video.xml')}",
            f"Sitemap: {site.url('/tanpa/gambar.xml')}",
            f"Sitemap: {site.url('/tanpa/news-sitemap.xml')}",
        ]
    )
    site.put("/robots.txt", Page(robots.encode(), "text/plain"))
    site.put("/tanpa/rss", Page(b'<rss version="2.0"><channel></channel></rss>', RSS_TYPE))
    for path, slug in (
        ("/tanpa/sitemap.xml", "umum"),
        ("/tanpa/news-sitemap.xml", "kilat"),
        ("/tanpa/video.xml", "video"),
        ("/tanpa/gambar.xml", "gambar"),
        ("/tanpa/sendiri.xml", "sendiri"),
    ):
        loc = site.url(f"/tanpa/berita/{slug}")
        lastmod = "<lastmod>2026-05-01T10:00:00Z</lastmod>"
        body = f"<urlset><url><loc>{loc}</loc>{lastmod}</url></urlset>"
        site.put(path, Page(body.encode(), XML_TYPE))


def _discovery(
    site: Site, fetcher: SourceFetcher, *, sitemaps: tuple[str, ...] = (), **changes: object
) -> Discovery:
    portal = PortalConfig(
        "tanpa", feeds=[site.url("/tanpa/rss")], sitemaps=[site.url(p) for p in sitemaps]
    )
    options = settings(max_robots_sitemaps=3, **changes)
    return Discovery([portal], options, fetcher, SeenStore(), clock=lambda: NOW)


def _found(requests: list[FetchRequest]) -> list[tuple[str, str]]:
    return [(r.source, r.url.rsplit("/", 1)[-1]) for r in requests]


async def test_robots_sitemaps_are_polled_news_first_within_the_limit(
    site: Site, robots_fetcher: RobotsFetcher
) -> None:
    install(site)
    discovery = _discovery(site, robots_fetcher)
    requests = await discovery.poll_once()
    assert sorted(_found(requests)) == [
        ("sitemap", "kilat"),
        ("sitemap", "umum"),
        ("sitemap", "video"),
    ]
    assert site.requests_for("/tanpa/gambar.xml") == []
    assert robots_fetcher.asked == [site.url("/tanpa/rss")]
    # Later passes ask again (robots.txt may change) but add no duplicate sources.
    assert await discovery.poll_once() == []
    assert len(discovery.schedule.sources()) == 4
    assert [len(site.requests_for(p)) for p in ("/tanpa/news-sitemap.xml", "/tanpa/video.xml")] == [
        2,
        2,
    ]


async def test_configured_sitemaps_win_over_robots(
    site: Site, robots_fetcher: RobotsFetcher
) -> None:
    install(site)
    requests = await _discovery(site, robots_fetcher, sitemaps=("/tanpa/sendiri.xml",)).poll_once()
    assert _found(requests) == [("sitemap", "sendiri")]
    assert robots_fetcher.asked == []


async def test_robots_sitemaps_can_be_switched_off(
    site: Site, robots_fetcher: RobotsFetcher
) -> None:
    install(site)
    assert await _discovery(site, robots_fetcher, robots_sitemaps=False).poll_once() == []
    assert robots_fetcher.asked == []


async def test_a_fetcher_without_robots_still_works(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    assert not isinstance(fetcher, RobotsReader)
    assert await _discovery(site, fetcher).poll_once() == []
    assert site.requests_for("/robots.txt") == []


async def test_a_failing_robots_reader_only_costs_its_sitemaps(site: Site) -> None:
    class Broken(HttpxSourceFetcher):
        async def robots(self, url: str) -> Robots:
            raise RuntimeError("robots parser bug")

    install(site)
    site.put(
        "/tanpa/rss",
        Page(
            f'<rss version="2.0"><channel><item><link>{site.url("/tanpa/berita/rss")}</link>'
            "</item></channel></rss>".encode(),
            RSS_TYPE,
        ),
    )
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        requests = await _discovery(site, Broken(client)).poll_once()
    assert _found(requests) == [("feed", "rss")]


async def test_run_polls_robots_sitemaps_into_the_queue(
    site: Site, robots_fetcher: RobotsFetcher
) -> None:
    install(site)
    queue: asyncio.Queue[FetchRequest] = asyncio.Queue()
    stop = asyncio.Event()
    task = asyncio.create_task(_discovery(site, robots_fetcher).run(queue, stop))
    deadline = time.monotonic() + 10
    while queue.qsize() < 3:
        if time.monotonic() > deadline:
            pytest.fail("robots.txt sitemaps never reached the queue")
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    assert sorted(_found(items)) == [
        ("sitemap", "kilat"),
        ("sitemap", "umum"),
        ("sitemap", "video"),
    ]


async def test_with_the_project_fetcher(site: Site) -> None:
    """The production seam: kabar.fetch.Fetcher.robots gives the Sitemap lines."""
    client = pytest.importorskip("kabar.fetch")
    from kabar.settings import FetchSettings

    install(site)
    options = FetchSettings(allow_private_addresses=True, per_host_rate=1000.0, retries=0)
    options.per_host_burst = 1000
    async with client.Fetcher(options) as real:
        assert isinstance(real, RobotsReader)
        requests = await _discovery(site, real).poll_once()
    assert sorted(_found(requests)) == [
        ("sitemap", "kilat"),
        ("sitemap", "umum"),
        ("sitemap", "video"),
    ]


def test_pick_sitemaps_keeps_http_news_first_and_skips_known() -> None:
    found = [
        " https://r.example.id/sitemap.xml ",
        "https://r.example.id/sitemap.xml",
        "/relatif.xml",
        "https://r.example.id/google-news.xml",
        "https://r.example.id/lama.xml",
    ]
    assert pick_sitemaps(found, ["https://r.example.id/lama.xml"]) == [
        "https://r.example.id/google-news.xml",
        "https://r.example.id/sitemap.xml",
    ]


def test_portal_origins_one_url_per_host() -> None:
    portal = PortalConfig(
        "r",
        feeds=["https://rss.r.example.id/a", "https://www.r.example.id/rss"],
        sections=["https://www.r.example.id/kanal/news"],
        urls=["mailto:redaksi@r.example.id", "https://RSS.r.example.id/b"],
    )
    assert portal_origins(portal) == [
        "https://www.r.example.id/kanal/news",
        "https://rss.r.example.id/a",
    ]
