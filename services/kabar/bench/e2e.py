"""``kabar bench e2e``: the whole service against a bare httpx loop on the same
local site in the same run.

The site (``kabar.bench.e2e_site``: real page templates, distinct texts, a
share of multi-page articles, gzip or brotli as portals serve them; ``--encoding``)
is served by a child process; the embedded broker runs beside it. Then, in this order:

1. a bare httpx loop fetches every page of the site (the yardstick), before and
   after the run (its mean is the yardstick: the machine's load drifts);
2. ``kabar run --once`` crawls it as a subprocess, every portal on its own
   host name (pinned to 127.0.0.1), politeness opened up (no rate limit; the
   default 2 connections per host, since httpcore's pool walks every connection it
   holds, polling each idle one, whenever a request starts or ends); its events are read
   back with a real consumer: pages/s from the first fetch to the last event
   sent, the ratio to the bare loop, articles/s, CPU per article;
3. a paced run while a consumer reads the events as they arrive: a second copy
   of the site answers after ``--paced-latency-ms`` (100 ms, the network's part)
   and ``--paced-rate`` × latency workers crawl it, so pages come at about that
   rate: p50/p99 fetch-to-ack latency (first page fetched → event readable by a
   consumer, an upper bound of the broker's ack; further pages' own 100 ms count);
4. each stage alone on a sample of the articles (all their pages), in this
   process, first uses paid before the clock starts: CPU per article for fetch
   (the body as it came over the wire, as the crawl's event loop has it), decode
   (decompression and charset, done by the extraction process), extract
   (stitching included), dedup + stories, serialize and publish.

It prints the figures against the targets and exits non-zero below any. The
machine's other load counts against every figure alike: compare the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import orjson

from kabar.bench.e2e_site import ENCODINGS, SiteSpec, page_urls, serve_site, site_templates
from kabar.bench.fetch import bare_rate
from kabar.fetch.page import WirePage, decode_page
from kabar.models import FetchRequest

TARGET_RATIO = 0.6
TARGET_ARTICLES_S = 300.0
TARGET_P99_MS = 500.0
HOST_SUFFIX = ".bench.invalid"


@dataclass(frozen=True, slots=True)
class Seen:
    """One article event as a consumer read it."""

    fetched_at: float  # epoch seconds, from the event
    sent_at: float  # the producer's timestamp
    read_at: float  # when the consumer got it
    pages: int
    #: When a crawl process handed the extracted article to its producer (the
    #: extracted-articles record's timestamp; None: one process, no such topic).
    extracted_at: float | None = None
    key: bytes = b""  # the article's canonical URL, as the extracted record's key
    #: The frontier request's URL and portal (from the extracted record): which crawl
    #: process had it.
    url: str = ""
    portal: str = ""


@dataclass(frozen=True, slots=True)
class RunResult:
    seen: list[Seen]
    errors: Counter[str]
    wall_s: float
    cpu_s: float
    returncode: int
    summary: str
    #: How the CPU split between the run's own process and its crawl processes.
    split: str = ""
    #: CPU of what shared the machine with the run meanwhile: the site server, the
    #: broker and this process's consumer (None: not measurable here).
    beside_cpu_s: float | None = None
    #: (epoch seconds, CPU seconds of the run's processes, of what is beside it, of the
    #: run's own process alone) sampled while it ran, for the cores busy in the steady
    #: span alone.
    cpu_samples: tuple[tuple[float, float, float, float], ...] = ()
    #: Pages and idle share of each crawl process ("": one process).
    per_process: str = ""
    #: (epoch seconds, CPU seconds of each of the run's processes by pid) sampled with
    #: ``cpu_samples``, and each pid's role (``_role_of``): which process kept a core busy.
    process_samples: tuple[tuple[float, dict[int, float]], ...] = ()
    roles: dict[int, str] = field(default_factory=dict)

    def span_cores(self) -> tuple[float, float] | None:
        """Cores kept busy from the first fetch to the last send (start-up and the
        drain left out): by the run's processes, and by what is beside it."""
        if not self.seen:
            return None
        start = min(s.fetched_at for s in self.seen)
        end = max(s.sent_at for s in self.seen)
        inside = [x for x in self.cpu_samples if start <= x[0] <= end]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return None
        first, last = inside[0], inside[-1]
        seconds = last[0] - first[0]
        return (last[1] - first[1]) / seconds, (last[2] - first[2]) / seconds

    def span_by_process(self) -> list[tuple[str, float, float]]:
        """CPU seconds each of the run's processes spent from the first fetch to the last
        send, and the cores it kept busy meanwhile, by role (in order of pid within a
        role): does each crawl process and its extraction worker keep a core busy, or
        does one process hold the others up?"""
        if not self.seen:
            return []
        start = min(s.fetched_at for s in self.seen)
        end = max(s.sent_at for s in self.seen)
        inside = [x for x in self.process_samples if start <= x[0] <= end]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return []
        seconds = inside[-1][0] - inside[0][0]
        first, last = inside[0][1], inside[-1][1]
        spent = {pid: cpu - first.get(pid, 0.0) for pid, cpu in last.items()}
        order = {role: k for k, role in enumerate(ROLE_ORDER)}
        pids = sorted(spent, key=lambda p: (order.get(self.roles.get(p, ""), 9), p))
        return [(self.roles.get(pid, "other"), spent[pid], spent[pid] / seconds)
                for pid in pids]

    @property
    def pages(self) -> int:
        return sum(s.pages for s in self.seen)

    @property
    def span_s(self) -> float:
        """First page fetched to the last event sent (the steady crawl, no start-up)."""
        if not self.seen:
            return 0.0
        return max(s.sent_at for s in self.seen) - min(s.fetched_at for s in self.seen)


