"""The service as a user runs it: `kabar run` until SIGTERM with live
/metrics and /readyz, `kabar demo`, and a clear error when the broker is down."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kabar.broker import EmbeddedBroker, free_port
from kabar.commands.demo import read_topic
from kabar.demo.server import SiteServer
from kabar.demo.site import build_site


def config_text(base: str, bootstrap: str, tmp: Path, metrics_port: int, topic: str) -> str:
    return f"""
[broker]
bootstrap_servers = "{bootstrap}"
articles_topic = "{topic}"
errors_topic = "{topic}.errors"
stories_topic = "{topic}.stories"
connect_timeout_s = 5.0
[fetch]
allow_private_addresses = true
per_host_rate = 100.0
retries = 1
[discovery]
seen_path = ""
poll_interval_s = 60
[dedup]
store = "memory"
[metrics]
port = {metrics_port}
[pipeline]
spool_path = "{tmp / 'spool.jsonl'}"
progress_interval_s = 0.5
[[portals]]
name = "kabarkota"
feeds = ["{base}/kabarkota/rss.xml"]
"""


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_run_until_sigterm_serves_metrics_and_exits_cleanly(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    port = free_port()
    with SiteServer() as site:
        site.routes.update(build_site(site.base_url))
        config = tmp_path / "kabar.toml"
        config.write_text(config_text(site.base_url, broker.bootstrap, tmp_path, port, "svc.a"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "kabar", "run", "--config", str(config)],
            stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        )
        try:
            articles = asyncio.run(read_topic(broker.bootstrap, "svc.a", 3))
            assert len(articles) == 3
            status, body = http_get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200 and "kabar_fetches_total" in body
            assert 'kabar_published_total{topic="svc.a"} 3.0' in body
            assert http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200
            assert http_get(f"http://127.0.0.1:{port}/readyz")[0] == 200
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert "done:" in stderr and "articles=3" in stderr
    assert "fetched=" in stderr  # progress lines were shown while running


def test_demo_publishes_and_reports(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "kabar", "demo"], capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "published" in proc.stderr and "(5 articles)" in proc.stderr
    assert "Banjir Rob Genangi" in proc.stdout
    assert "ERROR fetch/http_4xx" in proc.stdout


def test_unreachable_broker_is_a_clear_error(tmp_path: Path) -> None:
    dead = f"127.0.0.1:{free_port()}"
    config = tmp_path / "kabar.toml"
    config.write_text(config_text("http://127.0.0.1:9", dead, tmp_path, 0, "x"))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "kabar", "run", "--once", "--config",
                           str(config)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1
    assert f"kabar run: cannot connect to {dead}: no Kafka answered" in proc.stderr
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("bad", ["[broker\n", "[fetch]\nworkers = 'x'\n"])
def test_bad_config_exits_2_with_reason(tmp_path: Path, bad: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(bad)
    proc = subprocess.run([sys.executable, "-m", "kabar", "run", "--config", str(config)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("kabar run: ")
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
