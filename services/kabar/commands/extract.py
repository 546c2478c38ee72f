"""`kabar extract` (placeholder until implemented)."""

from __future__ import annotations

import argparse

HELP = "extract (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    print("kabar extract: not implemented yet")
    return 2
