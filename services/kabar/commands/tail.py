"""`kabar tail`: consume Kabar's topics and print events."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "consume and print events from a Kabar topic"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", "-b", default=None,
                        help="bootstrap servers (default: [broker] of --config, or 127.0.0.1:9092)")
    parser.add_argument("--config", "-c", help="TOML config file")
    parser.add_argument("--topic", "-t", default=None, help="topic (default: kabar.articles.v1)")
    parser.add_argument("--json", action="store_true", help="print raw JSON lines")
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    parser.add_argument("--max", type=int, default=0, help="stop after N events (0: never)")
    parser.add_argument("--idle-timeout", type=float, default=0.0,
                        help="stop after this many seconds without events (0: never)")


def main(args: argparse.Namespace) -> int:
    import asyncio

    from kabar.settings import load_settings

    settings = load_settings(args.config, use_default_portals=False)
    bootstrap = args.bootstrap or settings.broker.bootstrap_servers or "127.0.0.1:9092"
    topic = args.topic or settings.broker.articles_topic
    try:
        return asyncio.run(_tail(bootstrap, topic, args))
    except KeyboardInterrupt:
        return 0


async def _tail(bootstrap: str, topic: str, args: argparse.Namespace) -> int:
    import time

    import orjson
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import KafkaError

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        print(f"kabar tail: cannot connect to {bootstrap}: {exc!r}", file=sys.stderr)
        return 1
    seen, last = 0, time.monotonic()
    try:
        while not args.max or seen < args.max:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    value = orjson.loads(message.value) if message.value else {}
                    print(orjson.dumps(value).decode() if args.json else human(value), flush=True)
                    seen, last = seen + 1, time.monotonic()
            if args.idle_timeout and time.monotonic() - last > args.idle_timeout:
                break
    finally:
        await consumer.stop()
    return 0


def human(event: dict[str, Any]) -> str:
    """One readable line per event, whatever its topic."""
    if "reason" in event and "stage" in event:
        return f"ERROR {event['stage']}/{event['reason']} {event.get('url', '')}: {event['detail']}"
    if "member_count" in event:
        return (f"STORY {event.get('type', '')} {event.get('story_id', '')} "
                f"[{event['member_count']} articles] {event.get('title', '')}")
    words = event.get("word_count", 0)
    return (f"{event.get('dedup', 'new'):>14} {event.get('portal', '?'):<12} "
            f"{event.get('published_at') or '-':<20} {event.get('title', '')} ({words} words)")
