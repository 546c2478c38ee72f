"""Revisits with the distributed roles as real processes (Tansu, a local site, a real
Redis): two discovery processes share one Redis status, so an article whose feed
announces an update is fetched again once and published once as ``article.updated``;
after both discovery processes are killed with -9 and one is started again, a further
update is still revisited."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import orjson

from kabar.bench.delivery import Cluster, Role, article_gets, read_all
from kabar.bench.delivery_site import _article_html, article_path, serve, write_config
from kabar.broker import EmbeddedBroker
from kabar.demo.server import Page

PER_PORTAL = 5
PORTAL = "warta0"
CHANGED = 3


def until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"not reached: {what}"
        time.sleep(0.2)


def feed(base: str, dates: dict[int, datetime]) -> Page:
    """The portal's RSS with the given publication date per article number."""
    items = "".join(
        f"<item><title>{PORTAL} {n}</title><link>{base}{article_path(PORTAL, n)}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>" for n, when in dates.items())
    return Page(f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
                .encode(), "application/rss+xml; charset=utf-8")


def test_two_discovery_processes_revisit_once_and_after_a_restart(
    broker: EmbeddedBroker, tmp_path: Path, redis_url: str
) -> None:
    server, bases = serve(1, PER_PORTAL)
    base = bases[PORTAL]
    now = datetime.now(UTC).replace(microsecond=0)
    dates = {n: now - timedelta(minutes=10 + n) for n in range(PER_PORTAL)}
    server.routes[f"/{PORTAL}/rss.xml"] = feed(base, dates)
    cluster = Cluster(tmp_path, "revisits", bases, broker.bootstrap, 1,
                      cluster={"status_url": redis_url})
    second = tmp_path / "revisits" / "discovery1"
    second.mkdir()
    config = write_config(second / "kabar.toml", bases, broker.bootstrap,
                          topics=cluster.topics, state_dir=second,
                          redis_prefix=f"kabarbench:revisits:{os.getpid()}:",
                          cluster={"status_url": redis_url})
    cluster.roles["discovery1"] = Role("discovery", config, second / "out.log")
    page = article_path(PORTAL, CHANGED)
    topic = f"{cluster.topics}.articles"

    def events() -> list[dict[str, object]]:
        return [orjson.loads(r.value) for r in asyncio.run(read_all(broker.bootstrap, topic, 1.0))]

    def updates() -> list[dict[str, object]]:
        return [e for e in events() if e.get("type") == "article.updated"]

    def gets() -> int:
        return article_gets(server.requests)[page]

    try:
        cluster.start()
        until(lambda: len(events()) >= PER_PORTAL, 120, "every article published")
        assert gets() == 1

        # An update: new words on the page, a newer date in the feed.
        server.routes[page] = Page(_article_html(f"{PORTAL}-v2", CHANGED, now))
        server.routes[f"/{PORTAL}/rss.xml"] = feed(base, {**dates, CHANGED: now})
        until(lambda: len(updates()) >= 1, 60, "the update published")
        # Both processes polled the feed since (each at least every 4 s) ...
        seen_at = len(server.requests)
        until(lambda: server.requests[seen_at:].count(f"/{PORTAL}/rss.xml") >= 4, 30,
              "the feed polled again, by both")
        assert gets() == 2 and len(updates()) == 1  # ... and it was revisited once

        for name in ("discovery0", "discovery1"):
            cluster.roles[name].kill9()
        cluster.roles["discovery1"].start()
        server.routes[page] = Page(_article_html(f"{PORTAL}-v3", CHANGED, now))
        later = now + timedelta(minutes=1)
        server.routes[f"/{PORTAL}/rss.xml"] = feed(base, {**dates, CHANGED: later})
        until(lambda: len(updates()) >= 2, 90, "the update after the restart published")
        assert gets() == 3
        revisions = [e["revision"] for e in updates()
                     if str(e.get("canonical_url", "")).endswith(page)]
        assert revisions == [2, 3]
        assert len({e["id"] for e in events() if e.get("type") == "article.created"}) \
            == PER_PORTAL
    finally:
        cluster.stop()
        server.stop()
