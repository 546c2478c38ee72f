"""A crawl process commits a frontier record's offset once all made from it is
acknowledged, also when its page was tried again later (a timed-out request goes back
to the fetch queue as attempt 2). The frontier knows the record by the request it
handed over (attempt 1); told of attempt 2 instead, it never marked the offset done:
the partition's commits stopped there, and ``kabar run --processes N --once`` waited
for the crawl group for ever, or a restart fetched everything after it again."""

from __future__ import annotations

import asyncio
import time

from aiokafka import TopicPartition

from kabar.errors import NetworkError
from kabar.fetch.client import RetryLater
from kabar.frontier import FrontierSource
from kabar.models import Article, FetchRequest, FetchResult
from kabar.pipeline import Components
from kabar.publish import Outgoing
from kabar.roles import CrawlPipeline
from kabar.settings import Settings
from kabar.wire import encode_request

URL = "https://warta.example.id/berita/1"
TP = TopicPartition("frontier", 0)


class SlowOnce:
    """Times out the first attempt of every page (as a parked slow request does)."""

    def __init__(self) -> None:
        self.attempts: list[int] = []

    async def fetch(self, request: FetchRequest) -> FetchResult:
        self.attempts.append(request.attempt)
        if request.attempt == 1:
            raise RetryLater(NetworkError("slow", reason="timeout", url=request.url), 0.01)
        return FetchResult(request=request, final_url=request.url, status=200,
                           html="judul|paragraf", fetched_at="2026-01-01T00:00:00Z")


class Frontier:
    """The frontier's record handed over as ``FrontierSource`` hands it (its offset kept)."""

    def __init__(self, source: FrontierSource) -> None:
        self.source = source

    async def poll_once(self) -> list[FetchRequest]:
        return []

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None:
        await self.source._hand_out(out, TP, 0, encode_request(FetchRequest(URL, "warta")))
        await stop.wait()


class Sender:
    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, record: Outgoing) -> None:
        self.sent.append(record)


def _extract(html: str, url: str, portal: str) -> Article:
    title, body = html.split("|")
    return Article(url=url, title=title, paragraphs=(body,))


async def test_a_request_tried_again_later_still_commits_its_frontier_offset() -> None:
    settings = Settings()
    settings.pipeline.spool_path = ""
    settings.fetch.retries = 2
    source = FrontierSource(settings.cluster, "127.0.0.1:1", "test", partitions=[0])
    fetcher, sender = SlowOnce(), Sender()
    parts = Components(fetcher=fetcher, sources=Frontier(source), sender=sender,
                       extract=_extract, stitch=lambda first, more: first,
                       content_hash=lambda ps: "ab" * 16)
    pipeline = CrawlPipeline(settings, parts)
    pipeline.on_request_done = source.done
    run = asyncio.create_task(pipeline.run())
    committed: dict[TopicPartition, int] = {}
    try:
        deadline = time.monotonic() + 10
        while not sender.sent:  # the article made from attempt 2 is acknowledged
            assert time.monotonic() < deadline, fetcher.attempts
            await asyncio.sleep(0.02)
        committed = source._offsets.committable([TP])
    finally:
        pipeline.request_stop()
        await asyncio.wait_for(run, 10)
    assert fetcher.attempts == [1, 2]
    assert committed == {TP: 1}, "the frontier record's offset was never marked done"
    assert not source._where
