"""The run's /metrics with crawl processes: their metrics, written to files, merged
with the run's own into one family per name (counters summed over every process
that ran, gauges over the live ones)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from kabar.metrics import RunMetrics, write_exposition


def _process(fetched: int, depth: int) -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("kabar_fetches_total", "fetches", ["portal", "status"],
            registry=registry).labels("kompas.com", "200").inc(fetched)
    Gauge("kabar_queue_depth", "waiting", ["stage"], registry=registry).labels("fetch").set(depth)
    Gauge("kabar_pipeline_running", "running", registry=registry).set(1)
    return registry


def _values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples
            if not s.name.endswith("_created")}


def test_counters_of_every_process_add_up_and_gauges_of_the_live_ones(tmp_path: Path) -> None:
    live, gone = tmp_path / "crawl-0-2.prom", tmp_path / "crawl-0-1.prom"
    write_exposition(live, _process(fetched=5, depth=3))
    write_exposition(gone, _process(fetched=7, depth=40))  # a child that died: its last file
    served = CollectorRegistry(auto_describe=False)
    served.register(RunMetrics(lambda: [(gone, False), (live, True),
                                        (tmp_path / "crawl-1-1.prom", True)],  # not written yet
                               _process(fetched=2, depth=1)))
    text = generate_latest(served).decode()
    values = _values(text)
    assert values[("kabar_fetches_total", (("portal", "kompas.com"), ("status", "200")))] == 14
    assert values[("kabar_queue_depth", (("stage", "fetch"),))] == 4  # the dead child's left out
    assert values[("kabar_pipeline_running", ())] == 1
    assert text.count("# TYPE kabar_fetches_total counter") == 1


def test_a_labelled_counter_of_several_processes_is_served_as_one_family(tmp_path: Path) -> None:
    """The text format prints a counter's ``_created`` as a gauge family of its own;
    read back from a process's file it must join its counter, not be served twice
    (Prometheus rejects a scrape that repeats a family)."""
    child = tmp_path / "crawl-0-1.prom"
    write_exposition(child, _process(fetched=3, depth=0))
    served = CollectorRegistry(auto_describe=False)
    served.register(RunMetrics(lambda: [(child, True)], _process(fetched=1, depth=0)))
    text = generate_latest(served).decode()
    types = [line for line in text.splitlines() if line.startswith("# TYPE ")]
    assert len(types) == len(set(types)), text
    created = [s for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == "kabar_fetches_created"]
    assert len(created) == 1
