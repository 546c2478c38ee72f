"""Publishing events to Kafka with aiokafka.

One producer serves the article, story and dead-letter topics. Where the
broker grants producer ids (real Kafka) the producer is idempotent; Tansu
fails InitProducerId, so there we fall back to ``acks=all`` without
idempotence. A send that the broker does not acknowledge is retried with
backoff; what is still unsent at shutdown goes to the spool (``kabar.spool``)
and is sent again on the next start, so nothing accepted is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaClient, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, TopicAlreadyExistsError
from aiokafka.protocol.transaction import InitProducerIdRequest

from kabar import metrics
from kabar.errors import PublishError
from kabar.events import Headers
from kabar.kafka_security import client_options
from kabar.logs import log_event
from kabar.settings import BrokerSettings

log = logging.getLogger("kabar.publish")

#: gzip level of the batches the producers write (``broker.compression_type = "gzip"``).
#: aiokafka always compresses at 9: on article JSON that took 0.21 ms a 12 kB record
#: against 0.08 ms at 1, for batches 7% smaller; the events' bytes are the same.
GZIP_LEVEL = 1


def use_gzip_level(level: int = GZIP_LEVEL) -> None:
    """Make aiokafka's batch builders and readers (the compiled ones and the pure-Python
    fallback) compress at ``level``, and both compress and decompress in one zlib call:
    they call the module-level ``gzip_encode`` and ``gzip_decode`` by name, which go
    through a ``gzip.GzipFile`` over a ``BytesIO`` (10 us more a batch each way, on
    batches of one to three events); the consumers of a process that made a producer read
    with it too. Called by each producer factory rather than on import, so importing
    kabar changes nothing in aiokafka for a program that only reads our modules; calling
    it again is harmless."""
    from aiokafka.record import default_records, legacy_records

    encode = functools.partial(_gzip_encode, compresslevel=level)
    modules: list[object] = [default_records, legacy_records]
    with contextlib.suppress(ImportError):
        from aiokafka.record._crecords import default_records as c_default
        from aiokafka.record._crecords import legacy_records as c_legacy

        modules += [c_default, c_legacy]
    for module in modules:
        if hasattr(module, "gzip_encode"):
            setattr(module, "gzip_encode", encode)  # noqa: B010 - a module global, by name
        if hasattr(module, "gzip_decode"):
            setattr(module, "gzip_decode", _gzip_decode)  # noqa: B010


def _gzip_encode(payload: bytes, compresslevel: int) -> bytes:
    # mtime=0: one zlib call, and the same bytes for the same batch.
    return gzip.compress(payload, compresslevel, mtime=0)


def _gzip_decode(payload: bytes) -> bytes:
    return gzip.decompress(payload)  # every member, as GzipFile reads them


#: Bytes a batch of one partition may grow to (aiokafka's default is 16 kB: two or three
#: article events, after which every further send waits for the batch to drain, and
#: each waiting send wakes up whenever any batch drains: sending the events a stop or
#: a restart left queued cost 0.35-0.45 ms of CPU each instead of 0.07 ms).
MAX_BATCH_BYTES = 512 * 1024

#: How long one client may take to flush, commit or stop while shutting down.
STOP_TIMEOUT_S = 5.0


async def bounded(step: Awaitable[object], timeout_s: float) -> None:
    """Await a shutdown step for at most ``timeout_s``; a broker that does not answer
    must not hold the process (what it would have taken is journaled or re-read)."""
    try:
        await asyncio.wait_for(step, timeout_s)
    except (KafkaError, OSError, TimeoutError) as exc:
        log_event(log, "WARNING", "shutdown step gave up", error=repr(exc))


class _Startable(Protocol):
    async def start(self) -> None: ...


_Client = TypeVar("_Client", bound=_Startable)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record ready for the broker."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers


async def broker_supports_idempotence(
    bootstrap: str, settings: BrokerSettings | None = None
) -> bool:
    """Ask the broker for a producer id, as an idempotent producer would."""
    security = client_options(settings or BrokerSettings())
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, **security)
    try:
        await client.bootstrap()
        node = client.get_random_node()
        request = InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=60000)
        response = await asyncio.wait_for(client.send(node, request), 5)
        return int(response.error_code) == 0
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await client.close()


async def ensure_topics(
    settings: BrokerSettings, bootstrap: str, extra: dict[str, int] | None = None
) -> None:
    """Create Kabar's topics if missing (docker-compose also creates them); ``extra``
    names more topics with their partition counts (the distributed roles' own)."""
    admin = await _connected(
        lambda: AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=settings.client_id,
                                    **client_options(settings)),
        settings.connect_timeout_s, bootstrap)
    try:
        existing = set(await admin.list_topics())
        wanted = {t: settings.partitions
                  for t in (settings.articles_topic, settings.stories_topic, settings.errors_topic)}
        wanted.update(extra or {})
        missing = [NewTopic(t, n, 1) for t, n in wanted.items() if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


async def _connected(make: Callable[[], _Client], timeout_s: float, bootstrap: str) -> _Client:
    """Start a client, trying again until ``timeout_s`` passed: a process started while
    the broker is briefly away (a restart, an outage) waits for it instead of exiting."""
    deadline = time.monotonic() + timeout_s
    while True:
        client = make()
        left = deadline - time.monotonic()
        try:
            await asyncio.wait_for(client.start(), max(0.1, left))
        except (KafkaError, OSError, TimeoutError) as exc:
            await _close(client)
            if time.monotonic() + 1.0 >= deadline:
                metrics.BROKER_UP.set(0)
                raise PublishError(f"cannot connect to {bootstrap}: {exc!r}") from exc
            await asyncio.sleep(1.0)
        else:
            return client


async def _close(client: Any) -> None:
    closer = getattr(client, "close", None) or getattr(client, "stop", None)
    if closer is not None:
        with contextlib.suppress(Exception):
            await closer()


class OutageLogFilter(logging.Filter):
    """At most one aiokafka warning or error of a kind per interval: during an outage the
    client repeats the same complaint for every node and every retry."""

    def __init__(self, interval_s: float) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._last: dict[tuple[str, object], float] = {}
        self._suppressed: dict[tuple[str, object], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = (record.name, record.msg)
        now = time.monotonic()
        if now - self._last.get(kind, float("-inf")) < self.interval_s:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return False
        self._last[kind] = now
        dropped = self._suppressed.pop(kind, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} alike suppressed)"
        return True


def limit_client_logs(interval_s: float) -> None:
    """Rate-limit the Kafka client's own warnings and errors (every aiokafka logger)."""
    limiter = OutageLogFilter(interval_s)
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "aiokafka"]
    for name in {"aiokafka", *names}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, OutageLogFilter) for f in logger.filters):
            logger.addFilter(limiter)


