"""The embedded broker under faults: `kabar broker` killed with SIGKILL takes
Tansu with it (the port is free again), and a busy port is refused with a message."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kabar.broker import EmbeddedBroker, free_port, port_busy
from kabar.errors import BrokerError


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        pytest.skip("needs Linux /proc to find the broker's child process")
    return [int(p) for p in path.read_text().split()]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_sigkill_of_kabar_broker_takes_tansu_along() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kabar", "broker", "--port", str(port), "--no-topics"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening" in line and "in memory" in line, line
        tansu = _children(proc.pid)
        assert tansu, "no Tansu child found"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in tansu) or port_busy("127.0.0.1", port):
            assert time.monotonic() < deadline, "Tansu outlived its parent"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    with EmbeddedBroker(port=port) as again:  # the port is usable at once
        assert again.running


def test_busy_port_is_refused_with_a_message() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(BrokerError) as err:
            EmbeddedBroker(port=port).start()
    assert err.value.reason == "port_in_use"
    assert str(port) in str(err.value) and "already in use" in str(err.value)
