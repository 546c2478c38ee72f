"""`kabar extract` inputs beyond saved files: checking ``--portal``, live URLs
(``--fetch``), and a stable id for pages given without ``--url`` (so that
``kabar extract *.html | kabar dedup`` never sees two pages as one URL)."""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any


def check_inputs(args: argparse.Namespace) -> tuple[str | None, int | None]:
    """The rules' portal name for ``--portal``, or an exit code after a one-line error."""
    from kabar.errors import ConfigError
    from kabar.portals import resolve_portal
    from kabar.settings import load_settings

    if not args.files and not args.fetch:
        print("kabar extract: give HTML files (- for stdin) or --fetch URL", file=sys.stderr)
        return None, 2
    if args.portal is None:
        return None, None
    try:
        configured = [p.name for p in load_settings(args.config).portals]
        return resolve_portal(args.portal, configured), None
    except ConfigError as exc:
        print(f"kabar extract: {exc.detail}", file=sys.stderr)
        return None, 2


def settle_fields(
    fields: dict[str, Any], url: str | None, name: str, data: bytes
) -> dict[str, Any]:
    """One spelling of the portal (as in the config: "kompas"); without ``--url`` the
    page's own canonical URL, else a file- or content-based id."""
    from kabar.api import page_id
    from kabar.portals import normalize_portal

    if fields.get("portal"):
        fields["portal"] = normalize_portal(str(fields["portal"]))
    if not url:
        fields["url"] = fields.get("canonical_url") or page_id(name, data)
    return fields


def fetch_lines(args: argparse.Namespace, portal: str | None, out: IO[bytes]) -> bool:
    """Fetch and extract each ``--fetch`` URL; one JSON line each. True if any failed."""
    import asyncio

    import orjson

    from kabar.api import fetch_article
    from kabar.commands.extract import article_fields
    from kabar.errors import ConfigError, KabarError
    from kabar.portals import normalize_portal
    from kabar.settings import load_settings

    try:
        fetch = load_settings(args.config).fetch
    except ConfigError as exc:
        out.write(orjson.dumps({"error": "bad_config", "detail": exc.detail}) + b"\n")
        return True
    failed = False
    for url in args.fetch:
        try:
            article = asyncio.run(fetch_article(url, fetch, portal=portal or ""))
            fields = article_fields(article)
            fields["portal"] = normalize_portal(portal or article.portal or "") or None
            line = orjson.dumps(fields)
        except KabarError as exc:
            failed = True
            line = orjson.dumps({"url": url, "error": exc.reason, "detail": exc.detail})
        out.write(line + b"\n")
        out.flush()
    return failed
