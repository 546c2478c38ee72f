"""Pipeline behaviour with stand-in stages: ordering of work, dead letters,
back-pressure from a slow broker, retries, shutdown with a deadline and the
spool that keeps what was accepted."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from kabar.claims import LocalClaims
from kabar.discovery.seen import SeenStore
from kabar.errors import EmptyBodyError, HTTPStatusError, NetworkError, PublishError
from kabar.models import Article, DedupResult, FetchRequest, FetchResult
from kabar.pipeline import Components, Pipeline
from kabar.publish import Outgoing
from kabar.settings import Settings
from kabar.spool import Spool

BASE = "https://warta.example.id/read"

def page(n: int, *, pages: int = 1) -> str:
    links = " ".join(f"{BASE}/{n}?page={p}" for p in range(2, pages + 1))
    return f"title {n}|paragraf pertama {n}|paragraf kedua {n}|{links}"

def fake_extract(html: str, url: str, portal: str) -> Article:
    title, first, second, links = html.split("|")
    if not first:
        raise EmptyBodyError("no paragraphs")
    # A title starting "EN " stands for a page whose text extraction found English.
    return Article(url=url, title=title, paragraphs=(first, second),
                   next_pages=tuple(links.split()),
                   language="en" if title.startswith("EN ") else None)

def fake_stitch(first: Article, more: Sequence[Article]) -> Article:
    paras = list(first.paragraphs) + [p for a in more for p in a.paragraphs]
    return Article(url=first.url, title=first.title, paragraphs=tuple(paras))

class Fetcher:
    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages
        self.fetched: list[str] = []

    async def fetch(self, request: FetchRequest) -> FetchResult:
        self.fetched.append(request.url)
        if request.url not in self.pages:
            raise HTTPStatusError(status=404, url=request.url)
        return FetchResult(request=request, final_url=request.url, status=200,
                           html=self.pages[request.url], fetched_at="2026-01-01T00:00:00Z")

class Sources:
    def __init__(self, requests: list[FetchRequest]) -> None:
        self.requests = requests

    async def poll_once(self) -> list[FetchRequest]:
        return list(self.requests)

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None:
        for request in self.requests:
            if stop.is_set():
                return
            await out.put(request)
        await stop.wait()

class Sender:
    """A broker stand-in: can fail a number of times or hold every send."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[Outgoing] = []
        self.failures = failures
        self.gate = asyncio.Event()
        self.gate.set()

    async def send(self, record: Outgoing) -> None:
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise PublishError("broker down", reason="broker_unavailable")
        self.sent.append(record)

    def values(self, topic: str) -> list[dict[str, object]]:
        return [orjson.loads(r.value) for r in self.sent if r.topic == topic]

class Deduper:
    def __init__(self, unchanged: set[str]) -> None:
        self.unchanged = unchanged

    def process(
        self, article: Article, *, when: datetime | None = None
    ) -> tuple[DedupResult, list[dict[str, object]]]:
        verdict = "unchanged" if article.title in self.unchanged else "new"
        story = {"story_id": "st_1", "type": "created", "member_count": 1}
        return DedupResult(verdict=verdict, story_id="st_1"), [story]  # type: ignore[arg-type]

def make(
    tmp_path: Path, pages: dict[str, str], requests: list[FetchRequest], sender: Sender,
    *, queue: int = 10, deduper: Deduper | None = None,
) -> tuple[Pipeline, Fetcher]:
    settings = Settings()
    settings.pipeline.fetch_queue_size = queue
    settings.pipeline.extract_queue_size = queue
    settings.pipeline.publish_queue_size = queue
    settings.pipeline.publish_backoff_max_s = 0.01
    settings.pipeline.publish_attempts = 3
    settings.pipeline.drain_timeout_s = 0.5
    settings.fetch.workers = 2
    settings.pipeline.publish_workers = 2
    fetcher = Fetcher(pages)
    parts = Components(fetcher=fetcher, sources=Sources(requests), sender=sender,
                       extract=fake_extract, stitch=fake_stitch,
                       content_hash=lambda ps: "ab" * 16, deduper=deduper,
                       detect_language=lambda text: "id")
    return Pipeline(settings, parts, Spool(str(tmp_path / "spool.jsonl"))), fetcher

