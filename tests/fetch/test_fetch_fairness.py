"""A hostile portal costs only its own host slots: a healthy portal beside one that
answers 1 byte/s or never, and a URL told to come back later (Retry-After), with
the real fetcher, fetch queue and extractor against local servers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from kabar.extract import extract
from kabar.fetch.client import Fetcher
from kabar.http import ObservabilityServer
from kabar.models import Article, FetchRequest
from kabar.pipeline import Components, HostFairQueue, Pipeline
from kabar.publish import Outgoing
from kabar.settings import Settings
from tests.fetch.server import LocalServer, Reply, Seen, html_reply

_TEXT = ("warga desa menanam padi di sawah ketika hujan turun deras sejak pagi hari "
         "dan petani berharap panen tahun ini lebih baik dari musim lalu")
_WORDS = _TEXT.split(" ")
GOOD = 12


def article_html(n: int) -> str:
    paragraphs = "".join(
        "<p>" + " ".join(_WORDS[(i + j) % len(_WORDS)] for j in range(30)) + f" nomor {n}.</p>"
        for i in range(5)
    )
    title = f"Panen raya desa {n} dimulai"
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paragraphs}</article></body></html>")


def one_byte_per_second(_: Seen) -> Reply:
    def drip() -> Iterator[bytes]:
        yield b"<html><body>"
        for _ in range(120):
            time.sleep(1.0)
            yield b"x"

    return Reply(200, drip(), {"Content-Type": "text/html"})


class Listed:
    """Sources that hand the pipeline a fixed list, once or as a long-running source."""

    def __init__(self, requests: Sequence[FetchRequest]) -> None:
        self.requests = list(requests)

    async def poll_once(self) -> list[FetchRequest]:
        return list(self.requests)

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None:
        """One producer per portal, as discovery has one task per source."""
        portals = sorted({r.portal for r in self.requests})

        async def feed(portal: str) -> None:
            for request in self.requests:
                if request.portal == portal:
                    await out.put(request)

        tasks = [asyncio.create_task(feed(portal)) for portal in portals]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Recorder:
    """The broker seam: records what would be published (publishing is not under test)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, record: Outgoing) -> None:
        self.sent.append(record)

    def topics(self, topic: str) -> list[Outgoing]:
        return [r for r in self.sent if r.topic == topic]


def settings_for(tmp_path: Path) -> Settings:
    settings = Settings()
    f = settings.fetch
    f.allow_private_addresses = True
    f.static_hosts = ["good.test=127.0.0.1", "bad.test=127.0.0.1"]
    f.workers = 4
    f.per_host_concurrency = 2
    f.per_host_rate = 200.0
    f.per_host_burst = 10
    f.connect_timeout_s = 2.0
    f.read_timeout_s = 2.0
    f.total_timeout_s = 4.0
    f.retries = 1
    f.backoff_base_s = 0.01
    f.backoff_max_s = 0.05
    # Fewer places than the hostile portal has URLs: its requests must not fill them all.
    settings.pipeline.fetch_queue_size = 5
    settings.pipeline.spool_path = str(tmp_path / "spool.jsonl")
    settings.pipeline.drain_timeout_s = 0.5
    return settings


def _extract(html: str, url: str, portal: str) -> Article:
    return extract(html, url, portal=portal)


def _stitch(first: Article, _: Sequence[Article]) -> Article:
    return first


def _hash(paragraphs: Sequence[str]) -> str:
    return str(hash(tuple(paragraphs)))


def make_pipeline(settings: Settings, fetcher: Fetcher, requests: list[FetchRequest],
                  sender: Recorder) -> Pipeline:
    parts = Components(fetcher=fetcher, sources=Listed(requests), sender=sender,
                       extract=_extract, stitch=_stitch, content_hash=_hash)
    return Pipeline(settings, parts)


async def until(check: object, deadline_s: float) -> None:
    assert callable(check)
    end = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < end, "deadline passed"
        await asyncio.sleep(0.02)


