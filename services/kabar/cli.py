"""The ``kabar`` command line: a thin dispatcher over ``kabar.commands.*``.

Each sub-command module exposes ``HELP``, ``add_arguments(parser)`` and
``main(args) -> int``; heavy imports happen inside ``main`` so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kabar import __version__

COMMANDS = ("run", "extract", "eval", "dedup", "tail", "demo", "broker", "bench", "state")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kabar", description="Streaming news ingest for Indonesian portals."
    )
    parser.add_argument("--version", action="version", version=f"kabar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"kabar.commands.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_main=module.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._main(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
