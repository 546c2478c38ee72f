"""Assembling and running the whole service: broker (embedded or external),
producer, fetcher, discovery, dedup, observability server and the pipeline,
started in order and stopped in reverse, whatever happens in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from kabar import metrics, statefile
from kabar.broker import EmbeddedBroker
from kabar.claims import LocalClaims
from kabar.errors import ConfigError, FetchError
from kabar.extract_pool import ExtractPool
from kabar.extract_pool import processes_for as extract_processes_for
from kabar.fetch import Fetcher
from kabar.fetch.runshare import RunShare, from_environment
from kabar.frontier import FrontierSource, RedisSeen, RedisStatus
from kabar.htmlguard import HtmlLimits
from kabar.http import ObservabilityServer
from kabar.kafka_security import client_options
from kabar.models import Article, FetchRequest
from kabar.pipeline import Components, Pipeline, Sources
from kabar.processes import (
    METRICS_FILE_ENV,
    export_metrics,
    processes_for,
    run_processes,
    split_hosts,
)
from kabar.publish import AckHook, Internal, Publisher, ensure_topics, limit_client_logs
from kabar.roles import (
    ROLES,
    CrawlPipeline,
    DiscoveryPipeline,
    StoriesStage,
    cluster_topics,
    worker_id,
)
from kabar.settings import Settings
from kabar.urls import host_of
from kabar.wire import FrontierPartitioner

if TYPE_CHECKING:
    # Imported where used: a crawl process neither dedups nor discovers, and with
    # extraction processes it neither extracts nor detects languages itself; each
    # of these costs every process start CPU and memory (the dedup store, NumPy,
    # the parsers, the language model).
    from kabar.dedup import Deduper

log = logging.getLogger("kabar.service")


@contextlib.asynccontextmanager
async def broker_bootstrap(
    settings: Settings, say: Callable[[str], None] = print
) -> AsyncIterator[str]:
    """Yield the bootstrap servers, starting the embedded broker when none is set."""
    if settings.broker.bootstrap_servers:
        yield settings.broker.bootstrap_servers
        return
    broker = EmbeddedBroker(settings.broker.embedded_host, settings.broker.embedded_port,
                            storage=settings.broker.embedded_storage)
    await asyncio.to_thread(broker.start)
    kept = ("in memory: events are gone when it stops; set broker.bootstrap_servers for Kafka"
            if broker.storage.startswith("memory:") else f"storage {broker.storage}")
    say(f"embedded Kafka-protocol broker (Tansu) listening on {broker.bootstrap} ({kept})")
    try:
        yield broker.bootstrap
    finally:
        await asyncio.to_thread(broker.stop)
        say("embedded broker stopped")


def _extract(html: str, url: str, portal: str) -> Article:
    from kabar.extract import extract

    return extract(html, url, portal=portal)


def _stitch(first: Article, rest: Sequence[Article]) -> Article:
    from kabar.assembly import stitch  # not kabar.extract: a crawl process has no extractor

    return stitch(first, rest)


def _content_hash(paragraphs: Sequence[str]) -> str:
    from kabar.dedup import content_hash

    return content_hash(paragraphs)


def _detect_language(text: str) -> str | None:
    from kabar.dedup.language import detect_language

    return detect_language(text)


ReadyHook = Callable[[Pipeline, str], None]


@dataclasses.dataclass(frozen=True, slots=True)
class _Run:
    """What every way of running shares: settings, the started producer, and how
    the caller hears of it."""

    settings: Settings
    publisher: Publisher
    once: bool
    say: Callable[[str], None]
    on_ready: ReadyHook | None

    async def supervise(self, pipeline: Pipeline, *, once: bool | None = None) -> Counter[str]:
        return await _supervise(self.settings, pipeline, self.publisher,
                                self.once if once is None else once, self.say, self.on_ready)


async def run_service(
    settings: Settings,
    *,
    once: bool,
    say: Callable[[str], None] = print,
    on_ready: ReadyHook | None = None,
    on_ack: AckHook | None = None,
    role: str | None = None,
    partitions: Sequence[int] | None = None,
) -> Counter[str]:
    """Run the pipeline (or one ``role`` of it) until ``once`` completes or
    SIGINT/SIGTERM; return counts.

    ``pipeline.processes`` above 1 runs the crawl stage in that many processes
    (``kabar.processes``); ``partitions`` makes a crawl role own those frontier
    partitions (static assignment, no Redis: how those processes run).
    ``on_ack`` sees every record the broker acknowledged (the event archive, ``-o``)."""
    if role is not None and role not in ROLES:
        raise ConfigError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if role is not None and not settings.broker.bootstrap_servers:
        raise ConfigError(f"--role {role} needs [broker] bootstrap_servers: the roles of "
                          "one deployment share a broker")
    if partitions is not None and role != "crawl":
        raise ConfigError("--partitions goes with --role crawl")
    processes = 1 if role is not None else _processes(settings)
    split_hosts(settings, role, processes)
    limit_client_logs(settings.pipeline.outage_log_interval_s)
    async with broker_bootstrap(settings, say) as bootstrap:
        split = role is not None or processes > 1
        await ensure_topics(settings.broker, bootstrap, cluster_topics(settings) if split else None)
        publisher = Publisher(settings.broker, bootstrap, on_ack=on_ack, partitioner=(
            FrontierPartitioner(settings.portals, settings.cluster.host_shards) if split
            else None), internal=Internal(frozenset(cluster_topics(settings)),
                                          settings.cluster.compression_type) if split else None)
        await publisher.start()
        try:
            run = _Run(settings, publisher, once, say, on_ready)
            if processes > 1:
                return await run_processes(run, processes)
            if role is None:
                return await _run_with_publisher(run)
            return await _run_role(role, run, partitions)
        finally:
            await publisher.stop()


def _processes(settings: Settings) -> int:
    count = processes_for(settings.pipeline.processes)
    if count > 1 and not settings.dedup.enabled:
        raise ConfigError("pipeline.processes above 1 needs dedup.enabled = true: the "
                          "stories stage of this process is what publishes the articles")
    return count


async def _run_role(role: str, run: _Run, partitions: Sequence[int] | None = None
                    ) -> Counter[str]:
    settings = run.settings
    run.say(f"role {role}: {worker_id(role)}")
    if partitions is not None:  # one of the crawl processes of a `kabar run --processes N`
        return await _run_crawl(run, None, partitions)
    if role == "stories":
        from kabar.dedup import Deduper

        deduper = Deduper(settings.dedup)
        try:
            async with Fetcher(settings.fetch) as fetcher:
                parts = _parts(run, fetcher, _NoSources(), deduper)
                stage = StoriesStage(settings, parts, run.publisher.bootstrap)
                return await run.supervise(stage, once=False)
        finally:
            deduper.close()
    status = RedisStatus(settings.cluster, worker_id(role))
    try:
        if role == "crawl":
            return await _run_crawl(run, status)
        return await _run_discovery(run, status)
    finally:
        status.close()


async def _run_crawl(run: _Run, status: RedisStatus | None,
                     partitions: Sequence[int] | None = None) -> Counter[str]:
    """A crawl worker: in the consumer group with the shared status (``status``), or
    owning fixed ``partitions`` alone, without Redis (``kabar.processes``: one run's
    crawl processes; the run's own discovery claims its URLs, the stories stage's
    dedup calls a page fetched twice unchanged)."""
    settings = run.settings
    settings.pipeline.spool_path = ""  # the frontier offset is the durable work here
    source = FrontierSource(settings.cluster, run.publisher.bootstrap, worker_id("crawl"),
                            client_options(settings.broker), partitions)
    beat = (asyncio.create_task(_heartbeat(status, settings.cluster.heartbeat_interval_ms))
            if status is not None else None)
    exported = os.environ.get(METRICS_FILE_ENV) if partitions is not None else None
    export = asyncio.create_task(export_metrics(exported)) if exported else None
    share = from_environment() if partitions is not None else _redis_share(settings, False)
    try:
        async with _fetcher(settings, share) as fetcher, _extract_pool(settings) as pool:
            parts = dataclasses.replace(_parts(run, fetcher, source, None),
                                        claims=status, extract_pool=pool)
            pipeline = CrawlPipeline(settings, parts)
            pipeline.status = status
            pipeline.on_request_done = source.done
            return await run.supervise(pipeline, once=False)
    finally:
        if share is not None:
            share.close()
        if beat is not None:
            beat.cancel()
        if export is not None:
            export.cancel()
            await asyncio.gather(export, return_exceptions=True)


async def _heartbeat(status: RedisStatus, interval_ms: int) -> None:
    """Say this worker is alive, so its fetch leases hold while it lives."""
    interval_s = max(0.2, interval_ms / 1000)
    while True:
        await asyncio.to_thread(status.heartbeat, interval_s * 4)
        await asyncio.sleep(interval_s)


async def _run_discovery(run: _Run, status: RedisStatus) -> Counter[str]:
    from kabar.discovery import Discovery

    settings = run.settings
    seen = RedisSeen(status, 2 * settings.discovery.max_age_hours * 3600)  # shared
    share = _redis_share(settings, True)
    try:
        async with _fetcher(settings, share) as fetcher:
            holder: list[Pipeline] = []
            discovery = Discovery(settings.portals, settings.discovery, fetcher, seen,
                                  on_error=_source_error_hook(holder), claims=status)
            pipeline = DiscoveryPipeline(settings, _parts(run, fetcher, discovery, None))
            pipeline.status, pipeline.seen = status, seen
            holder.append(pipeline)
            sweeper = asyncio.create_task(pipeline.sweep())
            try:
                return await run.supervise(pipeline)
            finally:
                sweeper.cancel()
    finally:
        share.close()
        seen.close()


def _redis_share(settings: Settings, discovery: bool) -> RunShare:
    """The distributed roles' shared politeness, in their Redis (``fetch.redisshare``)."""
    cluster = settings.cluster
    return RunShare.redis(cluster.status_url, f"{cluster.status_prefix}polite:",
                          discovery=discovery)


