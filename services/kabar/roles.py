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
import time
from collections import Counter
from typing import TYPE_CHECKING, Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition

from kabar import stagewatch
from kabar.dedup.eventtime import parse_time
from kabar.discovery.revisits import stamp_key
from kabar.discovery.sources import SourceKind
from kabar.errors import BrokerError
from kabar.events import canonical_of
from kabar.frontier import RedisSeen, RedisStatus
from kabar.kafka_security import client_options
from kabar.logs import log_event
from kabar.models import Article, FetchRequest, FetchResult
from kabar.pipeline import Components, Pipeline, _canonical, _Send
from kabar.publish import STOP_TIMEOUT_S, Outgoing, bounded
from kabar.settings import Settings
from kabar.transact import (
    Batch,
    Transactor,
    aiokafka_producer,
    choose_mode,
    decode_batch,
    encode_batch,
)
from kabar.wire import Extracted, decode_extracted, encode_extracted, encode_request, frontier_key

if TYPE_CHECKING:
    # Types only: a crawl process never dedups, and must not import the store at start.
    from kabar.dedup.deduper import Deduper
    from kabar.dedup.text import TextFeatures

log = logging.getLogger("kabar.roles")

ROLES = ("discovery", "crawl", "stories")
_OFFSET_BLOB = "stories_offset"
#: Events made before a stop but not delivered then (``transact.Batch``), sent first.
_PENDING_BLOB = "stories_pending"
#: Places a record's events take in the publish queue at most (an article, its stories).
_ROOM = 8
#: How long the broker may hold the stories stage's fetch of extracted articles when
#: they come one by one (Tansu holds it that long whatever arrives meanwhile): every
#: article waits out part of it on its way to being published. Measured against the
#: embedded broker at 60 records/s (the paced bench's trickle), record sent → read:
#: 50 ms gave p50 19-20 / p99 33-37 ms, 20 ms 10 / 17-22 ms, 10 ms no better (10 /
#: 18-19 ms: the producer's linger and the loop are the rest). An idle stage pays for
#: the shorter wait in fetches: 2.4% of a core (this process and the broker) at 50 ms,
#: about 5% at 20, 8.5% at 10; a busy one gets full batches either way.
STORIES_FETCH_WAIT_MS = 20


def worker_id(role: str) -> str:
    return f"{role}-{socket.gethostname()}-{os.getpid()}"


def cluster_topics(settings: Settings) -> dict[str, int]:
    c = settings.cluster
    return {c.frontier_topic: c.frontier_partitions, c.extracted_topic: 1}


