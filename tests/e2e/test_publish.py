"""The publisher against the real Tansu broker: topics, idempotence fallback, headers."""

from __future__ import annotations

import orjson

from kabar.broker import EmbeddedBroker
from kabar.commands.demo import read_topic
from kabar.events import ce_headers, kafka_key
from kabar.publish import Outgoing, Publisher, broker_supports_idempotence, ensure_topics
from kabar.settings import BrokerSettings


async def test_tansu_refuses_producer_ids_so_we_fall_back(broker: EmbeddedBroker) -> None:
    assert await broker_supports_idempotence(broker.bootstrap) is False
    settings = BrokerSettings(articles_topic="pub.a", stories_topic="pub.s", errors_topic="pub.e")
    await ensure_topics(settings, broker.bootstrap)
    await ensure_topics(settings, broker.bootstrap)  # idempotent
    publisher = Publisher(settings, broker.bootstrap)
    await publisher.start()
    try:
        assert publisher.idempotent is False
        assert await publisher.healthy()
        key = kafka_key("https://WWW.kompas.com/read/1?utm_source=x")
        record = Outgoing("pub.a", key, orjson.dumps({"n": 1}),
                          ce_headers("article.created", "e1", "article.v1.json", "test"))
        await publisher.send(record)
    finally:
        await publisher.stop()
    [event] = await read_topic(broker.bootstrap, "pub.a", 1)
    assert event == {"n": 1}
    assert key == kafka_key("https://www.kompas.com/read/1")
