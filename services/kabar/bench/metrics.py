"""`kabar bench metrics`: what Prometheus instrumentation costs per article.

Replays the metric calls the pipeline makes for one article (discovery, fetch,
extract, dedup, publish of an article and a story event) on the real metric
objects, and the same call sequence on no-op stand-ins; the difference is the
metrics cost. It is reported as a share of the in-process CPU time per article
(extract + language detection + dedup on real pages), which is a lower bound of
the end-to-end time (that also waits for HTTP and broker acks), so the share
printed is an upper bound.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson

from kabar import metrics

#: Metrics may add at most this share to the time per article.
TARGET_SHARE = 0.03
_PORTAL = "bench"
_ARTICLES_TOPIC = "kabar.articles.v1"
_STORIES_TOPIC = "kabar.stories.v1"


_METRIC_NAMES = (
    "DISCOVERED", "NEW_URLS", "QUEUE_DEPTH", "IN_FLIGHT", "FETCH_BYTES", "FETCHES",
    "FETCH_SECONDS", "STAGE_ITEMS", "EXTRACT_SECONDS", "EXTRACTIONS", "BODY_WORDS",
    "CLUTTER_REMOVED", "MISSING_FIELD", "DEDUP_VERDICTS", "STORIES_ACTIVE", "BROKER_UP",
    "PUBLISHED", "PUBLISH_SECONDS", "FRESHNESS_LAG",
)  # fmt: skip


def real_metrics() -> SimpleNamespace:
    return SimpleNamespace(**{name: getattr(metrics, name) for name in _METRIC_NAMES})


def noop_metrics() -> SimpleNamespace:
    noop = metrics.NoOpMetric()
    return SimpleNamespace(**dict.fromkeys(_METRIC_NAMES, noop))


def _take(m: Any, stage: str) -> None:
    """What the pipeline's stage loop records when it takes an item off its queue."""
    metrics.child(m.QUEUE_DEPTH, stage).set(3)
    metrics.child(m.IN_FLIGHT, stage).inc()


def instrument_article(m: Any, portal: str = _PORTAL) -> None:
    """The metric calls the pipeline makes for one published article (``m`` may be no-op).

    Labelled children are looked up through ``metrics.child`` as the pipeline does."""
    metrics.child(m.DISCOVERED, portal, "feed").inc()
    metrics.child(m.NEW_URLS, portal, "feed").inc()
    metrics.child(m.QUEUE_DEPTH, "fetch").set(5)
    _take(m, "fetch")
    metrics.child(m.FETCH_BYTES, portal).inc(48_000)
    metrics.child(m.FETCHES, portal, "ok").inc()
    metrics.child(m.FETCH_SECONDS, portal).observe(0.12)
    metrics.child(m.STAGE_ITEMS, "fetch", "ok").inc()
    metrics.child(m.QUEUE_DEPTH, "extract").set(2)
    metrics.child(m.IN_FLIGHT, "fetch").dec()
    _take(m, "extract")
    with metrics.child(m.EXTRACT_SECONDS, portal).time():
        pass
    metrics.child(m.EXTRACTIONS, portal, "ok").inc()
    metrics.child(m.STAGE_ITEMS, "extract", "ok").inc()
    metrics.child(m.BODY_WORDS, portal).observe(420)
    metrics.child(m.CLUTTER_REMOVED, portal).inc(7)
    metrics.child(m.MISSING_FIELD, portal, "authors").inc()
    metrics.child(m.DEDUP_VERDICTS, portal, "new").inc()
    m.STORIES_ACTIVE.set(120)
    metrics.child(m.QUEUE_DEPTH, "publish").set(1)
    metrics.child(m.IN_FLIGHT, "extract").dec()
    for topic in (_ARTICLES_TOPIC, _STORIES_TOPIC):
        _take(m, "publish")
        m.BROKER_UP.set(1)
        metrics.child(m.PUBLISHED, topic).inc()
        metrics.child(m.PUBLISH_SECONDS, topic).observe(0.004)
        metrics.child(m.STAGE_ITEMS, "publish", "ok").inc()
        metrics.child(m.IN_FLIGHT, "publish").dec()
    metrics.child(m.FRESHNESS_LAG, portal).observe(240.0)


