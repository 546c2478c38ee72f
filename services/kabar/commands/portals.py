"""`kabar portals`: the supported portals, whether their extraction rules were
checked against a real page, and whether the config polls them."""

from __future__ import annotations

import argparse
import sys

HELP = "list supported portals: extraction rules, rule status, configured sources"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", help="TOML config (default: the shipped portals)")
    parser.add_argument("--json", action="store_true", help="one JSON object per portal")


def main(args: argparse.Namespace) -> int:
    import orjson

    from kabar.errors import ConfigError
    from kabar.portals import portal_table
    from kabar.settings import load_settings

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"kabar portals: {exc.detail}", file=sys.stderr)
        return 2
    configured = {p.name: len(p.feeds) + len(p.sitemaps) + len(p.sections) + len(p.urls)
                  for p in settings.portals}
    rows = portal_table(configured)
    if args.json:
        for row in rows:
            print(orjson.dumps({"name": row.name, "rules": row.rules or None,
                                "verified": row.verified, "hosts": list(row.hosts),
                                "configured": row.configured, "sources": row.sources}).decode())
        return 0
    print(f"{'portal':<16} {'rules':<20} {'status':<11} {'config':<10} hosts")
    for row in rows:
        status = ("verified" if row.verified else "unverified") if row.rules else "generic"
        config = f"{row.sources} sources" if row.configured else "-"
        print(f"{row.name:<16} {row.rules or '-':<20} {status:<11} {config:<10} "
              f"{', '.join(row.hosts) or '-'}")
    with_rules = sum(1 for r in rows if r.rules)
    print(f"\n{len(rows)} portals: {with_rules} with rules "
          f"({sum(1 for r in rows if r.verified)} verified against a real page), "
          f"{sum(1 for r in rows if r.configured)} in the config. Portals without rules use "
          "the generic extractor.", file=sys.stderr)
    return 0
