"""robots.txt parsing, matching and the per-origin cache."""

from __future__ import annotations

import pytest

from kabar.errors import HTTPStatusError, NetworkError
from kabar.fetch.robots import RobotsCache, parse_robots, product_token

UA = "KabarBot/0.1 (+https://github.com/kabar-news/kabar; news ingest)"


def allowed(robots: str, path: str, ua: str = UA) -> bool:
    return parse_robots(robots, ua).allows(path)


def test_product_token() -> None:
    assert product_token(UA) == "kabarbot"
    assert product_token("Mozilla/5.0 (X11)") == "mozilla"
    assert product_token("") == product_token("/1.0") == ""


def test_our_group_beats_the_star_group() -> None:
    robots = "User-agent: *\nDisallow: /\n\nUser-agent: kabarbot\nDisallow: /admin\n"
    assert allowed(robots, "/berita/1")
    assert not allowed(robots, "/admin/x")
    assert not allowed(robots, "/berita/1", ua="OtherBot/1.0")


def test_groups_for_the_same_agent_are_merged() -> None:
    robots = "User-agent: KabarBot\nDisallow: /a\n\nUser-agent: kabarbot\nDisallow: /b\n"
    assert not allowed(robots, "/a") and not allowed(robots, "/b") and allowed(robots, "/c")


def test_consecutive_user_agent_lines_share_rules() -> None:
    robots = "User-agent: googlebot\nUser-agent: KabarBot\nDisallow: /x\n"
    assert not allowed(robots, "/x/1")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/rahasia/", False),
        ("/rahasia/terbuka/berita", True),
        ("/rahasia/terbuka", False),  # "/rahasia/terbuka/" does not match
        ("/publik", True),
    ],
)
def test_longest_match_wins(path: str, expected: bool) -> None:
    robots = "User-agent: *\nDisallow: /rahasia/\nAllow: /rahasia/terbuka/\n"
    assert allowed(robots, path) is expected


def test_allow_wins_a_tie() -> None:
    assert allowed("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/cari?q=banjir", False),
        ("/berita/2024/cetak", False),
        ("/berita/2024/cetak/lengkap", True),
        ("/dok/laporan.pdf", False),
        ("/dok/laporan.pdf?v=2", True),
        ("/dok/laporan.html", True),
    ],
)
def test_wildcards_and_end_anchor(path: str, expected: bool) -> None:
    robots = "User-agent: *\nDisallow: /*?q=\nDisallow: /berita/*/cetak$\nDisallow: /*.pdf$\n"
    assert allowed(robots, path) is expected


def test_empty_disallow_allows_everything() -> None:
    assert allowed("User-agent: *\nDisallow:\n", "/apa/saja")


def test_comments_case_and_unknown_lines() -> None:
    robots = "# komentar\nUSER-AGENT: *   # semua\nDISALLOW: /x # tidak\nNoindex: /y\n"
    assert not allowed(robots, "/x") and allowed(robots, "/y")


def test_percent_encoding_is_normalized() -> None:
    robots = "User-agent: *\nDisallow: /berita%20lama\nDisallow: /kategori/ekonomi\n"
    assert not allowed(robots, "/berita lama/1")
    assert not allowed(robots, "/kategori/%65konomi")


def test_full_urls_are_matched_by_path_and_query() -> None:
    policy = parse_robots("User-agent: *\nDisallow: /*?page=\n", UA)
    assert not policy.allows("https://berita.test/a?page=2")
    assert policy.allows("https://berita.test/a")


def test_robots_txt_itself_is_always_allowed() -> None:
    assert allowed("User-agent: *\nDisallow: /\n", "/robots.txt")


def test_crawl_delay_and_sitemaps() -> None:
    robots = (
        "Sitemap: https://berita.test/sitemap.xml\n"
        "User-agent: *\nCrawl-delay: 10\n\n"
        "User-agent: KabarBot\nCrawl-delay: 2.5\nDisallow: /x\n"
        "Sitemap: https://berita.test/news.xml\n"
    )
    policy = parse_robots(robots, UA)
    assert policy.crawl_delay == 2.5
    assert policy.sitemaps == ("https://berita.test/sitemap.xml", "https://berita.test/news.xml")
    assert parse_robots("User-agent: *\nCrawl-delay: soon\n", UA).crawl_delay is None


def test_no_matching_group_allows_everything() -> None:
    assert allowed("User-agent: OtherBot\nDisallow: /\n", "/a")


class FakeLoader:
    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.calls: list[str] = []

    async def __call__(self, url: str) -> str:
        self.calls.append(url)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_cache_fetches_once_per_origin_until_expiry() -> None:
    loader, clock = FakeLoader("User-agent: *\nDisallow: /x\n"), Clock()
    cache = RobotsCache(loader, UA, ttl_s=60, unreachable_s=5, clock=clock)
    assert not (await cache.policy("https://a.test/x/1")).allows("/x/1")
    await cache.policy("https://a.test/y")
    await cache.policy("https://b.test/y")
    assert loader.calls == ["https://a.test/robots.txt", "https://b.test/robots.txt"]
    clock.now += 61
    await cache.policy("https://a.test/y")
    assert len(loader.calls) == 3


@pytest.mark.parametrize(
    ("error", "allows", "unreachable"),
    [
        (HTTPStatusError(status=404), True, None),
        (HTTPStatusError(status=403), True, None),
        (HTTPStatusError(status=503), False, None),
        (HTTPStatusError(status=429), False, None),
        (NetworkError(reason="connect_error"), False, "connect_error"),
    ],
)
async def test_unavailable_robots(error: Exception, allows: bool, unreachable: str | None) -> None:
    loader, clock = FakeLoader(error), Clock()
    cache = RobotsCache(loader, UA, ttl_s=3600, unreachable_s=5, clock=clock)
    policy = await cache.policy("https://a.test/")
    assert policy.allows("/berita") is allows
    assert policy.unreachable == unreachable
    clock.now += 6
    await cache.policy("https://a.test/")
    # Failures are retried after `unreachable_s`; 4xx answers are kept for the full TTL.
    assert len(loader.calls) == (1 if allows else 2)
