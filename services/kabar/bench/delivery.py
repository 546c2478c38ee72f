"""`kabar bench delivery`: the distributed roles under faults, on one machine.

A generated local site (several portals, each its own host), a Tansu broker
reached only through a TCP proxy this bench controls, Redis for the URL status,
and ``kabar run --role ...`` processes: discovery, N crawl workers, the stories
stage. Two phases:

1. scaling: the crawl group with 1 worker, then with N, over the same site (its
   pages answer after a fixed delay, so the site is not the bottleneck and CPU
   stays low); pages/s from the extracted topic's own timestamps, and the ratio
   to N × one worker.
2. faults: N workers; one crawl worker ``kill -9``-ed and restarted, the stories
   stage ``kill -9``-ed and restarted, the broker cut off for ``--outage-s`` at
   the proxy. Then every article must be on the articles topic once per content
   version: ``lost`` (URLs without an article event), ``duplicated`` (an article
   with events of more than one ``ce_id``, i.e. differing in more than delivery),
   ``double_fetches`` (pages fetched more than once); re-sends of the same event
   (same ``ce_id``, allowed on a broker without transactions) are counted apart.
   Stories are checked against a single in-process replay of the same stream.

The last line is ``lost=N duplicated=N double_fetches=N`` with the throughput
and scaling ratio; the exit status is non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from kabar.bench.delivery_site import concurrent_fetches, serve, write_config
from kabar.broker import free_port, tansu_binary

SCALING_TARGET = 0.8
REBALANCE_TARGET_S = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--portals", type=int, default=12, help="portals (hosts) on the site")
    parser.add_argument("--per-portal", type=int, default=25, help="articles per portal")
    parser.add_argument("--workers", type=int, default=3, help="crawl workers")
    parser.add_argument("--outage-s", type=float, default=60.0, help="broker cut-off at the proxy")
    parser.add_argument("--page-delay-s", type=float, default=0.25,
                        help="the site's answer time per page (scaling phase); at 0.1 s three "
                        "workers need more CPU than a shared 2-core machine has")
    parser.add_argument("--crawl-s", type=float, default=90.0,
                        help="faults phase: per-host rate set so crawling takes about this long")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                        help="Redis for the URL status (keys under a bench-only prefix)")
    parser.add_argument("--skip-scaling", action="store_true", help="faults phase only")
    parser.add_argument("--skip-faults", action="store_true", help="scaling phase only")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")


# --- the broker behind a proxy ---------------------------------------------------------
class Proxy:
    """A TCP forwarder on 127.0.0.1; ``cut`` drops every connection and refuses new ones."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.open = True
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Proxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer),
                             return_exceptions=True)
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        def close_all() -> None:
            self.open = False
            for writer in list(self._writers):
                writer.close()

        self._loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self.open = True


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


