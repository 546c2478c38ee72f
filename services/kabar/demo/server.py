"""A static HTTP site served from memory on 127.0.0.1 in a background thread.

Used by ``kabar demo`` and by the tests to play portals over a real socket.
Routes map a path (with query) to a ``Page``; unknown paths answer 404.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (to play a slow server).
    delay_s: float = 0.0


class SiteServer:
    """Serve ``routes`` on 127.0.0.1 (port 0 picks a free one); records requested paths."""

    def __init__(self, routes: Mapping[str, Page] | None = None, port: int = 0) -> None:
        self.routes: dict[str, Page] = dict(routes or {})
        self.requests: list[str] = []
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _make_handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.requests.append(self.path)
            page = site.routes.get(self.path) or Page(b"not found", "text/plain", 404)
            if page.delay_s:
                time.sleep(page.delay_s)  # plays a slow server; never used to wait for state
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            for name, value in page.headers.items():
                self.send_header(name, value)
            self.end_headers()
            # The client may have given up (a timeout test, a size limit): not our error.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(page.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