def default_corpus() -> str:
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        folder = root.parent / "shared" / "corpus" / "idn"
        if folder.is_dir():
            return str(folder)
    return ""


def host_of_template(name: str) -> str:
    return name.replace("_", "-").lower() + HOST_SUFFIX


def write_config(
    folder: Path,
    spec: SiteSpec,
    base: str,
    bootstrap: str,
    topics: dict[str, str],
    *,
    workers: int,
    rate: float,
    burst: int,
    processes: str,
    per_host: int = 2,
    run_slots: bool = True,
) -> Path:
    """A ``kabar run`` config: each template its own portal on its own host name."""
    templates = site_templates(spec)
    port = base.rsplit(":", 1)[1]
    portal_of = {t.name: t.portal for t in templates}
    by_portal: dict[str, list[str]] = {}
    for pages in page_urls(spec, templates, ""):
        name = pages[0].split("/", 2)[1]
        by_portal.setdefault(portal_of[name], []).append(
            f"http://{host_of_template(name)}:{port}{pages[0]}"
        )
    hosts = [f"{host_of_template(t.name)}=127.0.0.1" for t in templates]
    portals = "".join(
        f'[[portals]]\nname = "{name}"\nurls = {orjson.dumps(urls).decode()}\n'
        for name, urls in by_portal.items()
    )
    lines = f"""
[data]
dir = "{folder / "data"}"
archive = "never"
[broker]
bootstrap_servers = "{bootstrap}"
articles_topic = "{topics["articles"]}"
stories_topic = "{topics["stories"]}"
errors_topic = "{topics["errors"]}"
[fetch]
workers = {workers}
allow_private_addresses = true
static_hosts = {orjson.dumps(hosts).decode()}
per_host_rate = {rate}
per_host_burst = {burst}
per_host_concurrency = {per_host}
run_slots = {str(run_slots).lower()}
retries = 0
[discovery]
seen_path = ""
[dedup]
state_path = "{folder / "state.sqlite3"}"
[metrics]
port = 0
[pipeline]
spool_path = "{folder / "spool.jsonl"}"
progress_interval_s = 0
{processes}
[cluster]
frontier_topic = "{topics["articles"]}.frontier"
extracted_topic = "{topics["articles"]}.extracted"
crawl_group = "{topics["articles"]}.crawl"
stories_group = "{topics["articles"]}.stories"
"""
    path = folder / "kabar.toml"
    path.write_text(lines + portals, "utf-8")
    return path


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def _consume(
    bootstrap: str,
    topics: dict[str, str],
    want: int,
    out: list[Seen],
    errors: Counter[str],
    done: asyncio.Event,
) -> None:
    """Read article events as they come until ``want`` arrived or ``done`` and quiet."""
    from aiokafka import AIOKafkaConsumer

    extracted_topic = topics.get("extracted")
    consumer = AIOKafkaConsumer(
        topics["articles"],
        topics["errors"],
        *([extracted_topic] if extracted_topic else []),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
        group_id=None,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    quiet_since: float | None = None
    #: Crawl-side timestamps of the extracted records, by their key (the canonical URL).
    crawled: dict[bytes, tuple[float, str, str]] = {}
    try:
        while len(out) < want:
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
            now = time.time()
            for tp, records in batch.items():
                for record in records:
                    if tp.topic == extracted_topic:
                        request = orjson.loads(record.value or b"{}").get("request") or {}
                        crawled[record.key or b""] = (record.timestamp / 1000,
                                                      str(request.get("url", "")),
                                                      str(request.get("portal", "")))
                        continue
                    if tp.topic == topics["errors"]:
                        reason = orjson.loads(record.value or b"{}").get("reason", "?")
                        errors[str(reason)] += 1
                        continue
                    value = orjson.loads(record.value or b"{}")
                    out.append(
                        Seen(
                            _epoch(value["fetched_at"]),
                            record.timestamp / 1000,
                            now,
                            int(value.get("pages") or 1),
                            key=str(value.get("canonical_url", "")).encode("utf-8")[:512],
                        )
                    )
            if done.is_set():
                quiet_since = quiet_since or now
                if batch:
                    quiet_since = now
                if now - quiet_since > 3.0:
                    break
    finally:
        await consumer.stop()
        # The two topics are read in no set order: pair them up once all is read.
        out[:] = [replace(s, extracted_at=crawled[s.key][0], url=crawled[s.key][1],
                          portal=crawled[s.key][2]) if s.key in crawled else s for s in out]


async def run_kabar(config: Path, bootstrap: str, topics: dict[str, str], want: int) -> RunResult:
    """``kabar run --once`` as a subprocess while a consumer reads what it publishes."""
    from kabar.publish import ensure_topics
    from kabar.settings import BrokerSettings

    # The extracted-articles topic of a run with crawl processes, made here with the
    # run's own partition count, before the consumer's metadata could create it otherwise.
    extra = {topics["extracted"]: 1} if "extracted" in topics else None
    await ensure_topics(
        BrokerSettings(
            articles_topic=topics["articles"],
            stories_topic=topics["stories"],
            errors_topic=topics["errors"],
        ),
        bootstrap,
        extra,
    )
    seen: list[Seen] = []
    errors: Counter[str] = Counter()
    done = asyncio.Event()
    consumer = asyncio.create_task(_consume(bootstrap, topics, want, seen, errors, done))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    beside = bystander_cpu()
    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kabar",
        "run",
        "--once",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "KABAR_PIPELINE__PROGRESS_INTERVAL_S": "0"},
    )
    samples: list[tuple[float, float, float, float]] = []
    by_process: list[tuple[float, dict[int, float]]] = []
    roles: dict[int, str] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_cpu, args=(child.pid, samples, stop, by_process,
                                                         roles), daemon=True)
    sampler.start()
    _, stderr = await child.communicate()
    wall = time.perf_counter() - started
    (config.parent / "run.log").write_bytes(stderr)  # kept with --workdir
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    beside_after = bystander_cpu()
    done.set()
    await consumer
    if child.returncode:
        print(stderr.decode("utf-8", "replace")[-2000:], file=sys.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return RunResult(seen, errors, wall, cpu, child.returncode or 0, _summary(stderr),
                     _line(stderr, "cpu: this process"),
                     None if beside is None or beside_after is None else beside_after - beside,
                     tuple(samples), process_samples=tuple(by_process), roles=roles)


#: How often the CPU of the run's processes is sampled (``RunResult.span_cores``).
CPU_SAMPLE_S = 0.2


#: The roles of a run's processes (``_role_of``), in the order they are printed.
ROLE_ORDER = ("run", "crawl", "extraction", "other")


def _role_of(pid: int) -> str:
    """What a process of the run is, by its command line: the run itself, a crawl
    process, an extraction worker (of the run or of a crawl process), or other."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ")
    except OSError:
        return "other"
    if b"--role crawl" in command:
        return "crawl"
    if b"extract_pool" in command:
        return "extraction"
    return "run" if b" run " in command else "other"


def note_roles(roles: dict[int, str], pids: set[int],
               role_of: Callable[[int], str] = _role_of) -> None:
    """Each process's role read again: a child caught between fork and exec showed its
    parent's command line; one gone since (an empty command line) keeps what it was."""
    for pid in pids:
        role = role_of(pid)
        if role != "other" or pid not in roles:
            roles[pid] = role


def _sample_cpu(root: int, out: list[tuple[float, float, float, float]],
                stop: threading.Event,
                by_process: list[tuple[float, dict[int, float]]] | None = None,
                roles: dict[int, str] | None = None) -> None:
    """Until ``stop``: the CPU of ``root`` with its descendants, and of what is beside it
    (``bystander_cpu`` less ``root``), every ``CPU_SAMPLE_S``; with ``by_process``, each
    process of the tree's own (its role in ``roles``). Nothing where /proc cannot tell."""
    while not stop.wait(CPU_SAMPLE_S):
        table = _process_table()
        if table is None:
            return
        tree = {root}
        grown = True
        while grown:  # the run's children, theirs, and so on
            grown = False
            for pid, (parent, _) in table.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grown = True
        own = resource.getrusage(resource.RUSAGE_SELF)
        me = os.getpid()
        run = sum(cpu for pid, (_, cpu) in table.items() if pid in tree)
        beside = own.ru_utime + own.ru_stime + sum(
            cpu for pid, (parent, cpu) in table.items() if parent == me and pid != root)
        now = time.time()
        out.append((now, run, beside, table.get(root, (0, 0.0))[1]))
        if by_process is not None and roles is not None:
            note_roles(roles, tree)
            by_process.append((now, {pid: table[pid][1] for pid in tree if pid in table}))


def _process_table() -> dict[int, tuple[int, float]] | None:
    """Every process's parent and CPU seconds so far (None where /proc cannot tell)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    table: dict[int, tuple[int, float]] = {}
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        # After the command's closing parenthesis: state, ppid, ...; utime and stime are
        # the 14th and 15th fields of the whole line.
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def bystander_cpu() -> float | None:
    """CPU seconds so far of this process (the consumer) and of its live children (the
    site server, the embedded broker; not a finished ``kabar run``, already reaped):
    what shares the cores with the run. None where /proc cannot tell."""
    table = _process_table()
    if table is None:
        return None
    own = resource.getrusage(resource.RUSAGE_SELF)
    me = os.getpid()
    return own.ru_utime + own.ru_stime + sum(
        cpu for parent, cpu in table.values() if parent == me)


def _summary(stderr: bytes) -> str:
    """The run's "done: ..." line, from plain or JSON log lines."""
    return _line(stderr, "done:") or "(no summary line)"


def _line(stderr: bytes, start: str) -> str:
    """The last line saying ``start...``, from plain or JSON log lines ("": none)."""
    for line in reversed(stderr.decode("utf-8", "replace").splitlines()):
        if start in line:
            return line[line.index(start) :].rstrip('"}')
    return ""


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- each stage alone --------------------------------------------------------------------


async def _fetch_sample(urls: list[str], workers: int) -> tuple[dict[str, WirePage], float]:
    """The pages as the crawl's event loop fetches them (``fetch_wire``: not decoded),
    each template on its own host name as in the runs (an address instead takes httpx's
    slower URL parse: ``client.plain_url``); keyed by the URLs given."""
    from kabar.bench.fetch import bench_settings
    from kabar.fetch import Fetcher
    from kabar.models import FetchRequest

    named = {url: _host_named(url) for url in urls}
    hosts = sorted({f"{url.split('/')[2].rsplit(':', 1)[0]}=127.0.0.1"
                    for url in named.values()})
    settings = replace(bench_settings(workers=workers), static_hosts=hosts)
    got: dict[str, WirePage] = {}
    async with Fetcher(settings) as fetcher:
        await fetcher.fetch(FetchRequest(url=named[urls[0]], portal="bench"))
        cpu = time.process_time()
        sem = asyncio.Semaphore(workers)

        async def one(url: str) -> None:
            async with sem:
                request = FetchRequest(url=named[url], portal="bench")
                _, got[url] = await fetcher.fetch_wire(request)

        await asyncio.gather(*(one(u) for u in urls))
        return got, time.process_time() - cpu


def _host_named(url: str) -> str:
    """``http://127.0.0.1:port/<template>/...`` on its template's host name."""
    scheme, _, authority, path = url.split("/", 3)
    port = authority.rsplit(":", 1)[1]
    return f"{scheme}//{host_of_template(path.split('/', 1)[0])}:{port}/{path}"


async def _publish_cost(bootstrap: str, values: list[bytes]) -> float:
    from kabar.publish import Outgoing, Publisher, ensure_topics
    from kabar.settings import BrokerSettings, PipelineSettings

    settings = BrokerSettings(articles_topic=f"bench.e2e.stage.{uuid.uuid4().hex[:8]}")
    await ensure_topics(settings, bootstrap)
    publisher = Publisher(settings, bootstrap)
    await publisher.start()
    # As many sends at once as the pipeline's publish workers make.
    room = asyncio.Semaphore(PipelineSettings().publish_workers)

    async def send(value: bytes) -> None:
        async with room:
            await publisher.send(Outgoing(settings.articles_topic, b"k", value, []))

    try:
        cpu = time.process_time()
        await asyncio.gather(*(send(v) for v in values))
        return (time.process_time() - cpu) / len(values)
    finally:
        await publisher.stop()


def stage_costs(
    articles: list[list[str]], portals: dict[str, str], bootstrap: str, workers: int
) -> dict[str, float]:
    """CPU seconds per article (all its pages) for each stage alone, in this process."""
    from kabar.dedup import Deduper
    from kabar.dedup.language import detect_language
    from kabar.events import serialize
    from kabar.extract import extract, stitch
    from kabar.models import Article, ArticleEvent, DedupResult
    from kabar.settings import DedupSettings

    count = max(1, len(articles))
    wired, fetch_cpu = asyncio.run(_fetch_sample([u for group in articles for u in group],
                                                 workers))
    # Decompression and the charset pass: the extraction process's, before parsing.
    cpu = time.process_time()
    texts = {url: decode_page(page) for url, page in wired.items()}
    decode_cpu = time.process_time() - cpu
    pages = {url: text.utf8 or text.text.encode("utf-8") for url, text in texts.items()}

    def extracted(url: str) -> Article | None:
        try:  # bytes as the pipeline hands them over: valid UTF-8, vouched for by the fetch
            return extract(pages[url], url, portal=portals.get(url.split("/", 4)[3]), utf8=True)
        except Exception:  # a failing page costs its parse all the same
            return None

    # First uses (portal rules, the language model, compiled patterns: a second or more)
    # are paid before the clock starts, as the service's workers pay them at start-up.
    extracted(articles[0][0])
    cpu = time.process_time()
    done: list[Article] = []
    for group in articles:
        got = [extracted(url) for url in group]
        if got[0] is not None:
            rest = [a for a in got[1:] if a is not None]
            done.append(stitch(got[0], rest) if rest else got[0])
    extract_cpu = time.process_time() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        deduper = Deduper(DedupSettings(store="memory", state_path=str(Path(tmp) / "s")))
        detect_language("Warga desa memperbaiki jalan yang rusak setelah banjir surut.")
        cpu = time.process_time()
        verdicts = [deduper.process(a)[0] for a in done]
        dedup_cpu = time.process_time() - cpu
        deduper.close()
    cpu = time.process_time()
    values = [
        serialize(
            ArticleEvent(
                "art_x",
                "article.created",
                a,
                a.url,
                "bench",
                "2026-01-01T00:00:00Z",
                "0" * 64,
                v or DedupResult("new"),
            ).to_dict()
        )
        for a, v in zip(done, verdicts, strict=True)
    ]
    serialize_cpu = time.process_time() - cpu
    send_cpu = asyncio.run(_publish_cost(bootstrap, values)) if values else 0.0
    return {
        "fetch": fetch_cpu / count,
        "decode": decode_cpu / count,
        "extract": extract_cpu / count,
        "dedup+stories": dedup_cpu / max(1, len(done)),
        "serialize": serialize_cpu / max(1, len(done)),
        "publish": send_cpu,
    }


#: The stages whose work is per page (the rest is per article, stitched).
PAGE_STAGES = ("fetch", "decode", "extract")


def stage_line(costs: dict[str, float], pages: int, articles: int) -> str:
    """The stage costs per article, and per page for the stages that work page by page:
    an article is more than one page on the bench site (a share of multi-page ones), so
    its extract figure is not ``kabar bench extract``'s per-page one."""
    per_page = articles / max(1, pages)
    return (
        f"CPU per article (all its pages: {pages} pages of {articles} articles, "
        f"{pages / max(1, articles):.2f} an article) by stage, each alone in one process: "
        + ", ".join(
            f"{name} {seconds * 1000:.2f} ms"
            + (f" ({seconds * per_page * 1000:.2f} a page)" if name in PAGE_STAGES else "")
            for name, seconds in costs.items()
        )
        + f" (sum {sum(costs.values()) * 1000:.2f} ms)"
    )


# --- the command -------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=int, default=2000, help="articles on the site")
    parser.add_argument(
        "--multi-page-share",
        type=float,
        default=0.2,
        help="share of articles split over several pages (default 0.2)",
    )
    parser.add_argument(
        "--pages-per-article", type=int, default=3, help="pages of a multi-page article (default 3)"
    )
    parser.add_argument("--workers", type=int, default=32, help="fetch workers (and bare loop)")
    parser.add_argument("--encoding", choices=ENCODINGS, default="mixed",
                        help="Content-Encoding the site serves (default mixed: gzip for half "
                        "the templates, brotli for the rest)")
    parser.add_argument(
        "--processes",
        default="auto",
        help="pipeline.processes of the measured run: crawl processes (default auto: one "
        "per core from 4 cores, else every stage in one process); a second run with 1 is "
        "measured beside it when that differs (--compare 0 skips it)",
    )
    parser.add_argument("--compare", type=int, default=1,
                        help="also measure processes=1 in the same run (default 1: yes)")
    parser.add_argument("--full", type=int, default=1,
                        help="the full-speed runs against the bare loop (default 1; 0: only "
                        "the paced and stage figures, no throughput target checked)")
    parser.add_argument(
        "--extract-processes",
        default="",
        help="pipeline.extract_processes for the runs (default: Kabar's own)",
    )
    parser.add_argument(
        "--corpus",
        default=None,
        help="folder of page templates (default ../shared/corpus/idn if present,"
        " else generated pages)",
    )
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=100.0,
        help="pages/s of the latency run, over all hosts (0: skip it)",
    )
    parser.add_argument(
        "--paced-articles", type=int, default=600, help="articles crawled in the latency run"
    )
    parser.add_argument("--paced-latency-ms", type=float, default=100.0,
                        help="server delay per answer in the latency run (default 100)")
    parser.add_argument(
        "--stage-sample", type=int, default=300, help="pages measured stage by stage (0: skip)"
    )
    parser.add_argument("--run-slots", choices=("on", "off"), default="on",
                        help="fetch.run_slots of the runs: each host's slots held for the "
                        "run as a whole across its processes (default on, as Kabar's)")
    parser.add_argument("--workdir", default=None,
                        help="folder for the runs' files, kept after (each run's config, "
                        "data and run.log: its log; default a temporary folder, removed)")
    parser.add_argument("--min-ratio", type=float, default=TARGET_RATIO)
    parser.add_argument("--min-paced-share", type=float, default=0.8,
                        help="share of --paced-rate the latency run must reach")
    parser.add_argument("--min-articles-s", type=float, default=TARGET_ARTICLES_S)
    parser.add_argument("--max-p99-ms", type=float, default=TARGET_P99_MS)