def requests_for(*urls: str) -> list[FetchRequest]:
    return [FetchRequest(url=u, portal="warta", source="feed") for u in urls]

async def until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.01)

async def test_language_found_by_extraction_is_not_detected_again(tmp_path: Path) -> None:
    pages = {f"{BASE}/1": "EN title|first paragraph|second paragraph|", f"{BASE}/2": page(2)}
    sender = Sender()
    pipe, _ = make(tmp_path, pages, requests_for(*pages), sender, deduper=Deduper(set()))
    await pipe.run(once=True)
    articles = sender.values(pipe.settings.broker.articles_topic)
    assert {a["title"]: a["language"] for a in articles} == {"EN title": "en", "title 2": "id"}

async def test_once_publishes_articles_stories_and_dead_letters(tmp_path: Path) -> None:
    pages = {f"{BASE}/1": page(1), f"{BASE}/2": page(2), f"{BASE}/3": "t||x|"}
    sender = Sender()
    pipe, _ = make(tmp_path, pages, requests_for(*pages, f"{BASE}/404"), sender,
                   deduper=Deduper(set()))
    counts = await pipe.run(once=True)
    settings = pipe.settings.broker
    articles = sender.values(settings.articles_topic)
    assert sorted(a["title"] for a in articles) == ["title 1", "title 2"]
    assert all(a["language"] == "id" and a["story_id"] == "st_1" for a in articles)
    errors = {e["url"]: e["reason"] for e in sender.values(settings.errors_topic)}
    assert errors == {f"{BASE}/3": "empty_body", f"{BASE}/404": "http_4xx"}
    assert len(sender.values(settings.stories_topic)) == 2
    assert counts["fetched"] == 3 and counts["extracted"] == 2 and counts["errors"] == 2

async def test_multi_page_article_is_fetched_and_stitched(tmp_path: Path) -> None:
    pages = {f"{BASE}/7": page(7, pages=3), f"{BASE}/7?page=2": page(72),
             f"{BASE}/7?page=3": page(73)}
    sender = Sender()
    pipe, fetcher = make(tmp_path, pages, requests_for(f"{BASE}/7"), sender)
    await pipe.run(once=True)
    [article] = sender.values(pipe.settings.broker.articles_topic)
    assert article["pages"] == 3
    assert article["paragraphs"][-1] == "paragraf kedua 73"
    assert fetcher.fetched == [f"{BASE}/7", f"{BASE}/7?page=2", f"{BASE}/7?page=3"]

async def test_unchanged_article_publishes_nothing(tmp_path: Path) -> None:
    pages = {f"{BASE}/1": page(1), f"{BASE}/2": page(2)}
    sender = Sender()
    pipe, _ = make(tmp_path, pages, requests_for(*pages), sender,
                   deduper=Deduper({"title 1"}))
    counts = await pipe.run(once=True)
    titles = [a["title"] for a in sender.values(pipe.settings.broker.articles_topic)]
    assert titles == ["title 2"] and counts["unchanged"] == 1

async def test_publish_failures_are_retried(tmp_path: Path) -> None:
    sender = Sender(failures=2)
    pipe, _ = make(tmp_path, {f"{BASE}/1": page(1)}, requests_for(f"{BASE}/1"), sender)
    await pipe.run(once=True)
    assert len(sender.values(pipe.settings.broker.articles_topic)) == 1

async def test_slow_broker_holds_back_fetching(tmp_path: Path) -> None:
    urls = [f"{BASE}/{n}" for n in range(40)]
    sender = Sender()
    sender.gate.clear()  # the broker accepts nothing for now
    pipe, fetcher = make(tmp_path, {u: page(n) for n, u in enumerate(urls)},
                         requests_for(*urls), sender, queue=2)
    task = asyncio.create_task(pipe.run())
    await until(lambda: pipe.fetch_q.full() and pipe.publish_q.full())
    # what the queues hold plus one item per worker, nothing more
    p, f = pipe.settings.pipeline, pipe.settings.fetch
    bound = f.workers + p.extract_queue_size + p.extract_workers + p.publish_queue_size
    assert len(fetcher.fetched) <= bound + p.publish_workers
    sender.gate.set()
    await until(lambda: len(sender.sent) == 40)
    pipe.request_stop()
    await asyncio.wait_for(task, 10)

