"""`kabar tail`: print Kabar's events, from Kafka or from the local event archive.

Where the events come from, first match wins: ``--bootstrap``; the config's
``[broker] bootstrap_servers``; the embedded broker of a ``kabar run`` still going on
with the same data dir (it writes its address there); the event archive of past
runs (``<data dir>/events/<topic>.jsonl``); a ``kabar broker`` on 127.0.0.1:9092.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HELP = "print events: from Kafka, a running `kabar run`, or the local event archive"

FALLBACK_BROKER = "127.0.0.1:9092"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", "-b", default=None,
                        help="bootstrap servers (default: see `kabar tail --help` above)")
    parser.add_argument("--config", "-c", help="TOML config file (the one `kabar run` used)")
    parser.add_argument("--topic", "-t", default=None, help="topic (default: kabar.articles.v1)")
    parser.add_argument("--json", action="store_true", help="print raw JSON lines")
    parser.add_argument("--from-beginning", action="store_true",
                        help="start at the oldest event (the archive is always read whole)")
    parser.add_argument("--archive", action="store_true",
                        help="read the event archive even while a run's broker is up")
    parser.add_argument("--max", type=int, default=0, help="stop after N events (0: never)")
    parser.add_argument("--idle-timeout", type=float, default=0.0,
                        help="stop after this many seconds without events (0: never)")


def main(args: argparse.Namespace) -> int:
    import asyncio

    from kabar.errors import KabarError
    from kabar.settings import load_settings

    try:
        settings = load_settings(args.config, use_default_portals=False)
    except KabarError as exc:
        print(f"kabar tail: {exc.detail}", file=sys.stderr)
        return 2
    topic = args.topic or settings.broker.articles_topic
    source = pick_source(settings, topic, args)
    if source is None:
        print(f"kabar tail: no broker and no archive for {topic} under {settings.data.dir}/: "
              "run `kabar run` first (same --config), or give -b HOST:PORT", file=sys.stderr)
        return 1
    if isinstance(source, Path):
        return print_archive(source, args)
    try:
        return asyncio.run(_tail(source, topic, args, settings))
    except KeyboardInterrupt:
        return 0


def pick_source(settings: Any, topic: str, args: argparse.Namespace) -> str | Path | None:
    """A bootstrap address, or the archive file to read."""
    from kabar.archive import topic_file
    from kabar.rundir import port_open, running_broker
    from kabar.settings import archive_dir

    explicit = args.bootstrap or settings.broker.bootstrap_servers
    if explicit:
        return str(explicit)
    archived = topic_file(archive_dir(settings), topic)
    running = None if args.archive else running_broker(Path(settings.data.dir))
    if running:
        return running
    if archived.is_file():
        return archived
    return FALLBACK_BROKER if port_open("127.0.0.1", 9092) else None


def print_archive(path: Path, args: argparse.Namespace) -> int:
    import orjson

    from kabar.archive import read_archive

    print(f"kabar tail: reading the archive {path}", file=sys.stderr)
    for seen, line in enumerate(read_archive(path), 1):
        print(line.decode() if args.json else human(orjson.loads(line)), flush=True)
        if args.max and seen >= args.max:
            break
    return 0


async def _tail(bootstrap: str, topic: str, args: argparse.Namespace, settings: Any) -> int:
    import time

    import orjson
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import KafkaError

    from kabar.kafka_security import client_options

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
        **client_options(settings.broker),
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        print(f"kabar tail: cannot connect to {bootstrap} ({type(exc).__name__}): check the "
              "address and [broker] security settings", file=sys.stderr)
        return 1
    print(f"kabar tail: reading {topic} from {bootstrap}", file=sys.stderr)
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
