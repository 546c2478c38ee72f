"""The distributed roles (``kabar run --role discovery|crawl|stories``): the same
pipeline stages as the one-process default, joined by Kafka topics instead of
in-memory queues.

* ``discovery``: sources → the frontier topic (keyed by host). URLs are claimed
  in the shared status (Redis) before they are queued; requests are journaled
  until the frontier acknowledged them; a sweeper queues again claims that no
  crawl worker finished.
* ``crawl``: a consumer group on the frontier; fetch → extract → the
  extracted-articles topic. A frontier offset is committed only once all that
  was made from its record is acknowledged; a URL already done is skipped, and
  one being fetched by a live worker is left to it (fetch lease).
* ``stories``: the single writer. It consumes the extracted-articles topic (one
  partition: one total order), runs dedup and stories on the fetch's event time
  and publishes articles and stories. Its state is snapshotted together with the
  consumed offset at moments when all it produced is acknowledged; on restart it
  replays from the snapshot's offset, publishing nothing for records before the
  group's committed offset (already published), so it reaches the same state and
  the same events (same ``ce_id``) as if it had never stopped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import Counter

from aiokafka import AIOKafkaConsumer, TopicPartition

from kabar.dedup.deduper import Deduper
from kabar.dedup.eventtime import parse_time
from kabar.frontier import RedisStatus
from kabar.kafka_security import client_options
from kabar.logs import log_event
from kabar.models import Article, FetchRequest, FetchResult
from kabar.pipeline import Components, Pipeline, _canonical
from kabar.publish import STOP_TIMEOUT_S, Outgoing, bounded
from kabar.settings import Settings
from kabar.urls import canonicalize
from kabar.wire import Extracted, decode_extracted, encode_extracted, encode_request, frontier_key

log = logging.getLogger("kabar.roles")

ROLES = ("discovery", "crawl", "stories")
_OFFSET_BLOB = "stories_offset"


def worker_id(role: str) -> str:
    return f"{role}-{socket.gethostname()}-{os.getpid()}"


def cluster_topics(settings: Settings) -> dict[str, int]:
    c = settings.cluster
    return {c.frontier_topic: c.frontier_partitions, c.extracted_topic: 1}


class DiscoveryPipeline(Pipeline):
    """Discovery's requests go to the frontier topic instead of being fetched here."""

    status: RedisStatus | None = None

    async def _fetch_one(self, request: FetchRequest) -> None:
        ticket = self._take_ticket(request)
        self.fetch_q.release(request)  # the host slot ``get`` took: nothing is fetched here
        if self.status is not None:
            self.status.remember(canonicalize(request.url), request)
        record = Outgoing(self.settings.cluster.frontier_topic, frontier_key(request),
                          encode_request(request), [])
        self.counts["queued"] += 1
        await self._emit([record], settles=ticket)

    async def sweep(self) -> None:
        """Queue again what was claimed long ago and never done (its worker died)."""
        cluster = self.settings.cluster
        while self.status is not None:
            await asyncio.sleep(cluster.sweep_interval_s)
            overdue = self.status.overdue(cluster.requeue_after_s)
            if overdue:
                log_event(log, "WARNING", "re-queuing unfinished claims", count=len(overdue))
                self.counts["requeued"] += len(overdue)
                await self._feed(overdue)


class CrawlPipeline(Pipeline):
    """Fetch and extract; the article goes to the extracted-articles topic."""

    status: RedisStatus | None = None

    async def _fetch_one(self, request: FetchRequest) -> None:
        canonical = canonicalize(request.url)
        status = self.status
        if status is not None and (
            (not request.revisit and status.is_done(canonical)) or not status.lease(canonical)
        ):
            self.counts["skipped"] += 1  # done already, or a live worker fetches it now
            self.fetch_q.release(request)  # the host slot ``get`` took
            self._settle(self._take_ticket(request), None)
            return
        await super()._fetch_one(request)

    async def _dedup_and_queue(
        self, article: Article, result: FetchResult, pages: int, ticket: int | None, mark: str
    ) -> None:
        extracted = Extracted(article, result.request, result.final_url,
                              result.fetched_at, pages)
        record = Outgoing(self.settings.cluster.extracted_topic,
                          _canonical(article, result.final_url).encode("utf-8")[:512],
                          encode_extracted(extracted), [])
        await self._emit([record], settles=ticket, mark=mark)