def _pipeline_lines(processes: str, extract: str) -> str:
    lines = [f'processes = "{processes}"']
    if extract:
        lines.append(f'extract_processes = "{extract}"')
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from kabar.broker import EmbeddedBroker
    from kabar.errors import ConfigError
    from kabar.processes import processes_for

    corpus = default_corpus() if args.corpus is None else args.corpus
    spec = SiteSpec(args.articles, args.multi_page_share, args.pages_per_article, corpus,
                    args.encoding)
    templates = site_templates(spec)
    try:
        count = processes_for(args.processes)
    except ConfigError as exc:
        print(f"kabar bench e2e: {exc.detail}", file=sys.stderr)
        return 2
    measured = _pipeline_lines(args.processes, args.extract_processes)
    single = _pipeline_lines("1", args.extract_processes)
    label = (f"processes={args.processes}"
             + (f" ({count} crawl processes beside discovery + stories)" if count > 1
                else " (every stage in one process)"))
    failures: list[str] = []
    keep = args.workdir and Path(args.workdir).resolve()
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    folder = contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory()
    with serve_site(spec) as site, EmbeddedBroker() as broker, folder as tmp:
        urls = [u for pages in page_urls(spec, templates, site.base) for u in pages]
        print(
            f"site: {spec.articles} articles, {site.pages} pages, "
            f"{site.total_bytes / site.pages / 1024:.0f} kB/page on average "
            f"({site.wire_bytes / site.pages / 1024:.0f} kB as served: {spec.encoding}), "
            f"{len(templates)} templates ({'corpus ' + corpus if corpus else 'generated'}), "
            f"{spec.multi_page_share:.0%} of articles on {spec.pages_per_article} pages; "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} before the run"
        )
        print(f"measured: {label}" + ("; compared with processes=1 in the same run"
                                      if args.compare and count > 1 else ""))
        if args.full:
            _full_runs(args, spec, site.base, site.pages, urls, broker.bootstrap, Path(tmp),
                       measured, single, label, count, failures)

        if args.paced_rate > 0:
            _paced(args, spec, corpus, broker.bootstrap, measured, Path(tmp), failures, label)
            if args.compare and count > 1:
                _paced(args, spec, corpus, broker.bootstrap, single, Path(tmp) / "single",
                       None, "processes=1")

        if args.stage_sample > 0:
            sample = page_urls(spec, templates, site.base)[: args.stage_sample]
            portals = {t.name: t.portal for t in templates}
            costs = stage_costs(sample, portals, broker.bootstrap, args.workers)
            print(stage_line(costs, sum(map(len, sample)), len(sample)))
    print("targets: " + ("all met" if not failures else "BELOW TARGET: " + "; ".join(failures)))
    print("(ratios and rates come from one run on a machine other work shares: compare ratios)")
    return 1 if failures else 0


