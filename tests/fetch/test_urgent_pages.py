"""Further pages of an article under way take their host's next slot: the fetch
queue hands out no new request of that host in their place, other hosts' pass."""

from __future__ import annotations

import asyncio

from kabar.fetch.hostqueue import HostFairQueue
from kabar.models import FetchRequest


def _request(host: str, n: int) -> FetchRequest:
    return FetchRequest(f"http://{host}/berita/{n}", host)


async def _settle() -> None:
    for _ in range(5):  # let a waiting getter run if it was woken
        await asyncio.sleep(0)


async def test_an_articles_further_pages_go_before_new_articles_of_their_host() -> None:
    queue = HostFairQueue(10, per_host=2)
    for n in range(3):
        queue.put_nowait(_request("berita.test", n))
    first = await queue.get()  # one slot of two in use
    urgent = queue.urgent(["http://berita.test/berita/0?page=2"])  # the other: its page
    waiting = asyncio.create_task(queue.get())
    await _settle()
    assert not waiting.done()
    queue.put_nowait(_request("lain.test", 0))
    assert (await asyncio.wait_for(waiting, 5)).url == "http://lain.test/berita/0"
    waiting = asyncio.create_task(queue.get())
    await _settle()
    assert not waiting.done()
    urgent.fetched("http://berita.test/berita/0?page=2")  # the page is in: the slot is free
    assert (await asyncio.wait_for(waiting, 5)).url == "http://berita.test/berita/1"
    urgent.close()  # nothing left: closing frees nothing twice
    queue.release(first)
    assert (await asyncio.wait_for(queue.get(), 5)).url == "http://berita.test/berita/2"


async def test_closing_frees_the_pages_never_fetched() -> None:
    queue = HostFairQueue(10, per_host=1)
    queue.put_nowait(_request("berita.test", 0))
    urgent = queue.urgent(["http://berita.test/a?page=2", "http://berita.test/a?page=3"])
    waiting = asyncio.create_task(queue.get())
    await _settle()
    assert not waiting.done()
    urgent.close()  # e.g. the pages timed out
    assert (await asyncio.wait_for(waiting, 5)).url == "http://berita.test/berita/0"
