"""Extraction in worker processes: real pages in real child processes; a parse
over its time limit or a dead worker fails only its own page (with a reason),
the pool carries on with a fresh worker, and the event loop keeps turning."""

from __future__ import annotations

import asyncio
import gzip
import os
from collections.abc import AsyncIterator
from pathlib import Path

import brotli
import pytest

from kabar import metrics
from kabar.errors import BadInputError, ContentError, NotAnArticleError
from kabar.extract_pool import ExtractPool, processes_for
from kabar.fetch.body import Limits
from kabar.fetch.page import WirePage
from kabar.htmlguard import HtmlLimits
from kabar.models import Article, FetchRequest, FetchResult
from kabar.pipeline import Components, Pipeline
from kabar.settings import Settings
from kabar.spool import Spool
from tests.core.test_pipeline import Sender, Sources, fake_stitch

URL = "https://warta.example.id/berita/1/banjir-surut"
SENTENCE = ("Air mulai surut di kawasan bantaran sungai setelah hujan reda sejak pagi, "
            "dan warga kembali membersihkan rumah mereka dari lumpur yang tertinggal.")


def article_html(n: int = 1) -> str:
    body = "".join(f"<p>{SENTENCE} Bagian {k} laporan {n}.</p>" for k in range(8))
    return (f"<html><head><title>Banjir surut {n}</title></head><body>"
            f"<article><h1>Banjir surut {n}</h1>{body}</article></body></html>")


def nested_html(depth: int) -> str:
    # Deep nesting: lexbor's parse time grows with its square.
    return "<html><body>" + "<div>" * depth + "x" + "</div>" * depth + "</body></html>"


#: No nesting estimate: the time limit alone must stop what the estimate would refuse.
UNGUARDED = HtmlLimits(max_depth=10**9, max_options=10**9)


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[ExtractPool]:
    async with ExtractPool(1, timeout_s=0.3, limits=UNGUARDED) as running:
        yield running


async def test_a_page_is_extracted_in_a_worker(pool: ExtractPool) -> None:
    article = await pool.extract(article_html(), URL, "warta")
    assert isinstance(article, Article)
    assert article.title == "Banjir surut 1" and len(article.paragraphs) == 8
    assert pool._all[0].process.pid != os.getpid()


async def test_the_worker_hands_dedup_text_features_over_with_the_article(
        pool: ExtractPool) -> None:
    from kabar.dedup.text import TextFeatures

    article, none = await pool.extract_features(article_html(2), URL, "warta")
    assert none is None  # only asked for where dedup runs on what the pool extracts
    pool.text_features = True
    try:
        article, features = await pool.extract_features(article_html(2), URL, "warta")
    finally:
        pool.text_features = False
    assert features is not None and features.fits(article)
    made_here = TextFeatures.of(article)
    assert features.lines == made_here.lines and features.names == made_here.names
    assert features.content_hash == made_here.content_hash
    assert features.hashes.tolist() == made_here.hashes.tolist()


def wire(data: bytes, coding: str | None, limits: Limits | None = None) -> WirePage:
    return WirePage(data, coding, "text/html; charset=utf-8",
                    limits or Limits(10 * 1024 * 1024, 100.0), ("text/html",), URL)


async def test_a_page_as_fetched_is_decompressed_in_the_worker(pool: ExtractPool) -> None:
    page = article_html(3).encode("utf-8")
    for packed, coding in ((gzip.compress(page), "gzip"), (brotli.compress(page), "br"),
                           (page, None)):
        article = await pool.extract(wire(packed, coding), URL, "warta")
        assert article.title == "Banjir surut 3" and len(article.paragraphs) == 8


async def test_a_body_the_worker_cannot_decode_fails_with_the_fetchs_reason(
    pool: ExtractPool,
) -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    with pytest.raises(ContentError) as caught:
        await pool.extract(wire(bomb, "gzip", Limits(4 * 1024 * 1024, 100.0)), URL, "warta")
    assert caught.value.reason == "decompression_bomb" and caught.value.stage == "fetch"
    with pytest.raises(ContentError) as caught:
        await pool.extract(wire(b"\x1f\x8b garbage", "gzip"), URL, "warta")
    assert caught.value.reason == "bad_content"
    with pytest.raises(ContentError) as caught:
        await pool.extract(wire(gzip.compress(b"  \n"), "gzip"), URL, "warta")
    assert caught.value.reason == "empty_body"
    assert (await pool.extract(article_html(4), URL, "warta")).title == "Banjir surut 4"


