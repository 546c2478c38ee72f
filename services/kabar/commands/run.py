"""`kabar run`: the ingest service (sources → fetch → extract → dedup → publish)."""

from __future__ import annotations

import argparse
import asyncio
import sys

HELP = "run the ingest pipeline (embedded broker unless [broker] bootstrap_servers is set)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", help="TOML config file (default: the shipped portals)")
    parser.add_argument("--once", action="store_true",
                        help="one pass over the sources; exit 0 once everything is published")
    parser.add_argument("--role", choices=("discovery", "crawl", "stories"),
                        help="run one stage of a distributed deployment (needs [broker] "
                             "bootstrap_servers and Redis at [cluster] status_url); "
                             "default: every stage in this process")


def main(args: argparse.Namespace) -> int:
    from kabar.errors import KabarError
    from kabar.logs import setup_logging
    from kabar.service import format_counts, run_service
    from kabar.settings import load_settings

    try:
        settings = load_settings(args.config)
    except KabarError as exc:
        print(f"kabar run: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log.level, settings.log.format)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        counts = asyncio.run(run_service(settings, once=args.once, say=say, role=args.role))
    except KabarError as exc:
        say(f"kabar run: {exc}")
        return 1
    say("done: " + format_counts(counts, settings))
    return 0
