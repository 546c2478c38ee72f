"""Slow and silent URLs on a healthy portal's own host cost only their own slots:
30 articles beside 6 URLs answering 1 byte/s and 4 never answering, on the same
local server, in the long-running mode, with the real fetcher, fetch queue and
extractor. Each bad URL ends on the dead-letter topic with its reason."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from kabar.fetch.client import Fetcher
from kabar.http import ObservabilityServer
from kabar.models import FetchRequest
from kabar.settings import Settings
from tests.fetch.server import LocalServer, Reply, html_reply
from tests.fetch.test_fetch_fairness import (
    Recorder,
    article_html,
    make_pipeline,
    one_byte_per_second,
    probe_healthz,
    settings_for,
    until,
)

GOOD, SLOW, SILENT = 30, 6, 4
HOST = "sehat.test"


def _settings(tmp_path: Path) -> Settings:
    settings = settings_for(tmp_path)
    f = settings.fetch
    f.static_hosts = [f"{HOST}=127.0.0.1"]
    # The host's rate, not its slots, bounds the healthy portal alone (about 6 s).
    f.per_host_rate = 5.0
    f.per_host_burst = 2
    f.read_timeout_s = 1.5
    f.total_timeout_s = 30.0  # the rate guard, not this, must cut a dribbling body
    f.slow_after_s = 0.3
    f.transfer_grace_s = 1.0
    f.min_transfer_rate = 1024.0
    settings.pipeline.fetch_queue_size = 50
    return settings


def _serve(server: LocalServer) -> None:
    for i in range(GOOD):
        server.route(f"/berita/{i}", html_reply(article_html(i)))
    for i in range(SLOW):
        server.route(f"/lambat/{i}", one_byte_per_second)
    for i in range(SILENT):
        server.route(f"/diam/{i}", Reply(200, b"", delay_s=60.0))


async def _publish(tmp_path: Path, server: LocalServer, bad: bool) -> tuple[float, dict[str, str]]:
    """Seconds until all healthy articles are published, and each bad URL's dead-letter
    reason once all of them have one."""
    settings = _settings(tmp_path)
    requests = []
    if bad:  # the bad URLs first: the worst order for the healthy ones
        requests += [FetchRequest(server.url(f"/lambat/{i}", HOST), "sehat") for i in range(SLOW)]
        requests += [FetchRequest(server.url(f"/diam/{i}", HOST), "sehat")
                     for i in range(SILENT)]
    requests += [FetchRequest(server.url(f"/berita/{i}", HOST), "sehat") for i in range(GOOD)]
    sender = Recorder()
    worst: list[float] = []
    probing = asyncio.Event()

    async def ready() -> tuple[bool, str]:
        return True, "ok"

    observability = ObservabilityServer("127.0.0.1", 0, ready)
    probe = asyncio.create_task(probe_healthz(await observability.start(), worst, probing))
    articles, errors = settings.broker.articles_topic, settings.broker.errors_topic
    async with Fetcher(settings.fetch) as fetcher:
        pipe = make_pipeline(settings, fetcher, requests, sender)
        loop = asyncio.get_running_loop()
        started = loop.time()
        run = asyncio.create_task(pipe.run())
        await until(lambda: len(sender.topics(articles)) == GOOD, 60)
        elapsed = loop.time() - started
        expected = SLOW + SILENT if bad else 0
        await until(lambda: len(sender.topics(errors)) >= expected, 30)
        pipe.request_stop()
        await run
    probing.set()
    await probe
    await observability.stop()
    assert worst and max(worst) < 1.0, f"/healthz answered in up to {max(worst):.2f}s"
    reasons = {}
    for record in sender.topics(errors):
        event = orjson.loads(record.value)
        reasons[event["url"].rsplit(":", 1)[-1].split("/", 1)[-1]] = event["reason"]
    return elapsed, reasons


async def test_slow_urls_on_the_portals_own_host_leave_its_articles_flowing(
    tmp_path: Path,
) -> None:
    with LocalServer() as server:
        _serve(server)
        alone, none = await _publish(tmp_path / "alone", server, bad=False)
        beside, reasons = await _publish(tmp_path / "beside", server, bad=True)
        slow_hits = [len(server.hits(f"/lambat/{i}")) for i in range(SLOW)]
        silent_hits = [len(server.hits(f"/diam/{i}")) for i in range(SILENT)]
    assert none == {}
    assert beside <= 2 * alone + 1.0, f"alone {alone:.2f}s, beside slow URLs {beside:.2f}s"
    assert reasons == {
        **{f"lambat/{i}": "too_slow" for i in range(SLOW)},
        **{f"diam/{i}": "timeout" for i in range(SILENT)},
    }
    # A dribbling body is cut once and given up (not tried again this run); a silent
    # URL is tried again later through the queue, retries + 1 times in all.
    assert slow_hits == [1] * SLOW
    assert silent_hits == [2] * SILENT
