"""The frontier: fetch requests on a Kafka topic keyed by host, consumed by a
consumer group of crawl workers, and the URL status the roles share in Redis.

``RedisStatus`` is the ``UrlClaims`` of the distributed roles: a URL is
*claimed* atomically (``SET NX``) before discovery queues it, so several
discovery processes never queue it twice; it is *done* once what a crawl
worker made of it is acknowledged. Claimed requests are remembered with their
claim time so ``overdue`` can hand the sweeper those whose worker died. A
*fetch lease* names the live worker fetching a URL, so a partition moving in a
rebalance does not get its URLs fetched by two workers at once.

``FrontierSource`` feeds a crawl pipeline from the frontier topic with manual
commits: a partition's offset advances only past records whose every output
was acknowledged (``done``), and what is done is committed before a rebalance
takes partitions away. Given ``partitions``, it owns exactly those (static
assignment, no group membership, no rebalance): the crawl processes one
``kabar run --processes N`` starts share the partitions out this way, and a
restarted process takes its predecessor's partitions from their committed offsets.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from kabar.discovery.seen import SeenStore
from kabar.logs import log_event
from kabar.models import FetchRequest
from kabar.publish import STOP_TIMEOUT_S, bounded
from kabar.settings import ClusterSettings
from kabar.wire import decode_request, encode_request

log = logging.getLogger("kabar.frontier")

_QUEUED, _DONE = b"q", b"d"
# Take a lease when it is free or held by a worker whose heartbeat expired. Not
# re-entrant: a second copy of a request (the sweeper's) in the same worker waits.
_LEASE = """
local cur = redis.call('GET', KEYS[1])
if cur and redis.call('EXISTS', ARGV[3] .. cur) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Raise a revisit stamp (the newest date a source announced for a URL) if higher:
# 1 when this caller raised it, so of two discovery processes only one revisits.
_RAISE = """
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= '' and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
#: Revisit stamps lost to another discovery process, remembered until their request
#: comes by (one poll later at most); bounded.
_LOST_MAX = 10_000


def _digest(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class RedisStatus:
    """Shared URL status: claimed (queued), done, fetch leases, worker heartbeats."""

    def __init__(self, settings: ClusterSettings, worker_id: str = "") -> None:
        self.settings = settings
        self.worker_id = worker_id
        import redis  # here: 0.12 s of CPU at every start of a process that has no Redis

        self._r: Any = redis.Redis.from_url(settings.status_url)
        self._p = settings.status_prefix
        self._lease = self._r.register_script(_LEASE)

    def _k(self, kind: str, name: str = "") -> str:
        return f"{self._p}{kind}:{name}" if name else f"{self._p}{kind}"

    # --- UrlClaims ------------------------------------------------------------
    def claim(self, canonical: str) -> bool:
        return bool(self._r.set(self._k("s", _digest(canonical)), _QUEUED, nx=True))

    def done(self, canonical: str) -> None:
        self._settle(canonical, keep=True)

    def release(self, canonical: str) -> None:
        self._settle(canonical, keep=False)

    def _settle(self, canonical: str, *, keep: bool) -> None:
        h = _digest(canonical)
        pipe = self._r.pipeline()
        if keep:
            pipe.set(self._k("s", h), _DONE, px=int(self.settings.done_ttl_days * 86_400_000))
        else:
            pipe.delete(self._k("s", h))
        pipe.hdel(self._k("queued"), h)
        pipe.zrem(self._k("since"), h)
        pipe.delete(self._k("lease", h))
        pipe.execute()

    # --- crawl workers ----------------------------------------------------------
    def is_done(self, canonical: str) -> bool:
        return bool(self._r.get(self._k("s", _digest(canonical))) == _DONE)

    def known(self, canonical: str) -> bool:
        """Claimed (queued) or done: discovery must not queue it as new."""
        return bool(self._r.exists(self._k("s", _digest(canonical))))

    def known_of(self, canonicals: Sequence[str]) -> set[str]:
        """``known`` for many URLs in one round trip (a sitemap lists thousands: one call
        each would hold the event loop for as many round trips)."""
        pipe = self._r.pipeline(transaction=False)
        for canonical in canonicals:
            pipe.exists(self._k("s", _digest(canonical)))
        return {url for url, found in zip(canonicals, pipe.execute(), strict=True) if found}

    def lease(self, canonical: str) -> bool:
        """Take the fetch lease of a URL unless a live worker (this one too) holds it."""
        ttl_ms = int(self.settings.fetch_lease_s * 1000)
        key = self._k("lease", _digest(canonical))
        return bool(self._lease(keys=[key], args=[self.worker_id, ttl_ms, f"{self._p}alive:"]))

    def heartbeat(self, ttl_s: float) -> None:
        self._r.set(self._k("alive", self.worker_id), b"1", px=int(ttl_s * 1000))

    # --- discovery and the sweeper --------------------------------------------------
    def remember(self, canonical: str, request: FetchRequest, now: float | None = None) -> None:
        """Keep a queued request, so the sweeper can queue it again if nobody finishes it."""
        h = _digest(canonical)
        pipe = self._r.pipeline()
        pipe.hset(self._k("queued"), h, encode_request(request))
        pipe.zadd(self._k("since"), {h: time.time() if now is None else now})
        pipe.execute()

    def overdue(self, older_than_s: float, limit: int = 1000) -> list[FetchRequest]:
        """Requests claimed longer ago than ``older_than_s`` and not done; their clock
        restarts, so each is handed out once per period."""
        now = time.time()
        due = self._r.zrangebyscore(self._k("since"), "-inf", now - older_than_s, 0, limit)
        if not due:
            return []
        raw = self._r.hmget(self._k("queued"), due)
        self._r.zadd(self._k("since"), dict.fromkeys(due, now))
        return [decode_request(item) for item in raw if item is not None]

    def close(self) -> None:
        self._r.close()


class RedisSeen(SeenStore):
    """Discovery's seen-store in the distributed roles: a URL is known when its shared
    status says so, and the revisit stamps live in Redis, so two discovery processes
    agree on what is known, only the one that raises a stamp revisits, and a restart
    keeps the stamps (the base the next announced update is compared with)."""

    def __init__(self, status: RedisStatus, ttl_s: float) -> None:
        super().__init__("")  # nothing kept here: the methods below go to Redis
        self._status = status
        self._r = status._r  # one connection per role
        self._ttl_ms = int(ttl_s * 1000)
        self._raise = self._r.register_script(_RAISE)
        self._lost: dict[str, None] = {}

    def _key(self, name: str) -> str:
        return self._status._k("t", _digest(name))

    def add(self, canonical_url: str, stamp: float | None = None) -> bool:
        if stamp is None:
            return bool(self._r.set(self._key(canonical_url), b"", nx=True, px=self._ttl_ms))
        raised = bool(self._raise(keys=[self._key(canonical_url)],
                                  args=[repr(float(stamp)), self._ttl_ms]))
        if raised:
            self._lost.pop(canonical_url, None)
        else:
            self._lost[canonical_url] = None
            if len(self._lost) > _LOST_MAX:
                del self._lost[next(iter(self._lost))]
        return raised

    def stamp(self, canonical_url: str) -> float | None:
        value = self._r.get(self._key(canonical_url))
        return float(value) if value else None

    def __contains__(self, canonical_url: object) -> bool:
        return isinstance(canonical_url, str) and self._status.known(canonical_url)

    def known_of(self, canonical_urls: Iterable[str]) -> set[str]:
        return self._status.known_of(list(canonical_urls))

    def discard(self, canonical_url: str) -> None:
        self._r.delete(self._key(canonical_url))

    def __len__(self) -> int:
        return 0  # not counted: the status lives in Redis

    def lost(self, key: str) -> bool:
        """Whether another process raised the stamp ``key`` first (its revisit is theirs);
        asked once per revisit request. A request resumed from the journal after a
        restart is not known here and goes ahead."""
        return self._lost.pop(key, _NOT_LOST) is None


_NOT_LOST = object()


class _Offsets:
    """Per partition: offsets handed out and which of them are done."""

    def __init__(self) -> None:
        self.pending: dict[TopicPartition, dict[int, bool]] = {}

    def add(self, tp: TopicPartition, offset: int) -> None:
        self.pending.setdefault(tp, {})[offset] = False

    def done(self, tp: TopicPartition, offset: int) -> None:
        marks = self.pending.get(tp)
        if marks is not None and offset in marks:
            marks[offset] = True

    def committable(self, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """The next offset to commit for each partition: past its done prefix."""
        out: dict[TopicPartition, int] = {}
        for tp in tps:
            marks = self.pending.get(tp)
            if not marks:
                continue
            position = None
            for offset in sorted(marks):
                if not marks[offset]:
                    break
                position = offset + 1
                del marks[offset]
            if position is not None:
                out[tp] = position
        return out

    def forget(self, tps: Iterable[TopicPartition]) -> None:
        for tp in tps:
            self.pending.pop(tp, None)


class FrontierSource:
    """``Sources`` for a crawl pipeline: the frontier topic through a consumer group."""

    def __init__(
        self, settings: ClusterSettings, bootstrap: str, client_id: str,
        security: dict[str, Any] | None = None,
        partitions: Sequence[int] | None = None,
    ) -> None:
        self.settings = settings
        #: Static assignment: these frontier partitions, no consumer-group membership.
        self.partitions = None if partitions is None else sorted(set(partitions))
        self.bootstrap = bootstrap
        self.client_id = client_id
        #: ``kafka_security.client_options`` of ``[broker]`` (SASL/TLS for managed Kafka).
        self.security = security or {}
        self._offsets = _Offsets()
        self._where: dict[FetchRequest, collections.deque[tuple[TopicPartition, int]]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self.assigned: set[int] = set()

    async def poll_once(self) -> list[FetchRequest]:
        return []  # a crawl worker has no one-shot pass: the frontier is endless

    def done(self, request: FetchRequest) -> None:
        """Everything made from ``request`` is acknowledged: its offset may be committed."""
        places = self._where.get(request)
        if not places:
            return
        tp, offset = places.popleft()
        if not places:
            del self._where[request]
        self._offsets.done(tp, offset)

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None:
        consumer = self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=self.settings.crawl_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.settings.session_timeout_ms,
            heartbeat_interval_ms=self.settings.heartbeat_interval_ms,
            rebalance_timeout_ms=self.settings.session_timeout_ms,
            max_poll_interval_ms=600_000,
            # Tansu holds a fetch its full max wait when the records are few: short, or a
            # crawl worker idles up to 500 ms between batches of the frontier.
            fetch_max_wait_ms=50,
            **self.security,
        )
        if self.partitions is None:
            consumer.subscribe([self.settings.frontier_topic], listener=_Listener(self))
            await consumer.start()
        else:
            await consumer.start()
            topic = self.settings.frontier_topic
            consumer.assign([TopicPartition(topic, p) for p in self.partitions])
            self.assigned_now({TopicPartition(topic, p) for p in self.partitions})
        committer = asyncio.create_task(self._commit_loop(stop))
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=64)
                for tp, messages in batches.items():
                    for message in messages:
                        await self._hand_out(out, tp, message.offset, message.value)
        finally:
            committer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await committer
            await bounded(self.commit(), STOP_TIMEOUT_S)
            await bounded(consumer.stop(), STOP_TIMEOUT_S)

    async def _hand_out(
        self, out: asyncio.Queue[FetchRequest], tp: TopicPartition, offset: int, value: bytes | None
    ) -> None:
        self._offsets.add(tp, offset)
        try:
            request = decode_request(value or b"")
        except (ValueError, TypeError):
            log_event(log, "ERROR", "frontier record unreadable; skipped", offset=offset)
            self._offsets.done(tp, offset)
            return
        self._where.setdefault(request, collections.deque()).append((tp, offset))
        await out.put(request)

    async def _commit_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(1.0)
            await self.commit()

    async def commit(self, tps: Iterable[TopicPartition] | None = None) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        owned = set(consumer.assignment()) if tps is None else set(tps)
        offsets = self._offsets.committable(owned)
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:  # a rebalance under way: the next owner re-reads them
            log_event(log, "WARNING", "frontier commit failed", error=repr(exc))

    async def revoked(self, tps: set[TopicPartition]) -> None:
        await self.commit(tps)
        self._offsets.forget(tps)
        self.assigned -= {tp.partition for tp in tps}

    def assigned_now(self, tps: set[TopicPartition]) -> None:
        self.assigned |= {tp.partition for tp in tps}
        log_event(log, "INFO", "frontier partitions assigned",
                  partitions=sorted(self.assigned))


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, source: FrontierSource) -> None:
        self.source = source

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.source.revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.source.assigned_now(set(assigned))
