"""Dead-letter replay: read the errors topic, pick failures by reason, stage,
portal and time, and queue their URLs again.

The topic is read from the beginning up to the end offsets seen at the start,
so a replay never chases its own new failures. A URL failing several times is
queued once. Two destinations:

* the spool journal of a stopped ``kabar run`` (``kabar.spool``): the next start
  fetches them first (a running service holds the journal's lock, so the
  replay refuses rather than write beside it);
* the frontier topic of a distributed deployment: each URL's status is reset
  (a dead-lettered URL counts as done) and claimed again before it is queued.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from kabar.models import FetchRequest
from kabar.settings import Settings


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    reasons: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    portals: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, event: dict[str, Any]) -> bool:
        if self.reasons and event.get("reason") not in self.reasons:
            return False
        if self.stages and event.get("stage") not in self.stages:
            return False
        if self.portals and event.get("portal") not in self.portals:
            return False
        if self.since is None and self.until is None:
            return True
        moment = _parse(event.get("time"))
        if moment is None:
            return False
        return not ((self.since and moment < self.since) or (self.until and moment >= self.until))


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def requests_from(events: Sequence[dict[str, Any]], picked: ReplayFilter) -> list[FetchRequest]:
    """One request per failed URL that matches, in the order of first failure (by the
    events' own time: partitions give no order between them)."""
    requests: dict[str, FetchRequest] = {}
    for event in sorted(events, key=lambda e: (str(e.get("time") or ""), str(e.get("url")))):
        url = event.get("url")
        if not isinstance(url, str) or not url or url in requests or not picked.matches(event):
            continue
        requests[url] = FetchRequest(url, str(event.get("portal") or ""), "replay")
    return list(requests.values())


async def read_errors(
    bootstrap: str, topic: str, timeout_s: float = 30.0, security: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every error event now on ``topic`` (up to the end offsets at the start);
    ``security`` is ``kafka_security.client_options`` of ``[broker]``."""
    # read_committed: errors of an aborted transaction (stories stage) are not replayed.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, isolation_level="read_committed",
                                **(security or {}))
    await consumer.start()
    events: list[dict[str, Any]] = []
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if loop.time() > deadline:
                raise TimeoutError(f"reading {topic} took over {timeout_s:.0f} s")
            batch = await consumer.getmany(*tps, timeout_ms=500)
            for messages in batch.values():
                events += [orjson.loads(m.value) for m in messages if m.value]
    finally:
        await consumer.stop()
    return events


def to_journal(settings: Settings, requests: Sequence[FetchRequest]) -> int:
    """Add the requests to the journal of a stopped ``kabar run``; how many."""
    from kabar.spool import Spool

    spool = Spool(settings.pipeline.spool_path)
    spool.open()  # raises SpoolLocked while a service holds it
    try:
        spool.add_requests(requests)
    finally:
        spool.close()
    return len(requests)


async def to_frontier(settings: Settings, bootstrap: str,
                      requests: Sequence[FetchRequest]) -> int:
    """Reset each URL's status and queue it on the frontier topic; how many."""
    from kabar.frontier import RedisStatus
    from kabar.publish import Outgoing, Publisher
    from kabar.urls import canonicalize
    from kabar.wire import FrontierPartitioner, encode_request, frontier_key

    status = RedisStatus(settings.cluster, "replay")
    publisher = Publisher(settings.broker, bootstrap,
                          partitioner=FrontierPartitioner(settings.portals))  # as discovery
    await publisher.start()
    try:
        for request in requests:
            canonical = canonicalize(request.url)
            status.release(canonical)
            status.claim(canonical)
            status.remember(canonical, request)
            await publisher.send(Outgoing(settings.cluster.frontier_topic,
                                          frontier_key(request), encode_request(request), []))
    finally:
        await publisher.stop()
        status.close()
    return len(requests)
