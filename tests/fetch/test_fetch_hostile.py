"""Hostile answers of one host against the real fetcher on a local server: huge or
gzip-bomb robots.txt (read as far as RFC 9309 asks, not "disallow everything"),
gzip inside gzip, and a Retry-After far in the future."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest

from kabar.discovery.sitemaps import parse_sitemap
from kabar.errors import ContentError, HTTPStatusError
from kabar.fetch.body import MAX_GZIP_LAYERS
from kabar.fetch.client import Fetcher
from kabar.fetch.robots import MAX_ROBOTS_BYTES
from kabar.models import FetchRequest
from kabar.settings import FetchSettings
from tests.fetch.hostile import RSS_LIMIT_MB, gzip_in_gzip, peak_rss_mb
from tests.fetch.server import LocalServer, Reply, html_reply

RULES = b"User-agent: *\nDisallow: /rahasia\nSitemap: http://127.0.0.1/peta.xml\n"
PAGE = "<html><body><p>Isi berita</p></body></html>"


def fifty_megabytes() -> Iterator[bytes]:
    yield RULES
    line = b"# " + b"baris komentar panjang " * 40 + b"\n"
    for _ in range(50 * 1024 * 1024 // len(line)):
        yield line


@pytest.mark.parametrize("kind", ["huge", "gzip_bomb"])
async def test_an_oversized_robots_txt_is_read_to_its_first_500_kib(
    server: LocalServer, settings: FetchSettings, kind: str
) -> None:
    if kind == "huge":
        server.route("/robots.txt", Reply(200, fifty_megabytes(), {"Content-Type": "text/plain"}))
    else:
        bomb = gzip.compress(RULES + b"\n" * (20 * 1024 * 1024), compresslevel=9)
        server.route("/robots.txt", Reply(200, bomb, {"Content-Type": "text/plain",
                                                      "Content-Encoding": "gzip"}))
    server.route("/berita/1", html_reply(PAGE))
    async with Fetcher(settings) as fetcher:
        result = await fetcher.fetch(FetchRequest(server.url("/berita/1"), "p"))
        policy = await fetcher.robots(server.url("/"))
        with pytest.raises(Exception) as info:
            await fetcher.fetch(FetchRequest(server.url("/rahasia/2"), "p"))
    assert result.status == 200
    assert getattr(info.value, "reason", None) == "robots_disallowed"
    assert policy.sitemaps == ("http://127.0.0.1/peta.xml",)
    if kind == "huge":  # reading stopped early: far less than 50 MB went over the wire
        assert server.sent.get("/robots.txt", 0) < 20 * MAX_ROBOTS_BYTES


async def test_gzip_inside_gzip_sitemap_gives_its_links(
    server: LocalServer, settings: FetchSettings
) -> None:
    xml = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>http://127.0.0.1/berita/9</loc></url></urlset>")
    server.route("/peta.xml.gz", Reply(200, gzip_in_gzip(xml), {
        "Content-Type": "application/x-gzip", "Content-Encoding": "gzip"}))
    nested = xml
    for _ in range(MAX_GZIP_LAYERS + 2):
        nested = gzip.compress(nested)
    server.route("/dalam.xml.gz", Reply(200, nested, {"Content-Type": "application/x-gzip"}))
    async with Fetcher(settings) as fetcher:
        document = await fetcher.fetch_source(server.url("/peta.xml.gz"), "p")
        with pytest.raises(ContentError) as info:
            await fetcher.fetch_source(server.url("/dalam.xml.gz"), "p")
    links = parse_sitemap(document.text, document.url).links
    assert [link.url for link in links] == ["http://127.0.0.1/berita/9"]
    assert info.value.reason == "decompression_bomb"


async def test_a_far_retry_after_ends_the_fetch_and_pauses_the_host_only_briefly(
    server: LocalServer, settings: FetchSettings
) -> None:
    settings.retry_after_inline_max_s = 0.5
    settings.retry_after_host_max_s = 0.3
    server.route("/sibuk", Reply(503, b"", {"Retry-After": "999999"}))
    server.route("/berita/1", html_reply(PAGE))
    async with Fetcher(settings) as fetcher:
        started = time.monotonic()
        with pytest.raises(HTTPStatusError) as info:
            await fetcher.fetch(FetchRequest(server.url("/sibuk"), "p"))
        await fetcher.fetch(FetchRequest(server.url("/berita/1"), "p"))
        elapsed = time.monotonic() - started
    assert info.value.retry_after == 999999.0  # the caller decides when the URL comes back
    assert len(server.hits("/sibuk")) == 1
    assert 0.25 <= elapsed < 5.0  # the host waited its capped pause, not 120 s


def test_every_hostile_answer_ends_visibly_and_under_the_memory_goal() -> None:
    outcome = peak_rss_mb(
        "import asyncio\nfrom tests.fetch.hostile import fetch_every_hostile_case",
        "result = asyncio.run(fetch_every_hostile_case())",
    )
    assert outcome["result"] == {
        "robots_50mb": 200,
        "gzip_bomb": "decompression_bomb",
        "page_200mb": "too_large",
        "sitemap_1m": "too_many_entries",
        "feed_dtd": "xml_dtd_refused",
        "section_deep": "html_too_deep",
        "sitemap_gz_gz": 1,
    }
    assert isinstance(outcome["peak_mb"], float)
    assert outcome["peak_mb"] < RSS_LIMIT_MB, outcome
