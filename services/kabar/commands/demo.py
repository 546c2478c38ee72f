"""`kabar demo`: the whole service offline — a local sample site, the embedded
broker, one pass of the pipeline, and the events it published, printed back.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

HELP = "offline demo: serve sample portals locally, ingest them, print the events"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print events as JSON lines")


def main(args: argparse.Namespace) -> int:
    from kabar.broker import EmbeddedBroker
    from kabar.demo.server import SiteServer
    from kabar.demo.site import build_site
    from kabar.errors import KabarError
    from kabar.logs import setup_logging

    setup_logging("ERROR", "auto")
    with tempfile.TemporaryDirectory(prefix="kabar-demo-") as tmp, SiteServer() as site:
        site.routes.update(build_site(site.base_url))
        broker = EmbeddedBroker()
        try:
            broker.start()
            print(f"sample site on {site.base_url}; embedded broker on {broker.bootstrap}",
                  file=sys.stderr)
            events = asyncio.run(_ingest(site.base_url, broker.bootstrap, Path(tmp)))
        except KabarError as exc:
            print(f"kabar demo: {exc}", file=sys.stderr)
            return 1
        finally:
            broker.stop()
    _print_events(events, as_json=args.json)
    return 0


async def _ingest(base_url: str, bootstrap: str, tmp: Path) -> dict[str, list[dict[str, Any]]]:
    from kabar.service import run_service

    settings = demo_settings(base_url, bootstrap, tmp)
    counts = await run_service(settings, once=True, say=lambda m: print(m, file=sys.stderr))
    expected = {t: counts[f"published:{t}"] for t in _topics(settings)}
    return {t: await read_topic(bootstrap, t, n) for t, n in expected.items()}


def demo_settings(base_url: str, bootstrap: str, tmp: Path) -> Any:
    from kabar.settings import PortalConfig, load_settings

    settings = load_settings(None, env={}, use_default_portals=False)
    settings.broker.bootstrap_servers = bootstrap
    settings.fetch.allow_private_addresses = True
    settings.fetch.per_host_rate = 50.0
    settings.fetch.retries = 1
    settings.dedup.store = "memory"
    settings.discovery.seen_path = ""
    settings.metrics.enabled = False
    settings.pipeline.spool_path = str(tmp / "spool.jsonl")
    settings.pipeline.progress_interval_s = 0
    settings.portals = [
        PortalConfig(name="kabarkota", feeds=[f"{base_url}/kabarkota/rss.xml"]),
        PortalConfig(name="wartadesa", feeds=[f"{base_url}/wartadesa/rss.xml"]),
    ]
    return settings


def _topics(settings: Any) -> list[str]:
    b = settings.broker
    return [b.articles_topic, b.stories_topic, b.errors_topic]


async def read_topic(
    bootstrap: str, topic: str, count: int, settings: Any = None
) -> list[dict[str, Any]]:
    """Read ``count`` events of ``topic`` from the beginning (poll with a deadline);
    ``settings`` (``[broker]``) carry the security settings for a secured Kafka."""
    import time

    import orjson
    from aiokafka import AIOKafkaConsumer

    from kabar.kafka_security import client_options
    from kabar.settings import BrokerSettings

    if count <= 0:
        return []
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **client_options(settings or BrokerSettings()))
    await consumer.start()
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    try:
        while len(events) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            events += [orjson.loads(m.value) for msgs in batch.values() for m in msgs if m.value]
    finally:
        await consumer.stop()
    return events


def _print_events(events: dict[str, list[dict[str, Any]]], *, as_json: bool) -> None:
    import orjson

    from kabar.commands.tail import human

    for topic, items in events.items():
        if not as_json:
            print(f"\n== {topic}: {len(items)} events")
        for event in items:
            print(orjson.dumps(event).decode() if as_json else human(event))
    total = sum(len(v) for v in events.values())
    articles = len(next(iter(events.values()), []))
    print(f"\nkabar demo: published {total} events ({articles} articles)", file=sys.stderr)
