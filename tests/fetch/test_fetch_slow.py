"""Slow URLs: the transfer-rate guard cuts a dribbling body, a steady slow one goes
on, a timed-out page goes back to the queue instead of being retried in place,
and the fetch queue parks a slow request so its host slot is free again."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import pytest

from kabar import metrics
from kabar.errors import NetworkError
from kabar.fetch import Fetcher
from kabar.fetch.client import RetryLater
from kabar.fetch.hostqueue import HostFairQueue
from kabar.models import FetchRequest
from kabar.settings import FetchSettings
from tests.fetch.server import LocalServer, Reply, Seen

_PAGE = b"<html><body><p>" + b"kata " * 20_000 + b"</p></body></html>"


def _dribble(_: Seen) -> Reply:
    def drip() -> Iterator[bytes]:
        yield b"<html><body>"
        for _ in range(60):
            time.sleep(0.2)
            yield b"x"

    return Reply(200, drip(), {"Content-Type": "text/html"})


def _steady(_: Seen) -> Reply:
    """About 100 kB in 1 s, in 10 kB pieces: slow, but far above the floor."""

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(_PAGE), 10_000):
            time.sleep(0.1)
            yield _PAGE[start:start + 10_000]

    return Reply(200, pieces(), {"Content-Type": "text/html"})


def _slow_settings(settings: FetchSettings) -> FetchSettings:
    return dataclasses.replace(settings, retries=2, min_transfer_rate=1024.0,
                               transfer_grace_s=0.5, total_timeout_s=30.0)


async def test_a_dribbling_body_is_cut_as_too_slow(
    server: LocalServer, settings: FetchSettings
) -> None:
    server.route("/lambat", _dribble)
    async with Fetcher(_slow_settings(settings)) as fetcher:
        started = time.monotonic()
        with pytest.raises(NetworkError) as info:
            await fetcher.fetch(FetchRequest(server.url("/lambat"), "h"))
        elapsed = time.monotonic() - started
    assert info.value.reason == "too_slow" and info.value.url == server.url("/lambat")
    assert len(server.hits("/lambat")) == 1  # not retried: it would be as slow again
    assert elapsed < 10  # cut near the grace, not after the 12 s the body takes


async def test_a_steady_slow_body_is_read_whole(
    server: LocalServer, settings: FetchSettings
) -> None:
    server.route("/besar", _steady)
    async with Fetcher(_slow_settings(settings)) as fetcher:
        result = await fetcher.fetch(FetchRequest(server.url("/besar"), "h"))
    assert result.size_bytes == len(_PAGE)


async def test_a_queued_page_that_times_out_goes_back_to_the_queue(
    server: LocalServer, settings: FetchSettings
) -> None:
    server.route("/diam", Reply(200, b"", delay_s=5.0))
    queue = HostFairQueue(10, per_host=2, parked_per_host=1, parked_total=1)
    request = FetchRequest(server.url("/diam"), "h", attempt=2)
    queue.put_nowait(request)
    async with Fetcher(dataclasses.replace(settings, read_timeout_s=0.3)) as fetcher:
        queue.attach(fetcher)
        taken = await queue.get()
        with pytest.raises(RetryLater) as info:
            await fetcher.fetch(taken)
    assert info.value.reason == "timeout" and info.value.retry_after >= 0
    assert len(server.hits("/diam")) == 1  # one attempt; the queue holds the next


async def test_a_page_not_from_the_queue_is_retried_in_place(
    server: LocalServer, settings: FetchSettings
) -> None:
    """Further pages of an article are fetched beside the queue: as before."""
    server.route("/diam", Reply(200, b"", delay_s=5.0))
    queue = HostFairQueue(10, per_host=2, parked_per_host=1, parked_total=1)
    tuned = dataclasses.replace(settings, read_timeout_s=0.3, retries=1)
    async with Fetcher(tuned) as fetcher:
        queue.attach(fetcher)
        with pytest.raises(NetworkError) as info:
            await fetcher.fetch(FetchRequest(server.url("/diam"), "h", source="pagination"))
    assert info.value.reason == "timeout" and not isinstance(info.value, RetryLater)
    assert len(server.hits("/diam")) == 2


def _request(n: int, host: str = "a.test") -> FetchRequest:
    return FetchRequest(f"http://{host}/berita/{n}", host)


async def test_a_parked_request_frees_its_host_slot() -> None:
    queue = HostFairQueue(10, per_host=1, parked_per_host=1, parked_total=2, max_active=4)
    for n in range(3):
        queue.put_nowait(_request(n))
    first = await queue.get()
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the host's one slot is out
    assert not queue.step_aside(_request(9))  # not handed out by this queue
    assert queue.step_aside(first) and queue.step_aside(first)  # parked (once)
    second = await asyncio.wait_for(waiting, 1)
    assert second.url.endswith("/1") and queue.parked("a.test") == 1
    assert metrics.FETCH_PARKED._value.get() == 1  # the dashboard shows it
    assert not queue.step_aside(second)  # the host's parking place is taken
    queue.release(first)  # a parked request ends: no slot to give back
    assert queue.parked("a.test") == 0 and queue.in_flight("a.test") == 1
    assert metrics.FETCH_PARKED._value.get() == 0
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the second still holds the one slot
    queue.release(second)
    assert (await asyncio.wait_for(waiting, 1)).url.endswith("/2")


async def test_active_requests_stay_within_the_workers() -> None:
    queue = HostFairQueue(10, per_host=2, parked_per_host=2, parked_total=2, max_active=2)
    for n in range(3):
        queue.put_nowait(_request(n, f"h{n}.test"))
    first, _ = await queue.get(), await queue.get()
    waiting = asyncio.create_task(queue.get())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # two workers' worth out, though h2 has a free slot
    assert queue.step_aside(first)  # a parked request runs on a spare worker
    assert (await asyncio.wait_for(waiting, 1)).url.startswith("http://h2.test")
