"""Multi-page articles are assembled beside the extract stage: a slow further page
holds only its own article, pages are stitched in page order whatever order they
arrive in, a page that never comes is dead-lettered after ``pages_timeout_s`` and
the article goes out with what came, and a shutdown mid-assembly spools it."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from kabar.models import FetchRequest, FetchResult
from kabar.pipeline import Pipeline
from kabar.spool import Spool
from tests.core.test_pipeline import BASE, Fetcher, Sender, make, page, requests_for, until


class GatedFetcher(Fetcher):
    """Holds the URLs in ``gates`` until their event is set."""

    def __init__(self, pages: dict[str, str], gates: dict[str, asyncio.Event]) -> None:
        super().__init__(pages)
        self.gates = gates

    async def fetch(self, request: FetchRequest) -> FetchResult:
        gate = self.gates.get(request.url)
        if gate is not None:
            await gate.wait()
        return await super().fetch(request)


def gated(
    tmp_path: Path, pages: dict[str, str], requests: list[FetchRequest], sender: Sender,
    gates: dict[str, asyncio.Event],
) -> tuple[Pipeline, GatedFetcher]:
    pipe, _ = make(tmp_path, pages, requests, sender)
    fetcher = GatedFetcher(pages, gates)
    pipe.parts = dataclasses.replace(pipe.parts, fetcher=fetcher)
    return pipe, fetcher


def titles(pipe: Pipeline, sender: Sender) -> list[object]:
    return [a["title"] for a in sender.values(pipe.settings.broker.articles_topic)]


async def test_a_slow_next_page_does_not_hold_other_articles(tmp_path: Path) -> None:
    pages = {f"{BASE}/1": page(1, pages=2), f"{BASE}/1?page=2": page(12),
             **{f"{BASE}/{n}": page(n) for n in range(2, 6)}}
    slow = asyncio.Event()
    sender = Sender()
    pipe, _ = gated(tmp_path, pages, requests_for(f"{BASE}/1", *[f"{BASE}/{n}" for n in
                                                                 range(2, 6)]),
                    sender, {f"{BASE}/1?page=2": slow})
    run = asyncio.create_task(pipe.run(once=True))
    # With one extract worker, every single-page article passes the held one.
    await until(lambda: len(titles(pipe, sender)) == 4)
    assert "title 1" not in titles(pipe, sender) and len(pipe.assembly) == 1
    slow.set()
    await asyncio.wait_for(run, 10)
    [first] = [a for a in sender.values(pipe.settings.broker.articles_topic)
               if a["title"] == "title 1"]
    assert first["pages"] == 2 and first["paragraphs"][-1] == "paragraf kedua 12"


async def test_pages_are_stitched_in_page_order_whatever_order_they_arrive(
    tmp_path: Path,
) -> None:
    pages = {f"{BASE}/7": page(7, pages=3), f"{BASE}/7?page=2": page(72),
             f"{BASE}/7?page=3": page(73)}
    second = asyncio.Event()
    sender = Sender()
    pipe, fetcher = gated(tmp_path, pages, requests_for(f"{BASE}/7"), sender,
                          {f"{BASE}/7?page=2": second})
    run = asyncio.create_task(pipe.run(once=True))
    await until(lambda: f"{BASE}/7?page=3" in fetcher.fetched)  # page 3 is in first
    second.set()
    await asyncio.wait_for(run, 10)
    [article] = sender.values(pipe.settings.broker.articles_topic)
    assert article["pages"] == 3
    assert article["paragraphs"] == ["paragraf pertama 7", "paragraf kedua 7",
                                     "paragraf pertama 72", "paragraf kedua 72",
                                     "paragraf pertama 73", "paragraf kedua 73"]


async def test_a_page_that_never_comes_is_dead_lettered_and_the_rest_published(
    tmp_path: Path,
) -> None:
    pages = {f"{BASE}/8": page(8, pages=3), f"{BASE}/8?page=2": page(82),
             f"{BASE}/8?page=3": page(83)}
    never = asyncio.Event()
    sender = Sender()
    pipe, _ = gated(tmp_path, pages, requests_for(f"{BASE}/8"), sender,
                    {f"{BASE}/8?page=3": never})
    pipe.assembly.timeout_s = 0.2
    await asyncio.wait_for(pipe.run(once=True), 10)
    [article] = sender.values(pipe.settings.broker.articles_topic)
    assert article["pages"] == 2 and article["paragraphs"][-1] == "paragraf kedua 82"
    errors = [(e["url"], e["reason"]) for e in sender.values(pipe.settings.broker.errors_topic)]
    assert errors == [(f"{BASE}/8?page=3", "page_timeout")]


async def test_a_failed_middle_page_keeps_only_the_pages_before_it(tmp_path: Path) -> None:
    pages = {f"{BASE}/9": page(9, pages=3), f"{BASE}/9?page=3": page(93)}  # page 2: 404
    sender = Sender()
    pipe, _ = make(tmp_path, pages, requests_for(f"{BASE}/9"), sender)
    await pipe.run(once=True)
    [article] = sender.values(pipe.settings.broker.articles_topic)
    assert article["pages"] == 1
    errors = [(e["url"], e["reason"]) for e in sender.values(pipe.settings.broker.errors_topic)]
    assert errors == [(f"{BASE}/9?page=2", "http_4xx")]


async def test_shutdown_mid_assembly_spools_the_article_for_the_next_run(
    tmp_path: Path,
) -> None:
    pages = {f"{BASE}/5": page(5, pages=2), f"{BASE}/5?page=2": page(52)}
    never = asyncio.Event()
    pipe, _ = gated(tmp_path, pages, requests_for(f"{BASE}/5"), Sender(),
                    {f"{BASE}/5?page=2": never})
    run = asyncio.create_task(pipe.run())
    await until(lambda: len(pipe.assembly) == 1)
    pipe.request_stop()
    await asyncio.wait_for(run, 10)  # the drain deadline (0.5 s) passes: spooled
    pending = Spool(str(tmp_path / "spool.jsonl")).open()
    assert [r.url for _, r in pending.requests] == [f"{BASE}/5"]