def _source_error_hook(
    holder: list[Pipeline],
) -> Callable[[str, str, Exception], Awaitable[None]]:
    """Dead-letter a source that failed, and count the distinct ones (`kabar run`
    exits non-zero when every source failed)."""
    failed: set[str] = set()

    async def on_source_error(url: str, portal: str, exc: Exception) -> None:
        if holder and isinstance(exc, FetchError):
            failed.add(url)
            holder[0].counts["sources_failed"] = len(failed)
            await holder[0].source_error(url, portal, exc)

    return on_source_error


def _parts(run: _Run, fetcher: Fetcher, sources: Sources, deduper: Deduper | None) -> Components:
    return Components(
        fetcher=fetcher, sources=sources, sender=run.publisher, extract=_extract, stitch=_stitch,
        content_hash=_content_hash, deduper=deduper, detect_language=_detect_language,
    )


class _NoSources:
    """The stories stage reads a topic, not sources."""

    async def poll_once(self) -> list[FetchRequest]:
        return []

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None:
        await stop.wait()


async def _run_with_publisher(run: _Run) -> Counter[str]:
    from kabar.dedup import Deduper
    from kabar.discovery import Discovery, SeenStore

    settings = run.settings
    seen = SeenStore(settings.discovery.seen_path, settings.discovery.seen_max_entries)
    deduper = Deduper(settings.dedup) if settings.dedup.enabled else None
    try:
        async with _fetcher(settings) as fetcher, _extract_pool(settings) as pool:
            holder: list[Pipeline] = []
            # URLs are marked seen only once what was published for them is acknowledged.
            discovery = Discovery(settings.portals, settings.discovery, fetcher, seen,
                                  on_error=_source_error_hook(holder), claims=LocalClaims(seen))
            parts = dataclasses.replace(_parts(run, fetcher, discovery, deduper),
                                        claims=discovery.claims, extract_pool=pool)
            pipeline = Pipeline(settings, parts)
            holder.append(pipeline)
            return await run.supervise(pipeline)
    finally:
        try:
            if deduper is not None:
                deduper.close()
        finally:
            seen.close()


