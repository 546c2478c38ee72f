"""`kabar bench …`: benchmarks that print figures and ratios against targets."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

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


class _BenchParser(argparse.ArgumentParser):
    """One bench's parser: its module (and its arguments) is imported only when
    that bench is parsed, so every other ``kabar`` command starts without
    importing all the bench modules."""

    module_name = ""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self.module_name:
            module = importlib.import_module(self.module_name)
            self.module_name = ""  # once: argparse may parse again (e.g. intermixed)
            module.add_arguments(self)
            self.set_defaults(_bench_main=module.main)
        return super().parse_known_args(args, namespace)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True,
                                parser_class=_BenchParser)
    for name, help_text in BENCHES.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.module_name = f"kabar.bench.{name}"


def main(args: argparse.Namespace) -> int:
    return int(args._bench_main(args))
