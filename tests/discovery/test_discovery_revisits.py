"""Revisits: known articles whose feed entry or sitemap announces an update come back
once with ``revisit=True``; floods (generation stamps, old articles, bursts) do not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kabar import metrics
from kabar.discovery import Discovery, SeenStore
from kabar.discovery.revisits import announced, one_stamp_for_all, without_generation_stamps
from kabar.discovery.sources import Link
from kabar.models import FetchRequest
from kabar.settings import PortalConfig
from tests.discovery.discovery_http import HttpxSourceFetcher, Page, Site
from tests.discovery.discovery_portals import NOW, RSS_TYPE, XML_TYPE, settings

HOUR = 3600.0


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _rfc822(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def atom(site: Site, entries: dict[str, tuple[float, float]]) -> Page:
    """Atom feed of ``/kilat/berita/<slug>`` entries: slug -> (published, updated)."""
    body = "".join(
        f'<entry><title>{slug}</title><link href="{site.url("/kilat/berita/" + slug)}"/>'
        f"<published>{_iso(published)}</published><updated>{_iso(updated)}</updated></entry>"
        for slug, (published, updated) in entries.items()
    )
    feed = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Kilat</title>{body}</feed>'
    return Page(feed.encode(), "application/atom+xml")


def rss(site: Site, items: dict[str, float]) -> Page:
    """RSS of ``/kilat/berita/<slug>`` items: slug -> pubDate."""
    body = "".join(
        f"<item><title>{slug}</title><link>{site.url('/kilat/berita/' + slug)}</link>"
        f"<pubDate>{_rfc822(moment)}</pubDate></item>"
        for slug, moment in items.items()
    )
    return Page(f'<rss version="2.0"><channel>{body}</channel></rss>'.encode(), RSS_TYPE)


def urlset(site: Site, lastmods: dict[str, float]) -> Page:
    """A plain sitemap of ``/kilat/berita/<slug>``: slug -> lastmod."""
    body = "".join(
        f"<url><loc>{site.url('/kilat/berita/' + slug)}</loc>"
        f"<lastmod>{_iso(moment)}</lastmod></url>"
        for slug, moment in lastmods.items()
    )
    xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return Page(f'<urlset xmlns="{xmlns}">{body}</urlset>'.encode(), XML_TYPE)


def _discovery(
    site: Site,
    fetcher: HttpxSourceFetcher,
    seen: SeenStore,
    clock: Clock,
    *,
    feeds: tuple[str, ...] = ("/kilat/feed",),
    sitemaps: tuple[str, ...] = (),
    **changes: object,
) -> Discovery:
    portal = PortalConfig(
        "kilat",
        feeds=[site.url(path) for path in feeds],
        sitemaps=[site.url(path) for path in sitemaps],
    )
    return Discovery([portal], settings(**changes), fetcher, seen, clock=clock)


def _slugs(requests: list[FetchRequest]) -> list[tuple[str, bool]]:
    return [(r.url.rsplit("/", 1)[-1], r.revisit) for r in requests]


async def test_updated_atom_entry_is_revisited_exactly_once(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    clock = Clock()
    entries = {
        "gempa": (NOW - 6 * HOUR, NOW - 6 * HOUR),
        "banjir": (NOW - 5 * HOUR, NOW - 4 * HOUR),
    }
    site.put("/kilat/feed", atom(site, entries))
    discovery = _discovery(site, fetcher, SeenStore(), clock)
    assert _slugs(await discovery.poll_once()) == [("banjir", False), ("gempa", False)]
    assert await discovery.poll_once() == []  # unchanged: nothing
    entries["gempa"] = (NOW - 6 * HOUR, NOW - HOUR)
    site.put("/kilat/feed", atom(site, entries))
    [revisit] = await discovery.poll_once()
    assert (revisit.url, revisit.source, revisit.revisit) == (
        site.url("/kilat/berita/gempa"),
        "feed",
        True,
    )
    assert revisit.title_hint == "gempa"
    assert await discovery.poll_once() == []


async def test_newer_rss_pub_date_is_a_revisit_and_an_older_one_is_not(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    clock = Clock()
    items = {"pasar": NOW - 3 * HOUR, "sekolah": NOW - 2 * HOUR}
    site.put("/kilat/feed", rss(site, items))
    discovery = _discovery(site, fetcher, SeenStore(), clock)
    await discovery.poll_once()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - 30 * 60, "sekolah": NOW - 4 * HOUR}))
    assert _slugs(await discovery.poll_once()) == [("pasar", True)]


async def test_revisits_and_new_urls_in_the_same_poll(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    clock = Clock()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - 3 * HOUR, "sekolah": NOW - 2 * HOUR}))
    discovery = _discovery(site, fetcher, SeenStore(), clock)
    await discovery.poll_once()
    later = {"jembatan": NOW - 10 * 60, "pasar": NOW - 20 * 60, "sekolah": NOW - 2 * HOUR}
    site.put("/kilat/feed", rss(site, later))
    assert _slugs(await discovery.poll_once()) == [("jembatan", False), ("pasar", True)]


async def test_announcements_survive_a_restart(
    site: Site, fetcher: HttpxSourceFetcher, tmp_path: Path
) -> None:
    clock = Clock()
    path = str(tmp_path / "seen.sqlite3")
    entries = {
        "gempa": (NOW - 6 * HOUR, NOW - 6 * HOUR),
        "banjir": (NOW - 5 * HOUR, NOW - 4 * HOUR),
    }
    site.put("/kilat/feed", atom(site, entries))
    first = SeenStore(path)
    await _discovery(site, fetcher, first, clock).poll_once()
    first.close()

    reopened = SeenStore(path)
    try:
        assert await _discovery(site, fetcher, reopened, clock).poll_once() == []
        entries["banjir"] = (NOW - 5 * HOUR, NOW - HOUR)
        site.put("/kilat/feed", atom(site, entries))
        assert _slugs(await _discovery(site, fetcher, reopened, clock).poll_once()) == [
            ("banjir", True)
        ]
    finally:
        reopened.close()


async def test_first_sighting_is_never_a_revisit(site: Site, fetcher: HttpxSourceFetcher) -> None:
    clock = Clock()
    seen = SeenStore()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - 3 * HOUR, "sekolah": NOW - 2 * HOUR}))
    # Known from elsewhere (e.g. a section page, which gives no date): no baseline yet.
    seen.add(site.url("/kilat/berita/pasar"))
    discovery = _discovery(site, fetcher, seen, clock)
    assert _slugs(await discovery.poll_once()) == [("sekolah", False)]
    site.put("/kilat/feed", rss(site, {"pasar": NOW - HOUR, "sekolah": NOW - 2 * HOUR}))
    assert _slugs(await discovery.poll_once()) == [("pasar", True)]


async def test_a_sitemap_lastmod_after_the_feed_date_is_not_an_update(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    clock = Clock()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - 3 * HOUR, "sekolah": NOW - 2 * HOUR}))
    # Sitemaps date the same articles a few minutes after the feed does.
    lastmods = {"pasar": NOW - 3 * HOUR + 300, "sekolah": NOW - 2 * HOUR + 300}
    site.put("/kilat/sitemap.xml", urlset(site, lastmods))
    discovery = _discovery(site, fetcher, SeenStore(), clock, sitemaps=("/kilat/sitemap.xml",))
    assert {r.revisit for r in await discovery.poll_once()} == {False}
    assert await discovery.poll_once() == []
    lastmods["sekolah"] = NOW - 600
    site.put("/kilat/sitemap.xml", urlset(site, lastmods))
    requests = await discovery.poll_once()
    assert [(r.source, *pair) for r, pair in zip(requests, _slugs(requests), strict=True)] == [
        ("sitemap", "sekolah", True)
    ]


async def test_a_sitemap_stamped_with_its_generation_time_floods_nothing(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    clock = Clock()
    slugs = ("pasar", "sekolah", "jembatan")
    site.put("/kilat/sitemap.xml", urlset(site, dict.fromkeys(slugs, NOW - 60)))
    discovery = _discovery(
        site, fetcher, SeenStore(), clock, feeds=(), sitemaps=("/kilat/sitemap.xml",)
    )
    assert len(await discovery.poll_once()) == 3
    for minutes in (10, 20, 30):
        clock.now = NOW + minutes * 60
        site.put("/kilat/sitemap.xml", urlset(site, dict.fromkeys(slugs, clock.now - 5)))
        assert await discovery.poll_once() == []
    # The same sitemap with real per-article dates announces updates again.
    site.put(
        "/kilat/sitemap.xml",
        urlset(site, {"pasar": NOW - HOUR, "sekolah": NOW - 2 * HOUR, "jembatan": NOW - 3 * HOUR}),
    )
    assert await discovery.poll_once() == []  # a baseline first
    clock.now += 60
    site.put(
        "/kilat/sitemap.xml",
        urlset(site, {"pasar": NOW, "sekolah": NOW - 2 * HOUR, "jembatan": NOW - 3 * HOUR}),
    )
    assert _slugs(await discovery.poll_once()) == [("pasar", True)]


async def test_revisits_per_poll_are_capped_newest_first(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    clock = Clock()
    slugs = ["a", "b", "c", "d", "e"]
    site.put("/kilat/feed", rss(site, {s: NOW - (10 + i) * HOUR for i, s in enumerate(slugs)}))
    discovery = _discovery(site, fetcher, SeenStore(), clock, max_revisits_per_poll=2)
    assert len(await discovery.poll_once()) == 5
    site.put("/kilat/feed", rss(site, {s: NOW - (5 + i) * 60 for i, s in enumerate(slugs)}))
    polls = [_slugs(await discovery.poll_once()) for _ in range(4)]
    assert polls == [
        [("a", True), ("b", True)],
        [("c", True), ("d", True)],
        [("e", True)],
        [],
    ]


@pytest.mark.parametrize(
    ("hours_later", "revisited"),
    [
        (40, [("pasar", True), ("sekolah", True)]),
        (49, []),  # both last announcements are then past the 48 h window: ignored
    ],
)
async def test_updates_are_revisited_only_inside_the_window(
    site: Site, fetcher: HttpxSourceFetcher, hours_later: int, revisited: list[tuple[str, bool]]
) -> None:
    clock = Clock()
    site.put("/kilat/sitemap.xml", urlset(site, {"pasar": NOW - HOUR, "sekolah": NOW - 2 * HOUR}))
    discovery = _discovery(
        site, fetcher, SeenStore(), clock, feeds=(), sitemaps=("/kilat/sitemap.xml",)
    )
    await discovery.poll_once()
    clock.now = NOW + hours_later * HOUR
    later = {"pasar": clock.now - 60, "sekolah": clock.now - 120}
    site.put("/kilat/sitemap.xml", urlset(site, later))
    assert _slugs(await discovery.poll_once()) == revisited


async def test_revisits_can_be_switched_off(site: Site, fetcher: HttpxSourceFetcher) -> None:
    clock = Clock()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - 3 * HOUR, "sekolah": NOW - 2 * HOUR}))
    discovery = _discovery(site, fetcher, SeenStore(), clock, revisit_updates=False)
    await discovery.poll_once()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - HOUR, "sekolah": NOW - 2 * HOUR}))
    assert await discovery.poll_once() == []


async def test_revisits_are_counted(site: Site, fetcher: HttpxSourceFetcher) -> None:
    def count() -> float:
        labels = {"portal": "kilat", "source": "feed"}
        return metrics.REGISTRY.get_sample_value("kabar_revisits_total", labels) or 0.0

    clock = Clock()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - 3 * HOUR, "sekolah": NOW - 2 * HOUR}))
    discovery = _discovery(site, fetcher, SeenStore(), clock)
    await discovery.poll_once()
    before = count()
    site.put("/kilat/feed", rss(site, {"pasar": NOW - HOUR, "sekolah": NOW - 90 * 60}))
    await discovery.poll_once()
    assert count() - before == 2


# --- pure helpers -------------------------------------------------------------


def test_announced_is_the_newest_date_a_link_carries() -> None:
    link = Link("https://k.example.id/a", None, "2026-05-01T01:00:00+00:00", "2026-05-01T03:00:00Z")
    assert announced(link) == datetime(2026, 5, 1, 3, tzinfo=UTC).timestamp()
    assert announced(Link("https://k.example.id/b")) is None


def test_one_stamp_for_all_needs_two_equal_dated_links() -> None:
    same = "2026-05-01T03:00:00+00:00"
    a, b = (
        Link("https://k.example.id/a", updated=same),
        Link("https://k.example.id/b", updated=same),
    )
    assert one_stamp_for_all([a, b])
    assert not one_stamp_for_all([a])
    assert not one_stamp_for_all([a, Link("https://k.example.id/c")])
    assert one_stamp_for_all([a, Link("https://k.example.id/c"), b])
    assert not one_stamp_for_all([a, Link("https://k.example.id/d", updated="2026-05-01")])


def test_generation_stamps_are_dropped_only_when_recent_and_shared() -> None:
    def links(*stamps: str | None) -> list[Link]:
        return [Link(f"https://k.example.id/{i}", updated=s) for i, s in enumerate(stamps)]

    recent, old = "2026-05-01T11:59:00+00:00", "2025-01-01T00:00:00+00:00"
    assert [
        link.updated for link in without_generation_stamps(links(recent, recent), NOW - HOUR)
    ] == [
        None,
        None,
    ]
    # An old shared stamp still marks the entries as stale for the age filter.
    kept = without_generation_stamps(links(old, old), NOW - HOUR)
    assert [link.updated for link in kept] == [old, old]
    mixed = without_generation_stamps(links(recent, old), NOW - HOUR)
    assert [link.updated for link in mixed] == [recent, old]
    assert without_generation_stamps(links(recent), NOW - HOUR)[0].updated == recent
    some_undated = without_generation_stamps(links(recent, None, recent), NOW - HOUR)
    assert [link.updated for link in some_undated] == [None, None, None]


async def test_a_feed_stamping_every_entry_with_its_build_time_floods_nothing(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    clock = Clock()
    published = {"pasar": NOW - 3 * HOUR, "sekolah": NOW - 2 * HOUR, "jembatan": NOW - HOUR}
    site.put("/kilat/feed", atom(site, {s: (p, NOW - 60) for s, p in published.items()}))
    discovery = _discovery(site, fetcher, SeenStore(), clock)
    assert len(await discovery.poll_once()) == 3
    for minutes in (10, 20):
        clock.now = NOW + minutes * 60
        built = clock.now - 5
        site.put("/kilat/feed", atom(site, {s: (p, built) for s, p in published.items()}))
        assert await discovery.poll_once() == []


async def test_one_generated_child_of_an_index_floods_nothing(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    """The index's children are merged into one poll: the guard works per child file."""
    clock = Clock()
    xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    children = "".join(
        f"<sitemap><loc>{site.url(path)}</loc></sitemap>"
        for path in ("/kilat/generated.xml", "/kilat/dated.xml")
    )
    index = f'<sitemapindex xmlns="{xmlns}">{children}</sitemapindex>'.encode()
    site.put("/kilat/index.xml", Page(index, XML_TYPE))
    generated = ("pasar", "sekolah", "jembatan")
    dated = {"gempa": NOW - 5 * HOUR, "banjir": NOW - 4 * HOUR}
    site.put("/kilat/generated.xml", urlset(site, dict.fromkeys(generated, NOW - 60)))
    site.put("/kilat/dated.xml", urlset(site, dated))
    discovery = _discovery(
        site, fetcher, SeenStore(), clock, feeds=(), sitemaps=("/kilat/index.xml",)
    )
    assert len(await discovery.poll_once()) == 5
    clock.now = NOW + 600
    site.put("/kilat/generated.xml", urlset(site, dict.fromkeys(generated, clock.now - 5)))
    site.put("/kilat/dated.xml", urlset(site, {**dated, "banjir": NOW - 60}))
    assert _slugs(await discovery.poll_once()) == [("banjir", True)]
