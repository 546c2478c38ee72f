"""`kabar replay`: failures read back from a real errors topic, filtered, and
queued again in the journal of a stopped service or on the frontier."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from kabar.broker import EmbeddedBroker
from kabar.commands import replay as command
from kabar.frontier import RedisStatus
from kabar.replay import ReplayFilter, requests_from
from kabar.settings import ClusterSettings, load_settings
from kabar.spool import Spool, read_pending
from kabar.wire import decode_request

EVENTS = [
    {"url": "https://a.id/1", "stage": "fetch", "reason": "timeout", "portal": "a",
     "time": "2026-05-01T10:00:00Z"},
    {"url": "https://a.id/2", "stage": "fetch", "reason": "http_5xx", "portal": "a",
     "time": "2026-05-01T11:00:00Z"},
    {"url": "https://b.id/1", "stage": "extract", "reason": "empty_body", "portal": "b",
     "time": "2026-05-02T10:00:00Z"},
    {"url": "https://a.id/1", "stage": "fetch", "reason": "timeout", "portal": "a",
     "time": "2026-05-03T10:00:00Z"},
]


def test_filters_pick_by_reason_portal_and_time() -> None:
    from datetime import UTC, datetime

    assert [r.url for r in requests_from(EVENTS, ReplayFilter())] == [
        "https://a.id/1", "https://a.id/2", "https://b.id/1"]
    only = ReplayFilter(reasons=frozenset({"timeout", "empty_body"}), portals=frozenset({"a"}))
    assert [r.url for r in requests_from(EVENTS, only)] == ["https://a.id/1"]
    window = ReplayFilter(since=datetime(2026, 5, 1, 10, 30, tzinfo=UTC),
                          until=datetime(2026, 5, 3, tzinfo=UTC))
    assert [r.url for r in requests_from(EVENTS, window)] == ["https://a.id/2", "https://b.id/1"]


def _publish(bootstrap: str, topic: str) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for event in EVENTS:
                await producer.send_and_wait(topic, orjson.dumps(event),
                                             key=event["url"].encode())
        finally:
            await producer.stop()

    asyncio.run(send())


def _args(config: Path, **changes: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    args = parser.parse_args(["--config", str(config)])
    for key, value in changes.items():
        setattr(args, key, value)
    return args


def _config(tmp_path: Path, bootstrap: str, topic: str, extra: str = "") -> Path:
    path = tmp_path / "kabar.toml"
    path.write_text(f'[broker]\nbootstrap_servers = "{bootstrap}"\nerrors_topic = "{topic}"\n'
                    f'[pipeline]\nspool_path = "{tmp_path / "spool.jsonl"}"\n{extra}')
    return path


def test_replay_into_the_journal_of_a_stopped_service(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    topic = "replay.journal.errors"
    _publish(broker.bootstrap, topic)
    config = _config(tmp_path, broker.bootstrap, topic)
    assert command.main(_args(config, reason=["timeout", "http_5xx"])) == 0
    pending = read_pending(str(tmp_path / "spool.jsonl"))
    assert [(q.url, q.portal, q.source) for _, q in pending.requests] == [
        ("https://a.id/1", "a", "replay"), ("https://a.id/2", "a", "replay")]
    running = Spool(str(tmp_path / "spool.jsonl"))
    running.open()  # a service runs on this journal now
    try:
        assert command.main(_args(config)) == 1
    finally:
        running.close()


def test_replay_onto_the_frontier_resets_the_url_status(
    broker: EmbeddedBroker, tmp_path: Path, redis_url: str
) -> None:
    topic = "replay.frontier.errors"
    _publish(broker.bootstrap, topic)
    extra = (f'[cluster]\nstatus_url = "{redis_url}"\nstatus_prefix = "replaytest:"\n'
             'frontier_topic = "replay.frontier"\n')
    config = _config(tmp_path, broker.bootstrap, topic, extra)
    cluster = load_settings(config, use_default_portals=False).cluster
    status = RedisStatus(ClusterSettings(status_url=redis_url, status_prefix="replaytest:"))
    status.claim("https://b.id/1")
    status.done("https://b.id/1")  # a dead letter's URL counts as done
    assert command.main(_args(config, portal=["b"], frontier=True)) == 0
    assert not status.is_done("https://b.id/1")

    async def read() -> list[str]:
        consumer = AIOKafkaConsumer(cluster.frontier_topic, bootstrap_servers=broker.bootstrap,
                                    auto_offset_reset="earliest", group_id=None)
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=5000)
            return [decode_request(m.value or b"").url for ms in batch.values() for m in ms]
        finally:
            await consumer.stop()

    assert asyncio.run(read()) == ["https://b.id/1"]


@pytest.mark.parametrize("flag", [["--since", "not a date"]])
def test_a_bad_time_is_a_clear_error(tmp_path: Path, flag: list[str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "127.0.0.1:1", "t")
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    assert command.main(parser.parse_args(["--config", str(config), *flag])) == 2
    assert "kabar replay:" in capsys.readouterr().err
