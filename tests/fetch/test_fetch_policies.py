"""Pure units: the rate limiter's schedule, backoff, Retry-After, address checks,
and per-hop safety through redirects (httpx.MockTransport, no sockets)."""

from __future__ import annotations

import httpx
import pytest

from kabar.errors import BlockedError, HTTPStatusError, NetworkError
from kabar.fetch import Fetcher
from kabar.fetch.netguard import NetGuard, is_public, parse_target
from kabar.fetch.ratelimit import HostLimiter
from kabar.fetch.retry import RetryPolicy, is_retryable, parse_retry_after
from kabar.models import FetchRequest
from kabar.settings import FetchSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def starts(limiter: HostLimiter, clock: Clock, n: int) -> list[float]:
    """Start times booked by ``n`` callers arriving together."""
    return [round(clock.now + limiter.reserve(), 6) for _ in range(n)]


async def test_bucket_allows_a_burst_then_spaces_requests() -> None:
    clock = Clock()
    limiter = HostLimiter(rate=4.0, burst=2, concurrency=1, clock=clock)
    assert starts(limiter, clock, 5) == [100.0, 100.0, 100.25, 100.5, 100.75]


async def test_bucket_refills_while_idle() -> None:
    clock = Clock()
    limiter = HostLimiter(rate=4.0, burst=2, concurrency=1, clock=clock)
    starts(limiter, clock, 2)
    clock.now += 10
    assert starts(limiter, clock, 3) == [110.0, 110.0, 110.25]


async def test_crawl_delay_widens_spacing_and_removes_burst() -> None:
    clock = Clock()
    limiter = HostLimiter(rate=4.0, burst=3, concurrency=1, clock=clock)
    limiter.set_crawl_delay(2.0)
    assert starts(limiter, clock, 3) == [100.0, 102.0, 104.0]
    limiter.set_crawl_delay(None)
    assert limiter.interval == 0.25


async def test_push_back_delays_everyone() -> None:
    clock = Clock()
    limiter = HostLimiter(rate=10.0, burst=1, concurrency=1, clock=clock)
    limiter.push_back(30.0)
    assert starts(limiter, clock, 2) == [130.0, 130.1]


def test_backoff_is_capped_full_jitter() -> None:
    top = RetryPolicy(retries=5, base_s=0.5, max_s=4.0, retry_after_max_s=60, rand=lambda: 1.0)
    assert [top.delay(a) for a in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    low = RetryPolicy(retries=5, base_s=0.5, max_s=4.0, retry_after_max_s=60, rand=lambda: 0.0)
    assert low.delay(3) == 0.0
    assert top.attempts == 6


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(retries=3, base_s=0.5, max_s=4.0, retry_after_max_s=60, rand=lambda: 0.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=3600.0) == 60.0


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    now = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now=now) == 60.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_what_is_retryable() -> None:
    assert is_retryable(NetworkError(reason="timeout"))
    assert is_retryable(NetworkError(reason="connect_error"))
    assert not is_retryable(NetworkError(reason="dns_failure"))
    assert is_retryable(HTTPStatusError(status=503))
    assert is_retryable(HTTPStatusError(status=429))
    assert not is_retryable(HTTPStatusError(status=404))
    assert not is_retryable(BlockedError(reason="robots_disallowed"))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("ff02::1", False),
        # IPv6 forms that wrap an IPv4 address are judged by the address they wrap.
        ("::ffff:8.8.8.8", True),
        ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::169.254.169.254", False),
        ("::8.8.8.8", True),
        ("64:ff9b::127.0.0.1", False),  # NAT64 well-known prefix
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::192.168.0.1", False),
        ("64:ff9b::8.8.8.8", True),
        ("64:ff9b:1::10.0.0.1", False),  # NAT64 local use, /96 reading
        ("64:ff9b:1:7f00:0:100::", False),  # NAT64 local use, RFC 6052 /48 reading
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", False),
        ("2002:a9fe:a9fe::", False),
        ("2002:808:808::", True),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo client 10.0.0.1
        ("2001:0:7f00:1:8000:63bf:f7f6:fdfe", False),  # Teredo server 127.0.0.1
        ("2001:0:808:808:8000:63bf:f7f7:f7f7", True),  # server and client 8.8.8.8
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize("wrapped", ["64:ff9b::7f00:1", "::7f00:1", "2002:7f00:1::1"])
async def test_guard_refuses_names_resolving_to_wrapped_loopback(wrapped: str) -> None:
    guard = NetGuard(allow_private=False, static_hosts=[f"evil.test={wrapped}"])
    with pytest.raises(BlockedError) as info:
        await guard.check("http://evil.test/")
    assert info.value.reason == "private_address"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://a.test/x",
        "javascript:alert(1)",
        "http:///x",
        "http://a.test:99999/",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(BlockedError) as info:
        parse_target(url)
    assert info.value.reason == "bad_url"


def test_parse_target_defaults_ports() -> None:
    assert parse_target("https://Berita.Test./a").port == 443
    assert parse_target("https://Berita.Test./a").host == "berita.test"
    assert parse_target("http://a.test:8080/").port == 8080


async def test_guard_resolves_before_judging() -> None:
    with pytest.raises(BlockedError) as info:
        await NetGuard(allow_private=False).check("http://localhost:1/")
    assert info.value.reason == "private_address"
    assert (await NetGuard(allow_private=True).check("http://localhost:1/")).host == "localhost"


# --- per-hop checks through redirects (mocked: a public IP literal never leaves the process)


def redirecting(location: str) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(302, headers={"Location": location})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://127.0.0.1/admin", "private_address"),
        ("http://localhost:8080/", "private_address"),
        ("http://169.254.169.254/latest/meta-data/", "private_address"),
        ("file:///etc/passwd", "bad_url"),
        ("mailto:redaksi@berita.test", "bad_url"),
        ("http://[::1/", "bad_url"),
        ("//[bad", "bad_url"),  # httpx takes it; joined, it is no URL
        ("http://xn--/", "bad_url"),  # a host no IDNA decoding accepts
    ],
)
async def test_every_redirect_hop_is_checked(location: str, reason: str) -> None:
    settings = FetchSettings(allow_private_addresses=False, retries=0)
    async with Fetcher(settings, transport=redirecting(location)) as fetcher:
        with pytest.raises(BlockedError) as info:
            await fetcher.fetch(FetchRequest(url="http://93.184.216.34/berita", portal="mock"))
    assert info.value.reason == reason
    assert info.value.url == "http://93.184.216.34/berita"
