"""Every Prometheus metric Kabar exports, defined once.

Names follow ``kabar_<noun>_<unit>``; labels are bounded (``portal`` from the
config, ``stage``, ``reason`` and ``status`` from fixed vocabularies) — never a
URL. Stages: sources, fetch, extract, dedup, publish.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LAG = (30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600, 7 * 86400)
_WORDS = (25, 50, 100, 200, 300, 500, 800, 1200, 2000, 4000)

# --- fetch ---------------------------------------------------------------
FETCHES = Counter(
    "kabar_fetches_total", "HTTP fetches by outcome status", ["portal", "status"],
    registry=REGISTRY,
)
FETCH_BYTES = Counter(
    "kabar_fetch_bytes_total", "Body bytes received", ["portal"], registry=REGISTRY
)
FETCH_SECONDS = Histogram(
    "kabar_fetch_duration_seconds", "Fetch latency", ["portal"], buckets=_LATENCY,
    registry=REGISTRY,
)
NOT_MODIFIED = Counter(
    "kabar_not_modified_total", "Conditional GETs answered 304", ["portal"], registry=REGISTRY
)
ROBOTS_REFUSALS = Counter(
    "kabar_robots_refusals_total", "URLs not fetched because robots.txt disallows them",
    ["portal"], registry=REGISTRY,
)
RETRIES = Counter(
    "kabar_fetch_retries_total", "Fetch retries by reason", ["portal", "reason"],
    registry=REGISTRY,
)
HOST_PAUSES_RECEIVED = Counter(
    "kabar_host_pauses_received_total",
    "Retry-After answers (429/503) that paused their host, by the process that got them",
    ["reason"], registry=REGISTRY,
)
HOST_PAUSES_APPLIED = Counter(
    "kabar_host_pauses_applied_total",
    "Host pauses a process kept to: its own and (kabar run --processes N) the run's "
    "other processes'", ["reason"], registry=REGISTRY,
)

# --- discovery -------------------------------------------------------------
DISCOVERED = Counter(
    "kabar_discovered_urls_total", "Article URLs seen in sources", ["portal", "source"],
    registry=REGISTRY,
)
NEW_URLS = Counter(
    "kabar_new_urls_total", "Discovered URLs not seen before (queued)", ["portal", "source"],
    registry=REGISTRY,
)
REVISITS = Counter(
    "kabar_revisits_total", "Known article URLs queued again because a source announced an update",
    ["portal", "source"], registry=REGISTRY,
)
POLL_INTERVAL = Gauge(
    "kabar_poll_interval_seconds", "Current polling interval per portal source",
    ["portal", "source"], registry=REGISTRY,
)

# --- extraction ------------------------------------------------------------
EXTRACTIONS = Counter(
    "kabar_extractions_total", "Extraction outcomes (reason=ok on success)",
    ["portal", "reason"], registry=REGISTRY,
)
EXTRACT_SECONDS = Histogram(
    "kabar_extract_duration_seconds", "Extraction latency", ["portal"], buckets=_LATENCY,
    registry=REGISTRY,
)
STAGE_CPU = Counter(
    "kabar_stage_cpu_seconds_total", "CPU seconds spent per stage where it is measured apart "
    "(extract: in the worker processes)", ["stage"], registry=REGISTRY,
)
EXTRACT_WORKER_RESTARTS = Counter(
    "kabar_extract_worker_restarts_total",
    "Extraction worker processes replaced (a parse over its time limit, or a crash)",
    registry=REGISTRY,
)
BODY_WORDS = Histogram(
    "kabar_body_words", "Body length in words per extracted article", ["portal"],
    buckets=_WORDS, registry=REGISTRY,
)
MISSING_FIELD = Counter(
    "kabar_missing_field_total", "Extracted articles lacking a field (drift signal)",
    ["portal", "field"], registry=REGISTRY,
)
CLUTTER_REMOVED = Counter(
    "kabar_clutter_removed_total", "Clutter blocks and lines removed", ["portal"],
    registry=REGISTRY,
)
RULE_MISSES = Counter(
    "kabar_rule_miss_total",
    "Pages on which a portal rule's selectors matched nothing (template drift)",
    ["portal", "selector_kind"], registry=REGISTRY,
)

# --- dedup and stories -----------------------------------------------------
DEDUP_VERDICTS = Counter(
    "kabar_dedup_verdicts_total", "Dedup verdicts", ["portal", "verdict"], registry=REGISTRY
)
TEMPLATE_LINES_DROPPED = Counter(
    "kabar_template_lines_dropped_total",
    "Paragraphs trimmed off the head or tail of published articles as the portal's "
    "learned boilerplate",
    ["portal"], registry=REGISTRY,
)
STORIES_CREATED = Counter(
    "kabar_stories_created_total", "Stories created", registry=REGISTRY
)
STORIES_ACTIVE = Gauge(
    "kabar_stories_active", "Stories inside the clustering time window", registry=REGISTRY
)

# --- publish ---------------------------------------------------------------
PUBLISHED = Counter(
    "kabar_published_total", "Events acknowledged by the broker", ["topic"], registry=REGISTRY
)
PUBLISH_FAILURES = Counter(
    "kabar_publish_failures_total", "Events the broker did not accept", ["topic", "reason"],
    registry=REGISTRY,
)
PUBLISH_SECONDS = Histogram(
    "kabar_publish_duration_seconds", "Time from send to broker ack", ["topic"],
    buckets=_LATENCY, registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "kabar_dead_letters_total", "Error events sent to the dead-letter topic",
    ["portal", "stage", "reason"], registry=REGISTRY,
)
BROKER_UP = Gauge(
    "kabar_broker_up", "1 when the broker answered the last check", registry=REGISTRY
)
FRESHNESS_LAG = Histogram(
    "kabar_freshness_lag_seconds", "Event time minus the article's published_at",
    ["portal"], buckets=_LAG, registry=REGISTRY,
)

# --- state files -------------------------------------------------------------
STATE_WRITE_ERRORS = Counter(
    "kabar_state_write_errors_total", "Failed writes to a state file (retried, never dropped)",
    ["store"], registry=REGISTRY,
)
STATE_WRITABLE = Gauge(
    "kabar_state_writable", "0 while a state file cannot be written", ["store"],
    registry=REGISTRY,
)
STATE_PENDING = Gauge(
    "kabar_state_pending_writes", "State rows handed to the writer and not yet committed",
    ["store"], registry=REGISTRY,
)

# --- pipeline --------------------------------------------------------------
QUEUE_DEPTH = Gauge(
    "kabar_queue_depth", "Items waiting in front of a stage", ["stage"], registry=REGISTRY
)
FETCH_PARKED = Gauge(
    "kabar_fetch_parked",
    "Slow page requests that gave their host slot back and go on beside the fetch workers",
    registry=REGISTRY,
)
IN_FLIGHT = Gauge(
    "kabar_in_flight", "Items being worked on by a stage", ["stage"], registry=REGISTRY
)
STAGE_ITEMS = Counter(
    "kabar_stage_items_total", "Items a stage finished (ok or not)", ["stage", "outcome"],
    registry=REGISTRY,
)
PIPELINE_RUNNING = Gauge(
    "kabar_pipeline_running", "1 while the pipeline accepts work", registry=REGISTRY
)


class NoOpMetric:
    """Accepts every metric call and does nothing (metrics switched off)."""

    def labels(self, *values: str) -> NoOpMetric:
        return self

    def inc(self, amount: float = 1.0) -> None:
        pass

    def dec(self, amount: float = 1.0) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def observe(self, value: float) -> None:
        pass

    def time(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()


def disable() -> None:
    """Swap every metric of this module for a no-op, for the rest of the process.

    Callers look metrics up as ``metrics.NAME`` at call time, so this reaches them
    all; ``kabar bench metrics --pipeline`` compares runs with and without.
    """
    namespace = globals()
    for name, value in list(namespace.items()):
        if isinstance(value, MetricWrapperBase):
            namespace[name] = NoOpMetric()


@functools.lru_cache(maxsize=8192)
def _child(metric: Any, values: tuple[str, ...]) -> Any:
    return metric.labels(*values)


def child(metric: Any, *values: str) -> Any:
    """``metric.labels(*values)``, cached: the lookup costs more than the update.

    Label values are bounded (portals, stages, reasons), so the cache stays small.
    """
    return _child(metric, values)


# --- the crawl processes of ``kabar run --processes N`` ---------------------------------------
#: Gauges whose run-wide value is the highest of the processes', not their sum.
_HIGHEST = frozenset({"kabar_pipeline_running"})


def write_exposition(path: Path, registry: CollectorRegistry = REGISTRY) -> None:
    """This process's metrics in the text format, replacing ``path`` whole (a reader
    never sees half a file): how a crawl process hands its counts to the run's /metrics."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(generate_latest(registry))
    os.replace(partial, path)


