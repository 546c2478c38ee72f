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
import heapq
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

import orjson

from kabar import metrics
from kabar.assembly import Assembly
from kabar.dedup.eventtime import parse_time
from kabar.errors import DedupError, ExtractError, FetchError, KabarError, PublishError
from kabar.events import (
    article_event_id,
    article_id,
    ce_headers,
    error_event_id,
    kafka_key,
    now_iso,
    serialize,
    story_event_id,
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
#: The article event's schema: v2 carries the body once, as ``paragraphs``.
ARTICLE_SCHEMA = "article.v2.json"
#: Room left in a broker request beside an article event's value (key, headers, framing).
EVENT_HEADROOM = 16 * 1024
LANGUAGE_SAMPLE_CHARS = 1200


#: The fetch queue holds at most this many times ``fetch_queue_size`` over all hosts.
_HARD_CAP = 8


class HostFairQueue(asyncio.Queue[FetchRequest]):
    """A bounded queue that hands out requests round-robin by host, and only for
    hosts with a free slot.

    ``get`` takes one of the request's host slots (at most ``per_host`` in flight)
    before the worker commits to it, and ``release`` gives it back when the worker
    is done (answered, failed or re-queued). A slow or never-answering host thus
    holds at most ``per_host`` workers; its other requests wait here while other
    hosts' requests pass them. ``defer`` puts a request back for later (a
    Retry-After): it is not handed out before then and does not count against the
    bound, so a worker re-queueing its own request never blocks on a full queue.
    ``get_nowait`` (used to spool leftovers) hands out anything, slots or not.

    The bound applies per host: ``put`` waits while the request's host already
    has ``maxsize`` requests waiting, so a host that never answers fills only its
    own share and other portals' sources can still queue theirs; the whole queue
    stops at ``_HARD_CAP`` times that.
    """

    def __init__(self, maxsize: int = 0, *, per_host: int = 0) -> None:
        super().__init__(maxsize)
        #: 0: no per-host cap (slots are still counted).
        self._per_host = per_host

    def _init(self, maxsize: int) -> None:
        self._by_host: dict[str, collections.deque[FetchRequest]] = {}
        self._turns: collections.deque[str] = collections.deque()
        self._count = 0
        self._busy: Counter[str] = Counter()
        #: (due time on the loop clock, sequence, request), earliest first.
        self._later: list[tuple[float, int, FetchRequest]] = []
        self._sequence = 0
        self._wake: asyncio.TimerHandle | None = None

    async def put(self, item: FetchRequest) -> None:
        """Queue ``item`` once its host has room (see the class notes)."""
        host = host_of(item.url)
        while not self._room_for(host):
            putter = asyncio.get_running_loop().create_future()
            self._putters.append(putter)  # type: ignore[attr-defined]
            try:
                await putter
            except BaseException:
                putter.cancel()
                with contextlib.suppress(ValueError):
                    self._putters.remove(putter)  # type: ignore[attr-defined]
                raise
        self.put_nowait(item)

    def put_nowait(self, item: FetchRequest) -> None:
        if not self._room_for(host_of(item.url)):
            raise asyncio.QueueFull
        self._put(item)
        self._unfinished_tasks += 1  # type: ignore[attr-defined]
        self._finished.clear()  # type: ignore[attr-defined]
        self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def _room_for(self, host: str) -> bool:
        if self.maxsize <= 0:
            return True
        waiting = len(self._by_host.get(host, ()))
        return waiting < self.maxsize and self._count < self.maxsize * _HARD_CAP

    def _wake_putters(self) -> None:
        """Every waiting producer checks again: room freed for one host is not room
        for another, so waking just one could wake the wrong one."""
        putters = self._putters  # type: ignore[attr-defined]
        while putters:
            self._wakeup_next(putters)  # type: ignore[attr-defined]

    def _put(self, item: FetchRequest) -> None:
        host = host_of(item.url)
        waiting = self._by_host.get(host)
        if waiting is None:
            waiting = self._by_host[host] = collections.deque()
            self._turns.append(host)
        waiting.append(item)
        self._count += 1

    def _get(self) -> FetchRequest:
        """Any request (``get_nowait``: spooling); deferred ones once the rest are out."""
        item = self._take(ignore_slots=True)
        if item is None:
            _, _, item = heapq.heappop(self._later)
        self._wake_putters()
        return item

    def _take(self, *, ignore_slots: bool = False) -> FetchRequest | None:
        """The next request, in host turns, whose host has a free slot."""
        for _ in range(len(self._turns)):
            host = self._turns.popleft()
            if not ignore_slots and self._per_host and self._busy[host] >= self._per_host:
                self._turns.append(host)
                continue
            waiting = self._by_host[host]
            item = waiting.popleft()
            if waiting:
                self._turns.append(host)
            else:
                del self._by_host[host]
            self._count -= 1
            return item
        return None

    async def get(self) -> FetchRequest:
        """Wait for a request whose host has a free slot, and take that slot."""
        loop = asyncio.get_running_loop()
        while True:
            self._release_due(loop.time())
            item = self._take()
            if item is not None:
                self._busy[host_of(item.url)] += 1
                self._wake_putters()
                if self._count:  # several may have become ready at once (slots, due times)
                    self._wakeup_next(self._getters)  # type: ignore[attr-defined]
                return item
            getter = loop.create_future()
            self._getters.append(getter)  # type: ignore[attr-defined]
            self._arm_timer(loop)
            try:
                await getter
            except BaseException:
                woken = getter.done() and not getter.cancelled()
                getter.cancel()
                with contextlib.suppress(ValueError):
                    self._getters.remove(getter)  # type: ignore[attr-defined]
                if woken:  # pass the wake-up on rather than lose it
                    self._wakeup_next(self._getters)  # type: ignore[attr-defined]
                raise

    def release(self, request: FetchRequest) -> None:
        """The worker is done with ``request`` (taken with ``get``): free its host slot."""
        host = host_of(request.url)
        self._busy[host] -= 1
        if self._busy[host] <= 0:
            del self._busy[host]
        if host in self._by_host:
            self._wakeup_next(self._getters)  # type: ignore[attr-defined]

    def defer(self, request: FetchRequest, delay_s: float) -> None:
        """Queue ``request`` again, to be handed out no sooner than ``delay_s`` from now."""
        loop = asyncio.get_running_loop()
        self._sequence += 1
        heapq.heappush(self._later, (loop.time() + max(0.0, delay_s), self._sequence, request))
        self._unfinished_tasks += 1  # type: ignore[attr-defined]
        self._finished.clear()  # type: ignore[attr-defined]
        self._arm_timer(loop)

    def _release_due(self, now: float) -> None:
        while self._later and self._later[0][0] <= now:
            _, _, item = heapq.heappop(self._later)
            self._put(item)

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake a waiting worker when the earliest deferred request falls due."""
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        if self._later:
            self._wake = loop.call_at(self._later[0][0], self._on_due)

    def _on_due(self) -> None:
        self._wake = None
        self._release_due(asyncio.get_running_loop().time())
        self._wakeup_next(self._getters)  # type: ignore[attr-defined]
        self._arm_timer(asyncio.get_running_loop())

    def in_flight(self, host: str) -> int:
        return self._busy[host]

    def qsize(self) -> int:
        return self._count + len(self._later)

    def full(self) -> bool:
        """At the nominal bound (other hosts may still have room: see ``put``).
        Deferred requests are already accepted work: they do not count."""
        return 0 < self.maxsize <= self._count

    def empty(self) -> bool:
        return not self._count and not self._later


class ArticleFetcher(Protocol):
    async def fetch(self, request: FetchRequest) -> FetchResult: ...


class Sources(Protocol):
    async def poll_once(self) -> list[FetchRequest]: ...

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None: ...


class Sender(Protocol):
    async def send(self, record: Outgoing) -> None: ...


class PageExtractor(Protocol):
    """Extraction away from the event loop (``kabar.extract_pool``)."""

    size: int

    async def extract(
        self, page: bytes | str, url: str, portal: str, *, urgent: bool = False
    ) -> Article: ...


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
    #: Worker processes that run ``extract`` instead of a thread of this process.
    extract_pool: PageExtractor | None = None


class Pipeline:
    def __init__(self, settings: Settings, parts: Components, spool: Spool | None = None):
        self.settings = settings
        self.parts = parts
        self.spool = spool or Spool(settings.pipeline.spool_path)
        p = settings.pipeline
        self.fetch_q = HostFairQueue(
            p.fetch_queue_size, per_host=settings.fetch.per_host_concurrency
        )
        self.extract_q: asyncio.Queue[FetchResult] = asyncio.Queue(p.extract_queue_size)
        self.publish_q: asyncio.Queue[Outgoing] = asyncio.Queue(p.publish_queue_size)
        self.stop_event = asyncio.Event()
        self.running = False
        self.counts: Counter[str] = Counter()
        self._unsent: list[Outgoing] = []
        #: What each worker task holds right now, so a cancelled worker's item is spooled.
        self._held: dict[asyncio.Task[None], list[Outgoing] | FetchRequest] = {}
        #: Multi-page articles waiting for their further pages (``kabar.assembly``).
        self.assembly = Assembly(p.max_assembling, settings.fetch.workers, p.pages_timeout_s)

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
            await _cancel(workers + list(self.assembly.tasks))
            self._spool_leftovers()
        return self.counts

    def _start_workers(self) -> list[asyncio.Task[None]]:
        fetchers = self.settings.fetch.workers
        extractors = self.settings.pipeline.extract_workers
        if self.parts.extract_pool is not None:
            # Enough stage workers to keep every extraction process busy while others
            # wait for their article's pages, dedup or the publish queue.
            extractors = max(extractors, 2 * self.parts.extract_pool.size)
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
            await self.fetch_q.join()
            await self.extract_q.join()
            await self.assembly.join()  # assembled articles go on to the publish queue
            await self.publish_q.join()

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
            result: FetchResult | FetchError = await self.parts.fetcher.fetch(request)
        except FetchError as exc:
            result = exc
        finally:
            self.fetch_q.release(request)  # the host slot ``get`` took: free it before waiting
        if isinstance(result, FetchError):
            if self._retry_later(request, result):
                return
            if result.retryable and self.parts.forget is not None:
                self.parts.forget(request.url)
            await self.dead_letter(request.url, request.portal, result, request.attempt)
            return
        self.counts["fetched"] += 1
        metrics.child(metrics.STAGE_ITEMS, "fetch", "ok").inc()
        await self.extract_q.put(result)
        metrics.child(metrics.QUEUE_DEPTH, "extract").set(self.extract_q.qsize())

    def _retry_later(self, request: FetchRequest, exc: FetchError) -> bool:
        """Put a URL that was told to come back later (Retry-After) back in the queue,
        while attempts and the longest honoured wait allow."""
        delay = getattr(exc, "retry_after", None)
        fetch = self.settings.fetch
        if not exc.retryable or delay is None or delay > fetch.retry_after_max_s:
            return False
        if request.attempt > fetch.retries:
            return False
        metrics.child(metrics.RETRIES, request.portal, exc.reason).inc()
        self.fetch_q.defer(dataclasses.replace(request, attempt=request.attempt + 1), delay)
        return True

    async def _extract_one(self, result: FetchResult) -> None:
        portal = result.request.portal
        try:
            with metrics.child(metrics.EXTRACT_SECONDS, portal).time():
                article = await self._extract_page(result, portal)
        except ExtractError as exc:
            metrics.child(metrics.EXTRACTIONS, portal, exc.reason).inc()
            await self.dead_letter(result.final_url, portal, exc, 1)
            return
        urls = list(article.next_pages)[: max(0, self.settings.fetch.max_pages - 1)]
        if urls:
            # Further pages come in beside this stage, which goes on with the next page.
            await self.assembly.spawn(self._assemble(article, result, urls))
            return
        await self._finish(dataclasses.replace(article, next_pages=()), result, 1)

    async def _finish(self, article: Article, result: FetchResult, pages: int) -> None:
        article = self._complete(article, result)
        self._observe_article(article, result.request.portal)
        self.counts["extracted"] += 1
        await self._dedup_and_queue(article, result, pages)

    async def _extract_page(
        self, result: FetchResult, portal: str, *, urgent: bool = False
    ) -> Article:
        url = result.final_url
        if self.parts.extract_pool is not None:
            # UTF-8 bytes cross to the worker as they are and are parsed as they are.
            page = result.body or result.html
            return await self.parts.extract_pool.extract(page, url, portal, urgent=urgent)
        return await asyncio.to_thread(self.parts.extract, result.html, url, portal)

    async def _assemble(self, first: Article, result: FetchResult, urls: list[str]) -> None:
        """Fetch the article's further pages, stitch them in and send the article on."""
        task = _current_task()
        self._held[task] = result.request  # until queued for publishing: spooled if cancelled
        portal = result.request.portal

        async def page(url: str) -> Article:
            request = FetchRequest(url=url, portal=portal, source="pagination")
            # Urgent: an article already under way is finished before new ones start.
            fetched = await self.parts.fetcher.fetch(request)
            return await self._extract_page(fetched, portal, urgent=True)

        try:
            got = await self.assembly.gather(urls, page)
            for url, exc in got.failures:
                await self.dead_letter(url, portal, exc, 1)
            article = self.parts.stitch(first, got.articles) if got.articles else first
            article = dataclasses.replace(article, next_pages=())
            await self._finish(article, result, 1 + len(got.articles))
        except Exception:  # a bug must not lose the article silently
            log.exception("unexpected error assembling a multi-page article")
            metrics.child(metrics.STAGE_ITEMS, "extract", "crash").inc()
        self._held.pop(task, None)  # not reached when cancelled: the request gets spooled

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
            title=_capped(article.title or req.title_hint or "",
                          self.settings.extract.max_title_chars),
            published_at=article.published_at or req.published_hint,
            language=language,
        )

    def _observe_article(self, article: Article, portal: str) -> None:
        metrics.child(metrics.EXTRACTIONS, portal, "ok").inc()
        metrics.child(metrics.STAGE_ITEMS, "extract", "ok").inc()
        metrics.child(metrics.BODY_WORDS, portal).observe(article.word_count)
        metrics.child(metrics.CLUTTER_REMOVED, portal).inc(article.clutter_removed)
        for name, value in (("title", article.title), ("published_at", article.published_at),
                            ("authors", article.authors)):
            if not value:
                metrics.child(metrics.MISSING_FIELD, portal, name).inc()

    async def _dedup_and_queue(self, article: Article, result: FetchResult, pages: int) -> None:
        canonical = _canonical(article, result.final_url)
        # Before dedup records it: an article that can never be published must not be
        # remembered as seen (it would be "unchanged" next time, and lost).
        too_large = self._too_large(article)
        if too_large is not None:
            await self.dead_letter(canonical, result.request.portal, too_large, 1)
            return
        try:
            verdict, story_events = self._dedup(article, canonical, parse_time(result.fetched_at))
        except DedupError as exc:  # e.g. state that cannot be written: visible, not dropped
            await self.dead_letter(canonical, result.request.portal, exc, 1)
            return
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
            content_hash=verdict.content_hash or self.parts.content_hash(article.paragraphs),
            dedup=verdict,
            pages=pages,
        )
        _observe_freshness(event)
        records = [self._article_record(event)] + [self._story_record(s, event.fetched_at)
                                                  for s in story_events]
        await self._put_all(records)

    def _too_large(self, article: Article) -> PublishError | None:
        """An ``event_too_large`` error when the article's event cannot fit the broker's
        request size (``broker.max_request_size``); None when it fits."""
        limit = self.settings.broker.max_request_size - EVENT_HEADROOM
        text = sum(len(p) for p in article.paragraphs) + len(article.title)
        if 4 * text + EVENT_HEADROOM <= limit:  # 4 bytes a character at most: surely fits
            return None
        event = ArticleEvent(id="", type="article.created", article=article,
                             canonical_url=article.url, portal=article.portal or "",
                             fetched_at="", content_hash="", dedup=DedupResult("new"))
        size = len(serialize(event.to_dict()))
        if size <= limit:
            return None
        metrics.child(metrics.PUBLISH_FAILURES, self.settings.broker.articles_topic,
                      "event_too_large").inc()
        return PublishError(f"the article event is {size} bytes, over the broker's "
                            f"{self.settings.broker.max_request_size}-byte request size",
                            reason="event_too_large", url=article.url)

    def _dedup(
        self, article: Article, canonical: str, fetched: datetime | None = None
    ) -> tuple[DedupResult, list[dict[str, object]]]:
        # Synchronous on purpose: no await between recording dedup state and holding the
        # records, so a cancelled worker spools the events rather than a request that
        # would look "unchanged" when fetched again.
        article = dataclasses.replace(article, canonical_url=canonical)
        if self.parts.deduper is None:
            return DedupResult(verdict="new", article_id=article_id(canonical)), []
        result = self.parts.deduper.process(article, when=fetched)  # stories: event time
        self.counts[f"dedup_{result[0].verdict}"] += 1
        return result

    def _article_record(self, event: ArticleEvent) -> Outgoing:
        return Outgoing(
            topic=self.settings.broker.articles_topic,
            key=kafka_key(event.canonical_url),
            value=serialize(event.to_dict()),
            headers=ce_headers(
                event.type,
                article_event_id(event.canonical_url, event.content_hash, event.dedup.revision),
                ARTICLE_SCHEMA,
                SOURCE,
                event.fetched_at,
            ),
        )

    def _story_record(self, story: dict[str, object], fallback_time: str) -> Outgoing:
        event_type = str(story.get("type", "story.updated"))
        if not event_type.startswith("story."):
            event_type = f"story.{event_type}"
        return Outgoing(
            topic=self.settings.broker.stories_topic,
            key=str(story.get("story_id", "")).encode("utf-8") or None,
            value=serialize(story),
            headers=ce_headers(event_type, story_event_id(story), "story.v1.json", SOURCE,
                               _story_time(story) or fallback_time),
        )

    async def _publish_one(self, record: Outgoing) -> None:
        settings = self.settings.pipeline
        for attempt in range(1, settings.publish_attempts + 1):
            try:
                await self.parts.sender.send(record)
            except PublishError as exc:
                if exc.reason == "message_too_large":
                    # Sending it again can never work: a dead letter says so, once.
                    await self._refused(record, exc)
                    return
                if attempt == settings.publish_attempts:
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

    async def _refused(self, record: Outgoing, exc: PublishError) -> None:
        if record.topic == self.settings.broker.errors_topic:
            log_event(log, "ERROR", "dead-letter event refused as too large; dropped",
                      stage="publish", reason=exc.reason, topic=record.topic)
            return
        try:
            value = orjson.loads(record.value)
        except orjson.JSONDecodeError:
            value = {}
        where = str(value.get("url") or value.get("story_id") or record.topic)
        error = PublishError(f"{record.topic} event of {len(record.value)} bytes refused: "
                             f"{exc.detail}", reason="event_too_large", url=where)
        await self.dead_letter(where, str(value.get("portal") or ""), error, 1)

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
            headers=ce_headers(
                f"error.{exc.stage}",
                error_event_id(url, exc.stage, exc.reason, event.attempt),
                "error.v1.json",
                SOURCE,
                event.time,
            ),
        )
        held = self._held.get(_current_task())
        await self._put_all([record])
        if held is not None:  # the stage's own item is still being worked on
            self._held[_current_task()] = held

    async def source_error(self, url: str, portal: str, exc: FetchError) -> None:
        """Hook for discovery: a feed or sitemap could not be read."""
        await self.dead_letter(url, portal, exc, 1)


def _capped(title: str, limit: int) -> str:
    """A title of at most ``limit`` characters, cut at a word where one is near."""
    if len(title) <= limit:
        return title
    cut = title[: max(0, limit - 1)]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "\u2026"


def _canonical(article: Article, final_url: str) -> str:
    """The page's rel=canonical when it plausibly names this article, else the URL."""
    declared = article.canonical_url
    if declared and host_of(declared).removeprefix("www.") == host_of(final_url).removeprefix(
        "www."
    ) and len(declared.split("/", 3)[-1]) > 1:
        return canonicalize(declared)
    return canonicalize(final_url)


def _story_time(story: dict[str, object]) -> str | None:
    """A story event's own time: when its newest member was seen (event time)."""
    last = story.get("last_seen")
    return last if isinstance(last, str) and last else None


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
