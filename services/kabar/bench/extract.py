"""`kabar bench extract DIR`: extraction throughput on one core (pages/s, MB/s)
and, over the same pages in the same run, selectolax parse-only throughput and
the ratio between the two."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from kabar.errors import ExtractError
from kabar.extract import extract
from kabar.extract.decode import parser_input
from kabar.extract.evaluate import load_pages
from kabar.extract.metadata import extract_metadata
from kabar.extract.pagination import find_next_pages

#: The extraction must reach this share of parse-only throughput.
TARGET_RATIO = 0.5


@dataclass(frozen=True, slots=True)
class Throughput:
    pages: int
    seconds: float
    megabytes: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.megabytes / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class BenchResult:
    extract: Throughput
    parse: Throughput
    errors: int
    #: Parse plus metadata and pagination only: what extraction costs before the body.
    head: Throughput | None = None

    @property
    def ratio(self) -> float:
        return self.extract.pages_per_s / self.parse.pages_per_s if self.parse.pages_per_s else 0.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR", help="corpus directory")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the pages")


def load_html(directory: Path) -> list[tuple[bytes, str | None]]:
    """Every page of a corpus (any layout ``kabar eval`` reads, or bare ``*.html``)."""
    pages = [(p.html, p.url) for p in load_pages(directory)]
    if not pages:
        pages = [(path.read_bytes(), None) for path in sorted(directory.glob("*.html"))]
    return pages


def _extract_one(html: bytes, url: str | None) -> bool:
    try:
        extract(html, url)
    except ExtractError:
        return False
    return True


def _parse_one(html: bytes, url: str | None) -> bool:
    LexborHTMLParser(html)
    return True


def _head_one(html: bytes, url: str | None) -> bool:
    tree = LexborHTMLParser(parser_input(html))
    extract_metadata(tree, url)
    find_next_pages(tree, url)
    return True


def _time(
    pages: Sequence[tuple[bytes, str | None]],
    rounds: int,
    work: Callable[[bytes, str | None], bool],
) -> tuple[Throughput, int]:
    failures = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for html, url in pages:
            failures += not work(html, url)
    seconds = time.perf_counter() - started
    size = sum(len(html) for html, _ in pages) * rounds / 1e6
    return Throughput(len(pages) * rounds, seconds, size), failures


def measure(directory: Path, rounds: int = 3) -> BenchResult:
    """Time extraction and parse-only over the same pages (interleaved per round)."""
    pages = load_html(directory)
    _time(pages, 1, _parse_one)  # warm caches and rule/vocabulary loading
    _time(pages, 1, _extract_one)
    extracted, errors = _time(pages, rounds, _extract_one)
    parsed, _ = _time(pages, rounds, _parse_one)
    head, _ = _time(pages, rounds, _head_one)
    return BenchResult(extracted, parsed, errors // max(rounds, 1), head)


def main(args: argparse.Namespace) -> int:
    result = measure(args.directory, max(1, args.rounds))
    if result.extract.pages == 0:
        print(f"kabar bench extract: no pages in {args.directory}")
        return 2
    rows = [("extract", result.extract), ("parse-only", result.parse)]
    if result.head is not None:
        rows.append(("parse+meta", result.head))
    for label, t in rows:
        ms = 1000.0 / t.pages_per_s if t.pages_per_s else 0.0
        print(
            f"{label:<11} {t.pages_per_s:9.1f} pages/s {t.mb_per_s:8.2f} MB/s "
            f"{ms:7.3f} ms/page ({t.pages} pages)"
        )
    verdict = "ok" if result.ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"ratio       {result.ratio:9.3f} (target >= {TARGET_RATIO}) {verdict}")
    print(f"errors      {result.errors} pages raised an ExtractError")
    return 0


def run(args: argparse.Namespace) -> int:
    """``kabar bench extract DIR`` (same as ``main``)."""
    return main(args)
