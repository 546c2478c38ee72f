"""The streaming pipeline: sources → fetch → extract (+ more pages) → dedup →
publish, as asyncio stages joined by bounded queues.

Bounded queues carry back-pressure: when the broker is slow the publish queue
fills, the extract stage blocks on it, then fetch, then the sources. Failures
at any stage become dead-letter events and the pipeline goes on.

Nothing is marked done before the broker acknowledged it. Every request is
journaled (``kabar.spool``) before it enters the fetch queue, and fsync'd
(group commit, in a thread) before its admission returns; the
records made from it are journaled, settling the request, before they are
sent; a record leaves the journal on its ack, which also marks its URL seen
(``UrlClaims.done``). Dedup verdicts become durable (``Deduper.commit``) only
at moments when every event the stage made so far is acknowledged. So
``kill -9`` at any moment leaves either a request to fetch again or a record
to send again (with the same deterministic ``ce_id``), never a lost article.
Shutdown (``request_stop``) stops intake and drains within a deadline (at
once when the broker is down: the journal holds everything).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

import orjson

from kabar import metrics, stagewatch
from kabar.assembly import Assembly
from kabar.claims import UrlClaims
from kabar.dedup.eventtime import parse_time
from kabar.dedup.templatelines import published
from kabar.errors import (
    ContentError,
    DedupError,
    ExtractError,
    FetchError,
    KabarError,
    PublishError,
)
from kabar.events import (
    article_event_id,
    article_id,
    canonical_of,
    ce_headers,
    error_event_id,
    kafka_key,
    now_iso,
    serialize,
    story_event_id,
)
from kabar.fetch.hostqueue import HostFairQueue
from kabar.logs import log_event
from kabar.models import Article, ArticleEvent, DedupResult, ErrorEvent, FetchRequest, FetchResult
from kabar.publish import Outgoing
from kabar.settings import Settings
from kabar.spool import Journaled, Pending, Spool
from kabar.urls import canonicalize, host_of

if TYPE_CHECKING:
    from kabar.dedup.text import TextFeatures
    from kabar.extract_pool import ExtractPool
    from kabar.fetch.page import WirePage

log = logging.getLogger("kabar.pipeline")

_T = TypeVar("_T")

SOURCE = "kabar"
#: The article event's schema: v2 carries the body once, as ``paragraphs``.
ARTICLE_SCHEMA = "article.v2.json"
#: Room left in a broker request beside an article event's value (key, headers, framing).
EVENT_HEADROOM = 16 * 1024
LANGUAGE_SAMPLE_CHARS = 1200
#: At most one "portal rule matched nothing" line per portal and kind this often.
RULE_MISS_LOG_INTERVAL_S = 300.0


class ArticleFetcher(Protocol):
    async def fetch(self, request: FetchRequest) -> FetchResult: ...


class WireFetcher(Protocol):
    """A fetcher that can leave a page's body undecoded for the extraction process
    (``kabar.fetch.Fetcher.fetch_wire``)."""

    async def fetch_wire(self, request: FetchRequest) -> tuple[FetchResult, WirePage]: ...

    def count_page(self, portal: str, status: str) -> None: ...


class Sources(Protocol):
    async def poll_once(self) -> list[FetchRequest]: ...

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None: ...


class Sender(Protocol):
    async def send(self, record: Outgoing) -> None: ...


class PageExtractor(Protocol):
    """Extraction away from the event loop (``kabar.extract_pool``)."""

    size: int

    async def extract(
        self, page: bytes | str | WirePage, url: str, portal: str, *, urgent: bool = False
    ) -> Article: ...


class Deduplicator(Protocol):
    def process(
        self, article: Article, *, when: datetime | None = None,
        features: TextFeatures | None = None,
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
    #: URL status: done once published, released when a fetch failed for a passing
    #: reason (so a later poll retries it).
    claims: UrlClaims | None = None
    #: Worker processes that run ``extract`` instead of a thread of this process.
    extract_pool: PageExtractor | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class _Fetched:
    """A fetched page on its way to extraction, with its journal ticket."""

    result: FetchResult
    ticket: int | None
    #: The request's canonical URL (its claim), worked out once at fetch.
    mark: str
    #: The body as it came over the wire, for the extraction process to decode
    #: (``result`` has no text then).
    wire: WirePage | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class _Send:
    """A journaled record on its way to the broker."""

    entry: Journaled
    from_dedup: bool = False
    #: The request this record was made from, when it settles one.
    ticket: int | None = None


class Pipeline:
    def __init__(self, settings: Settings, parts: Components, spool: Spool | None = None):
        self.settings = settings
        self.parts = parts
        self.spool = spool or Spool(settings.pipeline.spool_path)
        p = settings.pipeline
        #: Where sources put what they find: journaled on its way into the fetch queue.
        self.intake_q: asyncio.Queue[FetchRequest] = _Intake(self)
        self.fetch_q = HostFairQueue.for_fetch(p.fetch_queue_size, settings.fetch)
        self.fetch_q.attach(parts.fetcher)  # slow requests give their host slot back
        #: Pages fetched as they came over the wire and decoded by the extraction
        #: processes (None: decoded by the fetch, on this loop).
        self._wire = _wire_fetcher(parts)
        if parts.deduper is not None and hasattr(parts.extract_pool, "text_features"):
            # Dedup runs on this loop: the extraction processes do its text work.
            setattr(parts.extract_pool, "text_features", True)  # noqa: B010 - a seam
        self.extract_q: asyncio.Queue[_Fetched] = asyncio.Queue(p.extract_queue_size)
        self.publish_q: asyncio.Queue[_Send] = asyncio.Queue(p.publish_queue_size)
        self.stop_event = asyncio.Event()
        self.running = False
        self.counts: Counter[str] = Counter()
        self.outage = OutageLog(p.outage_log_interval_s)
        self._once = False
        #: Journal ids of the requests in the fetch queue (equal requests share a deque).
        self._tickets: dict[FetchRequest, collections.deque[int]] = {}
        #: Called once everything made from a request is acknowledged (or there was
        #: nothing to publish): a distributed role commits its input offset here.
        self.on_request_done: Callable[[FetchRequest], None] | None = None
        self._requests: dict[int, FetchRequest] = {}
        self._unacked: dict[int, int] = {}
        self._dedup_gate = asyncio.Lock()
        self._dedup_unacked = 0
        self._dedup_settled = asyncio.Event()
        self._dedup_settled.set()
        #: Multi-page articles waiting for their further pages (``kabar.assembly``).
        self.assembly = Assembly(p.max_assembling, p.pages_in_flight or settings.fetch.workers,
                                 p.pages_timeout_s)
        #: What the stage workers are waiting on now (``kabar.stagewatch``).
        self.occupancy = stagewatch.Occupancy()

    # --- lifecycle ---------------------------------------------------------
    def request_stop(self) -> None:
        """Stop intake; ``run`` then drains and returns."""
        if not self.stop_event.is_set():
            log.info("stop requested: draining")
        self.stop_event.set()

    async def run(self, *, once: bool = False) -> Counter[str]:
        self._once = once
        pending = self.spool.open()
        workers = self._start_workers()
        self.running = True
        metrics.PIPELINE_RUNNING.set(1)
        try:
            async with stagewatch.watching(*self._probes(), self.occupancy):
                await self._resume(pending)
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
            self._final_commit()
            if not self.journal_outlives_run:
                self.close_journal()
        return self.counts

    def _probes(self) -> tuple[dict[str, stagewatch.Probe], dict[str, int]]:
        """Queue depths and pool use for ``kabar.stagewatch``, with their bounds."""
        probes: dict[str, stagewatch.Probe] = {
            "q_fetch": lambda: self.fetch_q.qsize(),
            "q_extract": lambda: self.extract_q.qsize(),
            "q_publish": lambda: self.publish_q.qsize(),
            "assembling": lambda: len(self.assembly),
        }
        bounds = {"q_extract": self.extract_q.maxsize, "q_publish": self.publish_q.maxsize}
        pool = self.parts.extract_pool
        busy = getattr(pool, "busy", None)
        if pool is not None and callable(busy):
            probes["pool_busy"] = busy
            bounds["pool_busy"] = pool.size
        return probes, bounds

    #: The journal stays open after ``run`` (its owner settles entries later, then
    #: calls ``close_journal``).
    journal_outlives_run = False

    def close_journal(self) -> None:
        self._report_spooled()
        self.spool.close()

    def _start_workers(self) -> list[asyncio.Task[None]]:
        fetchers = self.settings.fetch.workers
        extractors = self.settings.pipeline.extract_workers
        pool = self.parts.extract_pool
        if pool is not None:
            # Enough stage workers to keep every place at the extraction processes
            # filled while others wait for their article's pages, dedup or the
            # publish queue.
            extractors = max(extractors, getattr(pool, "capacity", pool.size) + pool.size)
        tasks = [asyncio.create_task(self._loop(self.fetch_q, self._fetch_one, "fetch"))
                 for _ in range(max(1, fetchers) + self.fetch_q.parked_total)]
        tasks += [asyncio.create_task(self._loop(self.extract_q, self._extract_one, "extract"))
                  for _ in range(max(1, extractors))]
        tasks += [asyncio.create_task(self._loop(self.publish_q, self._publish_one, "publish"))
                  for _ in range(max(1, self.settings.pipeline.publish_workers))]
        if self._defer_dedup_commits():
            tasks.append(asyncio.create_task(self._commit_loop()))
        return tasks

    async def _run_sources(self) -> None:
        sources = asyncio.create_task(self.parts.sources.run(self.intake_q, self.stop_event))
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
        """Journal requests, then queue them for fetching."""
        tickets = self.spool.add_requests(requests)
        await self._queue_fetches(list(zip(tickets, requests, strict=True)))

    async def _queue_fetches(self, ticketed: Sequence[tuple[int, FetchRequest]]) -> None:
        for ticket, request in ticketed:
            self._tickets.setdefault(request, collections.deque()).append(ticket)
            if self.on_request_done is not None:
                self._requests[ticket] = request
            await self.fetch_q.put(request)
            metrics.child(metrics.QUEUE_DEPTH, "fetch").set(self.fetch_q.qsize())

    async def admit(self, request: FetchRequest) -> None:
        """Queue one discovered request once its host has room (each source waits on
        its own hosts only), journaled before a fetch worker can take it and durable
        once this returns. The fsync runs in a thread, shared by every admission
        meanwhile (group commit): the event loop never waits on the disk. A worker
        may fetch the request before that fsync: the fsync covering its records
        covers the earlier request line too."""
        await self.fetch_q.put(request)
        # No await since the put: no worker has taken it before its ticket exists.
        [ticket] = self.spool.add_requests([request], sync=False)
        self._tickets.setdefault(request, collections.deque()).append(ticket)
        if self.on_request_done is not None:
            self._requests[ticket] = request
        metrics.child(metrics.QUEUE_DEPTH, "fetch").set(self.fetch_q.qsize())
        # As the synchronous write did, a refused disk is reported, not waited out.
        await self.spool.sync_async()

    def _take_ticket(self, request: FetchRequest) -> int | None:
        tickets = self._tickets.get(request)
        if not tickets:
            return None
        ticket = tickets.popleft()
        if not tickets:
            del self._tickets[request]
        return ticket

    async def _drain(self, timeout_s: float | None) -> None:
        async def join_all() -> None:
            await self.fetch_q.join()
            await self.extract_q.join()
            await self.assembly.join()  # assembled articles go on to the publish queue
            await self.publish_q.join()

        joined = asyncio.create_task(join_all())
        # A one-shot run waits out an outage; a stopping service need not (all is journaled).
        grace_s = float("inf") if timeout_s is None else self.settings.pipeline.outage_drain_s
        outage = asyncio.create_task(self.outage.lasting(grace_s))
        try:
            await asyncio.wait({joined, outage}, timeout=timeout_s,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (joined, outage):
                task.cancel()
        if not joined.done() or joined.cancelled():
            why = "broker down" if outage.done() and not outage.cancelled() else "deadline"
            log_event(log, "WARNING", "drain stopped; the journal keeps what is left", why=why)

    async def _resume(self, pending: Pending) -> None:
        """Send again what a previous run journaled but never saw acknowledged."""
        if not len(pending):
            return
        log_event(log, "INFO", "resuming spooled work", records=len(pending.records),
                  requests=len(pending.requests))
        claims = self.parts.claims
        if claims is not None:  # in flight again: discovery must not queue them twice
            for _, request in pending.requests:
                claims.claim(canonicalize(request.url))
        for entry in pending.records:
            await self.publish_q.put(_Send(entry))
        await self._queue_fetches(pending.requests)

    def _report_spooled(self) -> None:
        """One line saying what the journal keeps for the next start."""
        if self.spool.pending:
            log_event(log, "WARNING", "stopped with work spooled for the next start",
                      records=self.spool.pending_records,
                      requests=self.spool.pending - self.spool.pending_records,
                      path=str(self.spool.path or ""))

    # --- stages ------------------------------------------------------------
    async def _loop(
        self, queue: asyncio.Queue[_T], handle: Callable[[_T], Awaitable[None]], stage: str
    ) -> None:
        depth, in_flight = metrics.QUEUE_DEPTH.labels(stage), metrics.IN_FLIGHT.labels(stage)
        while True:
            item = await queue.get()
            depth.set(queue.qsize())
            in_flight.inc()
            try:
                await handle(item)
            except Exception:  # a bug in one item must not kill the stage
                log.exception("unexpected error in stage %s", stage)
                metrics.child(metrics.STAGE_ITEMS, stage, "crash").inc()
            finally:
                in_flight.dec()
                queue.task_done()

    async def _emit(
        self,
        records: list[Outgoing],
        *,
        settles: int | None = None,
        mark: str | None = None,
        from_dedup: bool = False,
    ) -> None:
        """Journal records (settling the request they came from), then queue them."""
        await self._queue(self._hold(records, settles=settles, mark=mark, from_dedup=from_dedup))

    def _hold(
        self,
        records: list[Outgoing],
        *,
        settles: int | None = None,
        mark: str | None = None,
        from_dedup: bool = False,
    ) -> list[_Send]:
        """Journal records (not yet durable) and count them as unacknowledged: from here
        on a dedup commit waits for their acks."""
        entries = self.spool.add_records(records, mark=mark, settles=settles, sync=False)
        if from_dedup:
            self._dedup_unacked += len(entries)
            self._dedup_settled.clear()
        if settles is not None:
            self._unacked[settles] = len(entries)
        return [_Send(entry, from_dedup, settles) for entry in entries]

    async def _queue(self, sends: list[_Send]) -> None:
        """Queue held records for the broker once the journal holding them is durable."""
        if not sends:
            return
        with self.occupancy.doing("journal_sync"):
            await self._journal_durable()
        with self.occupancy.doing("put_publish_q"):
            for send in sends:
                await self.publish_q.put(send)
        metrics.child(metrics.QUEUE_DEPTH, "publish").set(self.publish_q.qsize())

    async def _journal_durable(self) -> None:
        """While the disk refuses the journal (full, read-only), wait for it before
        sending: a record sent unjournaled could be lost by a crash (statefile
        reports the failure on /readyz and in the metrics meanwhile)."""
        delay = 0.1
        while not await self.spool.sync_async():
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)

    def _settle(self, ticket: int | None, mark: str | None) -> None:
        """A request finished with nothing to publish (e.g. unchanged)."""
        if ticket is not None:
            self.spool.done([ticket])
        if mark is not None and self.parts.claims is not None:
            self.parts.claims.done(mark)
        self._request_done(ticket)

    def _request_done(self, ticket: int | None) -> None:
        request = self._requests.pop(ticket, None) if ticket is not None else None
        if request is not None and self.on_request_done is not None:
            self.on_request_done(request)

    def _record_done(self, ticket: int | None) -> None:
        if ticket is None or ticket not in self._unacked:
            return
        self._unacked[ticket] -= 1
        if self._unacked[ticket] <= 0:
            del self._unacked[ticket]
            self._request_done(ticket)

    async def _fetch_one(self, request: FetchRequest) -> None:
        ticket = self._take_ticket(request)
        mark = canonical_of(request.url)
        self.occupancy.enter("fetching")
        wire: WirePage | None = None
        try:
            result: FetchResult | FetchError
            result, wire = await self._fetch(request)
        except FetchError as exc:
            result = exc
        finally:
            self.occupancy.leave("fetching")
            self.fetch_q.release(request)  # the host slot ``get`` took: free it before waiting
        if isinstance(result, FetchError):
            if self._retry_later(request, result, ticket):
                return
            held: str | None = mark
            if result.retryable and self.parts.claims is not None:
                self.parts.claims.release(mark)
                held = None
            await self._dead_letter(request.url, request.portal, result, request.attempt,
                                    settles=ticket, mark=held)
            return
        self.counts["fetched"] += 1
        metrics.child(metrics.STAGE_ITEMS, "fetch", "ok").inc()
        with self.occupancy.doing("put_extract_q"):
            await self.extract_q.put(_Fetched(result, ticket, mark, wire))
        metrics.child(metrics.QUEUE_DEPTH, "extract").set(self.extract_q.qsize())

    async def _fetch(self, request: FetchRequest) -> tuple[FetchResult, WirePage | None]:
        """A page fetched, with its body still as it came over the wire when the
        extraction processes decode it."""
        if self._wire is not None:
            result, wire = await self._wire.fetch_wire(request)
            return result, wire
        return await self.parts.fetcher.fetch(request), None

    @contextlib.contextmanager
    def _judging(self, result: FetchResult, wire: WirePage | None) -> Iterator[None]:
        """Count a wire page's fetch once the extraction process judged its body: its
        HTTP status, or the reason the body was refused (as ``Fetcher.fetch`` counts)."""
        if wire is None or self._wire is None:
            yield
            return
        status = str(result.status)
        try:
            yield
        except ContentError as exc:
            status = exc.reason
            raise
        finally:
            self._wire.count_page(result.request.portal, status)

    def _retry_later(self, request: FetchRequest, exc: FetchError, ticket: int | None) -> bool:
        """Put a URL that was told to come back later (Retry-After) back in the queue,
        while attempts and the longest honoured wait allow."""
        delay = getattr(exc, "retry_after", None)
        fetch = self.settings.fetch
        if not exc.retryable or delay is None or delay > fetch.retry_after_max_s:
            return False
        if request.attempt > fetch.retries:
            return False
        metrics.child(metrics.RETRIES, request.portal, exc.reason).inc()
        again = dataclasses.replace(request, attempt=request.attempt + 1)
        if ticket is not None:  # the same journaled work, tried again later
            # ``_requests`` keeps the request as its source handed it over: the frontier
            # knows its record by that one, not by this later attempt.
            self._tickets.setdefault(again, collections.deque()).append(ticket)
        self.fetch_q.defer(again, delay)
        return True

    async def _extract_one(self, item: _Fetched) -> None:
        result, ticket, mark = item.result, item.ticket, item.mark
        portal = result.request.portal
        try:
            with metrics.child(metrics.EXTRACT_SECONDS, portal).time():
                article, features = await self._extract_first(result, portal, item.wire)
        except ContentError as exc:  # the body, decoded by the extraction process
            request = result.request
            await self._dead_letter(request.url, portal, exc, request.attempt, settles=ticket,
                                    mark=mark)
            return
        except ExtractError as exc:
            metrics.child(metrics.EXTRACTIONS, portal, exc.reason).inc()
            await self._dead_letter(result.final_url, portal, exc, 1, settles=ticket, mark=mark)
            return
        urls = list(article.next_pages)[: max(0, self.settings.fetch.max_pages - 1)]
        if urls:
            # Further pages come in beside this stage, which goes on with the next page.
            with self.occupancy.doing("spawn_assembly"):
                await self.assembly.spawn(self._assemble(article, result, urls, ticket, mark))
            return
        await self._finish(dataclasses.replace(article, next_pages=()), result, 1, ticket, mark,
                           features)

    async def _finish(
        self, article: Article, result: FetchResult, pages: int, ticket: int | None, mark: str,
        features: TextFeatures | None = None,
    ) -> None:
        article = self._complete(article, result)
        self._observe_article(article, result.request.portal)
        self.counts["extracted"] += 1
        await self._dedup_and_queue(article, result, pages, ticket, mark, features)

    async def _extract_first(
        self, result: FetchResult, portal: str, wire: WirePage | None = None
    ) -> tuple[Article, TextFeatures | None]:
        """An article's first page, with dedup's text features when the extraction
        process works them out (``ExtractPool.text_features``)."""
        pool = self.parts.extract_pool
        if pool is None or not getattr(pool, "text_features", False):
            return await self._extract_page(result, portal, wire=wire), None
        with self.occupancy.doing("extracting"), self._judging(result, wire):
            features_pool = cast("ExtractPool", pool)
            return await features_pool.extract_features(_page(result, wire),
                                                        result.final_url, portal)

    async def _extract_page(
        self, result: FetchResult, portal: str, *, urgent: bool = False,
        wire: WirePage | None = None,
    ) -> Article:
        url = result.final_url
        with self.occupancy.doing("extracting"):
            if self.parts.extract_pool is not None:
                with self._judging(result, wire):
                    return await self.parts.extract_pool.extract(_page(result, wire), url,
                                                                 portal, urgent=urgent)
            return await asyncio.to_thread(self.parts.extract, result.html, url, portal)

    async def _assemble(
        self, first: Article, result: FetchResult, urls: list[str], ticket: int | None, mark: str
    ) -> None:
        """Fetch the article's further pages, stitch them in and send the article on
        (the request stays journaled until then)."""
        portal = result.request.portal

        async def page(url: str) -> Article:
            request = FetchRequest(url=url, portal=portal, source="pagination")
            # Urgent: an article already under way is finished before new ones start.
            self.occupancy.enter("fetching_page")
            try:
                fetched, wire = await self._fetch(request)
            finally:
                self.occupancy.leave("fetching_page")
                urgent.fetched(url)
            return await self._extract_page(fetched, portal, urgent=True, wire=wire)

        # Its pages take their hosts' next slots, before new articles of those hosts.
        urgent = self.fetch_q.urgent(urls)
        try:
            try:
                got = await self.assembly.gather(urls, page)
            finally:
                urgent.close()
            for url, exc in got.failures:
                await self.dead_letter(url, portal, exc, 1)
            article = self.parts.stitch(first, got.articles) if got.articles else first
            article = dataclasses.replace(article, next_pages=())
            await self._finish(article, result, 1 + len(got.articles), ticket, mark)
        except Exception:  # a bug: the request stays journaled for the next start
            log.exception("unexpected error assembling a multi-page article")
            metrics.child(metrics.STAGE_ITEMS, "extract", "crash").inc()

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
        for kind in article.rule_misses:
            metrics.child(metrics.RULE_MISSES, portal, kind).inc()
            _RULE_MISSES.seen((portal, kind), article.url)
        for name, value in (("title", article.title), ("published_at", article.published_at),
                            ("authors", article.authors)):
            if not value:
                metrics.child(metrics.MISSING_FIELD, portal, name).inc()

    async def _dedup_and_queue(
        self, article: Article, result: FetchResult, pages: int, ticket: int | None, mark: str,
        features: TextFeatures | None = None,
    ) -> None:
        with self.occupancy.doing("dedup"):
            async with self._dedup_gate:  # verdicts in one order; none while committing
                held = await self._dedup_and_hold(article, result, pages, ticket, mark,
                                                  features)
        # The journal's fsync is waited for outside the gate: articles deduplicated
        # meanwhile share it (group commit) instead of queueing behind one fsync each
        # (a few ms on a disk: the gate held that long capped the one-process run).
        await self._queue(held)

    async def _dedup_and_hold(
        self, article: Article, result: FetchResult, pages: int, ticket: int | None, mark: str,
        features: TextFeatures | None = None,
    ) -> list[_Send]:
        """Dedup the article and journal its events; the records to queue (none when
        it is unchanged or became a dead letter)."""
        canonical = _canonical(article, result.final_url)
        portal = result.request.portal
        # Before dedup records it: an article that can never be published must not be
        # remembered as seen (it would be "unchanged" next time, and lost).
        too_large = self._too_large(article)
        if too_large is not None:
            await self._dead_letter(canonical, portal, too_large, 1, settles=ticket, mark=mark)
            return []
        try:
            verdict, story_events = self._dedup(article, canonical,
                                                parse_time(result.fetched_at), features)
        except DedupError as exc:  # e.g. state that cannot be written: visible, not dropped
            if self.parts.claims is not None:
                self.parts.claims.release(mark)  # not recorded: a later poll may try again
            await self._dead_letter(canonical, portal, exc, 1, settles=ticket)
            return []
        # Counted here, not in ``_dedup``: a restart's replay (the stories role rebuilding
        # its state from records published before it) dedups them again, uncounted.
        self.counts[f"dedup_{verdict.verdict}"] += 1
        if verdict.verdict == "unchanged":
            self.counts["unchanged"] += 1
            self._settle(ticket, mark)
            return []
        event = ArticleEvent(
            id=verdict.article_id or article_id(canonical),
            type="article.updated" if verdict.verdict == "revision" else "article.created",
            article=published(article, verdict),  # the portal's known template lines cut
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
        return self._hold(records, settles=ticket, mark=mark, from_dedup=True)

    # --- dedup commits -------------------------------------------------------
    def _defer_dedup_commits(self) -> bool:
        """Take over when the deduper's verdicts become durable, where it can."""
        defer = getattr(self.parts.deduper, "defer_commits", None)
        return bool(defer is not None and defer())

    async def _commit_loop(self) -> None:
        """Now and then, once every event dedup made is acknowledged, commit its state."""
        interval_s = max(0.05, self.settings.dedup.flush_interval_s)
        while True:
            await asyncio.sleep(interval_s)
            async with self._dedup_gate:
                await self._dedup_settled.wait()
                self._commit_dedup()

    def _commit_dedup(self) -> None:
        commit = getattr(self.parts.deduper, "commit", None)
        if commit is not None:
            commit()

    def _final_commit(self) -> None:
        if self._dedup_settled.is_set():
            self._commit_dedup()

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
        self, article: Article, canonical: str, fetched: datetime | None = None,
        features: TextFeatures | None = None,
    ) -> tuple[DedupResult, list[dict[str, object]]]:
        # Synchronous on purpose: no await between recording dedup state and holding the
        # records, so a cancelled worker spools the events rather than a request that
        # would look "unchanged" when fetched again.
        article = dataclasses.replace(article, canonical_url=canonical)
        if self.parts.deduper is None:
            return DedupResult(verdict="new", article_id=article_id(canonical)), []
        # Stories run on event time; ``features`` spare this loop the text work.
        if features is None:
            return self.parts.deduper.process(article, when=fetched)
        return self.parts.deduper.process(article, when=fetched, features=features)

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

    async def _publish_one(self, item: _Send) -> None:
        """Send until acknowledged; a long-running service retries through an outage
        (the journal holds the record), a one-shot run parks it for the next start."""
        settings = self.settings.pipeline
        record = item.entry.record
        attempt = 0
        while True:
            attempt += 1
            self.occupancy.enter("awaiting_ack")
            try:
                await self.parts.sender.send(record)
            except PublishError as exc:
                self.occupancy.leave("awaiting_ack")
                if exc.reason == "message_too_large":
                    # Sending it again can never work: a dead letter says so, once.
                    await self._refused(record, exc, item.entry.mark)
                    self._given_up(item)
                    return
                self.outage.failed(exc.reason, record.topic)
                if self._once and attempt >= settings.publish_attempts:
                    self._park(item, exc.reason)
                    return
                delay = min(settings.publish_backoff_max_s, 0.2 * 2 ** min(attempt, 16))
                await asyncio.sleep(random.uniform(delay / 2, delay))
            else:
                self.occupancy.leave("awaiting_ack")
                self.outage.recovered()
                self._acked(item)
                return

    def _acked(self, item: _Send) -> None:
        """The broker has the record: only now is its work done."""
        entry = item.entry
        self.spool.done([entry.id])
        if entry.mark is not None and self.parts.claims is not None:
            self.parts.claims.done(entry.mark)
        self._leave_dedup(item)
        self._record_done(item.ticket)
        self.counts[f"published:{entry.record.topic}"] += 1
        metrics.child(metrics.STAGE_ITEMS, "publish", "ok").inc()

    def _park(self, item: _Send, reason: str) -> None:
        """Give up on a record for this run: it stays in the journal for the next start."""
        log_event(log, "ERROR", "publish failed; record kept in the spool", stage="publish",
                  reason=reason, topic=item.entry.record.topic)
        self.counts["spooled"] += 1
        self._leave_dedup(item)

    def _given_up(self, item: _Send) -> None:
        """A record the broker can never take, replaced by its dead letter: done."""
        self.spool.done([item.entry.id])
        self._leave_dedup(item)
        self._record_done(item.ticket)

    def _leave_dedup(self, item: _Send) -> None:
        if item.from_dedup:
            self._dedup_unacked -= 1
            if self._dedup_unacked <= 0:
                self._dedup_settled.set()

    async def _refused(self, record: Outgoing, exc: PublishError, mark: str | None) -> None:
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
        await self._dead_letter(where, str(value.get("portal") or ""), error, 1, mark=mark)

    # --- failures ----------------------------------------------------------
    async def dead_letter(self, url: str, portal: str, exc: KabarError, attempt: int = 1) -> None:
        """Count, log and publish one failure on the dead-letter topic."""
        await self._dead_letter(url, portal, exc, attempt)

    async def _dead_letter(
        self,
        url: str,
        portal: str,
        exc: KabarError,
        attempt: int,
        *,
        settles: int | None = None,
        mark: str | None = None,
    ) -> None:
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
        await self._emit([record], settles=settles, mark=mark)

    async def source_error(self, url: str, portal: str, exc: FetchError) -> None:
        """Hook for discovery: a feed or sitemap could not be read."""
        await self.dead_letter(url, portal, exc, 1)


