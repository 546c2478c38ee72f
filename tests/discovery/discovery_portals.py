"""Invented Indonesian portals served by the local test server.

Every portal lives under its own path prefix on one 127.0.0.1 server:
``warta`` (RSS + ETag), ``atomia`` (Atom + Last-Modified, with AMP/tracker
variants), ``rumah`` (home page announcing its feed), ``peta`` (sitemap index
with a news sitemap, a gzip'd sitemap and a stale child), ``daftar`` (explicit
URLs) and ``rusak`` (a feed that answers 500).
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

from kabar.settings import DiscoverySettings, PortalConfig
from tests.discovery.discovery_http import Page, Site

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC).timestamp()
RSS_TYPE = "application/rss+xml; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"


def settings(**changes: object) -> DiscoverySettings:
    base = DiscoverySettings(max_age_hours=48, poll_interval_s=300, min_poll_interval_s=60)
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def portals(site: Site) -> list[PortalConfig]:
    return [
        PortalConfig("warta", feeds=[site.url("/warta/rss.xml")]),
        PortalConfig("atomia", feeds=[site.url("/atomia/feed.atom")]),
        PortalConfig("rumah", sections=[site.url("/rumah/")]),
        PortalConfig("peta", sitemaps=[site.url("/peta/sitemap.xml")]),
        PortalConfig("daftar", urls=[site.url("/daftar/read/9001/arsip-lama")]),
        PortalConfig("rusak", feeds=[site.url("/rusak/rss.xml")]),
    ]


def install(site: Site) -> None:
    site.put("/warta/rss.xml", Page(warta_rss(site), RSS_TYPE, etag='"warta-1"'))
    site.put(
        "/atomia/feed.atom",
        Page(atomia_feed(site), "application/atom+xml", last_modified=_LAST_MODIFIED),
    )
    site.put("/rumah/", Page(rumah_home(site)))
    site.put("/rumah/rss", Page(rumah_rss(site), RSS_TYPE))
    site.put("/peta/sitemap.xml", Page(peta_index(site), XML_TYPE))
    site.put("/peta/news.xml", Page(peta_news(site), XML_TYPE))
    site.put("/peta/2026-05.xml.gz", Page(gzip.compress(peta_monthly(site)), "application/gzip"))
    site.put("/peta/2025-01.xml", Page(peta_monthly(site), XML_TYPE))
    site.put("/rusak/rss.xml", Page(b"", status=500))


_LAST_MODIFIED = "Fri, 01 May 2026 04:00:00 GMT"


def _item(link: str, title: str, date: str | None = None) -> str:
    when = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>{title}</title><link>{link}</link>{when}</item>"


def warta_rss(site: Site, *extra: str) -> bytes:
    items = [
        *extra,
        _item(
            site.url("/warta/read/2026/05/01/1001/banjir-rob-rendam-pesisir"),
            "Banjir rob rendam pesisir utara",
            "Fri, 01 May 2026 17:00:00 +0700",
        ),
        _item(
            site.url(
                "/warta/read/2026/05/01/1002/harga-cabai-naik?utm_source=rss&amp;utm_medium=x"
            ),
            "Harga cabai naik menjelang hari raya",
            "Fri, 01 May 2026 08:30:00 +0700",
        ),
        _item(
            site.url("/warta/read/2026/04/20/999/berita-lama-sekali"),
            "Berita sepekan lalu",
            "Mon, 20 Apr 2026 09:00:00 +0700",
        ),
        _item(site.url("/warta/read/1003/tanpa-tanggal"), "Tulisan tanpa tanggal"),
    ]
    return f'<rss version="2.0"><channel>{"".join(items)}</channel></rss>'.encode()


def atomia_feed(site: Site) -> bytes:
    def entry(path: str, title: str, published: str) -> str:
        return (
            f'<entry><title>{title}</title><link rel="alternate" href="{site.url(path)}"/>'
            f"<published>{published}</published></entry>"
        )

    entries = [
        entry("/atomia/berita/2001/pilkades-serentak", "Pilkades serentak", "2026-05-01T05:00:00Z"),
        entry(
            "/atomia/berita/2001/pilkades-serentak/amp?utm_campaign=a", "AMP", "2026-05-01T05:00Z"
        ),
        entry("/atomia/berita/2002/sekolah-rusak", "Sekolah rusak", "2026-04-30T20:00:00+07:00"),
        entry("/atomia/berita/2000/kabar-usang", "Kabar usang", "2026-04-01T00:00:00Z"),
    ]
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Atomia</title>{"".join(entries)}</feed>'
    ).encode()


def rumah_home(site: Site) -> bytes:
    absolute = site.url("/rumah/read/2026/05/01/3001/jalan-desa-rusak-parah")
    return f"""<!doctype html><html><head><title>Rumah Berita</title>
<link rel="alternate" type="application/rss+xml" title="Terkini" href="/rumah/rss">
</head><body>
<a href="/rumah/kanal/olahraga">Olahraga</a>
<a href="/rumah/tag/jalan">#jalan</a>
<a href="{absolute}">Jalan desa rusak parah</a>
<a href="/rumah/read/2026/05/01/3002/pasar-murah-digelar?utm_source=beranda">Pasar murah</a>
</body></html>""".encode()


def rumah_rss(site: Site) -> bytes:
    items = [
        _item(site.url("/rumah/read/2026/05/01/3002/pasar-murah-digelar"), "Pasar murah digelar"),
        _item(site.url("/rumah/read/2026/05/01/3003/lomba-perahu-hias"), "Lomba perahu hias"),
    ]
    return f'<rss version="2.0"><channel>{"".join(items)}</channel></rss>'.encode()


def peta_index(site: Site) -> bytes:
    def child(path: str, lastmod: str) -> str:
        return f"<sitemap><loc>{site.url(path)}</loc><lastmod>{lastmod}</lastmod></sitemap>"

    children = [
        child("/peta/2025-01.xml", "2025-01-31T23:00:00Z"),
        child("/peta/news.xml", "2026-05-01T11:00:00Z"),
        child("/peta/2026-05.xml.gz", "2026-05-01T10:00:00Z"),
    ]
    return (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{''.join(children)}</sitemapindex>"
    ).encode()


def peta_news(site: Site) -> bytes:
    def url(path: str, title: str, published: str) -> str:
        return (
            f"<url><loc>{site.url(path)}</loc><news:news><news:publication_date>{published}"
            f"</news:publication_date><news:title>{title}</news:title></news:news></url>"
        )

    urls = [
        url("/peta/berita/4001/gunung-erupsi", "Gunung erupsi lagi", "2026-05-01T18:00:00+07:00"),
        url("/peta/berita/4000/arsip-erupsi", "Arsip erupsi", "2026-04-10T18:00:00+07:00"),
    ]
    return (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{''.join(urls)}</urlset>"
    ).encode()


def peta_monthly(site: Site) -> bytes:
    def url(path: str, lastmod: str) -> str:
        return f"<url><loc>{site.url(path)}</loc><lastmod>{lastmod}</lastmod></url>"

    urls = [
        url("/peta/berita/4001/gunung-erupsi", "2026-05-01T11:05:00Z"),
        url("/peta/berita/4002/festival-layang-layang", "2026-05-01T07:00:00Z"),
        url("/peta/berita/3999/cerita-bulan-lalu", "2026-03-30T07:00:00Z"),
    ]
    return (
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{"".join(urls)}</urlset>'
    ).encode()