def _full_runs(args: argparse.Namespace, spec: SiteSpec, base_url: str, pages: int,
               urls: list[str], bootstrap: str, tmp: Path, measured: str, single: str,
               label: str, count: int, failures: list[str]) -> RunResult | None:
    """The full-speed runs (measured, and processes=1 beside it) bracketed by the bare
    loop; their figures checked against the targets. Returns the processes=1 run."""
    bare_before = asyncio.run(bare_rate(urls, args.workers))
    print(f"bare httpx loop: {bare_before:.0f} pages/s ({pages} pages, "
          f"{args.workers} workers, one host)")

    def full(pipeline: str, name: str) -> RunResult:
        return _run(tmp / name, spec, base_url, bootstrap, args.workers, 1e9, 1_000_000,
                    pipeline, spec.articles, run_slots=args.run_slots == "on")

    run = full(measured, "full")
    base = full(single, "single") if args.compare and count > 1 else None
    bare_after = asyncio.run(bare_rate(urls, args.workers))
    bare = (bare_before + bare_after) / 2  # the machine's load drifts: bracket the runs
    print(f"bare httpx loop again after the runs: {bare_after:.0f} pages/s; "
          f"yardstick {bare:.0f} pages/s")
    ratio, articles_s = _report_run(f"kabar run --once {label}", run, bare, spec)
    if base is not None:
        base_ratio, base_articles_s = _report_run("kabar run --once processes=1", base,
                                                  bare, spec)
        print(f"processes={args.processes} against processes=1: ratio {ratio:.2f} vs "
              f"{base_ratio:.2f}, {articles_s:.0f} vs {base_articles_s:.0f} articles/s "
              f"(×{articles_s / base_articles_s if base_articles_s else 0:.2f})")
    _check(failures, "ratio to bare httpx", ratio, args.min_ratio, higher=True)
    _check(failures, "articles/s", articles_s, args.min_articles_s, higher=True)
    if len(run.seen) < spec.articles:
        failures.append(f"only {len(run.seen)} of {spec.articles} articles published")
    return base


