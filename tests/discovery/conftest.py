"""Fixtures: the local portal server (a thread on 127.0.0.1) and an httpx fetcher."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import ThreadingHTTPServer

import httpx
import pytest

from tests.discovery.discovery_http import HttpxSourceFetcher, Site, handler_for


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(served))
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpxSourceFetcher]:
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        yield HttpxSourceFetcher(client)