class DiscoveryPipeline(Pipeline):
    """Discovery's requests go to the frontier topic instead of being fetched here."""

    status: RedisStatus | None = None
    #: The shared seen-store (``RedisSeen``): says which revisits another process took.
    seen: RedisSeen | None = None
    #: Keep each request journaled past the frontier's ack, until ``finished`` says the
    #: stages after it are done with its URL (``kabar run --processes N``: the topics
    #: of an embedded broker in memory do not outlive the run; the journal does).
    hold = False

    def __init__(self, settings: Settings, parts: Components) -> None:
        super().__init__(settings, parts)
        self._held: dict[str, list[int]] = {}
        #: Held requests whose frontier record is not acknowledged yet (by the record).
        self._sending: dict[int, tuple[str, int]] = {}
        #: Held requests whose frontier record the broker has: ticket → URL.
        self._on_frontier: dict[int, str] = {}

    def finished(self, canonical: str) -> None:
        """The stories stage is done with the URL: its journaled request is settled."""
        tickets = self._held.pop(canonical, None)
        if tickets:
            for ticket in tickets:
                self._on_frontier.pop(ticket, None)
            self.spool.done(tickets)

    def on_frontier(self) -> dict[int, str]:
        """The held requests the frontier has now (ticket → URL)."""
        return dict(self._on_frontier)

    def settle(self, held: dict[int, str]) -> None:
        """Settle requests every later stage is done with, whatever came of them (a dead
        letter, nothing to publish): taken from ``on_frontier`` before the crawl group
        was seen past the frontier's end and the stories stage through what it made."""
        done = []
        for ticket, canonical in held.items():
            tickets = self._held.get(canonical)
            if tickets and ticket in tickets:
                tickets.remove(ticket)
                if not tickets:
                    del self._held[canonical]
                self._on_frontier.pop(ticket, None)
                done.append(ticket)
        self.spool.done(done)

    def _acked(self, item: Any) -> None:
        held = self._sending.pop(id(item.entry.record), None)
        if held is not None:
            canonical, ticket = held
            if ticket in self._held.get(canonical, ()):
                self._on_frontier[ticket] = canonical
        super()._acked(item)

    async def _fetch_one(self, request: FetchRequest) -> None:
        ticket = self._take_ticket(request)
        self.fetch_q.release(request)  # the host slot ``get`` took: nothing is fetched here
        canonical = canonical_of(request.url)  # the pipeline's cached canonicalize
        if (request.revisit and self.seen is not None
                and self.seen.lost(stamp_key(cast(SourceKind, request.source), canonical))):
            self.counts["revisit_taken_elsewhere"] += 1
            self._settle(ticket, None)
            return
        if self.status is not None:
            self.status.remember(canonical, request)
        cluster = self.settings.cluster
        record = Outgoing(cluster.frontier_topic, frontier_key(request, cluster.host_shards),
                          encode_request(request), [])
        self.counts["queued"] += 1
        if self.hold and ticket is not None:
            self._held.setdefault(canonical, []).append(ticket)
            self._sending[id(record)] = (canonical, ticket)
            ticket = None
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
        canonical = canonical_of(request.url)  # the pipeline's cached canonicalize
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
        self, article: Article, result: FetchResult, pages: int, ticket: int | None, mark: str,
        features: TextFeatures | None = None,
    ) -> None:
        extracted = Extracted(article, result.request, result.final_url,
                              result.fetched_at, pages)
        record = Outgoing(self.settings.cluster.extracted_topic,
                          _canonical(article, result.final_url).encode("utf-8")[:512],
                          encode_extracted(extracted), [])
        await self._emit([record], settles=ticket, mark=mark)


