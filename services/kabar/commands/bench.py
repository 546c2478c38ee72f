"""`kabar bench …`: benchmarks that print figures and ratios against targets."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Collection

HELP = "benchmarks: extract, fetch, e2e, dedup, metrics, delivery, state, faults"

BENCHES = {
    "extract": "extraction pages/s and MB/s vs selectolax parse-only",
    "fetch": "the fetcher's pages/s vs a bare httpx loop on the same pages",
    "e2e": "kabar run --once vs a bare httpx loop on a local site: pages/s, CPU, latency",
    "dedup": "articles/s with 100k indexed; memory at 1M fingerprints",
    "metrics": "cost of metrics as a share of end-to-end time",
    "delivery": "distributed roles under kill -9 and a broker outage: lost/duplicated/scaling",
    "faults": "kill -9, SIGTERM, broker kill/freeze, full/read-only disk, truncated state,"
              " hostile portal",
    "state": "reopening a 1M-article SQLite dedup state; event-loop stalls from state writes",
}


def add_arguments(parser: argparse.ArgumentParser, words: Collection[str] | None = None) -> None:
    """Register every bench; import the module (and its arguments) only of the benches
    named in ``words`` (the command line), so other commands and ``kabar bench --help``
    start without importing the bench modules. ``None`` imports them all."""
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    for name, help_text in BENCHES.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if words is None or name in words:
            module = importlib.import_module(f"kabar.bench.{name}")
            module.add_arguments(cmd)
            cmd.set_defaults(_bench_main=module.main)


def main(args: argparse.Namespace) -> int:
    return int(args._bench_main(args))
