"""Sitemap parsing: URL sets, news sitemaps, indexes, gzip, text; bounded crawling."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

import pytest

from kabar.discovery.dates import epoch_of
from kabar.discovery.sitemaps import (
    MAX_SITEMAP_BYTES,
    CrawlLimits,
    SitemapCrawler,
    gunzip_text,
    newest_children,
    parse_sitemap,
)
from kabar.errors import ContentError, FetchError, HTTPStatusError

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://n.example.id/berita/501/gempa-kecil</loc>
    <news:news>
      <news:publication><news:name>N</news:name><news:language>id</news:language></news:publication>
      <news:publication_date>2026-05-01T09:00:00+07:00</news:publication_date>
      <news:title>Gempa kecil guncang lereng gunung</news:title>
    </news:news>
  </url>
  <url><loc> https://n.example.id/berita/502/jalan-tol </loc><lastmod>2026-04-20</lastmod></url>
  <url><loc>mailto:redaksi@n.example.id</loc></url>
</urlset>"""

INDEX = """<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>/sm/lama.xml</loc><lastmod>2025-01-01T00:00:00Z</lastmod></sitemap>
  <sitemap><loc>/sm/tanpa-tanggal.xml</loc></sitemap>
  <sitemap><loc>/sm/baru.xml.gz</loc><lastmod>2026-05-01T00:00:00Z</lastmod></sitemap>
  <sitemap><loc>/sm/kemarin.xml</loc><lastmod>2026-04-30T00:00:00Z</lastmod></sitemap>
</sitemapindex>"""


def _urlset(*paths: str) -> str:
    body = "".join(f"<url><loc>https://n.example.id{p}</loc></url>" for p in paths)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'


def test_news_sitemap_titles_and_publication_dates() -> None:
    sitemap = parse_sitemap(NEWS, "https://n.example.id/sitemap-news.xml")
    assert sitemap.children == ()
    first, second = sitemap.links
    assert first.url == "https://n.example.id/berita/501/gempa-kecil"
    assert first.title == "Gempa kecil guncang lereng gunung"
    assert first.published == "2026-05-01T02:00:00+00:00"
    assert second.url == "https://n.example.id/berita/502/jalan-tol"
    assert (second.published, second.updated) == (None, "2026-04-19T17:00:00+00:00")


def test_index_children_are_resolved_against_the_index_url() -> None:
    sitemap = parse_sitemap(INDEX, "https://n.example.id/sitemap.xml")
    assert sitemap.links == ()
    assert [child.url for child in sitemap.children][:2] == [
        "https://n.example.id/sm/lama.xml",
        "https://n.example.id/sm/tanpa-tanggal.xml",
    ]


def test_newest_children_first_stale_skipped_and_bounded() -> None:
    children = parse_sitemap(INDEX, "https://n.example.id/sitemap.xml").children
    cutoff = epoch_of("2026-04-01T00:00:00+00:00")
    picked = newest_children(children, 10, cutoff)
    assert [child.url.rsplit("/", 1)[-1] for child in picked] == [
        "baru.xml.gz",
        "kemarin.xml",
        "tanpa-tanggal.xml",
    ]
    two = newest_children(children, 2, cutoff)
    assert [child.url for child in two] == [child.url for child in picked[:2]]


def test_gzip_text_round_trip_and_bomb_guard() -> None:
    packed = gzip.compress(_urlset("/berita/601/satu").encode()).decode("latin-1")
    (link,) = parse_sitemap(packed, "https://n.example.id/s.xml.gz").links
    assert link.url == "https://n.example.id/berita/601/satu"
    bomb = gzip.compress(b"<" * (MAX_SITEMAP_BYTES + 10), compresslevel=9).decode("latin-1")
    with pytest.raises(ContentError) as caught:
        gunzip_text(bomb)
    assert caught.value.reason == "decompression_bomb"


