"""`kabar broker`: run the embedded Kafka-protocol broker (Tansu) alone."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

HELP = ("run the embedded Kafka-protocol broker (Tansu) on 127.0.0.1 until interrupted;"
        " it keeps events in memory unless --storage names a durable engine")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9092, help="0 picks a free port")
    parser.add_argument("--no-topics", action="store_true", help="do not create Kabar's topics")
    parser.add_argument("--storage", default=None, metavar="URL",
                        help="Tansu storage engine (default [broker] embedded_storage,"
                        " memory://tansu/; this build also has s3://)")


def main(args: argparse.Namespace) -> int:
    import asyncio

    from kabar.broker import EmbeddedBroker
    from kabar.commands.run import embedded_missing
    from kabar.errors import KabarError
    from kabar.publish import ensure_topics
    from kabar.rundir import port_open
    from kabar.settings import BrokerSettings, load_settings

    if embedded_missing():
        print(f"kabar broker: {embedded_missing()}", file=sys.stderr)
        return 2
    if args.port and port_open(args.host, args.port):
        print(f"kabar broker: port {args.host}:{args.port} is already in use: pick another "
              "with --port (0: a free one) or stop what listens there", file=sys.stderr)
        return 1
    storage = args.storage or load_settings(use_default_portals=False).broker.embedded_storage
    broker = EmbeddedBroker(args.host, args.port, storage=storage)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        broker.start()
        if not args.no_topics:
            asyncio.run(ensure_topics(BrokerSettings(), broker.bootstrap))
    except KabarError as exc:
        print(f"kabar broker: {exc}", file=sys.stderr)
        broker.stop()
        return 1
    kept = "in memory: events are gone when it stops" if storage.startswith("memory:") else storage
    print(f"broker listening on {broker.bootstrap} ({kept}; Ctrl-C to stop)", flush=True)
    try:
        while not done.wait(0.5):
            if not broker.running:
                print(f"kabar broker: broker exited: {broker.last_output()}", file=sys.stderr)
                return 1
    finally:
        broker.stop()
    return 0