async def test_shutdown_deadline_spools_and_next_run_resumes(tmp_path: Path) -> None:
    urls = [f"{BASE}/{n}" for n in range(6)]
    pages = {u: page(n) for n, u in enumerate(urls)}
    stuck = Sender()
    stuck.gate.clear()
    pipe, _ = make(tmp_path, pages, requests_for(*urls), stuck, queue=2)
    task = asyncio.create_task(pipe.run())
    await until(lambda: pipe.publish_q.full())
    pipe.request_stop()
    await asyncio.wait_for(task, 10)  # drain deadline is 0.5 s: run must return
    assert (tmp_path / "spool.jsonl").exists()

    sender = Sender()
    again, _ = make(tmp_path, pages, [], sender)
    await again.run(once=True)
    titles = sorted(a["title"] for a in sender.values(again.settings.broker.articles_topic))
    assert titles == sorted(f"title {n}" for n in range(6))

@pytest.mark.parametrize("attempts_fail", [10])
async def test_exhausted_publish_attempts_are_spooled(tmp_path: Path, attempts_fail: int) -> None:
    sender = Sender(failures=attempts_fail)
    pipe, _ = make(tmp_path, {f"{BASE}/1": page(1)}, requests_for(f"{BASE}/1"), sender)
    await pipe.run(once=True)
    pending = Spool(str(tmp_path / "spool.jsonl")).open()
    assert [e.record.topic for e in pending.records] == [pipe.settings.broker.articles_topic]
    assert pending.requests == []  # the request is settled: its record is journaled


async def test_long_running_service_retries_through_an_outage(tmp_path: Path) -> None:
    sender = Sender(failures=12)  # more than publish_attempts
    pipe, _ = make(tmp_path, {f"{BASE}/1": page(1)}, requests_for(f"{BASE}/1"), sender)
    task = asyncio.create_task(pipe.run())
    await until(lambda: len(sender.sent) == 1)
    pipe.request_stop()
    await asyncio.wait_for(task, 10)
    assert len(Spool(str(tmp_path / "spool.jsonl")).open()) == 0

Runner = Callable[[], Awaitable[None]]


async def test_passing_fetch_failures_are_forgotten_for_a_later_poll(tmp_path: Path) -> None:
    class Flaky(Fetcher):
        async def fetch(self, request: FetchRequest) -> FetchResult:
            if request.url.endswith("/down"):
                raise NetworkError("connection refused", url=request.url)
            return await super().fetch(request)

    seen = SeenStore()
    claims = LocalClaims(seen)
    sender = Sender()
    pipe, _ = make(tmp_path, {}, requests_for(f"{BASE}/down", f"{BASE}/404"), sender)
    pipe.parts = dataclasses.replace(pipe.parts, fetcher=Flaky({}), claims=claims)
    for request in requests_for(f"{BASE}/down", f"{BASE}/404"):
        assert claims.claim(request.url)
    await pipe.run(once=True)
    # a 404 is done (seen once its dead letter is acknowledged); a refused connection is not
    assert f"{BASE}/404" in seen and f"{BASE}/down" not in seen
    assert claims.claim(f"{BASE}/down") and not claims.claim(f"{BASE}/404")


async def test_fetch_queue_takes_turns_between_hosts() -> None:
    from kabar.pipeline import HostFairQueue

    queue = HostFairQueue(10)
    urls = [f"https://a.example/{n}" for n in range(4)] + ["https://b.example/1",
                                                          "https://c.example/1",
                                                          "https://b.example/2"]
    for url in urls:
        queue.put_nowait(FetchRequest(url=url, portal="p"))
    assert queue.qsize() == 7
    order = [queue.get_nowait().url for _ in range(7)]
    assert order == ["https://a.example/0", "https://b.example/1", "https://c.example/1",
                     "https://a.example/1", "https://b.example/2", "https://a.example/2",
                     "https://a.example/3"]
    assert queue.empty()
    queue.put_nowait(FetchRequest(url="https://a.example/9", portal="p"))
    assert not queue.full() and queue.get_nowait().url.endswith("/9")
