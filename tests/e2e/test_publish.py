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


async def test_kabar_tail_prints_events(broker: EmbeddedBroker) -> None:
    import asyncio
    import sys

    settings = BrokerSettings(articles_topic="tail.a", stories_topic="tail.s",
                              errors_topic="tail.e")
    await ensure_topics(settings, broker.bootstrap)
    publisher = Publisher(settings, broker.bootstrap)
    await publisher.start()
    try:
        for n in (1, 2):
            event = {"title": f"Berita {n}", "portal": "uji", "dedup": "new", "word_count": 9,
                     "published_at": "2024-06-19T06:40:00Z"}
            await publisher.send(Outgoing("tail.a", None, orjson.dumps(event), []))
        await publisher.send(Outgoing("tail.e", None, orjson.dumps(
            {"stage": "fetch", "reason": "timeout", "url": "http://x.id/1", "detail": "slow"}), []))
    finally:
        await publisher.stop()

    async def tail(*args: str) -> list[str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kabar", "tail", "-b", broker.bootstrap, "--from-beginning",
            *args, stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0
        return out.decode().splitlines()

    lines = await tail("-t", "tail.a", "--max", "2", "--json")
    # no key: the two events may sit on different partitions, in either order
    assert sorted(orjson.loads(line)["title"] for line in lines) == ["Berita 1", "Berita 2"]
    [human] = await tail("-t", "tail.e", "--max", "1")
    assert human == "ERROR fetch/timeout http://x.id/1: slow"
