"""The ``kabar`` command line: a thin dispatcher over ``kabar.commands.*``.

Each sub-command module exposes ``HELP``, ``add_arguments(parser)`` and
``main(args) -> int``; heavy imports happen inside ``main`` so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from kabar import __version__

COMMANDS = ("run", "extract", "eval", "dedup", "tail", "demo", "broker", "bench", "portals",
            "config", "state", "replay")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``argv`` (default ``sys.argv``) tells the bench command
    which bench modules to import."""
    words = frozenset(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="kabar", description="Streaming news ingest for Indonesian portals."
    )
    parser.add_argument("--version", action="version", version=f"kabar {__version__}")
    parser.add_argument("--log-level", metavar="LEVEL",
                        help="DEBUG, INFO, WARNING, ERROR (same as KABAR_LOG__LEVEL)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"kabar.commands.{name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        if name == "bench":
            module.add_arguments(cmd, words)
        else:
            module.add_arguments(cmd)
        cmd.set_defaults(_main=module.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    if args.log_level:
        problem = _set_log_level(args.log_level)
        if problem:
            print(f"kabar: {problem}", file=sys.stderr)
            return 2
    try:
        return int(args._main(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _set_log_level(level: str) -> str:
    """Apply ``--log-level`` as the environment override every command reads."""
    from kabar.errors import ConfigError
    from kabar.logs import setup_logging
    from kabar.settings import LogSettings, check_section

    settings = LogSettings(level=level)
    try:
        check_section(settings, "log")
    except ConfigError as exc:
        return exc.detail
    os.environ["KABAR_LOG__LEVEL"] = settings.level
    setup_logging(settings.level, settings.format)
    return ""


if __name__ == "__main__":
    sys.exit(main())
