"""``GroupLag.behind`` reads every partition's committed offset in one request (the
run's end check polls it every 0.2 s over the frontier's 12 partitions): the records
each partition has beyond its own committed offset, a partition with no commit from its
start, summed."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kabar.broker import EmbeddedBroker
from kabar.roles import GroupLag
from kabar.settings import Settings
from tests.delivery.topic_support import commit


async def _three_partitions(bootstrap: str, topic: str, records: dict[int, int]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:  # one record a batch: the broker reports each end as it is
        for partition, count in records.items():
            for _ in range(count):
                await (await producer.send(topic, b"x", partition=partition))
    finally:
        await producer.stop()


async def test_behind_counts_each_partition_from_its_own_commit(broker: EmbeddedBroker) -> None:
    topic, group = "lag-committed", "lag-committed-group"
    await _three_partitions(broker.bootstrap, topic, {0: 3, 1: 2, 2: 4})
    await commit(broker.bootstrap, group, TopicPartition(topic, 0), 2)
    await commit(broker.bootstrap, group, TopicPartition(topic, 2), 4)
    lag = GroupLag(Settings(), broker.bootstrap, group, topic, 3)
    await lag.start()
    try:
        assert await lag._committed() == {0: 2, 1: 0, 2: 4}
        assert await lag.behind() == 1 + 2 + 0
        await commit(broker.bootstrap, group, TopicPartition(topic, 1), 2)
        await commit(broker.bootstrap, group, TopicPartition(topic, 0), 3)
        assert await lag.behind() == 0
    finally:
        await lag.stop()