def _report_run(name: str, run: RunResult, bare: float, spec: SiteSpec) -> tuple[float, float]:
    """Print one full run's figures; its ratio to the bare loop and articles/s."""
    pages_s = run.pages / run.span_s if run.span_s else 0.0
    articles_s = len(run.seen) / run.span_s if run.span_s else 0.0
    ratio = pages_s / bare if bare else 0.0
    print(
        f"{name}: {pages_s:.0f} pages/s = {ratio:.2f}× bare, {articles_s:.0f} articles/s "
        f"({len(run.seen)} articles of {spec.articles}, {run.pages} pages, "
        f"dead letters: {dict(run.errors) or 'none'}) over {run.span_s:.1f} s first fetch "
        f"→ last send; "
        f"{run.wall_s:.1f} s with start-up; exit {run.returncode}"
    )
    print(f"  its summary: {run.summary}")
    if run.split:
        print(f"  {run.split}")
    if run.per_process:
        print(f"  {run.per_process}")
    cores = run.cpu_s / run.wall_s if run.wall_s else 0.0
    per_article = run.cpu_s / max(1, len(run.seen)) * 1000
    print(
        f"  CPU: {run.cpu_s:.1f} s = {per_article:.1f} ms per article "
        f"(start-up included, all its processes), {cores:.2f} cores busy on average"
    )
    if run.cpu_samples:
        main = max(x[3] for x in run.cpu_samples)  # the last samples may miss it (exited)
        print(f"  of which the run's own process (its event loop and threads; not its "
              f"extraction or crawl processes) {main:.1f} s = "
              f"{main / max(1, len(run.seen)) * 1000:.1f} ms per article (last sample)")
    if run.beside_cpu_s is not None and run.wall_s:
        beside = run.beside_cpu_s
        print(f"  beside it: site server, broker and this bench's consumer {beside:.1f} s CPU "
              f"= {beside / max(1, len(run.seen)) * 1000:.1f} ms per article; all together "
              f"{(run.cpu_s + beside) / run.wall_s:.2f} of {os.cpu_count()} cores busy "
              f"(the rest: idle, or taken by other work on the machine)")
    span = run.span_cores()
    if span is not None:
        print(f"  in the steady span alone (first fetch → last send, start-up and drain left "
              f"out): Kabar {span[0]:.2f} cores, beside it {span[1]:.2f}, together "
              f"{sum(span):.2f} of {os.cpu_count()}")
    by_process = run.span_by_process()
    if by_process:
        print("  its processes in the steady span (cores busy, CPU ms per article): " + ", ".join(
            f"{role} {cores:.2f} ({cpu / len(run.seen) * 1000:.1f})"
            for role, cpu, cores in by_process))
    return ratio, articles_s