def test_broken_gzip_is_a_content_error() -> None:
    broken = "\x1f\x8b" + zlib.compress(b"bukan gzip").decode("latin-1")
    with pytest.raises(ContentError):
        gunzip_text(broken)


def test_text_sitemap_takes_only_url_lines() -> None:
    text = "https://n.example.id/berita/701/a\n\n  bukan url\n/relatif\nhttps://n.example.id/b\n"
    urls = [link.url for link in parse_sitemap(text, "https://n.example.id/s.txt").links]
    assert urls == ["https://n.example.id/berita/701/a", "https://n.example.id/b"]


@dataclass(frozen=True)
class _Doc:
    url: str
    text: str
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = "application/xml"


class _Docs:
    """Sitemaps by URL; ``unchanged`` URLs answer 304; unknown URLs fail."""

    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = docs
        self.unchanged: set[str] = set()
        self.fetched: list[str] = []
        self.failed: list[tuple[str, str, str]] = []

    async def fetch(self, url: str, portal: str) -> _Doc | None:
        self.fetched.append(url)
        if url in self.unchanged:
            return None
        if url not in self.docs:
            raise HTTPStatusError(status=404, url=url)
        return _Doc(url, self.docs[url])

    async def report(self, url: str, portal: str, exc: FetchError) -> None:
        self.failed.append((url, portal, exc.reason))


async def test_crawl_follows_indexes_within_depth_and_fan_out() -> None:
    docs = _Docs(
        {
            "https://n.example.id/root.xml": _index("/mid-a.xml", "/mid-b.xml", "/mid-c.xml"),
            "https://n.example.id/mid-a.xml": _index("/leaf-a.xml"),
            "https://n.example.id/mid-b.xml": _urlset("/berita/801/b"),
            "https://n.example.id/mid-c.xml": _urlset("/berita/802/c"),
            "https://n.example.id/leaf-a.xml": _urlset("/berita/803/terlalu-dalam"),
        }
    )
    crawler = SitemapCrawler(docs.fetch, docs.report, CrawlLimits(max_depth=1, max_children=2))
    links = await crawler.crawl("https://n.example.id/root.xml", "n", None)
    assert [link.url for link in links] == ["https://n.example.id/berita/801/b"]
    assert docs.fetched == [
        "https://n.example.id/root.xml",
        "https://n.example.id/mid-a.xml",
        "https://n.example.id/mid-b.xml",
    ]


async def test_unchanged_index_still_leads_to_its_children() -> None:
    docs = _Docs(
        {
            "https://n.example.id/index.xml": _index("/news.xml", "/hilang.xml"),
            "https://n.example.id/news.xml": _urlset("/berita/901/pertama"),
        }
    )
    crawler = SitemapCrawler(docs.fetch, docs.report, CrawlLimits())
    first = await crawler.crawl("https://n.example.id/index.xml", "n", None)
    assert [link.url for link in first] == ["https://n.example.id/berita/901/pertama"]
    assert docs.failed == [("https://n.example.id/hilang.xml", "n", "http_4xx")]
    docs.unchanged.add("https://n.example.id/index.xml")
    docs.docs["https://n.example.id/news.xml"] = _urlset("/berita/902/kedua")
    second = await crawler.crawl("https://n.example.id/index.xml", "n", None)
    assert [link.url for link in second] == ["https://n.example.id/berita/902/kedua"]


async def test_a_failing_root_sitemap_raises() -> None:
    docs = _Docs({})
    crawler = SitemapCrawler(docs.fetch, docs.report, CrawlLimits())
    with pytest.raises(HTTPStatusError):
        await crawler.crawl("https://n.example.id/tidak-ada.xml", "n", None)
    assert docs.failed == []


def _index(*paths: str) -> str:
    body = "".join(f"<sitemap><loc>{p}</loc></sitemap>" for p in paths)
    return f"<sitemapindex>{body}</sitemapindex>"