class StoriesStage(Pipeline):
    """The single writer: extracted articles in topic order → dedup + stories → events.

    With transactions (``kabar.transact``) each consumed batch's events and its
    offset commit as one transaction; without, events go through the publish
    queue and the offset is committed once they are all acknowledged. Either way
    the state is saved with an offset at moments when it matches what the broker
    has, and a batch made but not delivered at a stop is saved beside it
    (``stories_pending``) and delivered first on the next start."""

    def __init__(self, settings: Settings, parts: Components, bootstrap: str,
                 transactor: Transactor | None = None, *, fresh: bool = False) -> None:
        settings.pipeline.spool_path = ""  # the topic offset is the durable work here
        super().__init__(settings, parts)
        self.bootstrap = bootstrap
        #: The topics are new (an embedded broker in memory): an offset saved with the
        #: state names a record of another broker's topic, so reading starts at 0.
        self.fresh = fresh
        self._start_offset = 0
        #: Set once the stage reads its topic (its start-up, e.g. asking the broker for
        #: transactions, is behind it).
        self.consuming = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._tp = TopicPartition(settings.cluster.extracted_topic, 0)
        self._next_offset: int | None = None
        #: None: decided at start (``transact.choose_mode``); tests hand in their own.
        self.transactor = transactor
        self._decided = transactor is not None
        #: Events of the batch being made (transactions) ...
        self._batch: list[Outgoing] | None = None
        #: ... or, at-least-once, sent but not yet acknowledged, by journal id.
        self._unacked_out: dict[int, Outgoing] = {}
        self._pending: Batch | None = None
        self._snapshot_at = 0.0

    async def run(self, *, once: bool = False) -> Counter[str]:
        from kabar.dedup.deduper import Deduper

        deduper = self.parts.deduper
        assert isinstance(deduper, Deduper), "the stories stage needs a Deduper"
        deduper.defer_commits()
        if not self._decided and await choose_mode(self.settings, self.bootstrap):
            self.transactor = Transactor(aiokafka_producer(self.settings, self.bootstrap),
                                         self.settings.cluster.stories_group, self._tp)
        if self.transactor is not None:
            await self.transactor.start()
        workers = [asyncio.create_task(self._loop(self.publish_q, self._publish_one, "publish"))
                   for _ in range(max(1, self.settings.pipeline.publish_workers))]
        snapshots = asyncio.create_task(self._snapshot_loop(deduper))
        self.running = True
        try:
            async with stagewatch.watching(*self._probes(), self.occupancy):
                await self._consume(deduper)
        finally:
            self.running = False
            snapshots.cancel()
            await asyncio.gather(snapshots, return_exceptions=True)
            await self._drain_publish()
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await bounded(self._final_snapshot(deduper), STOP_TIMEOUT_S)
            if self.transactor is not None:
                await self.transactor.stop()
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
            # Tansu answers a fetch only after this long when the records are few:
            # short, or each extracted article waits it out (the broker's default 500 ms).
            fetch_max_wait_ms=STORIES_FETCH_WAIT_MS,
            # Offsets committed in a transaction count once it commits.
            isolation_level="read_committed" if self.transactor else "read_uncommitted",
            **client_options(self.settings.broker),
        )
        await consumer.start()
        consumer.assign([self._tp])
        saved = None if self.fresh else deduper.store.get_blob(_OFFSET_BLOB)
        start = self._start_offset = int(saved.decode("ascii")) if saved else 0
        published = await consumer.committed(self._tp) or 0
        consumer.seek(self._tp, start)
        log_event(log, "INFO", "stories stage resumes", snapshot_offset=start,
                  committed_offset=published, transactions=self.transactor is not None)
        if not await self._deliver_pending(deduper, published):
            return
        self.consuming.set()
        while not self.stop_event.is_set():
            batches = await consumer.getmany(self._tp, timeout_ms=500, max_records=256)
            messages = batches.get(self._tp, [])
            if self.transactor is None:
                for message in messages:
                    if not await self._room():
                        return  # the rest is read again after the restart
                    await self._one(message.offset, message.value or b"",
                                    replay=message.offset < published)
            elif messages and not await self._transact(deduper, messages, published):
                return

    def settled_through(self, end: int) -> bool:
        """Whether every record before offset ``end`` is consumed and every event made
        from them acknowledged (``kabar run --processes N --once`` ends on it)."""
        consumed = self._start_offset if self._next_offset is None else self._next_offset
        return (consumed >= end and self._dedup_settled.is_set() and self.publish_q.empty()
                and not self._unacked_out)

    async def _room(self) -> bool:
        """Wait until the publish queue can take a record's events, or a stop: with the
        broker away the queue stays full, and a stop must not wait behind it."""
        queue = self.publish_q
        while queue.maxsize and queue.maxsize - queue.qsize() < min(_ROOM, queue.maxsize):
            if self.stop_event.is_set():
                return False
            await asyncio.sleep(0.05)
        return True

    async def _transact(self, deduper: Deduper, messages: list[Any], published: int) -> bool:
        """One batch, one transaction; False when a stop came while it could not commit."""
        transactor = self.transactor
        assert transactor is not None
        records: list[Outgoing] = []
        self._batch = records
        try:
            for message in messages:
                await self._one(message.offset, message.value or b"",
                                replay=message.offset < published)
        finally:  # whatever happens, what the state took in is kept as a batch
            self._batch = None
            self._pending = Batch(tuple(records), self._next_offset or 0)
        end = self._pending.end
        if end <= published:  # replayed only: the broker has all of it already
            self._pending = None
            return True
        if not await transactor.commit(self._pending, self.stop_event):
            return False
        self._acked_all(self._pending)
        self._pending = None
        due = time.monotonic() - self._snapshot_at >= self.settings.cluster.snapshot_interval_s
        if due and not deduper.checkpoint_busy:
            self._save(deduper, end)
        return True

    async def _deliver_pending(self, deduper: Deduper, published: int) -> bool:
        """A batch made before the last stop and not delivered then goes first."""
        raw = deduper.store.get_blob(_PENDING_BLOB)
        if not raw:
            return True
        batch = decode_batch(raw)
        log_event(log, "INFO", "delivering the batch kept at the last stop",
                  records=len(batch.records), end_offset=batch.end)
        if self.transactor is None:
            self._next_offset = batch.end
            await self._emit(list(batch.records), from_dedup=True)
        elif batch.end > published:
            self._pending = batch
            if not await self.transactor.commit(batch, self.stop_event):
                return False
            self._acked_all(batch)
            self._pending = None
        deduper.store.put_blob(_PENDING_BLOB, b"")
        return True

    def _hold(
        self, records: list[Outgoing], *, settles: int | None = None, mark: str | None = None,
        from_dedup: bool = False,
    ) -> list[_Send]:
        if self._batch is not None:  # in a transaction: sent when the batch commits
            self._batch.extend(records)
            return []
        return super()._hold(records, settles=settles, mark=mark, from_dedup=from_dedup)

    async def _publish_one(self, item: Any) -> None:
        self._unacked_out[item.entry.id] = item.entry.record  # kept if a stop comes first
        await super()._publish_one(item)

    def _acked(self, item: Any) -> None:
        self._unacked_out.pop(item.entry.id, None)
        super()._acked(item)

    def _given_up(self, item: Any) -> None:
        self._unacked_out.pop(item.entry.id, None)
        super()._given_up(item)

    def _acked_all(self, batch: Batch) -> None:
        on_ack = getattr(self.parts.sender, "on_ack", None)
        for record in batch.records:
            self.counts[f"published:{record.topic}"] += 1
            if on_ack is not None:
                on_ack(record)

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
                url = _canonical(extracted.article, result.final_url)
                self._dedup(extracted.article, url, parse_time(result.fetched_at))
            self.counts["replayed"] += 1
        else:
            self.counts["extracted"] += 1
            await self._dedup_and_queue(extracted.article, result, extracted.pages, None,
                                        canonical_of(result.request.url))
        self._next_offset = offset + 1

    async def _snapshot_loop(self, deduper: Deduper) -> None:
        while self.transactor is None:  # transactions: saved right after a commit
            await asyncio.sleep(self.settings.cluster.snapshot_interval_s)
            await self._snapshot(deduper)

    async def _snapshot(self, deduper: Deduper) -> None:
        """State and offset together, once everything made so far is acknowledged."""
        async with self._dedup_gate:
            if not self._dedup_settled.is_set() or deduper.checkpoint_busy:
                return  # the next turn saves it (a final snapshot always does)
            offset = self._next_offset
            if offset is None:
                return
            self._save(deduper, offset)
            if self._consumer is not None:
                try:
                    await self._consumer.commit({self._tp: offset})
                except Exception as exc:  # the snapshot holds; the next commit catches up
                    log_event(log, "WARNING", "stories offset commit failed", error=repr(exc))

    def _save(self, deduper: Deduper, offset: int, pending: Batch | None = None) -> None:
        # The offset and the events not delivered yet in the state's transaction.
        deduper.commit({_PENDING_BLOB: encode_batch(pending) if pending else b"",
                        _OFFSET_BLOB: str(offset).encode("ascii")})
        self._snapshot_at = time.monotonic()

    async def _final_snapshot(self, deduper: Deduper) -> None:
        """At a stop the state is saved whatever happens (closing the deduper writes it):
        with it, the offset it reached and the events not delivered yet."""
        if self.transactor is not None:
            pending = self._pending
            offset = pending.end if pending else self._next_offset
            if offset is not None:
                self._save(deduper, offset, pending)
            return
        if self._dedup_settled.is_set():
            await self._snapshot(deduper)
            return
        offset = self._next_offset
        while not self.publish_q.empty():  # never taken by a publish worker
            item = self.publish_q.get_nowait()
            self._unacked_out[item.entry.id] = item.entry.record
            self.publish_q.task_done()
        if offset is not None:
            records = tuple(self._unacked_out[k] for k in sorted(self._unacked_out))
            log_event(log, "WARNING", "stopped with events unacknowledged; kept with the "
                      "state and sent first on the next start", count=len(records))
            self._save(deduper, offset, Batch(records, offset))

    async def _drain_publish(self) -> None:
        try:
            await asyncio.wait_for(self.publish_q.join(), self.settings.pipeline.outage_drain_s)
        except TimeoutError:
            log_event(log, "WARNING", "stopped with events unacknowledged",
                      count=len(self._unacked_out))