def _paced(args: argparse.Namespace, spec: SiteSpec, corpus: str, bootstrap: str,
           processes: str, tmp: Path, failures: list[str] | None, label: str) -> None:
    """The latency run: a site that answers after ``--paced-latency-ms`` (a network
    stand-in) crawled by rate × latency workers, so pages arrive at about the asked
    rate, politeness limits aside; fetch-to-ack read from the events as they come."""
    paced = SiteSpec(min(args.paced_articles, spec.articles), spec.multi_page_share,
                     spec.pages_per_article, corpus, spec.encoding)
    latency_s = args.paced_latency_ms / 1000
    workers = max(1, round(args.paced_rate * latency_s))
    with serve_site(paced, latency_s) as site:
        run = _run(tmp / "paced", paced, site.base, bootstrap, workers, 1e9, 1_000_000,
                   processes, paced.articles, run_slots=args.run_slots == "on")
    lags = [(s.read_at - s.fetched_at) * 1000 for s in run.seen]
    multi = [(s.read_at - s.fetched_at) * 1000 for s in run.seen if s.pages > 1]
    rate = run.pages / run.span_s if run.span_s else 0.0
    p99 = _percentile(lags, 0.99)
    print(f"paced run, {label} ({args.paced_rate:.0f} pages/s asked: {workers} workers, "
          f"{args.paced_latency_ms:.0f} ms per answer; {rate:.0f} pages/s reached, "
          f"{len(run.seen)} articles): fetch-to-ack p50 {_percentile(lags, 0.5):.0f} ms, "
          f"p99 {p99:.0f} ms; multi-page articles p50 {_percentile(multi, 0.5):.0f} ms, "
          f"p99 {_percentile(multi, 0.99):.0f} ms")
    inside = [(s.sent_at - s.fetched_at) * 1000 for s in run.seen]
    after = [(s.read_at - s.sent_at) * 1000 for s in run.seen]
    print(f"  of which fetch → handed to the producer p50 {_percentile(inside, 0.5):.0f} ms, "
          f"p99 {_percentile(inside, 0.99):.0f} ms; producer → consumer p50 "
          f"{_percentile(after, 0.5):.0f} ms, p99 {_percentile(after, 0.99):.0f} ms")
    split = [s for s in run.seen if s.extracted_at is not None]
    if split:
        crawl = [(s.extracted_at - s.fetched_at) * 1000 for s in split if s.extracted_at]
        stories = [(s.sent_at - s.extracted_at) * 1000 for s in split if s.extracted_at]
        crawl_multi = [(s.extracted_at - s.fetched_at) * 1000 for s in split
                       if s.extracted_at and s.pages > 1]
        crawl_single = [(s.extracted_at - s.fetched_at) * 1000 for s in split
                        if s.extracted_at and s.pages == 1]
        print(f"  fetch → extracted record sent by a crawl process p50 "
              f"{_percentile(crawl, 0.5):.0f} ms, p99 {_percentile(crawl, 0.99):.0f} ms "
              f"(single-page p50 {_percentile(crawl_single, 0.5):.0f} ms, p99 "
              f"{_percentile(crawl_single, 0.99):.0f} ms; multi-page p50 "
              f"{_percentile(crawl_multi, 0.5):.0f} ms, p99 "
              f"{_percentile(crawl_multi, 0.99):.0f} ms); extracted record → article sent by "
              f"the stories stage p50 {_percentile(stories, 0.5):.0f} ms, p99 "
              f"{_percentile(stories, 0.99):.0f} ms ({len(split)} articles paired)")
    print(f"  load average {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores; "
          f"waits for a core count in every figure above)")
    if failures is None:  # a comparison: no target
        return
    _check(failures, "p99 fetch-to-ack ms", p99, args.max_p99_ms, higher=False)
    if rate < args.min_paced_share * args.paced_rate:
        failures.append(f"paced run reached {rate:.0f} of {args.paced_rate:.0f} pages/s")


