"""A tiny asyncio HTTP/1.1 server for ``/metrics``, ``/healthz`` and ``/readyz``.

Deliberately minimal (one request per connection, GET/HEAD only, no bodies
accepted) so the service needs no web framework: Prometheus, Docker
healthchecks and Kubernetes probes are its only clients. ``/readyz`` is 503
while the pipeline's check fails or a state file cannot be written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest

from kabar import metrics, statefile
from kabar.logs import log_event

ReadyCheck = Callable[[], Awaitable[tuple[bool, str]]]

_log = logging.getLogger(__name__)
_TEXT = "text/plain; charset=utf-8"
# The classic text format, which every Prometheus 2.x and 3.x scrapes.
_EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"
_MAX_HEADER_BYTES = 16 * 1024
_READ_TIMEOUT_S = 5.0
# Below the 3 s the container healthcheck waits, so it gets a 503 with a reason.
_READY_TIMEOUT_S = 2.0
_STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = _TEXT


class ObservabilityServer:
    """Serves Prometheus metrics and liveness/readiness probes on ``host:port``."""

    def __init__(
        self,
        host: str,
        port: int,
        ready: ReadyCheck,
        registry: CollectorRegistry = metrics.REGISTRY,
    ) -> None:
        self._host = host
        self._port = port
        self._ready = ready
        self._registry = registry
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Start listening; returns the bound port (useful with port 0)."""
        self._server = await asyncio.start_server(self._handle, self._host, self._port)
        port = int(self._server.sockets[0].getsockname()[1])
        log_event(_log, logging.INFO, "observability server listening", host=self._host, port=port)
        return port

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await self._server.wait_closed()
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, path = await asyncio.wait_for(_read_request(reader), _READ_TIMEOUT_S)
            response = await self._route(method, path)
            _write(writer, response, head_only=method == "HEAD")
            await writer.drain()
        except (TimeoutError, ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError):
            with contextlib.suppress(ConnectionError):
                _write(writer, Response(400, b"bad request\n"), head_only=False)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _route(self, method: str, path: str) -> Response:
        if method not in ("GET", "HEAD"):
            return Response(405, b"method not allowed\n")
        route = path.split("?", 1)[0]
        if route == "/metrics":
            return Response(200, generate_latest(self._registry), _EXPOSITION)
        if route == "/healthz":
            return Response(200, b"ok\n")
        if route == "/readyz":
            ok, reason = await self._check_ready()
            return Response(200, b"ready\n") if ok else Response(503, f"{reason}\n".encode())
        return Response(404, b"not found\n")

    async def _check_ready(self) -> tuple[bool, str]:
        # A state file that cannot be written means verdicts pile up unsaved:
        # not ready, whatever the pipeline says (statefile retries meanwhile).
        failing = statefile.problems()
        if failing:
            return False, "; ".join(failing)
        try:
            return await asyncio.wait_for(self._ready(), _READY_TIMEOUT_S)
        except TimeoutError:
            return False, "readiness_check_timeout"
        except Exception as exc:  # a failing check means "not ready", never a crash
            log_event(_log, logging.WARNING, "readiness check failed", error=repr(exc))
            return False, "readiness_check_failed"


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > _MAX_HEADER_BYTES:
        raise ValueError("request head too large")
    parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("malformed request line")
    return parts[0].upper(), parts[1]


def _write(writer: asyncio.StreamWriter, response: Response, *, head_only: bool) -> None:
    status = f"HTTP/1.1 {response.status} {_STATUS_TEXT.get(response.status, 'Unknown')}"
    headers = (
        f"{status}\r\nContent-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(headers.encode("latin-1"))
    if not head_only:
        writer.write(response.body)