class StoriesStage(Pipeline):
    """The single writer: extracted articles in topic order → dedup + stories → events."""

    def __init__(self, settings: Settings, parts: Components, bootstrap: str) -> None:
        settings.pipeline.spool_path = ""  # the topic offset is the durable work here
        super().__init__(settings, parts)
        self.bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None
        self._tp = TopicPartition(settings.cluster.extracted_topic, 0)
        self._next_offset: int | None = None

    async def run(self, *, once: bool = False) -> Counter[str]:
        deduper = self.parts.deduper
        assert isinstance(deduper, Deduper), "the stories stage needs a Deduper"
        deduper.defer_commits()
        workers = [asyncio.create_task(self._loop(self.publish_q, self._publish_one, "publish"))
                   for _ in range(max(1, self.settings.pipeline.publish_workers))]
        snapshots = asyncio.create_task(self._snapshot_loop(deduper))
        self.running = True
        try:
            await self._consume(deduper)
        finally:
            self.running = False
            snapshots.cancel()
            await asyncio.gather(snapshots, return_exceptions=True)
            await self._drain_publish()
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await bounded(self._snapshot(deduper), STOP_TIMEOUT_S)
            if self._consumer is not None:
                await bounded(self._consumer.stop(), STOP_TIMEOUT_S)
        return self.counts

    async def _consume(self, deduper: Deduper) -> None:
        c = self.settings.cluster
        consumer = self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=c.stories_group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=c.heartbeat_interval_ms, max_poll_interval_ms=600_000,
            **client_options(self.settings.broker),
        )
        await consumer.start()
        consumer.assign([self._tp])
        saved = deduper.store.get_blob(_OFFSET_BLOB)
        start = int(saved.decode("ascii")) if saved else 0
        published = await consumer.committed(self._tp) or 0
        consumer.seek(self._tp, start)
        log_event(log, "INFO", "stories stage resumes", snapshot_offset=start,
                  committed_offset=published)
        while not self.stop_event.is_set():
            batches = await consumer.getmany(self._tp, timeout_ms=500, max_records=256)
            for message in batches.get(self._tp, []):
                await self._one(message.offset, message.value or b"", replay=message.offset
                                < published)

    async def _one(self, offset: int, value: bytes, *, replay: bool) -> None:
        try:
            extracted = decode_extracted(value)
        except (ValueError, TypeError, KeyError):
            log_event(log, "ERROR", "extracted record unreadable; skipped", offset=offset)
            self._next_offset = offset + 1
            return
        result = extracted.result()
        if replay:  # published before the restart: rebuild the state only
            async with self._dedup_gate:
                canonical = _canonical(extracted.article, result.final_url)
                self._dedup(extracted.article, canonical, parse_time(result.fetched_at))
            self.counts["replayed"] += 1
        else:
            self.counts["extracted"] += 1
            await self._dedup_and_queue(extracted.article, result, extracted.pages, None,
                                        canonicalize(result.request.url))
        self._next_offset = offset + 1

    async def _snapshot_loop(self, deduper: Deduper) -> None:
        while True:
            await asyncio.sleep(self.settings.cluster.snapshot_interval_s)
            await self._snapshot(deduper)

    async def _snapshot(self, deduper: Deduper) -> None:
        """State and offset together, once everything made so far is acknowledged."""
        async with self._dedup_gate:
            if not self._dedup_settled.is_set():
                return
            offset = self._next_offset
            if offset is None:
                return
            deduper.commit()
            deduper.store.put_blob(_OFFSET_BLOB, str(offset).encode("ascii"))
            if self._consumer is not None:
                try:
                    await self._consumer.commit({self._tp: offset})
                except Exception as exc:  # the snapshot holds; the next commit catches up
                    log_event(log, "WARNING", "stories offset commit failed", error=repr(exc))

    async def _drain_publish(self) -> None:
        try:
            await asyncio.wait_for(self.publish_q.join(), self.settings.pipeline.outage_drain_s)
        except TimeoutError:
            log_event(log, "WARNING", "stopped with events unacknowledged; they are re-made "
                      "from the topic on the next start", count=self.publish_q.qsize())
