"""The README's main command on the embedded default, as a newcomer runs it: one
`kabar run --once` over a local fixture site, then `kabar tail` and the archive
show its events; a second, long-running `kabar run` is found by `kabar tail`
through the address it leaves in the data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from kabar.demo.server import SiteServer
from kabar.demo.site import build_site
from kabar.rundir import broker_file

TITLES = {
    "Banjir Rob Genangi Tiga Kelurahan di Pesisir Semarang",
    "Air Laut Pasang, Ratusan Rumah di Semarang Utara Terendam",
}


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        server.routes.update(build_site(server.base_url))
        yield server


def config(tmp: Path, site: SiteServer) -> Path:
    path = tmp / "kabar.toml"
    path.write_text(f"""
[fetch]
allow_private_addresses = true
per_host_rate = 100.0
per_host_burst = 20
[metrics]
port = 0
[pipeline]
progress_interval_s = 0
[discovery]
seen_path = "state/seen.sqlite3"
[[portals]]
name = "kabarkota"
feeds = ["{site.base_url}/kabarkota/rss.xml"]
[[portals]]
name = "wartadesa"
feeds = ["{site.base_url}/wartadesa/rss.xml"]
""")
    return path


def kabar(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    return subprocess.run([sys.executable, "-m", "kabar", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env)


def test_run_once_keeps_its_events_and_tail_shows_them(site: SiteServer, tmp_path: Path) -> None:
    cfg = config(tmp_path, site)
    run = kabar("run", "--once", "--config", str(cfg), "-o", "-", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    printed = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert {e["title"] for e in printed} >= TITLES  # -o - : the article events on stdout

    data = tmp_path / "kabar-data"  # the default data dir, beside the state
    archived = [orjson.loads(x) for x in (data / "events/kabar.articles.v1.jsonl").read_bytes()
                .splitlines()]
    assert [e["id"] for e in archived] == [e["id"] for e in printed]
    assert (data / "events/kabar.stories.v1.jsonl").stat().st_size > 0
    assert (data / "state/dedup.sqlite3").is_file() and (data / "state/seen.sqlite3").is_file()
    assert not broker_file(data).exists()  # the run is over: no stale broker address
    assert "kabar-data/events/kabar.articles.v1.jsonl" in run.stderr  # the path is printed
    for line in run.stderr.splitlines():  # stderr is not a terminal: JSON lines only
        assert isinstance(orjson.loads(line), dict), line

    tail = kabar("tail", "--config", str(cfg), "--json", cwd=tmp_path, timeout=60)
    assert tail.returncode == 0, tail.stderr
    assert [orjson.loads(x)["id"] for x in tail.stdout.splitlines()] == [e["id"] for e in archived]
    human = kabar("tail", "--config", str(cfg), "--topic", "kabar.stories.v1", cwd=tmp_path,
                  timeout=60)
    assert human.returncode == 0 and "STORY" in human.stdout

    # The state remembers the articles, so a second run publishes none again ...
    again = kabar("run", "--once", "--config", str(cfg), cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len((data / "events/kabar.articles.v1.jsonl").read_bytes().splitlines()) == len(
        archived)
    # ... and deleting the one data dir resets both the state and the output.
    import shutil

    shutil.rmtree(data)
    fresh = kabar("run", "--once", "--config", str(cfg), cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert len((data / "events/kabar.articles.v1.jsonl").read_bytes().splitlines()) == len(
        archived)


def test_tail_finds_a_running_embedded_broker(site: SiteServer, tmp_path: Path) -> None:
    cfg = config(tmp_path, site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    run = subprocess.Popen([sys.executable, "-m", "kabar", "run", "--config", str(cfg)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
                           env=env)
    try:
        archive = tmp_path / "kabar-data/events/kabar.articles.v1.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            archive.is_file() and len(archive.read_bytes().splitlines()) >= 5
        ):
            assert run.poll() is None, "kabar run exited early"
            time.sleep(0.2)
        assert broker_file(tmp_path / "kabar-data").is_file()
        tail = kabar("tail", "--config", str(cfg), "--from-beginning", "--json", "--max", "5",
                     "--idle-timeout", "20", cwd=tmp_path, timeout=90)
        assert tail.returncode == 0, tail.stderr
        assert "from 127.0.0.1:" in tail.stderr  # read from the broker, not the archive
        assert {orjson.loads(x)["title"] for x in tail.stdout.splitlines()} >= TITLES
    finally:
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr[-2000:]
    assert not broker_file(tmp_path / "kabar-data").exists()
