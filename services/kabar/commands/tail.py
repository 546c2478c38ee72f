"""`kabar tail` (placeholder until implemented)."""

from __future__ import annotations

import argparse

HELP = "tail (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    print("kabar tail: not implemented yet")
    return 2
