"""Topic set-up the group-lag tests share: topics made, a partition filled in batches
(as the crawl processes send), and a group's offset committed from outside."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata


async def make_topics(bootstrap: str, *topics: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1) for topic in topics])
    finally:
        await admin.close()


async def fill(bootstrap: str, topic: str, records: int, value: bytes, linger_ms: int) -> None:
    """``records`` sends to partition 0, batched by ``linger_ms`` (the embedded broker
    reports a partition's end short of its last batch)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=linger_ms)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, partition=0) for _ in range(records)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def commit(bootstrap: str, group: str, tp: TopicPartition, offset: int) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: OffsetAndMetadata(offset, "")})
    finally:
        await consumer.stop()
