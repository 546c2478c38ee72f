"""`kabar bench extract DIR`: extraction throughput on one core (pages/s, MB/s, from CPU time)
and, over the same pages in the same run, selectolax parse-only throughput and
the ratio between the two (and trafilatura's throughput when it is installed);
exits 1 when a ratio is below its target.

Every kind of work is timed page by page, the kinds taking turns on each page, for several
rounds; a kind's time is the sum over pages of each page's fastest round. All kinds get the
same treatment. Taking turns runs each kind on the caches the others left, as extraction's
own parse runs after the previous page's Python work (whole passes of one kind ran parse-only
on caches its previous page left warm: 6% faster, extraction 2-4%); a page's work (0.4 ms
to parse, 2 ms to extract, 30 ms for trafilatura) is short beside a scheduler's slice, so
each kind has about as good a chance of an undisturbed run of each page (the fastest whole
pass spread twice as much from run to run). The spread of the rounds is printed beside."""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
DEFAULT_ROUNDS = 15


@dataclass(frozen=True, slots=True)
class Throughput:
    pages: int
    #: Sum over pages of each page's fastest round.
    seconds: float
    megabytes: float
    #: Each round's seconds over all pages, in round order (the spread of the rounds).
    rounds: tuple[float, ...] = field(default=(), compare=False)

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
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help="rounds over the pages; each page's fastest round counts",
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


def _timer_cost() -> float:
    """CPU seconds that timing one page adds by itself (two clock reads), taken off every
    sample so that it weighs on neither side's figure."""
    cost = math.inf
    for _ in range(200):
        started = time.thread_time()
        cost = min(cost, time.thread_time() - started)
    return cost


def _rounds(
    pages: Sequence[tuple[bytes, str | None]], kinds: Sequence[Work], rounds: int
) -> tuple[list[list[list[float]]], int]:
    """CPU seconds of this thread for each kind, round and page: ``[kind][round][page]``,
    and how many pages the first kind failed (in the last round). The kinds take turns on
    each page, in an order reversed every other round (none always runs on a cache the
    other left). CPU time rather than wall time: time spent preempted is not counted."""
    for work in kinds:  # warm caches and rule/vocabulary loading
        for html, url in pages:
            work(html, url)
    cost = _timer_cost()
    times = [[[0.0] * len(pages) for _ in range(rounds)] for _ in kinds]
    order = list(enumerate(kinds))
    failures = 0
    for r in range(rounds):
        failures = 0
        for i, (html, url) in enumerate(pages):
            for k, work in order if r % 2 == 0 else order[::-1]:
                started = time.thread_time()
                ok = work(html, url)
                times[k][r][i] = max(0.0, time.thread_time() - started - cost)
                failures += k == 0 and not ok
    return times, failures


def _fastest(samples: list[list[float]]) -> float:
    """Sum over pages of each page's fastest round."""
    pages = len(samples[0]) if samples else 0
    return sum(min(round_[i] for round_ in samples) for i in range(pages))


def measure(directory: Path, rounds: int = DEFAULT_ROUNDS, compare: bool = True) -> BenchResult:
    """Time extraction, parse-only and parse+meta (and trafilatura, when installed and
    ``compare``) over the same pages, page by page in turn, ``rounds`` times."""
    pages = load_html(directory)
    rival = _trafilatura() if compare else None
    kinds: tuple[Work, ...] = (_extract_one, _parse_one, _head_one)
    if rival is not None:
        kinds += (rival,)
    times, errors = _rounds(pages, kinds, max(1, rounds))
    size = sum(len(html) for html, _ in pages) / 1e6

    def throughput(k: int) -> Throughput:
        passes = tuple(sum(samples) for samples in times[k])
        return Throughput(len(pages), _fastest(times[k]), size, passes)

    return BenchResult(
        throughput(0),
        throughput(1),
        errors,
        throughput(2),
        throughput(3) if rival is not None else None,
    )


def stage_costs(directory: Path, rounds: int = DEFAULT_ROUNDS) -> list[tuple[str, float]]:
    """ms/page that each extraction stage adds, parse first and the rest of
    ``extract`` (article assembly, fallbacks) last; timed as ``measure`` times them."""
    pages = load_html(directory)
    if not pages:
        return []
    kinds: list[Work] = [_parse_one, *(_upto(i) for i in range(1, len(STAGES) + 1)), _extract_one]
    times, _ = _rounds(pages, kinds, max(1, rounds))
    per_page = [1000.0 * _fastest(samples) / len(pages) for samples in times]
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
    rounds = max(1, args.rounds)
    print(f"{result.extract.pages} pages, {rounds} rounds; per page its fastest round counts")
    for label, t in rows:
        ms = 1000.0 / t.pages_per_s if t.pages_per_s else 0.0
        print(
            f"{label:<11} {t.pages_per_s:9.1f} pages/s {t.mb_per_s:8.2f} MB/s "
            f"{ms:7.3f} ms/page (rounds {_spread(t.rounds, t.pages)} ms/page)"
        )
    verdict = "ok" if result.ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"ratio       {result.ratio:9.3f} (target >= {TARGET_RATIO}) {verdict}")
    print(f"  each round's: {_ratio_spread(result.extract, result.parse, '.3f')}")
    below = result.ratio < TARGET_RATIO
    if result.trafilatura is not None and result.trafilatura.pages_per_s:
        times = result.extract.pages_per_s / result.trafilatura.pages_per_s
        slow = times < TRAFILATURA_TARGET
        below = below or slow
        verdict = "BELOW TARGET" if slow else "ok"
        print(f"vs trafilatura {times:6.1f}x (target >= {TRAFILATURA_TARGET}x) {verdict}")
        print(f"  each round's: {_ratio_spread(result.extract, result.trafilatura, '.1f')}")
    else:
        print("vs trafilatura  not measured (pip install trafilatura to compare)")
    print(f"errors      {result.errors} pages raised an ExtractError")
    if getattr(args, "stages", False):
        print("stages (ms/page each adds; cumulative passes, so small negatives are noise):")
        for name, ms in stage_costs(args.directory, max(1, args.rounds)):
            print(f"  {name:<16} {ms:7.3f}")
    return 1 if below else 0  # below a floor fails the command


def _spread(rounds: Sequence[float], pages: int) -> str:
    """A kind's rounds in ms/page: min/median/max."""
    if not rounds or not pages:
        return "-"
    ms = [1000.0 * seconds / pages for seconds in rounds]
    return f"{min(ms):.3f}/{statistics.median(ms):.3f}/{max(ms):.3f}"


def _ratio_spread(ours: Throughput, other: Throughput, form: str) -> str:
    """How many times ``other``'s time ours took, round by round: min/median/max (each
    round the kinds ran on the same pages, taking turns page by page)."""
    pairs = zip(ours.rounds, other.rounds, strict=True)
    ratios = [theirs / mine for mine, theirs in pairs if mine > 0]
    if not ratios:
        return "-"
    low, mid, high = min(ratios), statistics.median(ratios), max(ratios)
    return f"min {low:{form}} median {mid:{form}} max {high:{form}}"


def run(args: argparse.Namespace) -> int:
    """``kabar bench extract DIR`` (same as ``main``)."""
    return main(args)