def _wire_fetcher(parts: Components) -> WireFetcher | None:
    """The fetcher as a ``WireFetcher`` when extraction processes can decode its pages."""
    if parts.extract_pool is None or not callable(getattr(parts.fetcher, "fetch_wire", None)):
        return None
    return cast(WireFetcher, parts.fetcher)


def _page(result: FetchResult, wire: WirePage | None) -> bytes | str | WirePage:
    """What an extraction process is handed: the wire body to decode, else UTF-8 bytes
    (parsed as they are), else the text."""
    if wire is not None:
        return wire
    return result.body or result.html


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
        return canonical_of(declared)
    return canonical_of(final_url)


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


class _Intake(asyncio.Queue[FetchRequest]):
    """The queue sources are given: ``put`` admits the request into the pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__()
        self._pipeline = pipeline

    async def put(self, item: FetchRequest) -> None:
        await self._pipeline.admit(item)


class RuleMissLog:
    """A portal rule that matches nothing usually misses on every page of the new
    template: one log line per portal and selector kind per interval, with the
    number of pages since (the metric counts each page)."""

    def __init__(self, interval_s: float = RULE_MISS_LOG_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def seen(self, key: tuple[str, str], url: str) -> None:
        now = time.monotonic()
        logged_at, pages = self._last.get(key, (float("-inf"), 0))
        pages += 1
        if now - logged_at < self.interval_s:
            self._last[key] = (logged_at, pages)
            return
        log.info("portal rule matched nothing", extra={
            "portal": key[0], "selector_kind": key[1], "url": url, "pages": pages})
        self._last[key] = (now, 0)


#: Process-wide, as the log it keeps quiet is.
_RULE_MISSES = RuleMissLog()


class OutageLog:
    """Publish failures logged at most once per interval (with a count), and how
    long the broker has been failing; one line when it answers again."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.down_since: float | None = None
        self._logged_at = float("-inf")
        self._failures = 0
        self._changed = asyncio.Event()

    def failed(self, reason: str, topic: str) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            self._changed.set()
        self._failures += 1
        if now - self._logged_at >= self.interval_s:
            log_event(log, "ERROR", "publishing fails; retrying (records stay spooled)",
                      stage="publish", reason=reason, topic=topic, failures=self._failures,
                      down_s=round(now - self.down_since, 1))
            self._logged_at, self._failures = now, 0

    def recovered(self) -> None:
        if self.down_since is None:
            return
        log_event(log, "INFO", "broker answers again",
                  down_s=round(time.monotonic() - self.down_since, 1))
        self.down_since, self._logged_at, self._failures = None, float("-inf"), 0
        self._changed.set()

    async def lasting(self, grace_s: float) -> None:
        """Return once the broker has been failing for ``grace_s`` without a break."""
        while True:
            if self.down_since is not None:
                left = self.down_since + grace_s - time.monotonic()
                if left <= 0:
                    return
                await asyncio.sleep(min(left, 0.5))
                continue
            self._changed.clear()
            await self._changed.wait()


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