class Broker:
    """Tansu listening on one port and advertising the proxy's."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.proxy = Proxy(self.port)
        url, advertised = f"tcp://127.0.0.1:{self.port}", f"tcp://127.0.0.1:{self.proxy.port}"
        self._proc = subprocess.Popen(
            [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url",
             advertised], stdout=open(workdir / "tansu.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": "warn"})
        self.proxy.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                import socket

                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            time.sleep(0.05)
        raise RuntimeError("tansu did not start")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.proxy.port}"

    def stop(self) -> None:
        self._proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(5)
        if self._proc.poll() is None:
            self._proc.kill()


# --- the role processes ------------------------------------------------------------------
@dataclass
class Role:
    role: str
    config: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log_mark: int = 0

    def says_since_start(self, text: str) -> bool:
        with open(self.log, "rb") as fh:
            fh.seek(self.log_mark)
            return text.encode() in fh.read()

    def ready(self) -> bool:
        marker = {"crawl": "frontier partitions assigned",
                  "stories": "stories stage resumes"}.get(self.role, "producer connected")
        return self.says_since_start(marker)

    def start(self) -> None:
        self.log_mark = self.log.stat().st_size if self.log.exists() else 0
        self.starts += 1
        out = open(self.log, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kabar", "run", "--role", self.role, "--config",
             str(self.config)], stdout=out, stderr=subprocess.STDOUT, cwd=self.config.parent)

    def kill9(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout_s: float = 60.0) -> float:
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return time.monotonic() - started


@dataclass
class Cluster:
    workdir: Path
    name: str
    bases: dict[str, str]
    bootstrap: str
    workers: int
    cluster: dict[str, object] = field(default_factory=dict)
    fetch: dict[str, object] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)

    def __post_init__(self) -> None:
        prefix = f"kabarbench:{self.name}:{os.getpid()}:"
        for role, count in (("stories", 1), ("crawl", self.workers), ("discovery", 1)):
            for n in range(count):
                d = self.workdir / self.name / f"{role}{n}"
                d.mkdir(parents=True)
                cfg = write_config(d / "kabar.toml", self.bases, self.bootstrap,
                                   topics=f"bench.{self.name}", state_dir=d,
                                   redis_prefix=prefix, cluster=self.cluster,
                                   fetch=self.fetch)
                self.roles[f"{role}{n}"] = Role(role, cfg, d / "out.log")

    @property
    def topics(self) -> str:
        return f"bench.{self.name}"

    def start(self, *names: str) -> None:
        for name in names or tuple(self.roles):
            self.roles[name].start()

    def stop(self) -> dict[str, float]:
        return {name: role.stop() for name, role in self.roles.items()}

    def assigned_after(self, moment: float, names: list[str]) -> float | None:
        """First time one of ``names`` logged a partition assignment after ``moment``."""
        times = []
        for name in names:
            for line in self.roles[name].log.read_text(errors="replace").splitlines():
                if "frontier partitions assigned" not in line:
                    continue
                with contextlib.suppress(ValueError, KeyError):
                    at = _ts(orjson.loads(line)["ts"])
                    if at > moment:
                        times.append(at)
        return min(times) if times else None


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


# --- reading what was published ------------------------------------------------------------
async def read_all(bootstrap: str, topic: str, idle_s: float = 3.0) -> list[Any]:
    """Every record of ``topic`` from the beginning, until nothing new for ``idle_s``."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                isolation_level="read_committed")  # as consumers should
    await consumer.start()
    records: list[Any] = []
    last = time.monotonic()
    try:
        while time.monotonic() - last < idle_s:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                records.extend(messages)
                if messages:
                    last = time.monotonic()
    finally:
        await consumer.stop()
    return records


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    print(f"  (gave up waiting: {what})", file=sys.stderr)
    return False


def article_gets(site_requests: list[str]) -> Counter[str]:
    return Counter(p for p in site_requests if "/berita/" in p)


# --- phases --------------------------------------------------------------------------------
def assigned_partitions(role: Role) -> list[int]:
    """The partitions a crawl worker last said it owns."""
    last: list[int] = []
    for line in role.log.read_text(errors="replace").splitlines():
        if "frontier partitions assigned" in line:
            with contextlib.suppress(ValueError, KeyError):
                last = list(orjson.loads(line)["partitions"])
    return last


def shares(cluster: Cluster, bases: dict[str, str], records: list[Any]) -> list[tuple[int, int]]:
    """Per crawl worker: the portals its partitions hold and the pages it extracted."""
    from kabar.models import FetchRequest
    from kabar.settings import ClusterSettings, PortalConfig
    from kabar.wire import FrontierPartitioner, decode_extracted, frontier_key

    partitioner = FrontierPartitioner([PortalConfig(name, urls=[base + "/"])
                                       for name, base in bases.items()])
    partitions = list(range(ClusterSettings().frontier_partitions))
    place = {name: partitioner(frontier_key(FetchRequest(base + "/", name)), partitions,
                               partitions) for name, base in bases.items()}
    pages = Counter(decode_extracted(r.value).request.portal for r in records)
    out = []
    for name, role in cluster.roles.items():
        if name.startswith("crawl"):
            owned = set(assigned_partitions(role))
            mine = [p for p, at in place.items() if at in owned]
            out.append((len(mine), sum(pages[p] for p in mine)))
    return out


