"""``/metrics``, ``/healthz`` and ``/readyz``, served by prometheus_client.

prometheus_client's own WSGI app renders ``/metrics`` (content negotiation and
gzip as Prometheus expects) on its threaded WSGI server; a thin router in front
adds the probes. Both probes are answered by the event loop: ``/healthz`` is 503
when the loop does not answer in time (a stalled service must be restarted), and
``/readyz`` runs the service's readiness check there. ``/readyz`` is also 503 while
a state file cannot be written.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from kabar import metrics, statefile
from kabar.logs import log_event

ReadyCheck = Callable[[], Awaitable[tuple[bool, str]]]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]

_log = logging.getLogger(__name__)
_TEXT = "text/plain; charset=utf-8"
# Below the 3 s the container healthcheck waits, so it gets a 503 with a reason.
_READY_TIMEOUT_S = 2.0
_STATUS = {200: "200 OK", 404: "404 Not Found", 405: "405 Method Not Allowed",
           503: "503 Service Unavailable"}


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (it would break the JSON log stream); a garbage request
    line still gets a status line (HTTP/0.9 would send the 400 page bare)."""

    default_request_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass


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
        self._metrics = make_wsgi_app(registry)
        self._server: ThreadingWSGIServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> int:
        """Start listening; returns the bound port (useful with port 0). A busy port
        raises OSError here, before anything is served."""
        self._loop = asyncio.get_running_loop()
        server_class = _V6Server if ":" in self._host else ThreadingWSGIServer
        server = make_server(self._host, self._port, self._app, server_class, _QuietHandler)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                         name="kabar-http", daemon=True).start()
        port = int(server.server_port)
        log_event(_log, logging.INFO, "observability server listening", host=self._host, port=port)
        return port

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        await asyncio.to_thread(server.shutdown)
        server.server_close()

    # --- the WSGI side (server threads) -------------------------------------
    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, route = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method not in ("GET", "HEAD"):
            return _reply(start_response, 405, b"method not allowed\n", method)
        if route == "/metrics":
            body = self._metrics({**environ, "REQUEST_METHOD": "GET"}, start_response)
            return [] if method == "HEAD" else body
        if route == "/healthz":
            alive = self._on_loop(_pong(), 2.0) == (True, "ok")
            return _reply(start_response, 200 if alive else 503,
                          b"ok\n" if alive else b"event_loop_stalled\n", method)
        if route == "/readyz":
            ok, reason = self._on_loop(self._check_ready(), _READY_TIMEOUT_S + 1.0)
            body = b"ready\n" if ok else f"{reason}\n".encode()
            return _reply(start_response, 200 if ok else 503, body, method)
        return _reply(start_response, 404, b"not found\n", method)

    def _on_loop(self, check: Awaitable[tuple[bool, str]], timeout_s: float) -> tuple[bool, str]:
        """Run a check on the service's event loop and wait for it from this thread."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(check), self._loop)
        try:
            return future.result(timeout_s)
        except (concurrent.futures.TimeoutError, TimeoutError):
            future.cancel()
            return False, "event_loop_stalled"
        except RuntimeError:  # the loop is closing
            return False, "stopping"

    # --- the event-loop side --------------------------------------------------
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


class _V6Server(ThreadingWSGIServer):
    import socket as _socket

    address_family = _socket.AF_INET6


async def _pong() -> tuple[bool, str]:
    return True, "ok"


async def _as_coroutine(check: Awaitable[tuple[bool, str]]) -> tuple[bool, str]:
    return await check


def _reply(start_response: StartResponse, status: int, body: bytes, method: str) -> list[bytes]:
    start_response(_STATUS[status], [("Content-Type", _TEXT),
                                     ("Content-Length", str(len(body)))])
    return [] if method == "HEAD" else [body]
