"""Prometheus config and alert rules: promtool checks, unit tests, coverage."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from kabar import metrics
from tests.deploy.queries import (
    PROM_DIR,
    SYNTHETIC_SERIES,
    alert_rules,
    exported_series,
    load_yaml,
    metric_names,
)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool not installed (CI installs the prometheus package with apt)")
    return subprocess.run(
        [binary, *args], cwd=PROM_DIR, capture_output=True, text=True, timeout=120
    )


def test_promtool_checks_the_config() -> None:
    proc = promtool("check", "config", "prometheus.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_checks_the_rules() -> None:
    proc = promtool("check", "rules", "alerts.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_alert_unit_tests_pass() -> None:
    proc = promtool("test", "rules", "alerts_test.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _cases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    doc = load_yaml(PROM_DIR / "alerts_test.yml")
    return [(group, case) for group in doc["tests"] for case in group.get("alert_rule_test", [])]


def _series_names(group: dict[str, Any]) -> set[str]:
    return {s["series"].split("{", 1)[0].strip() for s in group.get("input_series", [])}


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: str(r["alert"]))
def test_every_alert_fires_and_stays_quiet_in_a_test(rule: dict[str, Any]) -> None:
    cases = [(g, c) for g, c in _cases() if c["alertname"] == rule["alert"]]
    firing = [c for _, c in cases if c.get("exp_alerts")]
    # A quiet case only counts when its group feeds the series the alert reads,
    # i.e. it is a healthy system and not an empty one.
    wanted = metric_names(rule["expr"])
    quiet = [c for g, c in cases if not c.get("exp_alerts") and wanted <= _series_names(g)]
    assert firing, f"{rule['alert']}: no test case where it fires"
    assert quiet, f"{rule['alert']}: no quiet case on healthy series of {sorted(wanted)}"


def test_alerts_have_severity_and_summary() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def test_the_required_alerts_exist() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    joined = "\n".join(exprs.values())
    assert any("up{" in e and "== 0" in e for e in exprs.values())
    assert "kabar_broker_up == 0" in joined
    assert "offset 1w" in joined and "kabar_body_words_bucket" in joined
    for name in (
        "kabar_dead_letters_total",
        "kabar_freshness_lag_seconds_bucket",
        'reason="empty_body"',
        'reason!="ok"',
        'reason="ok"',
    ):
        assert name in joined, name


def test_alerts_only_use_metrics_kabar_exports() -> None:
    known = exported_series(metrics.REGISTRY) | SYNTHETIC_SERIES
    for rule in alert_rules():
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= known, f"{rule['alert']}: unknown {sorted(names - known)}"