def per_call_seconds(work: Callable[[], None], count: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean seconds of one ``work()``."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(count):
            work()
        samples.append((time.perf_counter() - start) / count)
    return statistics.median(samples)


@dataclass(frozen=True, slots=True)
class MetricsCost:
    real_s: float
    noop_s: float
    article_s: float
    articles: int

    @property
    def overhead_s(self) -> float:
        return max(0.0, self.real_s - self.noop_s)

    @property
    def share(self) -> float:
        """Metrics time as a share of the time per article with metrics on."""
        total = self.article_s + self.overhead_s
        return self.overhead_s / total if total > 0 else 0.0


def demo_pages() -> list[tuple[bytes, str, str]]:
    """(html, url, portal) of the demo site's article pages (shipped with Kabar)."""
    from kabar.demo.site import build_site

    base = "http://demo.kabar.test"
    routes = build_site(base)
    return [
        (page.body, base + path, path.split("/")[1])
        for path, page in sorted(routes.items())
        if "/read/" in path and page.status == 200
    ]


def corpus_pages(directory: Path) -> list[tuple[bytes, str, str]]:
    from kabar.bench.extract import load_html

    return [
        (html, url or f"https://example.test/{i}", "corpus")
        for i, (html, url) in enumerate(load_html(directory))
    ]


def article_seconds(pages: Sequence[tuple[bytes, str, str]], rounds: int) -> float:
    """Median seconds per article for extract + language + dedup (CPU path)."""
    from kabar.dedup import Deduper
    from kabar.dedup.language import detect_language
    from kabar.errors import ExtractError
    from kabar.extract import extract
    from kabar.settings import DedupSettings

    samples = []
    for _ in range(rounds):
        deduper = Deduper(DedupSettings(store="memory"))
        done = 0
        start = time.perf_counter()
        for html, url, portal in pages:
            try:
                article = extract(html, url, portal=portal)
            except ExtractError:
                continue
            detect_language(article.title + "\n" + article.body)
            deduper.process(article)
            done += 1
        elapsed = time.perf_counter() - start
        deduper.close()
        if done:
            samples.append(elapsed / done)
    return statistics.median(samples) if samples else 0.0


def measure(pages: Sequence[tuple[bytes, str, str]], calls: int, rounds: int) -> MetricsCost:
    real, noop = real_metrics(), noop_metrics()
    instrument_article(real)  # create the label children first, as a running pipeline has
    return MetricsCost(
        real_s=per_call_seconds(lambda: instrument_article(real), calls, rounds),
        noop_s=per_call_seconds(lambda: instrument_article(noop), calls, rounds),
        article_s=article_seconds(pages, rounds),
        articles=len(pages),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus", type=Path, help="pages to extract for the per-article time (default: demo)"
    )
    parser.add_argument("--calls", type=int, default=20_000, help="articles replayed per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is reported)")
    parser.add_argument("--pipeline", action="store_true",
                        help="also time the whole pipeline with and without metrics")
    parser.add_argument("--pages", type=int, default=600, help="pages per pipeline run")


def main(args: argparse.Namespace) -> int:
    pages = corpus_pages(args.corpus) if args.corpus else demo_pages()
    if not pages:
        print("kabar bench metrics: no pages to extract")
        return 2
    cost = measure(pages, args.calls, args.rounds)
    us = 1e6
    print(f"metric calls per article:   {cost.real_s * us:8.2f} µs (real registry)")
    print(f"same calls on no-op stubs:  {cost.noop_s * us:8.2f} µs")
    print(f"metrics overhead / article: {cost.overhead_s * us:8.2f} µs")
    print(
        f"CPU per article:            {cost.article_s * us:8.1f} µs "
        f"(extract + language + dedup, {cost.articles} pages)"
    )
    verdict = "OK" if cost.share <= TARGET_SHARE else "OVER TARGET"
    print(
        f"metrics share:              {cost.share:8.3%} of time per article "
        f"(target ≤ {TARGET_SHARE:.0%}; upper bound: network time excluded) {verdict}"
    )
    ok = cost.share <= TARGET_SHARE
    if args.pipeline:
        ok = pipeline_overhead(args.pages, max(2, args.rounds // 2)) and ok
    return 0 if ok else 1


def pipeline_overhead(pages: int, rounds: int) -> bool:
    """Whole pipeline runs (fetch → publish, no network delay) with and without metrics."""
    from kabar.bench.fetch import PAGE_PATH, serve_articles
    from kabar.broker import EmbeddedBroker

    with serve_articles(40, 0.0) as base, EmbeddedBroker() as broker:
        urls = [base + PAGE_PATH.format(i) for i in range(pages)]
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            for enabled in (True, False):  # alternate, so machine load hits both alike
                times[enabled].append(_child_run(urls, broker.bootstrap, enabled))
    # Best of N: on a shared machine, noise only ever adds time.
    with_m, without = min(times[True]), min(times[False])
    share = with_m / without - 1
    verdict = "OK" if share <= TARGET_SHARE else "OVER TARGET"
    print(f"pipeline, {pages} pages:     {with_m:.2f} s CPU with metrics, {without:.2f} s without "
          f"(best of {rounds}; medians {statistics.median(times[True]):.2f} / "
          f"{statistics.median(times[False]):.2f}) → metrics add {share:+.1%} "
          f"(target ≤ {TARGET_SHARE:.0%}) {verdict}")
    return share <= TARGET_SHARE


def _child_run(urls: list[str], bootstrap: str, enabled: bool) -> float:
    """One pipeline run in a fresh process (metrics can only be switched off per process)."""
    import subprocess
    import sys

    code = ("import sys, orjson; from kabar.bench.metrics import _timed_run; "
            "print(_timed_run(*orjson.loads(sys.stdin.read())))")
    payload = orjson.dumps([urls, bootstrap, enabled]).decode()
    out = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True,
                         text=True, check=True, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def _timed_run(urls: list[str], bootstrap: str, enabled: bool) -> float:
    import asyncio

    from kabar.bench.fetch import bench_settings, pipeline_rate

    if not enabled:
        metrics.disable()
    # CPU time of this process (all its threads): the page server and the broker run
    # in other processes, and their share of two busy cores would only add noise.
    started = time.process_time()
    asyncio.run(pipeline_rate(urls, bench_settings(), bootstrap))
    return time.process_time() - started
