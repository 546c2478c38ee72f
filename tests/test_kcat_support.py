"""kcat (Debian, librdkafka 2.0.2) reads what aiokafka wrote to a real Tansu broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kabar.broker import EmbeddedBroker
from kabar.errors import BrokerError
from tests.kcat_support import kcat_binary, kcat_consume, parse_kcat_json

KCAT_MISSING = "kcat is not installed (apt-get install kcat provides /usr/bin/kcat)"

# Indonesian text and raw non-UTF-8 bytes: the helper must return bytes unchanged.
RECORDS = [
    (b"berita-1", b'{"judul":"Harga cabai naik menjelang Lebaran"}', 0),
    (b"berita-2", '{"judul":"Banjir rob di pesisir Semarang — warga mengungsi"}'.encode(), 1),
    (b"berita-3", b"\xff\x00biner", 0),
]


@pytest.fixture(scope="module")
def tansu(broker: EmbeddedBroker) -> str:
    return broker.bootstrap


@pytest.fixture(scope="module")
def kcat() -> str:
    found = kcat_binary()
    if found is None:
        pytest.skip(KCAT_MISSING)
    return found


async def _publish(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        for n, (key, value, partition) in enumerate(RECORDS):
            headers = [("schema", b"kabar.article.v1"), ("seq", str(n).encode())]
            await producer.send_and_wait(
                topic, value, key=key, partition=partition, headers=headers
            )
    finally:
        await producer.stop()


async def test_kcat_reads_keys_values_and_headers(tansu: str, kcat: str) -> None:
    await _publish(tansu, "kcat-articles")

    messages = await asyncio.to_thread(kcat_consume, tansu, "kcat-articles", 3, 20.0)

    got = sorted((m["key"], m["value"], m["partition"], tuple(m["headers"])) for m in messages)
    want = sorted(
        (key, value, partition, (("schema", b"kabar.article.v1"), ("seq", str(n).encode())))
        for n, (key, value, partition) in enumerate(RECORDS)
    )
    assert got == want
    assert all(m["topic"] == "kcat-articles" for m in messages)


async def test_kcat_times_out_when_records_are_missing(tansu: str, kcat: str) -> None:
    await _publish(tansu, "kcat-short")

    with pytest.raises(BrokerError) as caught:
        await asyncio.to_thread(kcat_consume, tansu, "kcat-short", 4, 2.0)
    assert caught.value.reason == "kcat_timeout"


def test_parse_keeps_null_key_null_header_and_raw_bytes() -> None:
    line = (
        b'{"topic":"t","partition":1,"offset":7,"tstype":"create","ts":1,"broker":111,'
        b'"headers":["a",null,"b","x"],"key":null,"payload":"\xff\\u0000\xc3\xa9"}\n'
    )

    [message] = parse_kcat_json(line)

    assert message["key"] is None
    assert message["value"] == b"\xff\x00\xc3\xa9"
    assert message["headers"] == [("a", None), ("b", b"x")]
    assert (message["partition"], message["offset"]) == (1, 7)