def hashed_split(portals: int, workers: int) -> str:
    """How Kafka's key hash and round-robin assignment would share the portals out."""
    from aiokafka.partitioner import DefaultPartitioner

    from kabar.settings import ClusterSettings

    partitions = list(range(ClusterSettings().frontier_partitions))
    hashed = DefaultPartitioner()
    per_worker = Counter(hashed(f"warta{n}.test".encode(), partitions, partitions) % workers
                         for n in range(portals))
    counts = sorted((per_worker[w] for w in range(workers)), reverse=True)
    return "/".join(map(str, counts)) + f", bound {portals / workers / counts[0]:.2f}"


def scaling(workdir: Path, broker: Broker, args: argparse.Namespace) -> tuple[float, float]:
    """Pages/s of the crawl group with 1 worker and with N (fresh topics each)."""
    rates = []
    hashed = hashed_split(args.portals, args.workers)
    print(f"scaling: {args.portals} portals (one host each) spread over the frontier's "
          "partitions in config order (FrontierPartitioner), so each crawl worker owns "
          f"{args.portals // args.workers}-{-(-args.portals // args.workers)} of them "
          f"(hashing the keys, Kafka's default, would split them {hashed}); "
          f"load average before: {_load()}", flush=True)
    for workers in (1, args.workers):
        server, bases = serve(args.portals, args.per_portal, delay_s=args.page_delay_s)
        total = args.portals * args.per_portal
        cluster = Cluster(workdir, f"scale{workers}", bases, broker.bootstrap, workers,
                          cluster={"status_url": args.redis_url}, fetch={"workers": 2})
        cluster.start(*[n for n in cluster.roles if not n.startswith("discovery")])
        crawlers = [n for n in cluster.roles if n.startswith("crawl")]
        wait_for(lambda c=cluster, names=crawlers: all(  # type: ignore[misc]
            "frontier partitions assigned" in c.roles[n].log.read_text(errors="replace")
            for n in names), 60, "crawl group formed")
        cluster.start("discovery0")
        wait_for(lambda s=server, t=total: len(article_gets(s.requests)) >= t,  # type: ignore[misc]
                 300, "all fetched")
        cpu = cpu_seconds(cluster)
        records = asyncio.run(read_all(broker.bootstrap, f"{cluster.topics}.extracted"))
        split = shares(cluster, bases, records)
        cluster.stop()
        server.stop()
        stamps = sorted(r.timestamp for r in records)
        span = max(1e-3, (stamps[-1] - stamps[0]) / 1000) if len(stamps) > 1 else 1.0
        rates.append((len(stamps) - 1) / span)
        print(f"scaling: {workers} crawl worker(s): {len(records)} pages extracted, "
              f"{rates[-1]:.1f} pages/s; portals/pages per worker: "
              + " ".join(f"{n}/{p}" for n, p in split)
              + f"; load average: {_load()}", flush=True)
        crawl_cpu = sum(v for k, v in cpu.items() if k.startswith("crawl"))
        print(f"scaling: CPU seconds of the roles: crawl {crawl_cpu:.1f} "
              f"({crawl_cpu / max(1, len(records)) * 1000:.0f} ms a page), stories "
              f"{cpu.get('stories0', 0.0):.1f}, discovery {cpu.get('discovery0', 0.0):.1f}",
              flush=True)
        if workers > 1 and split:
            most = max(n for n, _ in split)
            print(f"scaling: bound from the split alone: {args.portals / workers / most:.2f} "
                  f"(the busiest worker owns {most} of {args.portals} portals); the rest is "
                  "CPU (2 shared cores: extraction, the broker, the site) and the per-host "
                  f"answer time ({args.page_delay_s:.2f} s a page, 2 fetches at a time)",
                  flush=True)
    return rates[0], rates[1]


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def cpu_seconds(cluster: Cluster) -> dict[str, float]:
    """CPU time (user + system) each running role process has used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for name, role in cluster.roles.items():
        if role.proc is None or role.proc.poll() is not None:
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{role.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / tick
    return out


@dataclass
class Faults:
    lost: int
    duplicated: int
    resent: int
    double_fetches: int
    refetched: int
    rebalance_s: float | None
    stories_match: bool
    articles: int
    shutdown_s: dict[str, float]
    #: What the stories stage said it runs: "transactions" or "at-least-once".
    stories_mode: str = ""


def faults(workdir: Path, broker: Broker, args: argparse.Namespace) -> Faults:
    server, bases = serve(args.portals, args.per_portal)
    total = args.portals * args.per_portal
    # Slow enough (per-host rate) that the faults happen mid-run.
    rate = max(0.2, args.per_portal / args.crawl_s)
    cluster = Cluster(workdir, "faults", bases, broker.bootstrap, args.workers,
                      cluster={"requeue_after_s": 30.0, "sweep_interval_s": 5.0,
                               "status_url": args.redis_url},
                      fetch={"per_host_rate": rate, "per_host_burst": 1})
    cluster.start()

    def gets() -> int:
        return len(article_gets(server.requests))

    wait_for(lambda: gets() >= total // 5, 300, "a fifth fetched")
    killed_at = time.time()
    cluster.roles["crawl0"].kill9()
    print(f"faults: crawl0 killed -9 at {gets()}/{total} pages", flush=True)
    survivors = [n for n in cluster.roles if n.startswith("crawl") and n != "crawl0"]
    wait_for(lambda: cluster.assigned_after(killed_at, survivors) is not None, 90,
             "partitions moved")
    moved = cluster.assigned_after(killed_at, survivors)
    rebalance_s = None if moved is None else moved - killed_at
    cluster.roles["crawl0"].start()
    wait_for(cluster.roles["crawl0"].ready, 90, "crawl0 back in the group")
    wait_for(lambda: gets() >= total * 2 // 5, 300, "two fifths fetched")
    cluster.roles["stories0"].kill9()
    print(f"faults: stories killed -9 at {gets()}/{total} pages; restarted", flush=True)
    cluster.roles["stories0"].start()
    wait_for(cluster.roles["stories0"].ready, 90, "stories stage back")
    wait_for(lambda: gets() >= total // 2, 300, "half fetched")
    broker.proxy.cut()
    print(f"faults: broker cut off for {args.outage_s:.0f} s at {gets()}/{total} pages",
          flush=True)
    time.sleep(args.outage_s)  # the outage itself: a fault being played, not a wait for state
    broker.proxy.restore()
    print("faults: broker back", flush=True)
    articles_topic = f"{cluster.topics}.articles"

    def published() -> int:
        return len({r.key for r in asyncio.run(read_all(broker.bootstrap, articles_topic, 1.0))})

    wait_for(lambda: gets() >= total, 300, "all fetched")
    wait_for(lambda: published() >= total, 300, "all published")
    shutdown = cluster.stop()
    records = asyncio.run(read_all(broker.bootstrap, articles_topic))
    extracted = asyncio.run(read_all(broker.bootstrap, f"{cluster.topics}.extracted"))
    server_gets = article_gets(server.requests)
    overlapping = concurrent_fetches(server.intervals, "/berita/")
    server.stop()
    ids: dict[bytes, set[bytes]] = {}
    for record in records:
        ce_id = dict(record.headers).get("ce_id", b"")
        ids.setdefault(record.key, set()).add(ce_id)
    expected = {_url_key(base + f"/{portal}/berita/{n}")
                for portal, base in bases.items() for n in range(args.per_portal)}
    lost = len(expected - set(ids))
    duplicated = sum(1 for key in ids if len(ids[key]) > 1)
    resent = len(records) - sum(len(v) for v in ids.values())
    stories_log = cluster.roles["stories0"].log.read_text(errors="replace")
    mode = ("transactions" if "Kafka transactions (exactly-once" in stories_log
            else "at-least-once" if "at-least-once" in stories_log else "unknown")
    return Faults(lost, duplicated, resent, overlapping,
                  sum(1 for c in server_gets.values() if c > 1), rebalance_s,
                  _stories_match(records, extracted), len(ids), shutdown, mode)


def _url_key(url: str) -> bytes:
    from kabar.events import kafka_key

    return kafka_key(url)


def _stories_match(records: list[Any], extracted: list[Any]) -> bool:
    """The published story of each article equals a one-process replay of the stream."""
    from kabar.dedup import Deduper
    from kabar.dedup.eventtime import parse_time
    from kabar.pipeline import _canonical
    from kabar.settings import DedupSettings
    from kabar.wire import decode_extracted

    deduper = Deduper(DedupSettings(store="memory"))
    replayed: dict[str, str | None] = {}
    for message in extracted:
        item = decode_extracted(message.value)
        result = item.result()
        import dataclasses

        article = dataclasses.replace(item.article,
                                      canonical_url=_canonical(item.article, result.final_url))
        verdict, _ = deduper.process(article, when=parse_time(result.fetched_at))
        if verdict.verdict != "unchanged" and verdict.article_id is not None:
            replayed.setdefault(verdict.article_id, verdict.story_id)
    published: dict[str, str | None] = {}
    for record in records:
        event = orjson.loads(record.value)
        published.setdefault(event["id"], event.get("story_id"))
    return published == replayed


def main(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kabar-bench-delivery-"))
    broker = Broker(workdir)
    print(f"bench delivery: {args.portals} portals × {args.per_portal} pages, "
          f"{args.workers} crawl workers, Tansu behind a proxy at {broker.bootstrap}; "
          f"work dir {workdir}", flush=True)
    try:
        one = many = 0.0
        if not args.skip_scaling:
            one, many = scaling(workdir, broker, args)
        if args.skip_faults:
            ratio = many / (args.workers * one) if one else 0.0
            print(f"pages_per_s_1={one:.1f} pages_per_s_{args.workers}={many:.1f} "
                  f"scaling={ratio:.2f} (target {SCALING_TARGET})", flush=True)
            return 0 if ratio >= SCALING_TARGET else 1
        result = faults(workdir, broker, args)
    finally:
        broker.stop()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    ratio = many / (args.workers * one) if one else 0.0
    rebalance = "n/a" if result.rebalance_s is None else f"{result.rebalance_s:.1f}"
    print(f"faults: stories stage ran {result.stories_mode} (Tansu has no transactions)")
    print(f"faults: {result.articles} articles published; re-sent with the same ce_id: "
          f"{result.resent}; stories equal to a one-process replay: {result.stories_match}; "
          f"pages fetched again later (in flight in the killed worker, or after the outage): "
          f"{result.refetched}")
    print(f"faults: a killed worker's partitions moved after {rebalance} s "
          f"(target {REBALANCE_TARGET_S:.0f} s); shutdown s: "
          + " ".join(f"{k}={v:.1f}" for k, v in result.shutdown_s.items()))
    print(f"lost={result.lost} duplicated={result.duplicated} "
          f"double_fetches={result.double_fetches} pages_per_s_1={one:.1f} "
          f"pages_per_s_{args.workers}={many:.1f} scaling={ratio:.2f}", flush=True)
    ok = (result.lost == 0 and result.duplicated == 0 and result.double_fetches == 0
          and result.stories_match
          and (args.skip_scaling or ratio >= SCALING_TARGET)
          and result.rebalance_s is not None and result.rebalance_s <= REBALANCE_TARGET_S)
    return 0 if ok else 1