async def test_extraction_errors_keep_their_class_and_reason(pool: ExtractPool) -> None:
    with pytest.raises(NotAnArticleError) as caught:
        await pool.extract("   ", URL, "warta")
    assert caught.value.reason == "not_article" and caught.value.url == URL
    assert (await pool.extract(article_html(2), URL, "warta")).title == "Banjir surut 2"


async def test_a_parse_over_the_limit_is_stopped_and_the_loop_keeps_turning(
    pool: ExtractPool,
) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    first = pool._all[0].process
    try:
        with pytest.raises(BadInputError) as caught:
            await pool.extract(nested_html(150_000), URL, "warta")
    finally:
        running.cancel()
    assert caught.value.reason == "parse_timeout"
    assert ticks >= 10  # the loop ran all through the 0.3 s the parse was given
    assert first.poll() is not None  # the stuck worker is gone
    assert metrics.EXTRACT_WORKER_RESTARTS._value.get() >= 1
    assert (await pool.extract(article_html(3), URL, "warta")).title == "Banjir surut 3"


async def test_a_worker_that_dies_fails_its_page_and_is_replaced(pool: ExtractPool) -> None:
    pool._all[0].process.kill()
    pool._all[0].process.wait()
    with pytest.raises(BadInputError) as caught:
        await pool.extract(article_html(), URL, "warta")
    assert caught.value.reason == "extract_crashed"
    assert (await pool.extract(article_html(4), URL, "warta")).title == "Banjir surut 4"


async def test_closing_the_pool_ends_its_workers_and_deep_pages_are_refused_up_front() -> None:
    async with ExtractPool(2, timeout_s=60) as guarded:
        processes = [w.process for w in guarded._all]
        assert len(processes) == 2
        # The default limits refuse the deep page before lexbor sees it: no 60 s wait,
        # and the worker that looked at it goes on.
        with pytest.raises(BadInputError) as caught:
            await guarded.extract(nested_html(150_000).encode(), URL, "warta")
        assert caught.value.reason == "html_too_deep"
        assert [w.process for w in guarded._all] == processes
    assert all(p.poll() is not None for p in processes)


def test_processes_setting() -> None:
    assert processes_for("auto") == (os.cpu_count() or 1)
    assert processes_for("off") == 0 and processes_for("0") == 0
    assert processes_for("3") == 3
    with pytest.raises(ValueError, match="extract_processes"):
        processes_for("many")


class PageFetcher:
    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = pages

    async def fetch(self, request: FetchRequest) -> FetchResult:
        return FetchResult(request=request, final_url=request.url, status=200,
                           html=self.pages[request.url], fetched_at="2026-01-01T00:00:00Z")


def _never_called(html: str, url: str, portal: str) -> Article:
    raise AssertionError("the pool extracts, not this process")


async def test_pipeline_dead_letters_a_stuck_page_and_publishes_the_rest(
    tmp_path: Path, pool: ExtractPool,
) -> None:
    urls = [f"https://warta.example.id/berita/{n}/kabar-{n}" for n in range(4)]
    pages = {u: article_html(n) for n, u in enumerate(urls)}
    pages[urls[1]] = nested_html(150_000)
    settings = Settings()
    settings.fetch.workers = 2
    sender = Sender()
    parts = Components(
        fetcher=PageFetcher(pages), sources=Sources([FetchRequest(u, "warta") for u in urls]),
        sender=sender, extract=_never_called, stitch=fake_stitch,
        content_hash=lambda ps: "ab" * 16, detect_language=lambda text: "id",
        extract_pool=pool,
    )
    pipeline = Pipeline(settings, parts, Spool(str(tmp_path / "spool.jsonl")))
    counts = await pipeline.run(once=True)
    published = {e["url"] for e in sender.values(settings.broker.articles_topic)}
    assert published == set(urls) - {urls[1]}
    errors = sender.values(settings.broker.errors_topic)
    assert [(e["url"], e["reason"]) for e in errors] == [(urls[1], "parse_timeout")]
    assert counts["errors"] == 1


