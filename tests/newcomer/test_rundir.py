"""The data dir's small records: the running broker's address and the target the
state was built for."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import orjson

from kabar.rundir import (
    announce_broker,
    broker_file,
    running_broker,
    switched_target,
    withdraw_broker,
)


def test_a_running_broker_is_found_and_a_stale_one_ignored(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        address = f"127.0.0.1:{sock.getsockname()[1]}"
        announce_broker(tmp_path, address)
        assert running_broker(tmp_path) == address
        # the same address left behind by a process that is gone
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
        broker_file(tmp_path).write_bytes(orjson.dumps({"bootstrap": address,
                                                        "pid": int(dead.stdout)}))
        assert running_broker(tmp_path) is None
    announce_broker(tmp_path, address)
    assert running_broker(tmp_path) is None  # nothing listens there any more
    withdraw_broker(tmp_path)
    assert not broker_file(tmp_path).exists()
    assert running_broker(tmp_path) is None


def test_switching_the_publishing_target_is_noticed(tmp_path: Path) -> None:
    assert switched_target(tmp_path, "embedded") is None
    assert switched_target(tmp_path, "embedded") is None
    assert switched_target(tmp_path, "kafka:9092") == "embedded"
    assert switched_target(tmp_path, "kafka:9092") is None
