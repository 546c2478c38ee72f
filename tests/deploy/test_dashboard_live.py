"""The dashboard against live data: a real Prometheus (scrape every second)
scrapes a real ``kabar run`` that ingests the local demo site into the test
broker; every panel query must parse and the core panels must return data.
The alert rules are loaded into the same Prometheus and must evaluate cleanly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from kabar.broker import EmbeddedBroker, free_port
from kabar.demo.server import Page, SiteServer
from kabar.demo.site import build_site
from tests.deploy.queries import PROM_DIR, load_dashboard, panel_exprs, panels, substitute

T = TypeVar("T")

#: Panels a healthy run over the demo site must fill (others may stay empty:
#: retries, 304s, robots refusals, publish failures need unhappy conditions).
CORE_PANELS = (
    "Kabar scrape target",
    "Broker up",
    "Pipeline running",
    "Articles published / min",
    "Throughput per stage",
    "Queue depth and in-flight",
    "Errors by stage and reason",
    "Articles / min per portal",
    "Median body length (words)",
    "Extraction failure ratio",
    "Clutter removed per article",
    "Fetches by status",
    "Fetch latency p90",
    "Extract latency p90",
    "Discovered and new URLs / min",
    "Events published by topic",
    "Publish latency (send to ack)",
)
RATE_INTERVAL = "30s"
DEADLINE_S = 60.0


def poll(what: str, probe: Callable[[], T | None], deadline_s: float = DEADLINE_S) -> T:
    """Call ``probe`` until it returns something other than None, or fail."""
    end = time.monotonic() + deadline_s
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def _get(url: str, **params: str) -> httpx.Response | None:
    try:
        return httpx.get(url, params=params, timeout=5.0, trust_env=False)
    except httpx.HTTPError:
        return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def prometheus_bin() -> str:
    binary = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )
    if binary is None:
        pytest.skip("prometheus not installed (CI installs the prometheus package with apt)")
    return binary


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        server.routes.update(build_site(server.base_url))
        server.routes["/kabarkota/read/hilang"] = Page(b"gone", "text/html", 404)
        yield server


@pytest.fixture(scope="module")
def kabar_metrics(
    site: SiteServer, broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``kabar run`` (long-running, not --once); yields its metrics address."""
    tmp = tmp_path_factory.mktemp("live-kabar")
    port = free_port()
    base = site.base_url
    config = tmp / "kabar.toml"
    config.write_text(f"""
[broker]
bootstrap_servers = "{broker.bootstrap}"
articles_topic = "live.articles.v1"
stories_topic = "live.stories.v1"
errors_topic = "live.errors.v1"
[fetch]
allow_private_addresses = true
retries = 0
per_host_rate = 100.0
per_host_burst = 20
[discovery]
seen_path = ""
[dedup]
store = "memory"
[metrics]
enabled = true
host = "127.0.0.1"
port = {port}
[log]
format = "json"
[[portals]]
name = "kabarkota"
feeds = ["{base}/kabarkota/rss.xml"]
urls = ["{base}/kabarkota/read/hilang"]
[[portals]]
name = "wartadesa"
feeds = ["{base}/wartadesa/rss.xml"]
""")
    log = (tmp / "kabar.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kabar", "run", "--config", str(config)],
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    address = f"127.0.0.1:{port}"

    def ready() -> bool | None:
        if proc.poll() is not None:
            pytest.fail(f"kabar run exited {proc.returncode}: {(tmp / 'kabar.log').read_text()}")
        resp = _get(f"http://{address}/readyz")
        return True if resp is not None and resp.status_code == 200 else None

    try:
        poll("kabar /readyz", ready)
        yield address
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def prometheus(
    prometheus_bin: str, kabar_metrics: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real Prometheus scraping Kabar every second; yields its base URL."""
    tmp = tmp_path_factory.mktemp("live-prometheus")
    shutil.copy(PROM_DIR / "alerts.yml", tmp / "alerts.yml")
    (tmp / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: kabar
    static_configs:
      - targets: ["{kabar_metrics}"]
""")
    port = free_port()
    log = (tmp / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            prometheus_bin,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool | None:
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited: {(tmp / 'prometheus.log').read_text()[-3000:]}")
        resp = _get(f"{url}/-/ready")
        return True if resp is not None and resp.status_code == 200 else None

    try:
        poll("prometheus /-/ready", ready)
        # Enough scrapes after the articles went through for rate() windows.
        poll(
            "published articles in Prometheus",
            lambda: _nonempty(url, 'sum(kabar_published_total{topic="live.articles.v1"}) > 0'),
        )
        poll("five scrapes", lambda: _nonempty(url, 'count_over_time(up{job="kabar"}[1m]) >= 5'))
        yield url
    finally:
        _stop(proc)
        log.close()


def query(url: str, expr: str) -> dict[str, Any]:
    resp = _get(f"{url}/api/v1/query", query=expr)
    assert resp is not None, f"no answer for {expr}"
    body: dict[str, Any] = resp.json()
    assert resp.status_code == 200 and body["status"] == "success", (expr, body)
    return body


def _nonempty(url: str, expr: str) -> list[Any] | None:
    result: list[Any] = query(url, expr)["data"]["result"]
    return result or None


def _queries() -> list[tuple[str, list[str]]]:
    """Each panel's title and its queries, template variables substituted."""
    return [
        (p["title"], [substitute(e, rate_interval=RATE_INTERVAL) for e in panel_exprs(p)])
        for p in panels(load_dashboard())
    ]


def test_every_panel_query_parses(prometheus: str) -> None:
    for _title, exprs in _queries():
        for expr in exprs:
            query(prometheus, expr)  # asserts status success


def test_core_panels_return_data(prometheus: str) -> None:
    """A panel shows data when any of its queries returns a series."""
    queries = dict(_queries())
    assert set(CORE_PANELS) <= set(queries)

    def any_data(exprs: list[str]) -> bool | None:
        return True if any(_nonempty(prometheus, e) for e in exprs) else None

    for title in CORE_PANELS:
        poll(f"data for panel {title!r}", partial(any_data, queries[title]), deadline_s=20.0)


def test_the_portal_variable_lists_the_configured_portals(prometheus: str) -> None:
    resp = _get(f"{prometheus}/api/v1/label/portal/values")
    assert resp is not None
    assert {"kabarkota", "wartadesa"} <= set(resp.json()["data"])


def test_alert_rules_evaluate_without_errors(prometheus: str) -> None:
    def evaluated() -> list[dict[str, Any]] | None:
        resp = _get(f"{prometheus}/api/v1/rules")
        assert resp is not None
        rules = [r for g in resp.json()["data"]["groups"] for r in g["rules"]]
        return (
            rules
            if rules
            and all(
                r.get("lastEvaluation", "").startswith("2")
                and not r["lastEvaluation"].startswith("0001")
                for r in rules
            )
            else None
        )

    rules = poll("rule evaluation", evaluated, deadline_s=20.0)
    assert all(r["health"] == "ok" for r in rules), [
        (r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"
    ]
    firing = {r["name"] for r in rules if r["state"] == "firing"}
    assert not firing & {"KabarBrokerUnreachable", "KabarPipelineStopped", "KabarTargetDown"}
