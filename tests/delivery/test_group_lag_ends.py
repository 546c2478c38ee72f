"""A topic's end as ``kabar run --once`` reads it (``GroupLag``): one past the last record
the partition holds, on the embedded broker too, whose reported end trails the records of
a last batch; and the group's lag is counted to that end."""

from __future__ import annotations

from aiokafka import TopicPartition

from kabar.broker import EmbeddedBroker
from kabar.roles import GroupLag
from kabar.settings import Settings
from tests.delivery.topic_support import commit, fill, make_topics

RECORDS = 3000




async def test_end_and_lag_count_every_record_of_a_batched_topic(
        broker: EmbeddedBroker) -> None:
    topic, group = "lag-ends", "lag-ends-group"
    await make_topics(broker.bootstrap, topic)
    # Batched sends, as the crawl processes send extracted records.
    await fill(broker.bootstrap, topic, RECORDS, b"x" * 200, linger_ms=20)
    lag = GroupLag(Settings(), broker.bootstrap, group, topic, 1)
    await lag.start()
    try:
        assert await lag.ends() == {0: RECORDS}
        # A group that committed short of the last batch is behind by what it did not read,
        # even where the broker's own end says it is through.
        await commit(broker.bootstrap, group, TopicPartition(topic, 0), RECORDS - 5)
        assert await lag.behind() == 5
        await commit(broker.bootstrap, group, TopicPartition(topic, 0), RECORDS)
        assert await lag.behind() == 0
    finally:
        await lag.stop()
