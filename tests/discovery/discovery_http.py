"""A local HTTP server playing news portals, and a small httpx source fetcher.

The server answers conditional GETs (ETag / Last-Modified -> 304) and records
every request so tests can assert what discovery sent.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import httpx

from kabar.errors import HTTPStatusError, NetworkError


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200


@dataclass(frozen=True, slots=True)
class Seen:
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None


@dataclass
class Site:
    """Routes of the local server and the log of requests it answered."""

    base: str = ""
    pages: dict[str, Page] = field(default_factory=dict)
    log: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, page: Page) -> None:
        with self.lock:
            self.pages[path] = page

    def requests_for(self, path: str) -> list[Seen]:
        with self.lock:
            return [entry for entry in self.log if entry.path == path]


def handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with site.lock:
                page = site.pages.get(self.path)
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if page is None:
                status = 404
            elif page.status != 200:
                status = page.status
            elif (page.etag and inm == page.etag) or (
                page.last_modified and ims == page.last_modified
            ):
                status = 304
            else:
                status = 200
            with site.lock:
                site.log.append(Seen(self.path, status, inm, ims))
            self.send_response(status)
            if page is not None and status in (200, 304):
                if page.etag:
                    self.send_header("ETag", page.etag)
                if page.last_modified:
                    self.send_header("Last-Modified", page.last_modified)
            body = page.body if page is not None and status == 200 else b""
            self.send_header("Content-Type", page.content_type if page else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    url: str
    text: str
    etag: str | None
    last_modified: str | None
    content_type: str


class HttpxSourceFetcher:
    """The smallest fetcher satisfying ``SourceFetcher``: conditional GET, gunzip, errors."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def fetch_source(
        self,
        url: str,
        portal: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            answer = await self._client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise NetworkError(str(exc), url=url) from exc
        if answer.status_code >= 400:
            raise HTTPStatusError(status=answer.status_code, url=url)
        body = answer.content
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file, not transfer compression
            body = gzip.decompress(body)
        return Response(
            answer.status_code,
            str(answer.url),
            body.decode("utf-8", errors="replace"),
            answer.headers.get("ETag"),
            answer.headers.get("Last-Modified"),
            answer.headers.get("Content-Type", ""),
        )