class RunMetrics:
    """The run's /metrics: this process's own metrics merged with those its crawl
    processes wrote (``write_exposition``), one family per name as Prometheus wants.
    Counters and histograms are summed over every process that ran, a restarted
    one's predecessor included (its last file stays), so the run's totals never go
    down; gauges are summed over the live processes only (queue depths, work in
    flight), ``kabar_pipeline_running`` is the highest; ``_created`` the earliest.

    ``files`` lists the written files with whether their process is alive."""

    def __init__(self, files: Callable[[], Iterable[tuple[Path, bool]]],
                 registry: CollectorRegistry = REGISTRY) -> None:
        self._files = files
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, tuple[Metric, dict[_Key, _Sample]]] = {}
        for family in self._registry.collect():
            _merge(merged, family)
        for path, live in self._files():
            try:
                text = path.read_text("utf-8")
            except OSError:  # not written yet, or a process starting over
                continue
            for family in text_string_to_metric_families(text):
                if _created_of(family, merged):
                    continue  # folded into its counter's or histogram's family
                if live or family.type != "gauge":
                    _merge(merged, family)
        for family, values in merged.values():
            out = Metric(family.name, family.documentation, family.type, family.unit)
            for (name, _), (labels, value) in values.items():
                out.add_sample(name, labels, value)
            yield out


def _created_of(family: Metric, merged: dict[str, tuple[Metric, dict[_Key, _Sample]]]) -> bool:
    """A file's ``x_created`` samples, which the text format prints as a gauge family of
    their own, merged into family ``x`` instead: served as a second family of the
    same sample name, they would make Prometheus reject the whole scrape."""
    base = family.name.removesuffix("_created")
    if family.type != "gauge" or base == family.name or base not in merged:
        return False
    _merge(merged, merged[base][0], family.samples)
    return True


_Key = tuple[str, tuple[tuple[str, str], ...]]
_Sample = tuple[dict[str, str], float]


def _merge(merged: dict[str, tuple[Metric, dict[_Key, _Sample]]], family: Metric,
           samples: Iterable[Any] = ()) -> None:
    entry = merged.get(family.name)
    if entry is None:
        entry = merged[family.name] = (family, {})
    values = entry[1]
    for sample in samples or family.samples:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        old = values.get(key)
        if old is None:
            values[key] = (sample.labels, sample.value)
            continue
        if sample.name.endswith("_created"):
            value = min(old[1], sample.value)
        elif family.name in _HIGHEST:
            value = max(old[1], sample.value)
        else:
            value = old[1] + sample.value
        values[key] = (old[0], value)
