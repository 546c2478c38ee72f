"""Where a running ``kabar run`` with the embedded broker can be found: it writes
the broker's address into its data dir, and ``kabar tail`` on the same config
reads it back (the embedded broker listens on a random port)."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import orjson

BROKER_FILE = "broker.json"
#: Where the state's articles were published to ("embedded" or the bootstrap servers).
TARGET_FILE = "published-to"


def broker_file(data_dir: Path) -> Path:
    return data_dir / BROKER_FILE


def announce_broker(data_dir: Path, bootstrap: str) -> Path:
    """Record the embedded broker's address and this process's id."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = broker_file(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps({"bootstrap": bootstrap, "pid": os.getpid()}))
    tmp.replace(path)
    return path


def withdraw_broker(data_dir: Path) -> None:
    with contextlib.suppress(OSError):
        path = broker_file(data_dir)
        if orjson.loads(path.read_bytes()).get("pid") == os.getpid():
            path.unlink()


def running_broker(data_dir: Path) -> str | None:
    """The address of a running embedded broker announced in ``data_dir``, if any
    (a file left by a killed run is ignored: its process or port is gone)."""
    try:
        info = orjson.loads(broker_file(data_dir).read_bytes())
        bootstrap, pid = str(info["bootstrap"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    host, _, port = bootstrap.rpartition(":")
    return bootstrap if port.isdigit() and port_open(host, int(port)) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.3):
        return True
    return False


def port_free(host: str, port: int) -> bool:
    """Whether a server could bind ``host:port`` now (as asyncio would, SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def switched_target(data_dir: Path, target: str) -> str | None:
    """The previous publishing target when the state was built for another one (its
    seen articles will not be sent to the new one), else None; records ``target``."""
    path = data_dir / "state" / TARGET_FILE
    try:
        before = path.read_text("utf-8").strip()
    except OSError:
        before = ""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(target + "\n", "utf-8")
    return before if before and before != target else None
