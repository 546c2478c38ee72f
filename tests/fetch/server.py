"""A real HTTP/1.1 server on 127.0.0.1 for tests, driven by a routing table.

    from tests.fetch.server import LocalServer, Reply, html_reply

    with LocalServer() as srv:
        srv.route("/a", Reply(200, b"<html>..</html>", {"Content-Type": "text/html"}))
        srv.route("/b", lambda req: Reply(304) if req.headers.get("if-none-match") else ...)
        srv.url("/a")            # http://127.0.0.1:<port>/a
        srv.times("/a")          # server-side time.monotonic() of each request to /a

Every request is recorded (path, lower-cased headers, arrival time) so tests
can assert rates and spacing from the server's point of view. A ``Reply``
body may be an iterable of chunks (streamed; the bytes actually written are
counted in ``sent``), and ``delay_s`` holds the answer back (slow servers).
Unrouted paths answer 404. Reusable by any test area.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    time: float
    #: The client's (address, port): which connection, so which process, sent it.
    peer: tuple[str, int] = ("", 0)


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (to provoke read timeouts).
    delay_s: float = 0.0
    #: Send Content-Length for bytes bodies (iterables are close-delimited unless set).
    content_length: int | None = None


Handler = Callable[[Seen], Reply]


def html_reply(html: str, *, charset: str = "utf-8", status: int = 200) -> Reply:
    return Reply(status, html.encode(charset), {"Content-Type": f"text/html; charset={charset}"})


class LocalServer:
    """Threaded HTTP server on 127.0.0.1:<free port> with a routing table."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Reply | Handler] = {}
        self.requests: list[Seen] = []
        self.sent: dict[str, int] = {}
        #: Paths whose handler has finished (answered, or gave up on a closed socket).
        self.finished: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _QuietServer((host, 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, reply: Reply | Handler) -> None:
        self.routes[path] = reply

    def times(self, path: str) -> list[float]:
        with self._lock:
            return [r.time for r in self.requests if r.path == path]

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # called from handler threads
    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] = self.sent.get(path, 0) + n

    def _finish(self, path: str) -> None:
        with self._lock:
            self.finished.append(path)

    def _reply_for(self, seen: Seen) -> Reply:
        route = self.routes.get(seen.path) or self.routes.get(seen.path.split("?", 1)[0])
        if route is None:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        return route(seen) if callable(route) else route


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up mid-answer is normal here (limits, timeouts): no tracebacks."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def closed_port() -> int:
    """A local port nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen = Seen(
                "GET",
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                time.monotonic(),
                (str(self.client_address[0]), int(self.client_address[1])),
            )
            server._record(seen)
            reply = server._reply_for(seen)
            try:
                if reply.delay_s and server._stop.wait(reply.delay_s):
                    return
                self._send(reply, seen.path)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            finally:
                server._finish(seen.path)

        def _send(self, reply: Reply, path: str) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            body = reply.body
            if isinstance(body, bytes):
                length = reply.content_length if reply.content_length is not None else len(body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)
                server._count(path, len(body))
                return
            if reply.content_length is not None:
                self.send_header("Content-Length", str(reply.content_length))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            for chunk in body:
                self.wfile.write(chunk)
                server._count(path, len(chunk))

        def log_message(self, format: str, *args: object) -> None:
            pass

    return _Handler
