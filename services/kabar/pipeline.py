"""The streaming pipeline: sources → fetch → extract (+ more pages) → dedup →
publish, as asyncio stages joined by bounded queues.

Bounded queues carry back-pressure: when the broker is slow the publish queue
fills, the extract stage blocks on it, then fetch, then the sources. Failures
at any stage become dead-letter events and the pipeline goes on. Shutdown
(``request_stop``) stops intake, drains in-flight work within a deadline and
spools what is left (``kabar.spool``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from kabar import metrics
from kabar.errors import ExtractError, FetchError, KabarError, PublishError
from kabar.events import (
    article_id,
    ce_headers,
    kafka_key,
    new_event_id,
    now_iso,
    serialize,
)
from kabar.logs import log_event
from kabar.models import Article, ArticleEvent, DedupResult, ErrorEvent, FetchRequest, FetchResult
from kabar.publish import Outgoing
from kabar.settings import Settings
from kabar.spool import Spool
from kabar.urls import canonicalize, host_of

log = logging.getLogger("kabar.pipeline")

_T = TypeVar("_T")
_Q = TypeVar("_Q")

SOURCE = "kabar"
LANGUAGE_SAMPLE_CHARS = 1200


class HostFairQueue(asyncio.Queue[FetchRequest]):
    """A bounded queue that hands out requests round-robin by host.

    Fetch workers wait for a host's rate-limit slot while holding a request;
    plain FIFO order would let one busy portal's backlog occupy every worker
    while other portals' requests wait behind it.
    """

    def _init(self, maxsize: int) -> None:
        self._by_host: dict[str, collections.deque[FetchRequest]] = {}
        self._turns: collections.deque[str] = collections.deque()

    def _put(self, item: FetchRequest) -> None:
        host = host_of(item.url)
        waiting = self._by_host.get(host)
        if waiting is None:
            waiting = self._by_host[host] = collections.deque()
            self._turns.append(host)
        waiting.append(item)

    def _get(self) -> FetchRequest:
        host = self._turns.popleft()
        waiting = self._by_host[host]
        item = waiting.popleft()
        if waiting:
            self._turns.append(host)
        else:
            del self._by_host[host]
        return item

    def qsize(self) -> int:
        return sum(len(w) for w in self._by_host.values())

    def empty(self) -> bool:
        return not self._turns


class ArticleFetcher(Protocol):
    async def fetch(self, request: FetchRequest) -> FetchResult: ...


class Sources(Protocol):
    async def poll_once(self) -> list[FetchRequest]: ...

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None: ...


class Sender(Protocol):
    async def send(self, record: Outgoing) -> None: ...


class Deduplicator(Protocol):
    def process(
        self, article: Article, *, when: datetime | None = None
    ) -> tuple[DedupResult, list[dict[str, object]]]: ...


Extractor = Callable[[str, str, str], Article]
Stitcher = Callable[[Article, Sequence[Article]], Article]
Hasher = Callable[[Sequence[str]], str]
LanguageDetector = Callable[[str], str | None]


@dataclasses.dataclass(frozen=True, slots=True)
class Components:
    """What the pipeline is built from; the seams tests and the CLI fill."""

    fetcher: ArticleFetcher
    sources: Sources
    sender: Sender
    extract: Extractor
    stitch: Stitcher
    content_hash: Hasher
    deduper: Deduplicator | None = None
    detect_language: LanguageDetector | None = None
    #: Called with a URL whose fetch failed for a passing reason, so a later poll retries it.
    forget: Callable[[str], None] | None = None


class Pipeline:
    def __init__(self, settings: Settings, parts: Components, spool: Spool | None = None):
        self.settings = settings
        self.parts = parts
        self.spool = spool or Spool(settings.pipeline.spool_path)
        p = settings.pipeline
        self.fetch_q: asyncio.Queue[FetchRequest] = HostFairQueue(p.fetch_queue_size)
        self.extract_q: asyncio.Queue[FetchResult] = asyncio.Queue(p.extract_queue_size)
        self.publish_q: asyncio.Queue[Outgoing] = asyncio.Queue(p.publish_queue_size)
        self.stop_event = asyncio.Event()
        self.running = False
        self.counts: Counter[str] = Counter()
        self._unsent: list[Outgoing] = []
        #: What each worker task holds right now, so a cancelled worker's item is spooled.
        self._held: dict[asyncio.Task[None], list[Outgoing] | FetchRequest] = {}

    # --- lifecycle ---------------------------------------------------------
    def request_stop(self) -> None:
        """Stop intake; ``run`` then drains and returns."""
        if not self.stop_event.is_set():
            log.info("stop requested: draining")
        self.stop_event.set()

    async def run(self, *, once: bool = False) -> Counter[str]:
        workers = self._start_workers()
        self.running = True
        metrics.PIPELINE_RUNNING.set(1)
        try:
            await self._resume_spooled()
            if once:
                await self._feed(await self.parts.sources.poll_once())
                await self._drain(None)
            else:
                await self._run_sources()
                await self._drain(self.settings.pipeline.drain_timeout_s)
        finally:
            self.running = False
            metrics.PIPELINE_RUNNING.set(0)
            await _cancel(workers)
            self._spool_leftovers()
        return self.counts

    def _start_workers(self) -> list[asyncio.Task[None]]:
        fetchers = self.settings.fetch.workers
        extractors = self.settings.pipeline.extract_workers
        tasks = [asyncio.create_task(self._loop(self.fetch_q, self._fetch_one, "fetch"))
                 for _ in range(max(1, fetchers))]
        tasks += [asyncio.create_task(self._loop(self.extract_q, self._extract_one, "extract"))
                  for _ in range(max(1, extractors))]
        tasks += [asyncio.create_task(self._loop(self.publish_q, self._publish_one, "publish"))
                  for _ in range(max(1, self.settings.pipeline.publish_workers))]
        return tasks

    async def _run_sources(self) -> None:
        sources = asyncio.create_task(self.parts.sources.run(self.fetch_q, self.stop_event))
        stop = asyncio.create_task(self.stop_event.wait())
        await asyncio.wait({sources, stop}, return_when=asyncio.FIRST_COMPLETED)
        self.stop_event.set()
        try:
            await asyncio.wait_for(sources, 10)
        except TimeoutError:
            log.warning("sources did not stop in time")
        except Exception:
            log.exception("sources failed")
        stop.cancel()

    async def _feed(self, requests: Sequence[FetchRequest]) -> None:
        for request in requests:
            await self.fetch_q.put(request)
            metrics.child(metrics.QUEUE_DEPTH, "fetch").set(self.fetch_q.qsize())

    async def _drain(self, timeout_s: float | None) -> None:
        async def join_all() -> None:
            for queue in (self.fetch_q, self.extract_q, self.publish_q):
                await queue.join()

        try:
            await asyncio.wait_for(join_all(), timeout_s)
        except TimeoutError:
            log.warning("drain deadline passed; spooling what is left")

    async def _resume_spooled(self) -> None:
        records, requests = self.spool.take()
        if records or requests:
            log_event(log, "INFO", "resuming spooled work", records=len(records),
                      requests=len(requests))
        for record in records:
            await self.publish_q.put(record)
        await self._feed(requests)

    def _spool_leftovers(self) -> None:
        records = self._unsent + _drain_queue(self.publish_q)
        requests = _drain_queue(self.fetch_q)
        requests += [r.request for r in _drain_queue(self.extract_q)]
        for held in self._held.values():
            if isinstance(held, FetchRequest):
                requests.append(held)
            else:
                records.extend(held)
        self._held.clear()
        saved = self.spool.save(records, requests)
        if saved:
            log_event(log, "WARNING", "spooled unfinished work", count=saved)

    # --- stages ------------------------------------------------------------
    async def _loop(
        self, queue: asyncio.Queue[_T], handle: Callable[[_T], Awaitable[None]], stage: str
    ) -> None:
        task = _current_task()
        depth, in_flight = metrics.QUEUE_DEPTH.labels(stage), metrics.IN_FLIGHT.labels(stage)
        while True:
            item = await queue.get()
            depth.set(queue.qsize())
            in_flight.inc()
            self._held[task] = _work_of(item)
            try:
                await handle(item)
            except Exception:  # a bug in one item must not kill the stage
                log.exception("unexpected error in stage %s", stage)
                metrics.child(metrics.STAGE_ITEMS, stage, "crash").inc()
            finally:
                in_flight.dec()
                queue.task_done()
            self._held.pop(task, None)  # not reached when cancelled: the item gets spooled

    async def _put_all(self, records: list[Outgoing]) -> None:
        """Queue records for publishing; until queued they count as held work."""
        pending = list(records)
        self._held[_current_task()] = pending
        while pending:
            await self.publish_q.put(pending[0])
            pending.pop(0)
        metrics.child(metrics.QUEUE_DEPTH, "publish").set(self.publish_q.qsize())

    async def _fetch_one(self, request: FetchRequest) -> None:
        try:
            result = await self.parts.fetcher.fetch(request)
        except FetchError as exc:
            if exc.retryable and self.parts.forget is not None:
                self.parts.forget(request.url)
            await self.dead_letter(request.url, request.portal, exc, request.attempt)
            return
        self.counts["fetched"] += 1
        metrics.child(metrics.STAGE_ITEMS, "fetch", "ok").inc()
        await self.extract_q.put(result)
        metrics.child(metrics.QUEUE_DEPTH, "extract").set(self.extract_q.qsize())

    async def _extract_one(self, result: FetchResult) -> None:
        portal = result.request.portal
        try:
            with metrics.child(metrics.EXTRACT_SECONDS, portal).time():
                article = await self._extract_page(result.html, result.final_url, portal)
            article, pages = await self._add_pages(article, result.request)
        except ExtractError as exc:
            metrics.child(metrics.EXTRACTIONS, portal, exc.reason).inc()
            await self.dead_letter(result.final_url, portal, exc, 1)
            return
        article = self._complete(article, result)
        self._observe_article(article, portal)
        self.counts["extracted"] += 1
        await self._dedup_and_queue(article, result, pages)

    async def _extract_page(self, html: str, url: str, portal: str) -> Article:
        return await asyncio.to_thread(self.parts.extract, html, url, portal)

    async def _add_pages(self, first: Article, request: FetchRequest) -> tuple[Article, int]:
        """Fetch the article's further pages and stitch them into one article."""
        urls = list(first.next_pages)[: max(0, self.settings.fetch.max_pages - 1)]
        pages: list[Article] = []
        for url in urls:
            page_request = FetchRequest(url=url, portal=request.portal, source="pagination")
            try:
                result = await self.parts.fetcher.fetch(page_request)
                pages.append(await self._extract_page(result.html, result.final_url,
                                                      request.portal))
            except (FetchError, ExtractError) as exc:
                await self.dead_letter(url, request.portal, exc, 1)
                break
        if not pages:
            return dataclasses.replace(first, next_pages=()), 1
        return dataclasses.replace(self.parts.stitch(first, pages), next_pages=()), 1 + len(pages)

    def _complete(self, article: Article, result: FetchResult) -> Article:
        """Fill what the page lacked from the source's hints and the text itself."""
        req = result.request
        language = article.language
        if language is None and self.parts.detect_language is not None:
            # Extraction reads the language off the text; when neither the text nor the
            # page told it, the headline and opening may (the opening tells it as well
            # as the whole does).
            sample = article.title + "\n" + article.body[:LANGUAGE_SAMPLE_CHARS]
            language = self.parts.detect_language(sample)
        return dataclasses.replace(
            article,
            url=result.final_url,
            portal=req.portal,
            title=article.title or req.title_hint or "",
            published_at=article.published_at or req.published_hint,
            language=language,
        )

    def _observe_article(self, article: Article, portal: str) -> None:
        metrics.child(metrics.EXTRACTIONS, portal, "ok").inc()
        metrics.child(metrics.STAGE_ITEMS, "extract", "ok").inc()
        metrics.child(metrics.BODY_WORDS, portal).observe(article.word_count)
        metrics.child(metrics.CLUTTER_REMOVED, portal).inc(article.clutter_removed)
        for kind in article.rule_misses:
            metrics.child(metrics.RULE_MISSES, portal, kind).inc()
            log.info("portal rule matched nothing", extra={
                "portal": portal, "selector_kind": kind, "url": article.url})
        for name, value in (("title", article.title), ("published_at", article.published_at),
                            ("authors", article.authors)):
            if not value:
                metrics.child(metrics.MISSING_FIELD, portal, name).inc()

    async def _dedup_and_queue(self, article: Article, result: FetchResult, pages: int) -> None:
        canonical = _canonical(article, result.final_url)
        verdict, story_events = self._dedup(article, canonical)
        if verdict.verdict == "unchanged":
            self.counts["unchanged"] += 1
            return
        event = ArticleEvent(
            id=verdict.article_id or article_id(canonical),
            type="article.updated" if verdict.verdict == "revision" else "article.created",
            article=article,
            canonical_url=canonical,
            portal=result.request.portal,
            fetched_at=result.fetched_at or now_iso(),
            content_hash=self.parts.content_hash(article.paragraphs),
            dedup=verdict,
            pages=pages,
        )
        _observe_freshness(event)
        records = [self._article_record(event)] + [self._story_record(s) for s in story_events]
        await self._put_all(records)

    def _dedup(
        self, article: Article, canonical: str
    ) -> tuple[DedupResult, list[dict[str, object]]]:
        # Synchronous on purpose: no await between recording dedup state and holding the
        # records, so a cancelled worker spools the events rather than a request that
        # would look "unchanged" when fetched again.
        article = dataclasses.replace(article, canonical_url=canonical)
        if self.parts.deduper is None:
            return DedupResult(verdict="new", article_id=article_id(canonical)), []
        result = self.parts.deduper.process(article)
        self.counts[f"dedup_{result[0].verdict}"] += 1
        return result

    def _article_record(self, event: ArticleEvent) -> Outgoing:
        return Outgoing(
            topic=self.settings.broker.articles_topic,
            key=kafka_key(event.canonical_url),
            value=serialize(event.to_dict()),
            headers=ce_headers(event.type, new_event_id(), "article.v1.json", SOURCE),
        )

    def _story_record(self, story: dict[str, object]) -> Outgoing:
        event_type = str(story.get("type", "story.updated"))
        if not event_type.startswith("story."):
            event_type = f"story.{event_type}"
        return Outgoing(
            topic=self.settings.broker.stories_topic,
            key=str(story.get("story_id", "")).encode("utf-8") or None,
            value=serialize(story),
            headers=ce_headers(event_type, new_event_id(), "story.v1.json", SOURCE),
        )

    async def _publish_one(self, record: Outgoing) -> None:
        settings = self.settings.pipeline
        for attempt in range(1, settings.publish_attempts + 1):
            try:
                await self.parts.sender.send(record)
            except PublishError as exc:
                if exc.reason == "message_too_large" or attempt == settings.publish_attempts:
                    log_event(log, "ERROR", "publish failed; record spooled", stage="publish",
                              reason=exc.reason, topic=record.topic)
                    self._unsent.append(record)
                    return
                delay = min(settings.publish_backoff_max_s, 0.2 * 2**attempt)
                await asyncio.sleep(random.uniform(delay / 2, delay))
            else:
                self.counts[f"published:{record.topic}"] += 1
                metrics.child(metrics.STAGE_ITEMS, "publish", "ok").inc()
                return

    # --- failures ----------------------------------------------------------
    async def dead_letter(self, url: str, portal: str, exc: KabarError, attempt: int = 1) -> None:
        """Count, log and publish one failure on the dead-letter topic."""
        event = ErrorEvent(
            url=url,
            stage=exc.stage,
            reason=exc.reason,
            detail=exc.detail[:2000],
            attempt=max(1, attempt),
            time=now_iso(),
            portal=portal,
            status=getattr(exc, "status", None),
        )
        self.counts["errors"] += 1
        metrics.child(metrics.DEAD_LETTERS, portal, exc.stage, exc.reason).inc()
        metrics.child(metrics.STAGE_ITEMS, exc.stage, "error").inc()
        log_event(log, "WARNING", exc.detail[:300], portal=portal, url=url, stage=exc.stage,
                  reason=exc.reason)
        record = Outgoing(
            topic=self.settings.broker.errors_topic,
            key=url.encode("utf-8")[:512],
            value=serialize(event.to_dict()),
            headers=ce_headers(f"error.{exc.stage}", new_event_id(), "error.v1.json", SOURCE),
        )
        held = self._held.get(_current_task())
        await self._put_all([record])
        if held is not None:  # the stage's own item is still being worked on
            self._held[_current_task()] = held

    async def source_error(self, url: str, portal: str, exc: FetchError) -> None:
        """Hook for discovery: a feed or sitemap could not be read."""
        await self.dead_letter(url, portal, exc, 1)


