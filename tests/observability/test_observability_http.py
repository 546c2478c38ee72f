"""ObservabilityServer over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families

from kabar import metrics
from kabar.http import ObservabilityServer


class Readiness:
    """A switchable readiness callback."""

    def __init__(self) -> None:
        self.state: tuple[bool, str] = (True, "")
        self.fail = False

    async def __call__(self) -> tuple[bool, str]:
        if self.fail:
            raise RuntimeError("boom")
        return self.state


@pytest.fixture
def readiness() -> Readiness:
    return Readiness()


@pytest.fixture
async def base_url(readiness: Readiness) -> AsyncIterator[str]:
    server = ObservabilityServer("127.0.0.1", 0, readiness)
    port = await server.start()
    yield f"http://127.0.0.1:{port}"
    await server.stop()


async def get(url: str, method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
        return await client.request(method, url)


async def test_metrics_serves_the_kabar_registry(base_url: str) -> None:
    metrics.FETCHES.labels(portal="obs-test", status="ok").inc()
    resp = await get(f"{base_url}/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(resp.text)}
    samples = [s for s in families["kabar_fetches"].samples if s.labels.get("portal") == "obs-test"]
    assert samples and samples[0].value >= 1


async def test_metrics_reflect_new_increments(base_url: str) -> None:
    counter = metrics.NOT_MODIFIED.labels(portal="obs-incr")
    before = counter._value.get()
    counter.inc(3)
    resp = await get(f"{base_url}/metrics")
    line = next(
        ln
        for ln in resp.text.splitlines()
        if ln.startswith('kabar_not_modified_total{portal="obs-incr"}')
    )
    assert float(line.rsplit(" ", 1)[1]) == before + 3


async def test_custom_registry_is_served() -> None:
    registry = CollectorRegistry()
    Counter("only_here_total", "x", registry=registry).inc()

    async def ready() -> tuple[bool, str]:
        return True, ""

    server = ObservabilityServer("127.0.0.1", 0, ready, registry=registry)
    port = await server.start()
    try:
        resp = await get(f"http://127.0.0.1:{port}/metrics")
    finally:
        await server.stop()
    assert "only_here_total 1.0" in resp.text
    assert "kabar_fetches_total" not in resp.text


async def test_healthz_is_ok_even_when_not_ready(base_url: str, readiness: Readiness) -> None:
    readiness.state = (False, "broker_unreachable")
    resp = await get(f"{base_url}/healthz")
    assert resp.status_code == 200
    assert resp.text.strip() == "ok"


async def test_readyz_follows_the_callback(base_url: str, readiness: Readiness) -> None:
    assert (await get(f"{base_url}/readyz")).status_code == 200
    readiness.state = (False, "broker_unreachable")
    resp = await get(f"{base_url}/readyz")
    assert resp.status_code == 503
    assert resp.text.strip() == "broker_unreachable"
    readiness.state = (True, "")
    assert (await get(f"{base_url}/readyz")).status_code == 200


async def test_readyz_is_503_when_the_callback_raises(base_url: str, readiness: Readiness) -> None:
    readiness.fail = True
    resp = await get(f"{base_url}/readyz")
    assert resp.status_code == 503
    assert resp.text.strip() == "readiness_check_failed"


async def test_head_has_headers_but_no_body(base_url: str) -> None:
    resp = await get(f"{base_url}/healthz", method="HEAD")
    assert resp.status_code == 200
    assert resp.headers["content-length"] == "3"
    assert resp.content == b""


async def test_unknown_path_and_method(base_url: str) -> None:
    assert (await get(f"{base_url}/nope")).status_code == 404
    assert (await get(f"{base_url}/metrics", method="POST")).status_code == 405


async def test_garbage_request_gets_400(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"HELLO\r\n\r\n")
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5.0)
    writer.close()
    assert data.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 "))


async def test_metrics_are_gzipped_when_asked(base_url: str) -> None:
    async with httpx.AsyncClient(trust_env=False, timeout=5.0) as client:
        resp = await client.get(f"{base_url}/metrics", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip" and "kabar_" in resp.text


async def test_healthz_answers_from_the_event_loop(base_url: str) -> None:
    # The server runs in its own threads; a stalled loop must not look alive. Waiting
    # for the answer with a blocking call holds the loop, as a stuck service would.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        resp = pool.submit(_get_sync, f"{base_url}/healthz").result(timeout=15)
    assert (resp.status_code, resp.text.strip()) == (503, "event_loop_stalled")
    assert (await get(f"{base_url}/healthz")).status_code == 200


def _get_sync(url: str) -> httpx.Response:
    return httpx.get(url, trust_env=False, timeout=10.0)


async def test_stop_releases_the_port(readiness: Readiness) -> None:
    server = ObservabilityServer("127.0.0.1", 0, readiness)
    port = await server.start()
    await server.stop()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    again = ObservabilityServer("127.0.0.1", port, readiness)
    assert await again.start() == port
    await again.stop()