def _run(
    folder: Path,
    spec: SiteSpec,
    base: str,
    bootstrap: str,
    workers: int,
    rate: float,
    burst: int,
    processes: str,
    want: int,
    *,
    run_slots: bool = True,
) -> RunResult:
    folder.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    topics = {k: f"bench.e2e.{tag}.{k}" for k in ("articles", "stories", "errors")}
    config = write_config(
        folder,
        spec,
        base,
        bootstrap,
        topics,
        workers=workers,
        rate=rate,
        burst=burst,
        processes=processes,
        run_slots=run_slots,
    )
    if 'processes = "1"' not in processes:  # crawl processes: their topic is read too
        topics["extracted"] = f"{topics['articles']}.extracted"
    run = asyncio.run(run_kabar(config, bootstrap, topics, want))
    return replace(run, per_process=per_process(config, run))


def per_process(config: Path, run: RunResult) -> str:
    """Pages each crawl process had (by the frontier partition of its articles'
    requests, as the run's own partitioner and shares place them) and how long each
    sat idle at the end of the steady span, while another still worked."""
    from kabar.processes import processes_for, share_partitions, split_hosts
    from kabar.settings import load_settings
    from kabar.wire import FrontierPartitioner, frontier_key

    settings = load_settings(config)
    count = processes_for(settings.pipeline.processes)
    split = [s for s in run.seen if s.extracted_at is not None and s.url]
    if count < 2 or not split:
        return ""
    split_hosts(settings, None, count)
    shards = settings.cluster.host_shards
    partitioner = FrontierPartitioner(settings.portals, shards)
    partitions = list(range(settings.cluster.frontier_partitions))
    owner = {p: i for i, share in enumerate(share_partitions(len(partitions), count))
             for p in share}
    pages, last = [0] * count, [0.0] * count
    for seen in split:
        key = frontier_key(FetchRequest(seen.url, seen.portal), shards)
        child = owner[partitioner(key, partitions, partitions)]
        pages[child] += seen.pages
        last[child] = max(last[child], seen.extracted_at or 0.0)
    start = min(s.fetched_at for s in split)
    busy = [t - start for t in last]
    idle = sum(max(busy) - b for b in busy) / (max(busy) * count) if max(busy) > 0 else 0.0
    return (f"crawl processes ({shards} shard{'s' if shards > 1 else ''} a host): pages "
            + " / ".join(map(str, pages)) + ", last article extracted at "
            + " / ".join(f"{b:.1f}" for b in busy) + f" s; idle share at the end {idle:.0%}")


def _check(failures: list[str], name: str, value: float, target: float, *, higher: bool) -> None:
    ok = value >= target if higher else value <= target
    if not ok:
        failures.append(f"{name} {value:.2f} (target {'≥' if higher else '≤'} {target:g})")
