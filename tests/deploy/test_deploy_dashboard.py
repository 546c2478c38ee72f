"""The Grafana dashboard: structure, datasources, PromQL over exported metrics."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kabar import metrics
from tests.deploy.queries import (
    DEPLOY,
    SYNTHETIC_SERIES,
    exported_series,
    load_dashboard,
    load_yaml,
    metric_names,
    panel_exprs,
    panels,
    substitute,
)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return load_dashboard()


def _datasource_uid() -> str:
    doc = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    (source,) = doc["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    return str(source["uid"])


def test_every_panel_has_the_provisioned_datasource_and_promql(
    dashboard: dict[str, Any],
) -> None:
    uid = _datasource_uid()
    found = list(panels(dashboard))
    assert len(found) >= 15
    for panel in found:
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        assert panel_exprs(panel), f"{panel['title']}: no PromQL target"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]


def test_panel_ids_are_unique_and_titles_present(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert all(p["title"].strip() for p in dashboard["panels"])
    assert dashboard["uid"] and dashboard["title"]


def test_every_metric_in_the_dashboard_is_exported(dashboard: dict[str, Any]) -> None:
    known = exported_series(metrics.REGISTRY) | SYNTHETIC_SERIES
    for panel in panels(dashboard):
        for expr in panel_exprs(panel):
            names = metric_names(substitute(expr))
            assert names, f"{panel['title']}: no metric in {expr}"
            assert names <= known, f"{panel['title']}: unknown {sorted(names - known)}"


def test_portal_variable_drives_the_portal_panels(dashboard: dict[str, Any]) -> None:
    (var,) = [v for v in dashboard["templating"]["list"] if v["name"] == "portal"]
    assert var["includeAll"] and var["allValue"] == ".*"
    match = re.fullmatch(r"label_values\((\w+), portal\)", var["definition"])
    assert match and match.group(1) in exported_series(metrics.REGISTRY)
    portal_panels = [p for p in panels(dashboard) if any("$portal" in e for e in panel_exprs(p))]
    assert len(portal_panels) >= 8


def test_the_dashboard_covers_the_required_views(dashboard: dict[str, Any]) -> None:
    exprs = "\n".join(e for p in panels(dashboard) for e in panel_exprs(p))
    for needed in (
        "kabar_stage_items_total",  # throughput per stage
        "kabar_dead_letters_total",  # errors by reason
        "kabar_freshness_lag_seconds_bucket",
        "kabar_queue_depth",
        "kabar_body_words_bucket",
        "kabar_missing_field_total",
        "kabar_clutter_removed_total",
        "kabar_dedup_verdicts_total",
        "kabar_template_lines_dropped_total",
        "kabar_stories_created_total",
        "kabar_stories_active",
        "kabar_publish_duration_seconds_bucket",
        "kabar_broker_up",
    ):
        assert needed in exprs, needed
