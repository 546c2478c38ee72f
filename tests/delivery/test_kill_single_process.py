"""Issue 16, item 1: `kabar run` (the one-process default) killed with -9 at three
moments and started again loses no discovered article: every article of a local
site on several hosts ends up published, and a re-sent one carries the same
``ce_id`` as before (a real Tansu, real processes, a real HTTP site)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kabar.bench.delivery import article_gets, read_all
from kabar.bench.delivery_site import serve, write_config
from kabar.broker import EmbeddedBroker
from kabar.events import kafka_key

PORTALS, PER_PORTAL = 3, 20


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kabar", "run", "--config", str(config)],
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            cwd=config.parent)


def _until(check: object, timeout_s: float, what: str) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"not reached: {what}"
        time.sleep(0.1)


def test_kill_9_at_three_moments_loses_nothing(broker: EmbeddedBroker, tmp_path: Path) -> None:
    server, bases = serve(PORTALS, PER_PORTAL)
    total = PORTALS * PER_PORTAL
    config = write_config(tmp_path / "kabar.toml", bases, broker.bootstrap, topics="kill9",
                          state_dir=tmp_path, redis_prefix="unused:",
                          fetch={"per_host_rate": 2.0, "per_host_burst": 1},
                          pipeline={"extract_processes": "off"})
    log = tmp_path / "run.log"
    proc = _start(config, log)
    try:
        for moment in (total // 6, total // 3, total // 2):
            _until(lambda m=moment: len(article_gets(server.requests)) >= m, 120,
                   f"{moment} pages fetched")
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc = _start(config, log)

        def published() -> set[bytes]:
            records = asyncio.run(read_all(broker.bootstrap, "kill9.articles", 1.0))
            return {r.key for r in records}

        _until(lambda: len(published()) >= total, 180, "every article published")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        server.stop()
    records = asyncio.run(read_all(broker.bootstrap, "kill9.articles"))
    expected = {kafka_key(f"{base}/{portal}/berita/{n}")
                for portal, base in bases.items() for n in range(PER_PORTAL)}
    assert {r.key for r in records} == expected
    ids: dict[bytes, set[bytes]] = {}
    for record in records:
        ids.setdefault(record.key, set()).add(dict(record.headers)["ce_id"])
    assert all(len(v) == 1 for v in ids.values()), "a re-send with a different ce_id"
    assert os.path.exists(tmp_path / "spool.jsonl")