@contextlib.asynccontextmanager
async def _extract_pool(settings: Settings) -> AsyncIterator[ExtractPool | None]:
    """Extraction processes per ``pipeline.extract_processes`` (None: in a thread here)."""
    try:
        size = extract_processes_for(settings.pipeline.extract_processes)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if size == 0:
        yield None
        return
    e = settings.extract
    limits = HtmlLimits(e.max_html_bytes, e.max_html_depth, e.max_html_options)
    async with ExtractPool(size, settings.pipeline.extract_timeout_s, limits) as pool:
        yield pool


@contextlib.asynccontextmanager
async def _fetcher(settings: Settings, share: RunShare | None = None
                   ) -> AsyncIterator[Fetcher]:
    """The fetcher, with each portal's own rate on its hosts (``share``: the
    politeness of a run of several processes)."""
    async with Fetcher(settings.fetch, share=share) as fetcher:
        apply_portal_rates(fetcher, settings)
        yield fetcher


def apply_portal_rates(fetcher: Fetcher, settings: Settings) -> None:
    """A portal's own ``rate`` applies to every host its sources name."""
    for portal in settings.portals:
        if portal.rate is None:
            continue
        urls = [*portal.feeds, *portal.sitemaps, *portal.sections, *portal.urls]
        for host in {host_of(u) for u in urls} - {""}:
            fetcher.limiter.set_rate(host, portal.rate)