async def probe_healthz(port: int, worst: list[float], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
        while not stop.is_set():
            started = time.monotonic()
            response = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert response.status_code == 200
            worst.append(time.monotonic() - started)
            await asyncio.sleep(0.05)


async def publish_good(tmp_path: Path, good: LocalServer, bad: LocalServer | None,
                       ) -> tuple[float, int]:
    """Seconds until every healthy article is published (long-running mode), and how many
    requests the bad host had received by then."""
    settings = settings_for(tmp_path)
    requests = []
    if bad is not None:  # the hostile URLs first: the worst order for the healthy portal
        requests += [FetchRequest(bad.url(f"/lambat/{i}", "bad.test"), "bad") for i in range(10)]
        requests += [FetchRequest(bad.url(f"/diam/{i}", "bad.test"), "bad") for i in range(10)]
    requests += [FetchRequest(good.url(f"/berita/{i}", "good.test"), "good") for i in range(GOOD)]
    sender = Recorder()
    worst: list[float] = []
    probing = asyncio.Event()

    async def ready() -> tuple[bool, str]:
        return True, "ok"

    server = ObservabilityServer("127.0.0.1", 0, ready)
    port = await server.start()
    probe = asyncio.create_task(probe_healthz(port, worst, probing))
    async with Fetcher(settings.fetch) as fetcher:
        pipe = make_pipeline(settings, fetcher, requests, sender)
        started = time.monotonic()
        run = asyncio.create_task(pipe.run())
        await until(lambda: len(sender.topics(settings.broker.articles_topic)) == GOOD, 30)
        elapsed = time.monotonic() - started
        bad_requests = 0 if bad is None else len(
            [r for r in bad.requests if r.path != "/robots.txt"])
        pipe.request_stop()
        await run
    probing.set()
    await probe
    await server.stop()
    assert worst and max(worst) < 1.0, f"/healthz answered in up to {max(worst):.2f}s"
    return elapsed, bad_requests


async def test_a_slow_portal_costs_only_its_own_host_slots(tmp_path: Path) -> None:
    with LocalServer() as good, LocalServer() as bad:
        for i in range(GOOD):
            good.route(f"/berita/{i}", Reply(200, article_html(i).encode(),
                                             {"Content-Type": "text/html; charset=utf-8"},
                                             delay_s=0.05))
        for i in range(10):
            bad.route(f"/lambat/{i}", one_byte_per_second)
            bad.route(f"/diam/{i}", Reply(200, b"", delay_s=60.0))
        _extract(article_html(0), good.url("/berita/0", "good.test"), "good")  # warm up
        alone, _ = await publish_good(tmp_path / "alone", good, None)
        beside, bad_requests = await publish_good(tmp_path / "beside", good, bad)
    # The bad host got only its two slots' worth of requests, plus those parked when they
    # turned out slow, while the healthy portal published everything (its answers take
    # longer than that whole run).
    assert bad_requests <= 2 + Settings().fetch.max_parked_per_host
    assert beside <= 2 * alone + 1.0, f"alone {alone:.2f}s, beside a slow portal {beside:.2f}s"


async def test_retry_after_delays_the_url_not_the_portal(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    settings.fetch.retries = 2
    settings.fetch.retry_after_inline_max_s = 0.2
    settings.fetch.retry_after_host_max_s = 0.3
    settings.fetch.retry_after_max_s = 60.0
    with LocalServer() as good:
        answers = iter([Reply(503, b"", {"Retry-After": "1"})])

        def later_then_ok(_: Seen) -> Reply:
            return next(answers, html_reply(article_html(0)))

        good.route("/berita/0", later_then_ok)
        good.route("/berita/1", Reply(503, b"", {"Retry-After": "999999"}))
        for i in range(2, 8):
            good.route(f"/berita/{i}", html_reply(article_html(i)))
        requests = [FetchRequest(good.url(f"/berita/{i}", "good.test"), "good") for i in range(8)]
        sender = Recorder()
        async with Fetcher(settings.fetch) as fetcher:
            pipe = make_pipeline(settings, fetcher, requests, sender)
            started = time.monotonic()
            await pipe.run(once=True)
            elapsed = time.monotonic() - started
        hits_0, hits_1 = good.times("/berita/0"), good.times("/berita/1")
        others = [t for i in range(2, 8) for t in good.times(f"/berita/{i}")]
    published = {r.key for r in sender.topics(settings.broker.articles_topic)}
    assert len(published) == 7  # all but the URL told to come back in 11 days
    (dead,) = sender.topics(settings.broker.errors_topic)
    assert b"http_5xx" in dead.value and b"/berita/1" in dead.value
    assert len(hits_1) == 1  # given up at once: no worker waits 999999 s (nor 120)
    assert len(hits_0) == 2 and hits_0[1] - hits_0[0] >= 0.9  # the URL waited its second
    # The host paused at most the cap, not the second (nor 999999 s).
    assert max(others) - min(hits_0 + hits_1 + others) < 0.9
    assert elapsed < 10


def _request(host: str, n: int) -> FetchRequest:
    return FetchRequest(f"http://{host}/berita/{n}", host)


async def test_the_queue_hands_out_only_hosts_with_a_free_slot() -> None:
    queue = HostFairQueue(10, per_host=2)
    for n in range(4):
        queue.put_nowait(_request("lambat.test", n))
    queue.put_nowait(_request("sehat.test", 0))
    taken = [await queue.get() for _ in range(3)]
    assert [r.url for r in taken] == ["http://lambat.test/berita/0", "http://sehat.test/berita/0",
                                      "http://lambat.test/berita/1"]
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # lambat.test has both slots out; nothing else is ready
    queue.put_nowait(_request("sehat.test", 1))
    assert (await asyncio.wait_for(waiting, 1)).url == "http://sehat.test/berita/1"
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    queue.release(taken[0])  # a slow request finished: its host may have another
    assert (await asyncio.wait_for(waiting, 1)).url == "http://lambat.test/berita/2"


async def test_a_full_host_blocks_only_its_own_producers() -> None:
    queue = HostFairQueue(3, per_host=1)
    for n in range(3):
        await queue.put(_request("diam.test", n))
    blocked = asyncio.create_task(queue.put(_request("diam.test", 3)))
    await asyncio.wait_for(queue.put(_request("sehat.test", 0)), 1)  # room for another host
    await asyncio.sleep(0.05)
    assert not blocked.done()
    assert queue.get_nowait().url == "http://diam.test/berita/0"
    await asyncio.wait_for(blocked, 1)
    assert queue.qsize() == 4


async def test_a_deferred_request_comes_back_when_due() -> None:
    queue = HostFairQueue(1, per_host=1)
    queue.put_nowait(_request("a.test", 0))
    first = await queue.get()
    queue.put_nowait(_request("a.test", 1))
    with pytest.raises(asyncio.QueueFull):
        queue.put_nowait(_request("a.test", 2))
    queue.release(first)
    started = time.monotonic()
    queue.defer(first, 0.3)  # beyond the bound: a worker re-queueing never waits for room
    assert queue.qsize() == 2
    second = await queue.get()
    assert second.url.endswith("/1")
    queue.release(second)
    again = await asyncio.wait_for(queue.get(), 2)
    assert again == first and time.monotonic() - started >= 0.29
