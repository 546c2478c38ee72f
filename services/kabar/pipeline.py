"""The streaming pipeline: sources → fetch → extract (+ more pages) → dedup →
publish, as asyncio stages joined by bounded queues.

Bounded queues carry back-pressure: when the broker is slow the publish queue
fills, the extract stage blocks on it, then fetch, then the sources. Failures
at any stage become dead-letter events and the pipeline goes on.

Nothing is marked done before the broker acknowledged it. Every request is
journaled (``kabar.spool``, fsync'd) before it enters the fetch queue; the
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
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from kabar import metrics
from kabar.claims import UrlClaims
from kabar.errors import ExtractError, FetchError, KabarError, PublishError
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
from kabar.spool import Journaled, Pending, Spool
from kabar.urls import canonicalize, host_of

log = logging.getLogger("kabar.pipeline")

_T = TypeVar("_T")

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
    #: URL status: done once published, released when a fetch failed for a passing
    #: reason (so a later poll retries it).
    claims: UrlClaims | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class _Fetched:
    """A fetched page on its way to extraction, with its journal ticket."""

    result: FetchResult
    ticket: int | None


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
        #: Discovery's output, before it is journaled.
        self.intake_q: asyncio.Queue[FetchRequest] = asyncio.Queue(p.fetch_queue_size)
        self.fetch_q: asyncio.Queue[FetchRequest] = HostFairQueue(p.fetch_queue_size)
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
            await _cancel(workers)
            self._final_commit()
            self._report_spooled()
            self.spool.close()
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
        tasks.append(asyncio.create_task(self._admit_loop()))
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

    async def _admit_loop(self) -> None:
        """Move discovered requests into the journal (one fsync per batch) and on."""
        while True:
            batch = [await self.intake_q.get()]
            while not self.intake_q.empty() and len(batch) < 256:
                batch.append(self.intake_q.get_nowait())
            try:
                await self._feed(batch)
            finally:
                for _ in batch:
                    self.intake_q.task_done()

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
            for queue in (self.intake_q, self.fetch_q, self.extract_q, self.publish_q):
                await queue.join()

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
        entries = self.spool.add_records(records, mark=mark, settles=settles)
        if from_dedup:
            self._dedup_unacked += len(entries)
            self._dedup_settled.clear()
        if settles is not None:
            self._unacked[settles] = len(entries)
        for entry in entries:
            await self.publish_q.put(_Send(entry, from_dedup, settles))
        metrics.child(metrics.QUEUE_DEPTH, "publish").set(self.publish_q.qsize())

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
        mark: str | None = canonicalize(request.url)
        try:
            result = await self.parts.fetcher.fetch(request)
        except FetchError as exc:
            if exc.retryable and self.parts.claims is not None and mark is not None:
                self.parts.claims.release(mark)
                mark = None
            await self._dead_letter(request.url, request.portal, exc, request.attempt,
                                    settles=ticket, mark=mark)
            return
        self.counts["fetched"] += 1
        metrics.child(metrics.STAGE_ITEMS, "fetch", "ok").inc()
        await self.extract_q.put(_Fetched(result, ticket))
        metrics.child(metrics.QUEUE_DEPTH, "extract").set(self.extract_q.qsize())

    async def _extract_one(self, item: _Fetched) -> None:
        result, ticket = item.result, item.ticket
        portal = result.request.portal
        mark = canonicalize(result.request.url)
        try:
            with metrics.child(metrics.EXTRACT_SECONDS, portal).time():
                article = await self._extract_page(result.html, result.final_url, portal)
            article, pages = await self._add_pages(article, result.request)
        except ExtractError as exc:
            metrics.child(metrics.EXTRACTIONS, portal, exc.reason).inc()
            await self._dead_letter(result.final_url, portal, exc, 1, settles=ticket, mark=mark)
            return
        article = self._complete(article, result)
        self._observe_article(article, portal)
        self.counts["extracted"] += 1
        await self._dedup_and_queue(article, result, pages, ticket, mark)

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
        for name, value in (("title", article.title), ("published_at", article.published_at),
                            ("authors", article.authors)):
            if not value:
                metrics.child(metrics.MISSING_FIELD, portal, name).inc()

    async def _dedup_and_queue(
        self, article: Article, result: FetchResult, pages: int, ticket: int | None, mark: str
    ) -> None:
        async with self._dedup_gate:  # verdicts in one order; none while committing
            await self._dedup_and_emit(article, result, pages, ticket, mark)

    async def _dedup_and_emit(
        self, article: Article, result: FetchResult, pages: int, ticket: int | None, mark: str
    ) -> None:
        canonical = _canonical(article, result.final_url)
        verdict, story_events = self._dedup(article, canonical, _event_time(result))
        if verdict.verdict == "unchanged":
            self.counts["unchanged"] += 1
            self._settle(ticket, mark)
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
        records = [self._article_record(event)] + [self._story_record(s, event.fetched_at)
                                                  for s in story_events]
        await self._emit(records, settles=ticket, mark=mark, from_dedup=True)

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

    def _dedup(
        self, article: Article, canonical: str, when: datetime | None = None
    ) -> tuple[DedupResult, list[dict[str, object]]]:
        article = dataclasses.replace(article, canonical_url=canonical)
        if self.parts.deduper is None:
            return DedupResult(verdict="new", article_id=article_id(canonical)), []
        result = self.parts.deduper.process(article, when=when)
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
                "article.v1.json",
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
            try:
                await self.parts.sender.send(record)
            except PublishError as exc:
                self.outage.failed(exc.reason, record.topic)
                if exc.reason == "message_too_large" or (
                    self._once and attempt >= settings.publish_attempts
                ):
                    self._park(item, exc.reason)
                    return
                delay = min(settings.publish_backoff_max_s, 0.2 * 2 ** min(attempt, 16))
                await asyncio.sleep(random.uniform(delay / 2, delay))
            else:
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

    def _leave_dedup(self, item: _Send) -> None:
        if item.from_dedup:
            self._dedup_unacked -= 1
            if self._dedup_unacked <= 0:
                self._dedup_settled.set()

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


def _canonical(article: Article, final_url: str) -> str:
    """The page's rel=canonical when it plausibly names this article, else the URL."""
    declared = article.canonical_url
    if declared and host_of(declared).removeprefix("www.") == host_of(final_url).removeprefix(
        "www."
    ) and len(declared.split("/", 3)[-1]) > 1:
        return canonicalize(declared)
    return canonicalize(final_url)


def _event_time(result: FetchResult) -> datetime | None:
    """Dedup and stories run on the fetch's own time, so a replay of the same
    input gives the same verdicts and stories; None (the clock) when unknown."""
    if not result.fetched_at:
        return None
    with contextlib.suppress(ValueError):
        moment = datetime.fromisoformat(result.fetched_at.replace("Z", "+00:00"))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


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
