"""A topic's end as ``kabar run --once`` reads it (``GroupLag``): one past the last record
the partition holds, on the embedded broker too, whose reported end trails the records of
a last batch; and the group's lag is counted to that end."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from kabar.broker import EmbeddedBroker
from kabar.roles import GroupLag
from kabar.settings import Settings

RECORDS = 3000


async def _fill(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    # Batched sends, as the crawl processes send extracted records.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        sent = [await producer.send(topic, b"x" * 200, partition=0) for _ in range(RECORDS)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, tp: TopicPartition, offset: int) -> None:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: OffsetAndMetadata(offset, "")})
    finally:
        await consumer.stop()


async def test_end_and_lag_count_every_record_of_a_batched_topic(
        broker: EmbeddedBroker) -> None:
    topic, group = "lag-ends", "lag-ends-group"
    await _fill(broker.bootstrap, topic)
    lag = GroupLag(Settings(), broker.bootstrap, group, topic, 1)
    await lag.start()
    try:
        assert await lag.ends() == {0: RECORDS}
        # A group that committed short of the last batch is behind by what it did not read,
        # even where the broker's own end says it is through.
        await _commit(broker.bootstrap, group, TopicPartition(topic, 0), RECORDS - 5)
        assert await lag.behind() == 5
        await _commit(broker.bootstrap, group, TopicPartition(topic, 0), RECORDS)
        assert await lag.behind() == 0
    finally:
        await lag.stop()
