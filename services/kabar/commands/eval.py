"""`kabar eval` (placeholder until implemented)."""

from __future__ import annotations

import argparse

HELP = "eval (not implemented yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    print("kabar eval: not implemented yet")
    return 2