#: A probe of a partition's true end: the broker's wait for a fetch, and fetches at most.
_PROBE_WAIT_MS = 50
_PROBE_FIRST_MS = 2000
_PROBE_MORE_MS = 200
_PROBE_FETCHES = 64
#: Reads of the record before a reported end (it is there) before the end is called
#: unreadable: an answer short of the true end would end a ``--once`` run early.
_PROBE_TRIES = 3


class GroupLag:
    """How far a consumer group's committed offsets trail a topic's end, read with a
    consumer that joins nothing and fetches nothing but the probes below (its partitions
    are paused otherwise).

    The embedded broker (Tansu) reports a partition's end short of what it holds when the
    last records came in one batch (3,000 records batched by one producer: it said 2,963),
    so an end it reports is read past: from the record before it, to the last record a
    fetch returns. apache/kafka reports the true end; the probe then reads one record.

    One probe at a time: a probe seeks, resumes, reads and pauses a partition of the one
    consumer, and two at once (the run's end check beside the loop that settles the
    journal) paused each other's reads; the one left without records took the reported,
    short end, and a ``--once`` run ended with the last records neither crawled to the
    end nor taken in (1 bench run in 7: 1,998 of 2,000 articles, no error)."""

    def __init__(self, settings: Settings, bootstrap: str, group: str, topic: str,
                 partitions: int) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
            fetch_max_wait_ms=_PROBE_WAIT_MS, **client_options(settings.broker))
        self._tps = [TopicPartition(topic, p) for p in range(partitions)]
        self._probing = asyncio.Lock()

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.assign(self._tps)
        self._consumer.pause(*self._tps)

    async def ends(self) -> dict[int, int]:
        """Each partition's end: one past its last record."""
        async with self._probing:
            return await self._ends()

    async def _ends(self) -> dict[int, int]:
        reported = await self._reported_ends()
        return {p: await self._read_end(tp, reported[p]) for p, tp in enumerate(self._tps)}

    async def _reported_ends(self) -> dict[int, int]:
        ends = await self._consumer.end_offsets(self._tps)
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    async def _read_end(self, tp: TopicPartition, end: int) -> int:
        """The end past ``end`` as far as the records read from ``end - 1`` go; a
        ``BrokerError`` when that record cannot be read (the true end is unknown)."""
        if end <= 0:
            return end  # (an empty partition: Tansu reports a stored batch as >= 1)
        for _ in range(_PROBE_TRIES):
            found = await self._read_from(tp, end)
            if found is not None:
                return found
            # Nothing to read below the end (retention removed it): the end is right.
            if (await self._consumer.beginning_offsets([tp]))[tp] >= end:
                return end
        raise BrokerError(f"{tp.topic}[{tp.partition}]: the record before the end the broker "
                          f"reports ({end}) could not be read, so the true end is unknown",
                          reason="topic_end_unread")

    async def _read_from(self, tp: TopicPartition, end: int) -> int | None:
        """One probe from ``end - 1``: the end as far as it reads; None when the read
        brought nothing back (not even the record before ``end``)."""
        consumer = self._consumer
        consumer.seek(tp, end - 1)
        consumer.resume(tp)
        try:
            # The first read waits for the record before the end (it is there); later
            # ones only briefly, for records after the last one read.
            got = (await consumer.getmany(tp, timeout_ms=_PROBE_FIRST_MS)).get(tp, [])
            if not got:
                return None
            for _ in range(_PROBE_FETCHES):
                if not got or got[-1].offset + 1 <= end:
                    break
                end = got[-1].offset + 1
                got = (await consumer.getmany(tp, timeout_ms=_PROBE_MORE_MS)).get(tp, [])
        finally:
            consumer.pause(tp)
        return end

    async def behind(self) -> int:
        """Records of the topic the group has not committed past (the reported ends are
        read past only when they say none: the answer that ends a ``--once`` run)."""
        async with self._probing:
            committed = await self._committed()
            ends = await self._reported_ends()
            if all(ends[p] <= committed[p] for p in committed):
                ends = await self._ends()
            return sum(max(0, ends[p] - committed[p]) for p in committed)

    async def _committed(self) -> dict[int, int]:
        """Each partition's committed offset (0: none) in one OffsetFetch request, as
        ``AIOKafkaConsumer.committed`` asks it for one partition: a ``--once`` run polls
        this every 0.2 s, and a request a partition (12 of the frontier's) cost this
        process and the embedded broker 2.5% of a core."""
        coordinator = getattr(self._consumer, "_coordinator", None)
        if coordinator is None:  # not what aiokafka 0.14 does: one request a partition
            return {tp.partition: await self._consumer.committed(tp) or 0 for tp in self._tps}
        found = await coordinator.fetch_committed_offsets(self._tps)
        return {tp.partition: max(0, found[tp].offset) if tp in found else 0
                for tp in self._tps}

    async def stop(self) -> None:
        await bounded(self._consumer.stop(), STOP_TIMEOUT_S)