async def test_free_workers_go_to_urgent_pages_first_then_in_order() -> None:
    from kabar.extract_pool import _Workers

    workers = _Workers()
    first, second = (asyncio.create_task(workers.get(False)) for _ in range(2))
    await asyncio.sleep(0)  # both are waiting now (no free worker)
    urgent = asyncio.create_task(workers.get(True))
    await asyncio.sleep(0)
    a, b, c = object(), object(), object()
    workers.put(a)  # type: ignore[arg-type]
    assert await urgent is a and not first.done()
    workers.put(b)  # type: ignore[arg-type]
    assert await first is b and not second.done()
    second.cancel()
    workers.put(c)  # type: ignore[arg-type]
    assert await workers.get(False) is c  # a cancelled waiter takes nothing


async def test_a_page_goes_to_an_idle_worker_before_one_still_parsing() -> None:
    from types import SimpleNamespace

    from kabar.extract_pool import _Workers

    workers = _Workers()
    parsing, idle = SimpleNamespace(owed=["a page"]), SimpleNamespace(owed=[])
    for worker in (parsing, idle, parsing):  # the parsing one's free place came first
        workers.put(worker)  # type: ignore[arg-type]
    assert await workers.get(False) is idle
    assert await workers.get(False) is parsing


async def test_a_page_and_an_article_larger_than_the_read_buffer_cross_whole() -> None:
    # ~2.5 MB each way: more than one read of the answer stream, and more than the
    # socket pair's buffer.
    paragraphs = [f"{SENTENCE} Paragraf nomor {k} dari laporan panjang." for k in range(16_000)]
    page = ("<html><head><title>Laporan panjang</title></head><body><article>"
            "<h1>Laporan panjang</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
            + "</article></body></html>")
    async with ExtractPool(1, timeout_s=120) as pool:
        article = await pool.extract(page.encode(), URL, "warta")
        assert len(article.paragraphs) == len(paragraphs)
        assert article.paragraphs[-1] == paragraphs[-1]
        assert (await pool.extract(article_html(5), URL, "warta")).title == "Banjir surut 5"


async def test_a_worker_holds_its_next_page_while_it_parses_and_answers_in_order() -> None:
    async with ExtractPool(1, timeout_s=60, depth=2) as pool:
        pages = [asyncio.create_task(pool.extract(article_html(n), URL, "warta"))
                 for n in (6, 7, 8)]
        await asyncio.sleep(0)
        # Two pages wait at the worker (one parsed, one in its socket); the third waits
        # here for a free place.
        assert len(pool._all[0].owed) == 2 and pool.busy() == 1
        assert [a.title for a in await asyncio.gather(*pages)] == [
            "Banjir surut 6", "Banjir surut 7", "Banjir surut 8"]


async def test_a_page_queued_behind_a_stuck_one_is_extracted_by_the_fresh_worker() -> None:
    async with ExtractPool(1, timeout_s=0.3, limits=UNGUARDED, depth=2) as pool:
        stuck = asyncio.create_task(pool.extract(nested_html(150_000), URL, "warta"))
        queued = asyncio.create_task(pool.extract(article_html(9), URL, "warta"))
        with pytest.raises(BadInputError) as caught:
            await stuck
        assert caught.value.reason == "parse_timeout"
        assert (await queued).title == "Banjir surut 9"  # not failed with the stuck page


async def test_a_cancelled_callers_answer_is_dropped_not_given_to_the_next_page() -> None:
    async with ExtractPool(1, timeout_s=60, depth=2) as pool:
        worker = pool._all[0]
        cancelled = asyncio.create_task(pool.extract(article_html(10), URL, "warta"))
        await asyncio.sleep(0)
        cancelled.cancel()
        assert (await pool.extract(article_html(11), URL, "warta")).title == "Banjir surut 11"
        assert pool._all == [worker]  # the worker stays: its stream is still in step
