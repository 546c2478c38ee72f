"""`kabar config show|check`: the effective config (defaults < file < environment),
validated, as TOML that `kabar run --config` accepts back; secrets masked."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

HELP = "show or check the effective config (defaults, --config file, KABAR_* env)"

SECRETS = frozenset({"sasl_password"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("show", "check"), help="show: print it; check: only "
                        "validate (exit 2 with the problem)")
    parser.add_argument("--config", "-c", help="TOML config file (default: the shipped one)")


def main(args: argparse.Namespace) -> int:
    from kabar.errors import ConfigError
    from kabar.settings import load_settings

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"kabar config: {exc.detail}", file=sys.stderr)
        return 2
    if args.action == "show":
        sys.stdout.write(to_toml(settings))
        return 0
    broker = settings.broker.bootstrap_servers or "embedded (Tansu)"
    print(f"config ok: {len(settings.portals)} portals, broker {broker} "
          f"({settings.broker.security_protocol}), data dir {settings.data.dir}")
    return 0


def to_toml(settings: Any) -> str:
    """TOML of the settings dataclasses (scalars, lists of strings, [[portals]])."""
    lines: list[str] = []
    for f in dataclasses.fields(settings):
        if f.name == "portals":
            continue
        lines.append(f"[{f.name}]")
        lines += _pairs(getattr(settings, f.name))
        lines.append("")
    for portal in settings.portals:
        lines.append("[[portals]]")
        lines += _pairs(portal)
        lines.append("")
    return "\n".join(lines)


def _pairs(section: Any) -> list[str]:
    out = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if value is None:
            continue  # TOML has no null: an unset override is left out
        if f.name in SECRETS and value:
            value = "********"
        out.append(f"{f.name} = {_value(value)}")
    return out


def _value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string
