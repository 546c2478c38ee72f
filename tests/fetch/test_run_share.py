"""The politeness the processes of one run share (``kabar.fetch.runshare``): each
``RunShare`` here stands for one process of a run, all on one folder (``kabar run
--processes N``) or one real redis-server (the distributed roles). A pause one process
was told holds the host for the others, discovery's requests come off the crawl
processes' shares, and robots.txt is fetched once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from kabar.errors import HTTPStatusError
from kabar.fetch import Fetcher
from kabar.fetch.ratelimit import HostLimiter, RateLimiter
from kabar.fetch.robots import RobotsCache
from kabar.fetch.robotshare import RobotsFolder
from kabar.fetch.runshare import RunShare
from kabar.metrics import REGISTRY
from kabar.models import FetchRequest
from kabar.settings import FetchSettings
from tests.dedup.conftest import redis_url
from tests.fetch.server import LocalServer, Reply, Seen, html_reply

__all__ = ["redis_url"]  # the fixture, for the Redis cases

UA = "KabarBot/0.1"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


Opener = Callable[..., RunShare]


@pytest.fixture(params=["folder", "redis"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens one process's share of a run: ``opener(discovery=...)``."""
    if request.param == "folder":
        return lambda discovery=False: RunShare.open(tmp_path, discovery=discovery)
    url = request.getfixturevalue("redis_url")
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    return lambda discovery=False: RunShare.redis(url, prefix, discovery=discovery)


def limiter(share: RunShare, host_share: float = 1.0) -> RateLimiter:
    return RateLimiter(2.0, 2, 2, host_share, board=share.board, discovery=share.discovery,
                       slots=share.slots)


def test_a_pause_one_process_gets_holds_the_host_in_the_others(opener: Opener) -> None:
    told, other = opener(), opener()
    here, there = limiter(told, 0.5), limiter(other, 0.5)
    received = sample("kabar_host_pauses_received_total", reason="rate_limited")
    applied = sample("kabar_host_pauses_applied_total", reason="rate_limited")

    here.host("news.test").push_back(30.0, "rate_limited")
    assert there.host("news.test").reserve() == 0  # not looked at the board yet
    there.catch_up()

    assert 29.0 < there.host("news.test").reserve() <= 30.0
    assert there.host("calm.test").reserve() == 0  # only the host that said so
    # Received once (where the 429 came), applied in both processes.
    assert sample("kabar_host_pauses_received_total", reason="rate_limited") == received + 1
    assert sample("kabar_host_pauses_applied_total", reason="rate_limited") == applied + 2
    here.catch_up()  # its own word is not applied twice
    assert sample("kabar_host_pauses_applied_total", reason="rate_limited") == applied + 2


def test_discovery_requests_come_off_the_crawl_processes_shares(opener: Opener) -> None:
    crawl = limiter(opener(), 0.5)
    discovery = limiter(opener(discovery=True))

    async def discover() -> None:
        async with discovery.host("news.test").slot():
            pass

    asyncio.run(discover())
    crawl.catch_up()
    # Its share is 1 request/s with a burst of one: a request of discovery (1/2 s of
    # the host's 2/s) is half of it, so its next request waits half a second.
    assert 0.45 < crawl.host("news.test").reserve() <= 0.5
    # Discovery is not charged for its own, nor for the crawl processes' requests.
    discovery.catch_up()
    assert discovery.host("news.test").reserve() == 0


def test_robots_txt_is_fetched_once_for_every_process_of_the_run(opener: Opener) -> None:
    loads: list[str] = []

    async def load(url: str) -> str:
        loads.append(url)
        await asyncio.sleep(0.05)  # the others ask meanwhile
        return "User-agent: *\nDisallow: /private\nCrawl-delay: 3\n"

    caches = [RobotsCache(load, UA, ttl_s=3600, unreachable_s=60,
                          shared=opener().robots) for _ in range(3)]

    async def ask_all() -> list[tuple[bool, float | None]]:
        policies = await asyncio.gather(*(c.policy("http://news.test/a") for c in caches))
        return [(p.allows("/private/x"), p.crawl_delay) for p in policies]

    assert asyncio.run(ask_all()) == [(False, 3.0)] * 3
    assert loads == ["http://news.test/robots.txt"]


def test_a_shared_robots_answer_expires_with_its_ttl(tmp_path: Path) -> None:
    now = [1000.0]
    loads: list[str] = []

    async def load(url: str) -> str:
        loads.append(url)
        return f"User-agent: *\nDisallow: /v{len(loads)}\n"

    folder = RobotsFolder(tmp_path, clock=lambda: now[0])
    first = RobotsCache(load, UA, ttl_s=100, unreachable_s=10, shared=folder,
                        clock=lambda: now[0])
    later = RobotsCache(load, UA, ttl_s=100, unreachable_s=10, shared=folder,
                        clock=lambda: now[0])

    assert not asyncio.run(first.policy("http://news.test/")).allows("/v1")
    now[0] += 99
    assert not asyncio.run(later.policy("http://news.test/")).allows("/v1")  # shared
    now[0] += 2
    assert not asyncio.run(later.policy("http://news.test/")).allows("/v2")  # asked again
    assert len(loads) == 2


