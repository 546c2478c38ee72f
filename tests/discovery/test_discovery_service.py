"""Discovery end to end against the local portal server: every source kind,
conditional GETs, age and seen filtering, error reporting, metrics, run/stop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from kabar import metrics
from kabar.discovery import Discovery, SeenStore
from kabar.errors import FetchError, HTTPStatusError
from kabar.models import FetchRequest
from kabar.urls import canonicalize
from tests.discovery.discovery_http import HttpxSourceFetcher, Page, Site
from tests.discovery.discovery_portals import (
    NOW,
    RSS_TYPE,
    _item,
    install,
    portals,
    settings,
    warta_rss,
)

Errors = list[tuple[str, str, FetchError]]


def _discovery(
    site: Site, fetcher: HttpxSourceFetcher, seen: SeenStore, errors: Errors, **changes: object
) -> Discovery:
    async def on_error(url: str, portal: str, exc: FetchError) -> None:
        errors.append((url, portal, exc))

    return Discovery(
        portals(site), settings(**changes), fetcher, seen, clock=lambda: NOW, on_error=on_error
    )


def _paths(site: Site, requests: list[FetchRequest]) -> list[tuple[str, str, str]]:
    return [(r.portal, r.source, r.url.removeprefix(site.base)) for r in requests]


EXPECTED_FIRST_POLL = [
    ("daftar", "urls", "/daftar/read/9001/arsip-lama"),
    ("warta", "feed", "/warta/read/2026/05/01/1001/banjir-rob-rendam-pesisir"),
    ("warta", "feed", "/warta/read/2026/05/01/1002/harga-cabai-naik?utm_source=rss&utm_medium=x"),
    ("warta", "feed", "/warta/read/1003/tanpa-tanggal"),
    ("atomia", "feed", "/atomia/berita/2001/pilkades-serentak"),
    ("atomia", "feed", "/atomia/berita/2002/sekolah-rusak"),
    ("rumah", "section", "/rumah/read/2026/05/01/3001/jalan-desa-rusak-parah"),
    ("rumah", "section", "/rumah/read/2026/05/01/3002/pasar-murah-digelar?utm_source=beranda"),
    ("peta", "sitemap", "/peta/berita/4001/gunung-erupsi"),
    ("peta", "sitemap", "/peta/berita/4002/festival-layang-layang"),
    ("rumah", "feed", "/rumah/read/2026/05/01/3003/lomba-perahu-hias"),
]


async def test_first_poll_finds_fresh_new_articles_from_every_source(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    errors: Errors = []
    discovery = _discovery(site, fetcher, SeenStore(), errors)
    requests = await discovery.poll_once()
    assert _paths(site, requests) == EXPECTED_FIRST_POLL
    by_path = {r.url.removeprefix(site.base): r for r in requests}
    flood = by_path["/warta/read/2026/05/01/1001/banjir-rob-rendam-pesisir"]
    assert flood.title_hint == "Banjir rob rendam pesisir utara"
    assert flood.published_hint == "2026-05-01T10:00:00+00:00"
    volcano = by_path["/peta/berita/4001/gunung-erupsi"]
    assert (volcano.title_hint, volcano.published_hint) == (
        "Gunung erupsi lagi",
        "2026-05-01T11:00:00+00:00",
    )
    # A lastmod is not a publication date.
    assert by_path["/peta/berita/4002/festival-layang-layang"].published_hint is None
    # The stale child sitemap was never fetched; the gzip'd one was.
    assert site.requests_for("/peta/2025-01.xml") == []
    assert [s.status for s in site.requests_for("/peta/2026-05.xml.gz")] == [200]
    [(url, portal, exc)] = errors
    assert (url, portal) == (site.url("/rusak/rss.xml"), "rusak")
    assert isinstance(exc, HTTPStatusError) and exc.reason == "http_5xx"


async def test_second_poll_uses_validators_and_queues_nothing(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    discovery = _discovery(site, fetcher, SeenStore(), [])
    assert await discovery.poll_once()
    assert await discovery.poll_once() == []
    first, second = site.requests_for("/warta/rss.xml")
    assert (first.if_none_match, first.status) == (None, 200)
    assert (second.if_none_match, second.status) == ('"warta-1"', 304)
    atom = site.requests_for("/atomia/feed.atom")
    assert [(s.if_modified_since, s.status) for s in atom] == [
        (None, 200),
        ("Fri, 01 May 2026 04:00:00 GMT", 304),
    ]
    # Sources without validators are fetched again; their links are all seen.
    assert [s.status for s in site.requests_for("/rumah/")] == [200, 200]


async def test_changed_feed_yields_only_its_new_entries(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    discovery = _discovery(site, fetcher, SeenStore(), [])
    await discovery.poll_once()
    fresh = _item(
        site.url("/warta/read/2026/05/01/1004/rapat-darurat-bencana"),
        "Rapat darurat bencana",
        "Fri, 01 May 2026 18:30:00 +0700",
    )
    site.put("/warta/rss.xml", Page(warta_rss(site, fresh), RSS_TYPE, etag='"warta-2"'))
    requests = await discovery.poll_once()
    assert _paths(site, requests) == [
        ("warta", "feed", "/warta/read/2026/05/01/1004/rapat-darurat-bencana")
    ]
    assert site.requests_for("/warta/rss.xml")[-1].status == 200


async def test_seen_urls_and_their_variants_are_not_requeued(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    seen = SeenStore()
    for variant in (
        site.url("/warta/read/2026/05/01/1001/banjir-rob-rendam-pesisir/amp?utm_source=wa"),
        site.url("/atomia/berita/2002/sekolah-rusak?fbclid=abc#atas"),
    ):
        seen.add(canonicalize(variant))
    requests = await _discovery(site, fetcher, seen, []).poll_once()
    urls = {r.url.removeprefix(site.base) for r in requests}
    assert "/warta/read/2026/05/01/1001/banjir-rob-rendam-pesisir" not in urls
    assert "/atomia/berita/2002/sekolah-rusak" not in urls
    assert len(requests) == len(EXPECTED_FIRST_POLL) - 2


async def test_explicit_urls_are_yielded_once_even_when_seen(
    site: Site, fetcher: HttpxSourceFetcher, tmp_path: Path
) -> None:
    install(site)
    path = str(tmp_path / "seen.sqlite3")
    first = SeenStore(path)
    await _discovery(site, fetcher, first, []).poll_once()
    first.close()
    reopened = SeenStore(path)
    try:
        discovery = _discovery(site, fetcher, reopened, [])
        again = await discovery.poll_once()
        # After a restart only the listed URL comes back; feed articles stay seen.
        assert _paths(site, again) == [("daftar", "urls", "/daftar/read/9001/arsip-lama")]
        assert await discovery.poll_once() == []
    finally:
        reopened.close()


async def test_age_filter_follows_max_age(site: Site, fetcher: HttpxSourceFetcher) -> None:
    install(site)
    requests = await _discovery(site, fetcher, SeenStore(), [], max_age_hours=24 * 40).poll_once()
    urls = {r.url.removeprefix(site.base) for r in requests}
    assert "/warta/read/2026/04/20/999/berita-lama-sekali" in urls
    assert "/atomia/berita/2000/kabar-usang" in urls


async def test_per_poll_cap_defers_the_rest(site: Site, fetcher: HttpxSourceFetcher) -> None:
    install(site)
    discovery = _discovery(site, fetcher, SeenStore(), [], max_new_per_poll=1)
    first = [r for r in await discovery.poll_once() if r.portal == "rumah"]
    second = [r for r in await discovery.poll_once() if r.portal == "rumah"]
    assert [(r.source, r.url.rsplit("/", 1)[-1]) for r in first] == [
        ("section", "jalan-desa-rusak-parah"),
        ("feed", "pasar-murah-digelar"),
    ]
    assert [(r.source, r.url.rsplit("/", 1)[-1]) for r in second] == [("feed", "lomba-perahu-hias")]


async def test_metrics_count_discovered_and_new(site: Site, fetcher: HttpxSourceFetcher) -> None:
    install(site)

    def sample(name: str, portal: str, source: str) -> float:
        value = metrics.REGISTRY.get_sample_value(name, {"portal": portal, "source": source})
        return value or 0.0

    before = (
        sample("kabar_discovered_urls_total", "atomia", "feed"),
        sample("kabar_new_urls_total", "atomia", "feed"),
    )
    await _discovery(site, fetcher, SeenStore(), []).poll_once()
    after = (
        sample("kabar_discovered_urls_total", "atomia", "feed"),
        sample("kabar_new_urls_total", "atomia", "feed"),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (4, 2)
    assert sample("kabar_poll_interval_seconds", "atomia", "feed") == 300


async def _until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("condition not reached before the deadline")
        await asyncio.sleep(0.01)


async def test_run_queues_everything_then_stops_promptly(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    queue: asyncio.Queue[FetchRequest] = asyncio.Queue()
    stop = asyncio.Event()
    task = asyncio.create_task(_discovery(site, fetcher, SeenStore(), []).run(queue, stop))
    await _until(lambda: queue.qsize() >= len(EXPECTED_FIRST_POLL))
    stop.set()
    await asyncio.wait_for(task, 5)
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    assert sorted(_paths(site, items)) == sorted(EXPECTED_FIRST_POLL)


async def test_run_blocked_by_a_full_queue_still_stops(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    queue: asyncio.Queue[FetchRequest] = asyncio.Queue(maxsize=2)
    stop = asyncio.Event()
    seen = SeenStore()
    task = asyncio.create_task(_discovery(site, fetcher, seen, []).run(queue, stop))
    await _until(lambda: queue.full() and len(site.requests_for("/warta/rss.xml")) == 1)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert queue.qsize() == 2
    queued = {canonicalize(queue.get_nowait().url) for _ in range(2)}
    # Only what reached the queue stays seen; the rest is found again next time.
    expected = {canonicalize(site.base + path) for _, _, path in EXPECTED_FIRST_POLL}
    assert {url for url in expected if url in seen} == queued


async def test_with_the_project_fetcher(site: Site) -> None:
    """The same first poll through kabar.fetch.Fetcher (the production seam)."""
    client = pytest.importorskip("kabar.fetch")
    from kabar.settings import FetchSettings

    install(site)
    options = FetchSettings(allow_private_addresses=True, per_host_rate=1000.0, retries=0)
    options.per_host_burst = 1000
    options.per_host_concurrency = 8
    errors: Errors = []
    async with client.Fetcher(options) as real:
        discovery = _discovery(site, real, SeenStore(), errors)
        assert _paths(site, await discovery.poll_once()) == EXPECTED_FIRST_POLL
        assert await discovery.poll_once() == []
    assert site.requests_for("/warta/rss.xml")[-1].status == 304
    assert {portal for _, portal, _ in errors} == {"rusak"}


async def test_a_missing_child_sitemap_is_reported_and_skipped(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    index = site.pages["/peta/sitemap.xml"].body.replace(
        b"</sitemapindex>",
        f"<sitemap><loc>{site.url('/peta/hilang.xml')}</loc>"
        "<lastmod>2026-05-01T11:30:00Z</lastmod></sitemap></sitemapindex>".encode(),
    )
    site.put("/peta/sitemap.xml", Page(index, "application/xml"))
    errors: Errors = []
    requests = await _discovery(site, fetcher, SeenStore(), errors).poll_once()
    assert [r.url.rsplit("/", 1)[-1] for r in requests if r.portal == "peta"] == [
        "gunung-erupsi",
        "festival-layang-layang",
    ]
    assert sorted(portal for _, portal, _ in errors) == ["peta", "rusak"]
    assert [url for url, portal, _ in errors if portal == "peta"] == [site.url("/peta/hilang.xml")]


async def test_fixed_index_answering_304_still_reaches_changed_children(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    install(site)
    index = site.pages["/peta/sitemap.xml"]
    site.put("/peta/sitemap.xml", Page(index.body, index.content_type, etag='"indeks"'))
    discovery = _discovery(site, fetcher, SeenStore(), [])
    await discovery.poll_once()
    news = site.pages["/peta/news.xml"]
    fresh = (
        f"<url><loc>{site.url('/peta/berita/4003/tanggul-jebol')}</loc></url></urlset>"
    ).encode()
    site.put("/peta/news.xml", Page(news.body.replace(b"</urlset>", fresh), news.content_type))
    requests = await discovery.poll_once()
    assert _paths(site, requests) == [("peta", "sitemap", "/peta/berita/4003/tanggul-jebol")]
    assert [s.status for s in site.requests_for("/peta/sitemap.xml")] == [200, 304]


async def test_autodiscovery_can_be_switched_off(site: Site, fetcher: HttpxSourceFetcher) -> None:
    install(site)
    discovery = _discovery(site, fetcher, SeenStore(), [], autodiscover_feeds=False)
    requests = await discovery.poll_once()
    assert {r.source for r in requests if r.portal == "rumah"} == {"section"}
    assert site.requests_for("/rumah/rss") == []
