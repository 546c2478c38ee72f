"""`kabar bench extract DIR`: extraction throughput on one core (pages/s, MB/s, from CPU time)
and, over the same pages in the same run, selectolax parse-only throughput and
the ratio between the two (and trafilatura's throughput when it is installed);
exits 1 when a ratio is below its target. Each kind of pass runs in turn, several times; the
fastest of each counts (other processes on a shared machine only slow passes down)."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from kabar.errors import ExtractError
from kabar.extract import _containers as body_containers
from kabar.extract import extract
from kabar.extract.body import container_lines
from kabar.extract.clutter import clean_lines, vocabulary
from kabar.extract.decode import parser_input
from kabar.extract.evaluate import load_pages
from kabar.extract.metadata import extract_metadata
from kabar.extract.pagination import find_next_pages
from kabar.extract.rules import rules_for_url

#: One page's work in a timed pass: False when the page failed.
Work = Callable[[bytes, str | None], bool]
#: The extraction must reach this share of parse-only throughput (the project's floor).
TARGET_RATIO = 0.25
#: And this many times trafilatura's throughput, when trafilatura is installed to compare.
TRAFILATURA_TARGET = 20.0


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
    #: trafilatura's extraction over the same pages, when it is installed.
    trafilatura: Throughput | None = None

    @property
    def ratio(self) -> float:
        return self.extract.pages_per_s / self.parse.pages_per_s if self.parse.pages_per_s else 0.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR", help="corpus directory")
    parser.add_argument(
        "--rounds", type=int, default=5, help="passes of each kind; the fastest counts"
    )
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="skip the trafilatura pass even when trafilatura is installed",
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also break extraction down: what each stage adds to the parse, in ms/page",
    )


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


def _trafilatura() -> Work | None:
    """trafilatura's extraction as a timed pass, or None when it is not installed (it is
    no dependency of kabar: ``pip install trafilatura`` to compare against it)."""
    try:
        import trafilatura
    except ImportError:
        return None

    def work(html: bytes, url: str | None) -> bool:
        try:
            return trafilatura.extract(html, url=url) is not None
        except Exception:
            return False

    return work


def _head_one(html: bytes, url: str | None) -> bool:
    tree = LexborHTMLParser(parser_input(html))
    meta = extract_metadata(tree, url)
    find_next_pages(tree, url, None, meta.next_link)
    return True


def _upto(stage: int) -> Work:
    """Extraction cut off after ``stage`` (1 metadata, 2 pagination, 3 body container,
    4 container walk, 5 line cleaning), for the breakdown; stages run as ``extract`` runs them."""

    def work(html: bytes, url: str | None) -> bool:
        tree = LexborHTMLParser(parser_input(html))
        rules = rules_for_url(url)
        next_link = extract_metadata(tree, url).next_link if stage >= 1 else None
        if stage >= 2:
            pattern = rules.pagination_pattern if rules else None
            find_next_pages(tree, url, pattern, next_link)
        if stage < 3:
            return True
        vocab = vocabulary(rules.line_patterns, rules.tail_patterns) if rules else vocabulary()
        for nodes, _, _ in body_containers(tree, rules, vocab):
            if stage >= 4:
                found = container_lines(nodes, vocab)
                if stage >= 5:
                    clean_lines(found.lines, None, vocab)
            break
        return True

    return work


STAGES = ("metadata", "pagination", "body container", "container walk", "line cleaning")


def _pass(pages: Sequence[tuple[bytes, str | None]], work: Work) -> tuple[float, int]:
    """CPU seconds of this thread for one pass of ``work`` over the pages, and how many
    failed. CPU time rather than wall time: on a shared machine a pass of extraction (a
    few times longer than one of parsing) is far more often preempted, which skewed the
    wall-time ratio by a tenth under load; on an idle machine the two are the same."""
    failures = 0
    started = time.thread_time()
    for html, url in pages:
        failures += not work(html, url)
    return time.thread_time() - started, failures


def measure(directory: Path, rounds: int = 5, compare: bool = True) -> BenchResult:
    """Time extraction, parse-only and parse+meta over the same pages, one pass of each
    in turn per round; each keeps its fastest pass. Other processes on the machine only
    ever slow a pass down, so the fastest passes compare the work itself, and taking
    turns exposes all three to the same load."""
    pages = load_html(directory)
    _pass(pages, _parse_one)  # warm caches and rule/vocabulary loading
    _pass(pages, _extract_one)
    rival = _trafilatura() if compare else None
    kinds: tuple[Work, ...] = (_extract_one, _parse_one, _head_one)
    if rival is not None:
        # Several times slower than the others: one warm-up, as few passes as they get.
        _pass(pages, rival)
        kinds += (rival,)
    best: dict[Work, float] = {work: math.inf for work in kinds}
    errors = 0
    for _ in range(max(1, rounds)):
        for work in best:
            seconds, failures = _pass(pages, work)
            best[work] = min(best[work], seconds)
            errors = failures if work is _extract_one else errors
    size = sum(len(html) for html, _ in pages) / 1e6

    def throughput(work: Work) -> Throughput:
        return Throughput(len(pages), best[work], size)

    return BenchResult(
        throughput(_extract_one),
        throughput(_parse_one),
        errors,
        throughput(_head_one),
        throughput(rival) if rival is not None else None,
    )


def stage_costs(directory: Path, rounds: int = 5) -> list[tuple[str, float]]:
    """ms/page that each extraction stage adds, parse first and the rest of
    ``extract`` (article assembly, fallbacks) last; fastest of ``rounds`` passes each."""
    pages = load_html(directory)
    if not pages:
        return []
    kinds: list[Work] = [_parse_one, *(_upto(i) for i in range(1, len(STAGES) + 1)), _extract_one]
    best = [math.inf] * len(kinds)
    for work in kinds:
        _pass(pages, work)  # warm up
    for _ in range(max(1, rounds)):
        for i, work in enumerate(kinds):
            best[i] = min(best[i], _pass(pages, work)[0])
    per_page = [1000.0 * seconds / len(pages) for seconds in best]
    names = ["parse", *STAGES, "rest of extract"]
    return [(names[0], per_page[0])] + [
        (names[i], per_page[i] - per_page[i - 1]) for i in range(1, len(names))
    ]


def main(args: argparse.Namespace) -> int:
    compare = not getattr(args, "no_compare", False)
    result = measure(args.directory, max(1, args.rounds), compare)
    if result.extract.pages == 0:
        print(f"kabar bench extract: no pages in {args.directory}")
        return 2
    rows = [("extract", result.extract), ("parse-only", result.parse)]
    if result.head is not None:
        rows.append(("parse+meta", result.head))
    if result.trafilatura is not None:
        rows.append(("trafilatura", result.trafilatura))
    for label, t in rows:
        ms = 1000.0 / t.pages_per_s if t.pages_per_s else 0.0
        print(
            f"{label:<11} {t.pages_per_s:9.1f} pages/s {t.mb_per_s:8.2f} MB/s "
            f"{ms:7.3f} ms/page ({t.pages} pages, best of {max(1, args.rounds)} passes)"
        )
    verdict = "ok" if result.ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"ratio       {result.ratio:9.3f} (target >= {TARGET_RATIO}) {verdict}")
    below = result.ratio < TARGET_RATIO
    if result.trafilatura is not None and result.trafilatura.pages_per_s:
        times = result.extract.pages_per_s / result.trafilatura.pages_per_s
        slow = times < TRAFILATURA_TARGET
        below = below or slow
        verdict = "BELOW TARGET" if slow else "ok"
        print(f"vs trafilatura {times:6.1f}x (target >= {TRAFILATURA_TARGET}x) {verdict}")
    else:
        print("vs trafilatura  not measured (pip install trafilatura to compare)")
    print(f"errors      {result.errors} pages raised an ExtractError")
    if getattr(args, "stages", False):
        print("stages (ms/page each adds; cumulative passes, so small negatives are noise):")
        for name, ms in stage_costs(args.directory, max(1, args.rounds)):
            print(f"  {name:<16} {ms:7.3f}")
    return 1 if below else 0  # below a floor fails the command


def run(args: argparse.Namespace) -> int:
    """``kabar bench extract DIR`` (same as ``main``)."""
    return main(args)
