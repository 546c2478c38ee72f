"""`kabar dedup` (placeholder until implemented)."""

from __future__ import annotations

import argparse

HELP = "dedup (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    print("kabar dedup: not implemented yet")
    return 2