def _canonical(article: Article, final_url: str) -> str:
    """The page's rel=canonical when it plausibly names this article, else the URL."""
    declared = article.canonical_url
    if declared and host_of(declared).removeprefix("www.") == host_of(final_url).removeprefix(
        "www."
    ) and len(declared.split("/", 3)[-1]) > 1:
        return canonicalize(declared)
    return canonicalize(final_url)


def _observe_freshness(event: ArticleEvent) -> None:
    published = event.article.published_at
    if not published:
        return
    with contextlib.suppress(ValueError):
        then = datetime.fromisoformat(published.replace("Z", "+00:00"))
        if then.tzinfo is None:
            then = then.replace(tzinfo=UTC)
        lag = (datetime.now(UTC) - then).total_seconds()
        metrics.child(metrics.FRESHNESS_LAG, event.portal).observe(max(0.0, lag))


def _current_task() -> asyncio.Task[None]:
    task = asyncio.current_task()
    assert task is not None, "pipeline code runs inside tasks"
    return task


def _work_of(item: object) -> list[Outgoing] | FetchRequest:
    """The part of a stage's item that must survive a cancelled worker."""
    if isinstance(item, Outgoing):
        return [item]
    if isinstance(item, FetchResult):
        return item.request
    assert isinstance(item, FetchRequest)
    return item


def _drain_queue(queue: asyncio.Queue[_Q]) -> list[_Q]:
    items: list[_Q] = []
    while not queue.empty():
        items.append(queue.get_nowait())
        queue.task_done()
    return items


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