async def _supervise(
    settings: Settings,
    pipeline: Pipeline,
    publisher: Publisher,
    once: bool,
    say: Callable[[str], None],
    on_ready: ReadyHook | None,
) -> Counter[str]:
    server = await _observe(settings, lambda: pipeline.running, "pipeline", publisher, say)
    if pipeline.parts.extract_pool is None or pipeline.parts.deduper is not None:
        # Load the language model now, not inside the first article's latency. With
        # extraction processes and no dedup here (a crawl process) languages are told
        # there: the model (~70 MB) loads here only if an article ever needs it.
        await asyncio.to_thread(_detect_language, "Kabar siap menerima berita hari ini.")
    _install_signal_handlers(pipeline.request_stop)
    progress = asyncio.create_task(_progress(pipeline, settings, say))
    try:
        if on_ready is not None:
            on_ready(pipeline, publisher.bootstrap)
        return await pipeline.run(once=once)
    finally:
        progress.cancel()
        _remove_signal_handlers()
        if server is not None:
            await server.stop()


async def _observe(
    settings: Settings, running: Callable[[], bool], what: str, publisher: Publisher,
    say: Callable[[str], None], registry: CollectorRegistry = metrics.REGISTRY,
) -> ObservabilityServer | None:
    """Serve /metrics and /ready (ready: ``what`` runs and the broker answers)."""
    if not settings.metrics.enabled:
        return None

    async def ready() -> tuple[bool, str]:
        if not running():
            return False, f"{what} not running"
        if not await publisher.healthy():
            return False, "broker unreachable"
        return True, "ok"

    server = ObservabilityServer(settings.metrics.host, settings.metrics.port, ready, registry)
    port = await server.start()
    say(f"metrics on http://{settings.metrics.host}:{port}/metrics")
    return server


def _install_signal_handlers(stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)


def _remove_signal_handlers() -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(sig)


async def _progress(pipeline: Pipeline, settings: Settings, say: Callable[[str], None]) -> None:
    interval_s = settings.pipeline.progress_interval_s
    if interval_s <= 0:
        return
    while True:
        await asyncio.sleep(interval_s)
        say(format_counts(pipeline.counts, settings, pipeline))


def format_counts(
    counts: Counter[str], settings: Settings, pipeline: Pipeline | None = None
) -> str:
    """One progress/summary line: stage counts and events published per topic."""
    b = settings.broker
    line = (f"fetched={counts['fetched']} extracted={counts['extracted']} "
            f"unchanged={counts['unchanged']} failed={counts['errors']} "
            f"articles={counts['published:' + b.articles_topic]} "
            f"stories={counts['published:' + b.stories_topic]} "
            f"errors={counts['published:' + b.errors_topic]}")
    if counts["crawl_restarts"]:  # crawl processes that died and were started again
        line += f" crawl_restarts={counts['crawl_restarts']}"
    state_errors = statefile.write_errors()
    if state_errors:  # writes are retried, not dropped; the count says the disk failed
        line += f" state_write_errors={state_errors}"
    if pipeline is not None:
        line += (f" queues: fetch={pipeline.fetch_q.qsize()} extract={pipeline.extract_q.qsize()}"
                 f" publish={pipeline.publish_q.qsize()}")
    return line
