"""Dump every Article field that extraction yields over all the pages at hand, one JSON
line per (page, call), so that a speed change can be checked byte for byte:

    .venv/bin/python scripts/extract_dump.py > /tmp/before.jsonl
    ... change ...
    .venv/bin/python scripts/extract_dump.py > /tmp/after.jsonl
    cmp /tmp/before.jsonl /tmp/after.jsonl

Pages: ../shared/corpus/idn, ../shared/corpus/scrapinghub, ../shared/seeds (as ``kabar eval``
lays them out), tests/fixtures/recent_layouts/** and tests/fixtures/portals. Each page is
extracted with its URL (when known), without one, and as the fetcher hands it on (``utf8=True``
for valid UTF-8 bytes); a failure is dumped as its error class and reason."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import orjson

from kabar.errors import ExtractError
from kabar.extract import extract
from kabar.extract.evaluate import _provenance_urls, load_pages
from kabar.extract.rules import all_rules

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _pages() -> Iterator[tuple[str, bytes, str | None]]:
    for corpus in ("corpus/idn", "corpus/scrapinghub", "seeds"):
        for page in load_pages(SHARED / corpus):
            yield f"{corpus}/{page.name}", page.html, page.url
    layouts = REPO / "tests" / "fixtures" / "recent_layouts"
    for folder in sorted({p.parent for p in layouts.rglob("*.html")}):
        urls = _provenance_urls(folder / "PROVENANCE.tsv")
        for path in sorted(folder.glob("*.html")):
            yield str(path.relative_to(REPO)), path.read_bytes(), urls.get(path.name)
    portals = REPO / "tests" / "fixtures" / "portals"
    for rules in all_rules():
        path = portals / f"{rules.name.replace('.', '_')}.html"
        if path.is_file():
            url = f"https://www.{rules.hosts[0]}/read/2024/06/12/contoh"
            yield str(path.relative_to(REPO)), path.read_bytes(), url


def _valid_utf8(html: bytes) -> bool:
    try:
        html.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _record(name: str, call: str, html: bytes, url: str | None, utf8: bool) -> bytes:
    try:
        fields: dict[str, object] = asdict(extract(html, url, utf8=utf8))
    except ExtractError as exc:
        fields = {"error": type(exc).__name__, "reason": exc.reason, "message": str(exc)}
    return orjson.dumps({"page": name, "call": call, **fields}, option=orjson.OPT_SORT_KEYS)


def main() -> int:
    out = sys.stdout.buffer
    for name, html, url in _pages():
        calls = [("url", url, False), ("no-url", None, False)]
        if _valid_utf8(html):
            calls.append(("url-utf8", url, True))
        for call, address, utf8 in calls:
            if call == "url" and url is None:
                continue
            out.write(_record(name, call, html, address, utf8) + b"\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
