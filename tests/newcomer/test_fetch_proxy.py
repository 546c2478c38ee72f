"""``[fetch] proxy``: every fetch goes through the operator's HTTP proxy (a real
forwarding proxy started here), and the address guard still judges the target."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest

from kabar.demo.server import Page, SiteServer
from kabar.errors import BlockedError
from kabar.fetch import Fetcher
from kabar.models import FetchRequest
from kabar.settings import FetchSettings

HTML = b"<html><body><article><p>Lewat proksi kantor.</p></article></body></html>"


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        server.routes["/berita/1"] = Page(HTML, "text/html; charset=utf-8")
        yield server


@contextlib.asynccontextmanager
async def http_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A forwarding proxy for absolute-form GETs; yields its URL and the URLs it saw."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        first, _, rest = head.partition(b"\r\n")
        method, target, version = first.decode().split()
        seen.append(target)
        host_port, _, path = target.removeprefix("http://").partition("/")
        host, _, port = host_port.partition(":")
        up_reader, up_writer = await asyncio.open_connection(host, int(port or 80))
        headers = b"".join(line + b"\r\n" for line in rest.split(b"\r\n")
                           if line and not line.lower().startswith((b"connection:",
                                                                     b"proxy-")))
        up_writer.write(f"{method} /{path} {version}\r\n".encode() + headers
                        + b"Connection: close\r\n\r\n")
        await up_writer.drain()
        writer.write(await up_reader.read())  # the server closes after one response
        await writer.drain()
        writer.close()
        up_writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.close()


async def test_fetches_go_through_the_proxy(site: SiteServer) -> None:
    url = f"{site.base_url}/berita/1"
    async with http_proxy() as (proxy, seen):
        settings = FetchSettings(proxy=proxy, allow_private_addresses=True, retries=0)
        async with Fetcher(settings) as fetcher:
            result = await fetcher.fetch(FetchRequest(url=url, portal="x"))
    assert "Lewat proksi kantor." in result.html
    assert url in seen  # the page itself came through the proxy (robots.txt too)
    assert f"{site.base_url}/robots.txt" in seen


async def test_guard_still_judges_the_target(site: SiteServer) -> None:
    async with http_proxy() as (proxy, seen):
        settings = FetchSettings(proxy=proxy, allow_private_addresses=False, retries=0)
        async with Fetcher(settings) as fetcher:
            with pytest.raises(BlockedError) as info:
                await fetcher.fetch(FetchRequest(url=f"{site.base_url}/berita/1", portal="x"))
    assert info.value.reason == "private_address"
    assert seen == []  # refused before anything reached the proxy
