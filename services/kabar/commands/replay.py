"""`kabar replay`: queue the URLs of dead-lettered failures again."""

from __future__ import annotations

import argparse
import sys

HELP = "re-queue URLs from the errors topic (filter by reason, stage, portal, time)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", help="TOML config file (the service's own)")
    parser.add_argument("--bootstrap", "-b", help="bootstrap servers (default: [broker])")
    parser.add_argument("--reason", action="append", default=[],
                        help="only this reason (repeatable), e.g. timeout, http_5xx")
    parser.add_argument("--stage", action="append", default=[],
                        help="only this stage (repeatable): fetch, extract, …")
    parser.add_argument("--portal", action="append", default=[], help="only this portal")
    parser.add_argument("--since", help="failures at or after this ISO 8601 time")
    parser.add_argument("--until", help="failures before this ISO 8601 time")
    parser.add_argument("--frontier", action="store_true",
                        help="queue on the frontier topic of a distributed deployment "
                             "(default: the journal of a stopped `kabar run`)")
    parser.add_argument("--dry-run", action="store_true", help="only list what would be queued")


def main(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import UTC, datetime

    from kabar.errors import KabarError
    from kabar.kafka_security import client_options
    from kabar.replay import ReplayFilter, read_errors, requests_from, to_frontier, to_journal
    from kabar.settings import load_settings
    from kabar.spool import SpoolLocked

    def moment(text: str | None) -> datetime | None:
        if not text:
            return None
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    try:
        settings = load_settings(args.config, use_default_portals=False)
        picked = ReplayFilter(frozenset(args.reason), frozenset(args.stage),
                              frozenset(args.portal), moment(args.since), moment(args.until))
    except (KabarError, ValueError) as exc:
        print(f"kabar replay: {exc}", file=sys.stderr)
        return 2
    bootstrap = args.bootstrap or settings.broker.bootstrap_servers
    if not bootstrap:
        print("kabar replay: no broker: set [broker] bootstrap_servers or --bootstrap "
              "(the embedded broker keeps nothing between runs)", file=sys.stderr)
        return 2
    try:
        events = asyncio.run(read_errors(bootstrap, settings.broker.errors_topic,
                                         security=client_options(settings.broker)))
        requests = requests_from(events, picked)
        if args.dry_run:
            for request in requests:
                print(request.url)
        elif args.frontier:
            asyncio.run(to_frontier(settings, bootstrap, requests))
        else:
            to_journal(settings, requests)
    except SpoolLocked as exc:
        print(f"kabar replay: {exc}", file=sys.stderr)
        return 1
    except (KabarError, OSError, TimeoutError) as exc:
        print(f"kabar replay: {exc}", file=sys.stderr)
        return 1
    where = "listed" if args.dry_run else "queued on the frontier" if args.frontier else (
        f"queued in {settings.pipeline.spool_path} for the next start")
    print(f"kabar replay: {len(events)} failures read, {len(requests)} URLs {where}",
          file=sys.stderr)
    return 0