def test_a_process_started_later_keeps_to_what_still_holds_only(opener: Opener) -> None:
    """A crawl process started again reads the board from its beginning: pauses that
    ended and discovery's requests long past hold nothing up."""
    now = [1000.0]
    earlier = opener(discovery=True)
    earlier.board.clock = lambda: now[0]
    for _ in range(50):
        earlier.board.debit("news.test")
    earlier.board.pause("news.test", 10.0, "rate_limited")
    earlier.board.pause("calm.test", 100.0, "rate_limited")
    now[0] += 30
    later = opener()
    later.board.clock = lambda: now[0]
    crawl = limiter(later, 0.5)
    applied = sample("kabar_host_pauses_applied_total", reason="rate_limited")

    crawl.catch_up()

    assert crawl.host("news.test").reserve() == 0
    assert 69.0 < crawl.host("calm.test").reserve() <= 70.0  # still paused
    assert sample("kabar_host_pauses_applied_total", reason="rate_limited") == applied + 1


def test_a_retry_after_one_fetcher_gets_holds_the_other_processes_fetcher(
    server: LocalServer, settings: FetchSettings, opener: Opener
) -> None:
    """Two fetchers, as of two processes of one run: the first is told to wait a
    second, the other asks the same host for another page right after."""
    answers = iter([Reply(429, b"", {"Retry-After": "1"})])

    def busy(seen: Seen) -> Reply:
        return next(answers, html_reply("<html><body>ok</body></html>"))

    server.route("/busy", busy)
    server.route("/other", html_reply("<html><body>ok</body></html>"))
    once = dataclasses.replace(settings, retries=0)

    async def scenario() -> None:
        async with Fetcher(once, share=opener()) as told, \
                Fetcher(once, share=opener()) as other:
            with pytest.raises(HTTPStatusError):
                await told.fetch(FetchRequest(server.url("/busy"), "p"))
            await other.fetch(FetchRequest(server.url("/other"), "p"))

    asyncio.run(scenario())
    assert server.times("/other")[0] - server.times("/busy")[0] >= 1.0


def test_the_hosts_slots_hold_for_every_process_of_the_run(tmp_path: Path) -> None:
    """Two processes' limiters, each with the host's two slots of its own: together
    they hold two. A request that steps aside (parked) gives its run slot back too."""
    discovery = limiter(RunShare.open(tmp_path, discovery=True))
    crawl = limiter(RunShare.open(tmp_path))

    async def scenario() -> None:
        async with contextlib.AsyncExitStack() as held:
            await held.enter_async_context(discovery.host("news.test").slot())
            lease = await held.enter_async_context(crawl.host("news.test").slot())
            with pytest.raises(TimeoutError):  # a third: the host's two are taken
                await asyncio.wait_for(_enter(discovery.host("news.test")), 0.2)
            lease.step_aside()
            await _enter(discovery.host("news.test"))  # the parked one's slot
            await _enter(crawl.host("calm.test"))  # another host has its own

    asyncio.run(scenario())


async def _enter(host: HostLimiter) -> None:
    async with host.slot():
        pass


def test_a_process_may_take_the_slots_its_other_processes_leave_free(tmp_path: Path) -> None:
    """Two crawl processes with half of a host each: one alone may hold both of the
    host's slots (an article's further pages at once); with the other holding one, its
    second waits until that one is given back; never three."""
    here, there = (_unpaced(RunShare.open(tmp_path)) for _ in range(2))

    async def scenario() -> None:
        async with contextlib.AsyncExitStack() as held:
            await held.enter_async_context(here.host("news.test").slot())
            await asyncio.wait_for(held.enter_async_context(here.host("news.test").slot()), 1)
            with pytest.raises(TimeoutError):  # the host's two are this process's now
                await asyncio.wait_for(_enter(there.host("news.test")), 0.2)
        async with contextlib.AsyncExitStack() as held:
            lease = await held.enter_async_context(there.host("news.test").slot())
            await held.enter_async_context(here.host("news.test").slot())
            waiting = asyncio.create_task(_enter(here.host("news.test")))
            await asyncio.sleep(0.1)
            assert not waiting.done()  # the other process holds the host's second slot
            lease.step_aside()
            await asyncio.wait_for(waiting, 1)

    asyncio.run(scenario())


def test_without_the_runs_slots_a_process_keeps_to_its_share(tmp_path: Path) -> None:
    alone = _unpaced(dataclasses.replace(RunShare.open(tmp_path), slots=None))

    async def scenario() -> None:
        async with alone.host("news.test").slot():
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(_enter(alone.host("news.test")), 0.2)

    asyncio.run(scenario())


def _unpaced(share: RunShare) -> RateLimiter:
    """Half of each host's two slots, its rate no bound (only the slots are tested)."""
    return RateLimiter(1e6, 1000, 2, 0.5, board=share.board, slots=share.slots)