#: Called with each record right after the broker acknowledged it (the event archive).
AckHook = Callable[[Outgoing], None]


#: The most the internal topics' producer (the frontier, the extracted articles) lingers,
#: whatever ``broker.linger_ms`` says: what it did at that setting's former default.
#: Each of their records is a step on an article's way to being published, and their
#: producers send one record at a time at most a crawl process's rate. (With the
#: compressions alike they go through the public producer, at ``broker.linger_ms``.)
INTERNAL_LINGER_MS = 5


@dataclass(frozen=True, slots=True)
class Internal:
    """Topics only Kabar's own stages read (the frontier, the extracted articles), sent
    with their own compression (``cluster.compression_type``) by a second producer:
    Kafka compresses by producer, not by topic."""

    topics: frozenset[str]
    compression_type: str = ""


class Publisher:
    """Owns the producer; ``send`` returns once the broker acknowledged."""

    def __init__(
        self, settings: BrokerSettings, bootstrap: str, *, on_ack: AckHook | None = None,
        partitioner: Callable[[bytes | None, list[int], list[int]], int] | None = None,
        internal: Internal | None = None,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.on_ack = on_ack
        #: Chooses a record's partition from its key (None: Kafka's hash of the key).
        self.partitioner = partitioner
        self.idempotent = False
        self._producer: AIOKafkaProducer | None = None
        #: The internal topics' own producer, when their compression differs.
        self._internal = (internal if internal is not None and internal.topics
                          and internal.compression_type != settings.compression_type
                          else None)
        self._internal_producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        mode = self.settings.idempotence
        self.idempotent = mode == "true" or (
            mode == "auto" and await broker_supports_idempotence(self.bootstrap, self.settings)
        )
        producer = await _connected(lambda: AIOKafkaProducer(**self._producer_config()),
                                    self.settings.connect_timeout_s, self.bootstrap)
        self._producer = producer
        internal = self._internal
        if internal is not None:
            try:
                self._internal_producer = await _connected(
                    lambda: AIOKafkaProducer(**self._producer_config(
                        internal.compression_type, INTERNAL_LINGER_MS)),
                    self.settings.connect_timeout_s, self.bootstrap)
            except PublishError:
                await self.stop()  # the first one too: the caller has no publisher to stop
                raise
        metrics.BROKER_UP.set(1)
        log_event(log, "INFO", "producer connected", bootstrap=self.bootstrap,
                  idempotent=self.idempotent)

    def _producer_config(self, compression: str | None = None,
                         most_linger_ms: int | None = None) -> dict[str, Any]:
        s = self.settings
        use_gzip_level()
        compression = s.compression_type if compression is None else compression
        linger = s.linger_ms if most_linger_ms is None else min(s.linger_ms, most_linger_ms)
        return {
            "bootstrap_servers": self.bootstrap,
            "client_id": s.client_id,
            "acks": "all",
            "enable_idempotence": self.idempotent,
            "linger_ms": linger,
            "request_timeout_ms": s.request_timeout_ms,
            "max_request_size": s.max_request_size,
            "max_batch_size": min(MAX_BATCH_BYTES, s.max_request_size),
            "compression_type": compression or None,
            **({"partitioner": self.partitioner} if self.partitioner else {}),
            **client_options(s),
        }

    async def send(self, record: Outgoing) -> None:
        """Send one record and wait for the ack; raise PublishError with a reason."""
        producer = self._producer
        if self._internal is not None and record.topic in self._internal.topics:
            producer = self._internal_producer
        if producer is None:
            raise PublishError("producer not started")
        started = time.perf_counter()
        try:
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=record.headers
            )
        except MessageSizeTooLargeError as exc:
            metrics.child(metrics.PUBLISH_FAILURES, record.topic, "message_too_large").inc()
            raise PublishError(str(exc), reason="message_too_large") from exc
        except (KafkaError, OSError, TimeoutError) as exc:
            metrics.child(metrics.PUBLISH_FAILURES, record.topic, "broker_unavailable").inc()
            metrics.BROKER_UP.set(0)
            raise PublishError(repr(exc), reason="broker_unavailable") from exc
        metrics.BROKER_UP.set(1)
        metrics.child(metrics.PUBLISHED, record.topic).inc()
        metrics.child(metrics.PUBLISH_SECONDS, record.topic).observe(time.perf_counter() - started)
        if self.on_ack is not None:
            self.on_ack(record)

    async def healthy(self) -> bool:
        """Whether the broker answers a metadata request now."""
        if self._producer is None:
            return False
        try:
            client = self._producer.client
            await asyncio.wait_for(client.fetch_all_metadata(), 3)
        except (KafkaError, OSError, TimeoutError):
            metrics.BROKER_UP.set(0)
            return False
        metrics.BROKER_UP.set(1)
        return True

    async def stop(self) -> None:
        """Flush and stop, each within a deadline: with the broker gone, what is unsent
        stays in the journal rather than holding the shutdown."""
        producers = [p for p in (self._producer, self._internal_producer) if p is not None]
        self._producer = self._internal_producer = None
        for producer in producers:
            await bounded(producer.flush(), STOP_TIMEOUT_S)
            await bounded(producer.stop(), STOP_TIMEOUT_S)
