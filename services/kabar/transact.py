"""Kafka transactions for the stories stage's consume-transform-produce.

On a broker with transactions (Apache Kafka, as in docker-compose) one batch of
extracted records becomes one transaction: its article, story and error events
are sent, the consumed offset is added with ``send_offsets_to_transaction``, and
the whole commits or aborts together; consumers reading ``read_committed`` never
see an aborted batch. The transactional id is stable per stories instance, so a
restarted instance fences the old one (which then gets ``ProducerFenced`` and
stops). A failed attempt is aborted and the *same* records are sent again in a
new transaction: they were made from the batch already (dedup state moved on),
so nothing is re-read and the events are byte-identical.

The embedded Tansu grants no producer ids (InitProducerId fails): ``choose_mode``
finds that once at start, and the stage then runs at-least-once with deterministic
event ids (a re-send carries the same ``ce_id``).

Not exercised against a real Kafka broker in this repository's tests (none runs
here): the control flow is tested with a fake producer through ``TxnProducer``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    KafkaError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TransactionalIdAuthorizationFailed,
)

from kabar.errors import ConfigError, PublishError
from kabar.kafka_security import client_options
from kabar.logs import log_event
from kabar.publish import (
    STOP_TIMEOUT_S,
    Outgoing,
    bounded,
    broker_supports_idempotence,
    use_gzip_level,
)
from kabar.settings import Settings

log = logging.getLogger("kabar.transact")

#: Errors after which this producer may never write again (another instance took over).
_FATAL = (ProducerFenced, OutOfOrderSequenceNumber, TransactionalIdAuthorizationFailed)


class TxnProducer(Protocol):
    """The part of ``AIOKafkaProducer`` a transaction needs (a fake in the tests)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def begin_transaction(self) -> None: ...

    async def send(
        self, topic: str, value: bytes, key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any: ...  # a future resolved by the broker's acknowledgement

    async def send_offsets_to_transaction(
        self, offsets: dict[TopicPartition, int], group_id: str
    ) -> None: ...

    async def commit_transaction(self) -> None: ...

    async def abort_transaction(self) -> None: ...


class Fenced(PublishError):
    """A newer producer with the same transactional id runs: this one must stop."""

    default_reason = "producer_fenced"


@dataclass(frozen=True, slots=True)
class Batch:
    """The events made from consumed records up to (not including) ``end``."""

    records: tuple[Outgoing, ...]
    end: int


class Transactor:
    """Commits batches in transactions, retrying a failed one (aborted first)."""

    def __init__(
        self, make: Callable[[], TxnProducer], group_id: str, tp: TopicPartition, *,
        attempt_timeout_s: float = 30.0, backoff_s: float = 1.0,
    ) -> None:
        self.make = make
        self.group_id = group_id
        self.tp = tp
        self.attempt_timeout_s = attempt_timeout_s
        self.backoff_s = backoff_s
        self._producer: TxnProducer | None = None

    async def start(self) -> None:
        producer = self.make()
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await bounded(producer.stop(), STOP_TIMEOUT_S)

    async def commit(self, batch: Batch, stop: asyncio.Event) -> bool:
        """True once ``batch`` and its offset are committed together; False when
        ``stop`` was set while the broker refused it (the caller keeps the batch).
        Raises ``Fenced`` when another instance owns the transactional id now."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await asyncio.wait_for(self._once(batch), self.attempt_timeout_s)
                return True
            except _FATAL as exc:
                raise Fenced(f"transactional producer fenced: {exc!r}") from exc
            except (KafkaError, OSError, TimeoutError) as exc:
                log_event(log, "WARNING", "transaction aborted; the same records are sent "
                          "again", attempt=attempt, error=repr(exc), end_offset=batch.end)
                await self._abort()
            if stop.is_set():
                return False
            delay = min(30.0, self.backoff_s * 2 ** min(attempt - 1, 5))
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                continue
            return False

    async def _once(self, batch: Batch) -> None:
        producer = self._producer
        if producer is None:  # the last abort could not reach the broker: start afresh
            await self.start()
            producer = self._producer
            assert producer is not None
        await producer.begin_transaction()
        acks = [await producer.send(r.topic, r.value, key=r.key, headers=r.headers)
                for r in batch.records]
        await asyncio.gather(*acks)
        await producer.send_offsets_to_transaction({self.tp: batch.end}, self.group_id)
        await producer.commit_transaction()

    async def _abort(self) -> None:
        """Abort the open transaction; if that fails too, drop the producer: the next
        one's InitProducerId (same id) aborts it on the broker and fences this one."""
        producer = self._producer
        if producer is None:
            return
        try:
            await asyncio.wait_for(producer.abort_transaction(), STOP_TIMEOUT_S)
        except _FATAL as exc:
            raise Fenced(f"transactional producer fenced: {exc!r}") from exc
        except Exception as exc:  # any failure: replace the producer
            log_event(log, "WARNING", "abort failed; the producer is replaced",
                      error=repr(exc))
            self._producer = None
            await bounded(producer.stop(), STOP_TIMEOUT_S)


def transactional_id(settings: Settings) -> str:
    c = settings.cluster
    return c.transactional_id or f"{c.stories_group}-writer"


def aiokafka_producer(settings: Settings, bootstrap: str) -> Callable[[], TxnProducer]:
    """A factory of real transactional producers with the stage's stable id."""
    b = settings.broker

    def make() -> TxnProducer:
        use_gzip_level()
        producer: TxnProducer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, client_id=b.client_id,
            transactional_id=transactional_id(settings), acks="all",
            linger_ms=b.linger_ms, request_timeout_ms=b.request_timeout_ms,
            max_request_size=b.max_request_size,
            compression_type=b.compression_type or None, **client_options(b),
        )
        return producer

    return make


async def choose_mode(settings: Settings, bootstrap: str) -> bool:
    """Whether the stories stage runs in transactions, decided once at start."""
    mode = settings.cluster.transactions
    if mode == "off":
        log_event(log, "INFO", "stories stage: transactions off by setting; at-least-once "
                  "with deterministic event ids")
        return False
    granted = await broker_supports_idempotence(bootstrap, settings.broker)
    if granted:
        log_event(log, "INFO", "stories stage: Kafka transactions (exactly-once "
                  "consume-transform-produce)", transactional_id=transactional_id(settings))
        return True
    if mode == "on":
        raise ConfigError("[cluster] transactions = \"on\" but the broker grants no producer "
                          "ids (InitProducerId refused; the embedded Tansu has no "
                          "transactions): use \"auto\" or \"off\"")
    log_event(log, "WARNING", "stories stage: the broker has no transactions "
              "(InitProducerId refused); at-least-once with deterministic event ids")
    return False


# --- a batch kept across a stop -------------------------------------------------------------
def encode_batch(batch: Batch) -> bytes:
    """A batch that could not be committed before a stop, saved with the state."""
    return orjson.dumps({"end": batch.end, "records": [_record(r) for r in batch.records]})


def decode_batch(data: bytes) -> Batch:
    item = orjson.loads(data)
    return Batch(tuple(_outgoing(r) for r in item["records"]), int(item["end"]))


def _record(record: Outgoing) -> dict[str, Any]:
    return {"topic": record.topic, "key": _b64(record.key), "value": _b64(record.value),
            "headers": [[k, _b64(v)] for k, v in record.headers]}


def _outgoing(item: dict[str, Any]) -> Outgoing:
    key = item["key"]
    return Outgoing(item["topic"], None if key is None else base64.b64decode(key),
                    base64.b64decode(item["value"]),
                    [(str(k), base64.b64decode(v)) for k, v in item["headers"]])


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


