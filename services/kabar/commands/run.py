"""`kabar run` (placeholder until implemented)."""

from __future__ import annotations

import argparse

HELP = "run (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    print("kabar run: not implemented yet")
    return 2
