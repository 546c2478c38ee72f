"""The stories stage's transactions, through the ``TxnProducer`` seam with a fake
producer (no Kafka with transactions runs here: the real path is not exercised
against a broker). What is begun, sent, committed and aborted; the consumed offset
goes into the same transaction; a failed transaction is aborted and the same
records are sent again; a batch that could not commit before a stop is kept with
the state and delivered first by the next start."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError, ProducerFenced

from kabar.dedup import Deduper, content_hash
from kabar.dedup.eventtime import parse_time
from kabar.dedup.store import SqliteStore
from kabar.models import Article, FetchRequest
from kabar.pipeline import Components
from kabar.publish import Outgoing
from kabar.roles import _OFFSET_BLOB, _PENDING_BLOB, StoriesStage
from kabar.settings import DedupSettings, Settings
from kabar.transact import Batch, Fenced, Transactor, decode_batch, encode_batch
from kabar.wire import Extracted, encode_extracted

TP = TopicPartition("kabar.extracted.v1", 0)
GROUP = "kabar-stories"


class FakeProducer:
    """Writes what it is asked into ``log``; ``fail(step)`` may raise instead."""

    def __init__(self, log: list[str], fail: Callable[[str], None] = lambda step: None) -> None:
        self.log = log
        self.fail = fail
        self.sent: list[tuple[str, bytes, bytes | None, list[tuple[str, bytes]]]] = []

    def _step(self, step: str) -> None:
        self.fail(step)
        self.log.append(step)

    async def start(self) -> None:
        self._step("start")

    async def stop(self) -> None:
        self.log.append("stop")

    async def begin_transaction(self) -> None:
        self._step("begin")

    async def send(self, topic: str, value: bytes, key: bytes | None = None,
                   headers: list[tuple[str, bytes]] | None = None) -> Any:
        self._step(f"send {topic}")
        self.sent.append((topic, value, key, list(headers or [])))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def send_offsets_to_transaction(self, offsets: dict[TopicPartition, int],
                                          group_id: str) -> None:
        self._step(f"offsets {offsets[TP]} {group_id}")

    async def commit_transaction(self) -> None:
        self._step("commit")

    async def abort_transaction(self) -> None:
        self._step("abort")


def records(*names: str) -> tuple[Outgoing, ...]:
    return tuple(Outgoing("a", n.encode(), n.encode(), [("ce_id", n.encode())]) for n in names)


def fails_once(at: str) -> Callable[[str], None]:
    seen = {"done": False}

    def fail(step: str) -> None:
        if step == at and not seen["done"]:
            seen["done"] = True
            raise KafkaConnectionError("broker away")

    return fail


def transactor(log: list[str], fail: Callable[[str], None] = lambda s: None,
               made: list[FakeProducer] | None = None) -> Transactor:
    def make() -> FakeProducer:
        producer = FakeProducer(log, fail)
        if made is not None:
            made.append(producer)
        return producer

    return Transactor(make, GROUP, TP, attempt_timeout_s=5.0, backoff_s=0.01)


async def test_a_batch_and_its_offset_commit_in_one_transaction() -> None:
    log: list[str] = []
    txn = transactor(log)
    await txn.start()
    assert await txn.commit(Batch(records("x", "y"), 8), asyncio.Event())
    assert log == ["start", "begin", "send a", "send a", f"offsets 8 {GROUP}", "commit"]


async def test_a_failed_transaction_is_aborted_and_the_same_records_sent_again() -> None:
    log: list[str] = []
    made: list[FakeProducer] = []
    txn = transactor(log, fails_once("send a"), made)
    await txn.start()
    assert await txn.commit(Batch(records("x", "y"), 3), asyncio.Event())
    assert log == ["start", "begin", "abort",
                   "begin", "send a", "send a", f"offsets 3 {GROUP}", "commit"]
    assert [s[1] for s in made[0].sent] == [b"x", b"y"]


async def test_a_failed_abort_replaces_the_producer() -> None:
    log: list[str] = []
    made: list[FakeProducer] = []

    def fail(step: str) -> None:
        if step == "abort":
            raise KafkaConnectionError("gone")
        fails_commit(step)

    fails_commit = fails_once("commit")
    txn = transactor(log, fail, made)
    await txn.start()
    assert await txn.commit(Batch(records("x"), 1), asyncio.Event())
    # The second producer (same transactional id) starts afresh and commits.
    assert log[-6:] == ["stop", "start", "begin", "send a", f"offsets 1 {GROUP}", "commit"]
    assert len(made) == 2


async def test_a_fenced_producer_stops_instead_of_retrying() -> None:
    log: list[str] = []

    def fenced(step: str) -> None:
        if step == "commit":
            raise ProducerFenced()

    txn = transactor(log, fenced)
    await txn.start()
    with pytest.raises(Fenced):
        await txn.commit(Batch(records("x"), 1), asyncio.Event())
    assert "abort" not in log and log.count("begin") == 1


async def test_a_stop_during_an_outage_gives_the_batch_back() -> None:
    log: list[str] = []

    def down(step: str) -> None:
        if step.startswith("send"):
            raise KafkaConnectionError("down")

    txn = transactor(log, down)
    await txn.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, stop.set)
    assert not await txn.commit(Batch(records("x"), 1), stop)
    assert "commit" not in log and log[-1] == "abort"


def test_a_kept_batch_round_trips() -> None:
    batch = Batch((*records("x", "y"), Outgoing("b", None, b"v", [])), 42)
    assert decode_batch(encode_batch(batch)) == batch


# --- the stage ---------------------------------------------------------------------------
class Message:
    def __init__(self, offset: int, value: bytes) -> None:
        self.offset, self.value = offset, value


def extracted(n: int) -> bytes:
    words = " ".join(f"kata{n}x{i} banjir desa{n}" for i in range(30))
    article = Article(url=f"https://warta.test/berita/{n}", title=f"Judul berita nomor {n}",
                      paragraphs=(words,), portal="warta",
                      published_at="2026-01-01T00:00:00+00:00")
    return encode_extracted(Extracted(article, FetchRequest(article.url, "warta", "feed"),
                                      article.url, "2026-01-01T00:01:00+00:00"))


class _Unused:
    async def fetch(self, request: FetchRequest) -> Any:
        raise AssertionError("the stories stage fetches nothing")

    async def poll_once(self) -> list[FetchRequest]:
        return []

    async def run(self, out: Any, stop: asyncio.Event) -> None:
        await stop.wait()

    async def send(self, record: Outgoing) -> None:
        raise AssertionError("in transactions nothing goes through the plain producer")


def stage(deduper: Deduper, txn: Transactor) -> StoriesStage:
    unused = _Unused()
    parts = Components(fetcher=unused, sources=unused, sender=unused,
                       extract=lambda html, url, portal: None,  # type: ignore[arg-type,return-value]
                       stitch=lambda pages: pages[0],  # type: ignore[arg-type,return-value]
                       content_hash=content_hash, deduper=deduper)
    return StoriesStage(Settings(), parts, "127.0.0.1:1", transactor=txn)


async def test_the_stage_sends_a_batch_and_its_offset_in_one_transaction(tmp_path: Path) -> None:
    log: list[str] = []
    made: list[FakeProducer] = []
    deduper = Deduper(DedupSettings(store="memory"))
    txn = transactor(log, fails_once("commit"), made)
    await txn.start()
    one = stage(deduper, txn)
    assert await one._transact(deduper, [Message(5, extracted(1)), Message(6, extracted(2))],
                               published=0)
    topics = [s[0] for s in made[0].sent]
    assert topics.count("kabar.articles.v1") == 4  # two articles, sent twice: once aborted
    first, again = made[0].sent[:len(topics) // 2], made[0].sent[len(topics) // 2:]
    assert first == again  # the aborted records, byte for byte
    assert log.count("abort") == 1 and log[-2:] == [f"offsets 7 {GROUP}", "commit"]
    assert deduper.store.get_blob(_OFFSET_BLOB) == b"7"  # state saved with the offset
    assert one.counts["published:kabar.articles.v1"] == 2


async def test_a_batch_not_committed_at_a_stop_is_delivered_by_the_next_start() -> None:
    log: list[str] = []
    deduper = Deduper(DedupSettings(store="memory"))

    def down(step: str) -> None:
        if step == "commit":
            raise KafkaConnectionError("down")

    txn = transactor(log, down)
    await txn.start()
    one = stage(deduper, txn)
    one.stop_event.set()  # stopping: the failed batch is given back at once
    assert not await one._transact(deduper, [Message(0, extracted(1))], published=0)
    await one._final_snapshot(deduper)
    assert deduper.store.get_blob(_OFFSET_BLOB) == b"1"
    kept = decode_batch(deduper.store.get_blob(_PENDING_BLOB) or b"")
    assert kept.end == 1 and kept.records[0].topic == "kabar.articles.v1"

    # Next start, the broker answers: the kept batch is one transaction, then forgotten.
    log2: list[str] = []
    made: list[FakeProducer] = []
    txn2 = transactor(log2, made=made)
    await txn2.start()
    two = stage(deduper, txn2)
    assert await two._deliver_pending(deduper, published=0)
    assert log2 == ["start", "begin"] + [f"send {r.topic}" for r in kept.records] + [
        f"offsets 1 {GROUP}", "commit"]
    assert [s[1] for s in made[0].sent] == [r.value for r in kept.records]
    assert deduper.store.get_blob(_PENDING_BLOB) == b""

    # Had that commit reached the broker before the stop, nothing is sent again.
    deduper.store.put_blob(_PENDING_BLOB, encode_batch(kept))
    log3: list[str] = []
    txn3 = transactor(log3)
    await txn3.start()
    assert await stage(deduper, txn3)._deliver_pending(deduper, published=1)
    assert log3 == ["start"]


# --- at-least-once (Tansu): a stop during an outage --------------------------------------
class Outage:
    """A broker that takes nothing until ``up`` is set; what it took, in order."""

    def __init__(self) -> None:
        self.up = asyncio.Event()
        self.took: list[Outgoing] = []

    async def send(self, record: Outgoing) -> None:
        await self.up.wait()
        self.took.append(record)


def plain_stage(deduper: Deduper, sender: Outage) -> StoriesStage:
    unused = _Unused()
    parts = Components(fetcher=unused, sources=unused, sender=sender,
                       extract=lambda html, url, portal: None,  # type: ignore[arg-type,return-value]
                       stitch=lambda pages: pages[0],  # type: ignore[arg-type,return-value]
                       content_hash=content_hash, deduper=deduper)
    one = StoriesStage(Settings(), parts, "127.0.0.1:1")
    one._decided = True  # at-least-once, as on Tansu
    return one


async def test_events_unacknowledged_at_a_stop_are_kept_and_sent_first_next_time() -> None:
    deduper = Deduper(DedupSettings(store="memory"))
    down = Outage()
    one = plain_stage(deduper, down)
    worker = asyncio.create_task(one._loop(one.publish_q, one._publish_one, "publish"))
    for n in range(3):
        await one._one(n, extracted(n), replay=False)
    one.stop_event.set()
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    await one._final_snapshot(deduper)
    assert deduper.store.get_blob(_OFFSET_BLOB) == b"3"
    kept = decode_batch(deduper.store.get_blob(_PENDING_BLOB) or b"")
    assert [r.topic for r in kept.records].count("kabar.articles.v1") == 3
    assert down.took == []

    up = Outage()
    up.up.set()
    two = plain_stage(deduper, up)  # the next start: same state, the broker answers
    worker = asyncio.create_task(two._loop(two.publish_q, two._publish_one, "publish"))
    assert await two._deliver_pending(deduper, published=0)
    await asyncio.wait_for(two.publish_q.join(), 5)
    worker.cancel()
    assert sorted(r.value for r in up.took) == sorted(r.value for r in kept.records)
    assert deduper.store.get_blob(_PENDING_BLOB) == b""
    # The state went on past them: the same articles read again are "unchanged".
    verdict, _ = deduper.process(decode_extracted_article(extracted(1)),
                                 when=parse_time("2026-01-01T00:02:00+00:00"))
    assert verdict.verdict == "unchanged"


def decode_extracted_article(value: bytes) -> Article:
    import dataclasses

    from kabar.pipeline import _canonical
    from kabar.wire import decode_extracted

    item = decode_extracted(value)
    return dataclasses.replace(item.article,
                               canonical_url=_canonical(item.article, item.final_url))


async def test_a_stop_does_not_wait_for_room_in_a_full_publish_queue() -> None:
    one = plain_stage(Deduper(DedupSettings(store="memory")), Outage())
    one.publish_q = asyncio.Queue(1)
    one.publish_q.put_nowait(object())  # type: ignore[arg-type]  # full: the broker is away
    waiting = asyncio.create_task(one._room())
    await asyncio.wait({waiting}, timeout=0.3)
    assert not waiting.done()  # no room: the next record waits ...
    one.stop_event.set()
    assert await asyncio.wait_for(waiting, 2) is False  # ... until a stop


async def test_the_real_producer_has_the_stable_transactional_id() -> None:
    from kabar.transact import aiokafka_producer, transactional_id

    settings = Settings()
    settings.cluster.stories_group = "grup"
    producer: Any = aiokafka_producer(settings, "127.0.0.1:1")()
    assert transactional_id(settings) == "grup-writer"
    assert producer._txn_manager.transactional_id == "grup-writer"  # same after a restart
    settings.cluster.transactional_id = "cerita-1"
    assert aiokafka_producer(settings, "127.0.0.1:1")()._txn_manager.transactional_id \
        == "cerita-1"  # type: ignore[attr-defined]


async def test_a_snapshot_waits_while_the_last_story_checkpoint_is_still_encoded(
    tmp_path: Path,
) -> None:
    """A snapshot cut while the writer thread has not yet encoded the last story
    checkpoint would encode it here, on the event loop: the stage waits for its next
    turn instead, and then saves the state with the offset reached by then."""
    deduper = Deduper(DedupSettings(store="sqlite", state_path=str(tmp_path / "s.sqlite3")))
    deduper.defer_commits()
    store = deduper.store
    assert isinstance(store, SqliteStore)
    one = plain_stage(deduper, Outage())
    one._next_offset = 3
    await one._snapshot(deduper)
    assert store.sync(30.0) and store.get_blob(_OFFSET_BLOB) == b"3"
    release = threading.Event()
    store._writer.submit_job(lambda: release.wait(30.0), "a slow disk")
    one._next_offset = 5
    await one._snapshot(deduper)  # cut, and queued behind the slow write
    assert deduper.checkpoint_busy
    one._next_offset = 8
    await one._snapshot(deduper)  # put off: nothing encoded on this thread
    assert store.get_blob(_OFFSET_BLOB) == b"5"
    release.set()
    assert store.sync(30.0) and not deduper.checkpoint_busy
    await one._snapshot(deduper)
    assert store.get_blob(_OFFSET_BLOB) == b"8"
    deduper.close()


async def test_a_restart_counts_the_verdicts_of_the_records_it_replays_once(
    tmp_path: Path,
) -> None:
    # Records 0 and 1 were published by the run that crashed after its snapshot at 0:
    # the next start reads them again to rebuild its state only. Its summary counts
    # what it took in anew (record 2), as ``extracted`` does, not the replayed two.
    deduper = Deduper(DedupSettings(store="memory"))
    txn = transactor([])
    await txn.start()
    two = stage(deduper, txn)
    batch = [Message(n, extracted(n)) for n in range(3)]
    assert await two._transact(deduper, batch, published=2)
    assert two.counts["replayed"] == 2 and two.counts["extracted"] == 1
    assert two.counts["published:kabar.articles.v1"] == 1
    assert sum(v for k, v in two.counts.items() if k.startswith("dedup_")) == 1
    assert two.counts["dedup_new"] == 1
