"""The crawl processes of ``kabar run --processes N``, and the run that orchestrates
them (``run_processes``): one machine's cores all work.

One ``kabar run`` keeps discovery and the stories stage (dedup, stories, publish)
in its own process and starts N crawl processes beside it: each is ``kabar run
--role crawl --partitions …`` of this interpreter, the crawl role of a
distributed deployment, joined to the rest by the same Kafka topics (the
frontier in, the extracted articles out). Each child owns a fixed share of the
frontier's partitions (static assignment: no consumer-group rebalance, which
takes seconds on the embedded broker); each host's requests are on as many
partitions as it has shares of its politeness budget (``split_hosts``). What
one process learns of a host holds for the whole run, through a folder of the run
(``kabar.fetch.runshare``): a Retry-After pauses the host in every process, robots.txt
is fetched once, and discovery's requests come off the crawl processes' shares.

A child that dies is visible (a log line with its exit code, a count in the
summary) and started again on the same partitions: it resumes from their
committed offsets, and an offset is committed only once everything made from
its record is acknowledged, so the dead child's unfinished work is done again,
never lost (the stories stage's dedup calls a page it already published
unchanged). A child failing again and again right after its start (a broken
installation, a bad setting) ends the run instead of looping.

Each child writes its metrics to a file of the run's folder every few seconds
(``export_metrics``); the run's /metrics merges them with its own
(``metrics.RunMetrics``), so an operator sees the whole run's fetches and
extractions on one port.

On a stop, children get SIGTERM and drain as a crawl role does (intake stops,
in-flight work finishes within ``pipeline.drain_timeout_s``, offsets are
committed); one still alive after the deadline is killed. Children die with
this process (``PR_SET_PDEATHSIG``), so none outlives a killed run.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import logging
import os
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from kabar import metrics, stagewatch
from kabar.broker import _die_with_parent
from kabar.claims import LocalClaims
from kabar.errors import ConfigError, KabarError
from kabar.fetch.runshare import SHARED_DIR_ENV, RunShare
from kabar.logs import log_event
from kabar.settings import Settings

if TYPE_CHECKING:
    from kabar.pipeline import Pipeline
    from kabar.roles import DiscoveryPipeline, GroupLag, StoriesStage
    from kabar.service import _Run

log = logging.getLogger("kabar.processes")

#: Where a crawl process writes its metrics for the run's /metrics (set per child).
METRICS_FILE_ENV = "KABAR_CRAWL_METRICS_FILE"
#: ... every this often, and once more when it ends.
METRICS_EXPORT_S = 5.0

#: The run's shared politeness (``kabar.fetch.runshare``), in its folder.
SHARED_FOLDER = "share"

#: A child that exits within this long of its start counts as failing to start ...
QUICK_EXIT_S = 10.0
#: ... and this many such exits in a row end the run.
MAX_QUICK_EXITS = 3


#: Cores from which "auto" splits the crawl off into processes. The split costs CPU of
#: its own for every article (the frontier and extracted-articles hops through the
#: broker, a consumer and a producer in each process, the broker's share): on 2 cores
#: (``kabar bench e2e``, both in the same run, four runs at load 4-15) the split took
#: 10.3-14.9 ms of CPU an article (Kabar's and beside it), the one process 9.4-11.6;
#: articles/s on the shared machine 39/44/114/82 against 72/52/115/75. The one
#: process's event loop (~4 ms an article) is its own limit at about 250 articles/s,
#: which the split's CPU passes only from about 4 cores.
AUTO_SPLIT_CORES = 4


def processes_for(setting: str, cores: int | None = None) -> int:
    """Crawl processes for ``pipeline.processes``: "auto" (one per core from
    ``AUTO_SPLIT_CORES`` cores, else every stage in one process), or a number.
    1 is the one-process service (no crawl children)."""
    value = setting.strip().lower()
    if value == "auto":
        count = max(1, cores if cores is not None else (os.cpu_count() or 1))
        return count if count >= AUTO_SPLIT_CORES else 1
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"pipeline.processes = {setting!r}: 'auto' (one crawl process per "
                          "core) or a number ≥ 1")
    return int(value)


def share_partitions(partitions: int, processes: int) -> list[tuple[int, ...]]:
    """Each process's frontier partitions: round robin, so the hosts (which go to
    distinct partitions in config order) are shared out evenly."""
    count = max(1, min(processes, partitions))
    return [tuple(range(i, partitions, count)) for i in range(count)]


def split_hosts(settings: Settings, role: str | None, processes: int) -> None:
    """Each host's frontier records split over as many keys as crawl processes
    (``cluster.host_shards``), so every process gets its share of every host's pages:
    portals are not equally busy (on the bench site one process had 2,078 pages and
    the other 1,288, one portal alone 1,030), and with whole portals a process idled
    while the other finished its portals. A crawl process then keeps to
    ``1/host_shards`` of each host's politeness budget (``fetch.host_share``). No more
    shards than the host's concurrency and burst allow: each share is at least one
    slot and one request, and the shares together must stay within the host's."""
    fetch, cluster = settings.fetch, settings.cluster
    most = min(fetch.per_host_concurrency, fetch.per_host_burst)
    if cluster.host_shards == 0:  # auto
        cluster.host_shards = max(1, min(processes, most)) if processes > 1 else 1
    if cluster.host_shards > most and (role == "crawl" or processes > 1):
        raise ConfigError(
            f"cluster.host_shards = {cluster.host_shards} splits each host over more "
            f"crawl workers than fetch.per_host_concurrency ({fetch.per_host_concurrency}) "
            f"and fetch.per_host_burst ({fetch.per_host_burst}) can be shared out among")
    if role == "crawl":
        fetch.host_share = min(fetch.host_share, 1.0 / cluster.host_shards)


class ChildFailed(KabarError):
    """A crawl process keeps failing right after its start."""

    stage = "run"
    default_reason = "crawl_process_failed"


@dataclasses.dataclass(slots=True)
class _Child:
    index: int
    partitions: tuple[int, ...]
    proc: asyncio.subprocess.Process | None = None
    started: float = 0.0
    generation: int = 0
    quick_exits: int = 0


class CrawlProcesses:
    """Starts, watches, restarts and stops the crawl children of one run."""

    def __init__(
        self, settings: Settings, bootstrap: str, count: int, workdir: Path,
        say: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.workdir = workdir
        self.say = say
        shares = share_partitions(settings.cluster.frontier_partitions, count)
        self.children = [_Child(i, share) for i, share in enumerate(shares)]
        #: Set when a child keeps failing: the run must end (``failure`` says why).
        self.failed = asyncio.Event()
        self.failure = ""
        self.restarts = 0
        self._stopping = False
        self._watchers: list[asyncio.Task[None]] = []
        self._config = workdir / "crawl.toml"

    # --- start and watch --------------------------------------------------------------------
    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._config.write_text(child_config(self.settings, len(self.children)), "utf-8")
        for child in self.children:
            await self._spawn(child)
            self._watchers.append(asyncio.create_task(self._watch(child)))
        self.say(f"{len(self.children)} crawl processes: "
                 + ", ".join(f"pid {c.proc.pid if c.proc else '?'} partitions "
                             f"{','.join(map(str, c.partitions))}" for c in self.children))

    def _report(self, child: _Child) -> Path:
        return self.workdir / f"crawl-{child.index}-{child.generation}.counts.json"

    def _metrics_file(self, child: _Child) -> Path:
        return self.workdir / f"crawl-{child.index}-{child.generation}.prom"

    def metric_files(self) -> list[tuple[Path, bool]]:
        """Every metrics file the children wrote, with whether its writer is alive (a
        restarted child's predecessor's counts stay part of the run's)."""
        live = {self._metrics_file(c) for c in self.children
                if c.proc is not None and c.proc.returncode is None}
        return [(path, path in live) for path in sorted(self.workdir.glob("crawl-*.prom"))]

    async def _spawn(self, child: _Child) -> None:
        child.generation += 1
        command = [sys.executable, "-m", "kabar", "run", "--role", "crawl",
                   "--config", str(self._config),
                   "--partitions", ",".join(map(str, child.partitions)),
                   "--report", str(self._report(child))]
        env = self._environment()
        env[METRICS_FILE_ENV] = str(self._metrics_file(child))
        env[SHARED_DIR_ENV] = str(self.workdir / SHARED_FOLDER)
        child.proc = await asyncio.create_subprocess_exec(
            *command, env=env, stdin=asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_parent(),
        )
        child.started = time.monotonic()

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
        if stagewatch.enabled():  # a debugging aid: the children sample their stages too
            env[stagewatch.ENV] = os.environ[stagewatch.ENV]
        # The settings file holds the effective config; the secret it masks comes here.
        b = self.settings.broker
        if b.sasl_password:
            env["KABAR_BROKER__SASL_PASSWORD"] = b.sasl_password
        env["KABAR_BROKER__BOOTSTRAP_SERVERS"] = self.bootstrap
        return env

    async def _watch(self, child: _Child) -> None:
        while True:
            proc = child.proc
            assert proc is not None
            code = await proc.wait()
            if self._stopping:
                return
            lived = time.monotonic() - child.started
            child.quick_exits = child.quick_exits + 1 if lived < QUICK_EXIT_S else 0
            log_event(log, "WARNING", "a crawl process exited; starting it again on its "
                      "partitions (it resumes from their committed offsets)",
                      process=child.index, pid=proc.pid, exit_code=code,
                      partitions=list(child.partitions), lived_s=round(lived, 1))
            if child.quick_exits >= MAX_QUICK_EXITS:
                self.failure = (f"crawl process {child.index} exited {child.quick_exits} times "
                                f"within {QUICK_EXIT_S:g} s of its start (last exit code {code}; "
                                "see its log above)")
                self.failed.set()
                return
            self.restarts += 1
            await self._spawn(child)

    # --- stop --------------------------------------------------------------------------------
    async def stop(self, deadline_s: float) -> None:
        """SIGTERM every child, wait for their drain, kill those past the deadline."""
        self._stopping = True
        live = [c.proc for c in self.children if c.proc is not None
                and c.proc.returncode is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        waits = [asyncio.create_task(p.wait()) for p in live]
        if waits:
            _, late = await asyncio.wait(waits, timeout=deadline_s)
            for proc in live:
                if proc.returncode is None:
                    log_event(log, "WARNING", "a crawl process did not stop in time; killed",
                              pid=proc.pid, deadline_s=deadline_s)
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        for task in self._watchers:
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)

    def exit_codes(self) -> list[int | None]:
        return [c.proc.returncode if c.proc else None for c in self.children]

    def counts(self) -> Counter[str]:
        """What the children counted (every generation that lived to report)."""
        total: Counter[str] = Counter()
        for path in sorted(self.workdir.glob("crawl-*.counts.json")):
            with contextlib.suppress(OSError, ValueError):
                total.update({str(k): int(v) for k, v in orjson.loads(path.read_bytes()).items()})
        return total


async def export_metrics(path: str) -> None:
    """In a crawl process: write this process's metrics for the run's /metrics every
    ``METRICS_EXPORT_S``, and once more when cancelled (the last counts)."""
    target = Path(path)
    try:
        while True:
            metrics.write_exposition(target)
            await asyncio.sleep(METRICS_EXPORT_S)
    finally:
        with contextlib.suppress(OSError):
            metrics.write_exposition(target)


def child_config(settings: Settings, children: int = 1) -> str:
    """The effective settings as TOML for a crawl child: its own metrics off (one port
    per run), no progress lines (the run prints its own), ``fetch.workers`` (the run's
    concurrent fetches of new articles) and ``extract_processes = "auto"`` (the cores)
    shared out among the children (one extraction process each on 2 cores and 2
    children); further pages of articles under way at the run's pace. Extraction
    stays in worker processes, not a thread of the child, for their parse time limit:
    a hostile page costs one worker, not a crawl process."""
    from kabar.commands.config import to_toml
    from kabar.settings import archive_enabled

    child = _copy(settings)
    child.metrics.enabled = False
    child.pipeline.progress_interval_s = 0
    child.pipeline.processes = "1"
    child.fetch.workers = max(1, -(-settings.fetch.workers // children))
    # Articles under way are finished at the run's pace, whichever child has them:
    # portals are not equally busy, and a child's share would hold up its pages.
    child.pipeline.pages_in_flight = settings.pipeline.pages_in_flight or settings.fetch.workers
    if child.pipeline.extract_processes.strip().lower() in ("auto", ""):
        # Each one costs start-up CPU (imports, the language model) whether used or not;
        # a child with one to a core's share was as fast in the paced run as with two.
        child.pipeline.extract_processes = str(max(1, (os.cpu_count() or 1) // children))
    # The run's archive gets the children's dead letters (appended line by line).
    child.data.archive = "always" if archive_enabled(settings) else "never"
    return to_toml(child)


def _copy(settings: Settings) -> Settings:
    import copy

    return copy.deepcopy(settings)


def parse_partitions(text: str) -> Sequence[int]:
    try:
        parts = [int(p) for p in text.split(",") if p.strip()]
    except ValueError as exc:
        raise ConfigError(f"--partitions {text!r}: frontier partition numbers, "
                          "comma-separated") from exc
    if not parts or min(parts) < 0:
        raise ConfigError(f"--partitions {text!r}: frontier partition numbers, "
                          "comma-separated")
    return parts


# --- the run: discovery and the stories stage here, the crawl in the children ------------


async def run_processes(run: _Run, count: int) -> Counter[str]:
    """``pipeline.processes`` > 1: discovery and the stories stage here, the crawl stage
    in ``count`` child processes (``kabar.processes``), joined by the roles' topics.

    ``--once`` ends when discovery's pass is on the frontier, the crawl processes
    have committed past all of it (so all they made is acknowledged), and the
    stories stage has consumed and published everything they made. A stop
    (SIGINT/SIGTERM) ends intake, lets the children drain, then the stories stage
    takes in what they made, each within ``pipeline.drain_timeout_s``."""
    from kabar.dedup import Deduper
    from kabar.discovery import Discovery, SeenStore
    from kabar.roles import DiscoveryPipeline, GroupLag, StoriesStage
    from kabar.service import _fetcher, _NoSources, _parts, _source_error_hook

    settings = run.settings
    seen = SeenStore(settings.discovery.seen_path, settings.discovery.seen_max_entries)
    deduper = Deduper(settings.dedup)
    # Discovery claims; the stories stage marks done on ack, settling the request.
    claims = _Finishing(seen)
    b, c = settings.broker, settings.cluster
    fresh = not b.bootstrap_servers and b.embedded_storage.startswith("memory:")
    lag = GroupLag(settings, run.publisher.bootstrap, c.crawl_group, c.frontier_topic,
                   c.frontier_partitions)
    extracted = GroupLag(settings, run.publisher.bootstrap, c.stories_group,
                         c.extracted_topic, 1)
    try:
        with tempfile.TemporaryDirectory(prefix="kabar-crawl-") as workdir:
            # Discovery's share of the hosts' politeness: pauses and robots.txt shared,
            # its requests charged to the crawl processes (``kabar.fetch.runshare``).
            share = RunShare.open(Path(workdir) / SHARED_FOLDER, discovery=True)
            try:
                async with _fetcher(settings, share) as fetcher:
                    holder: list[Pipeline] = []
                    discovery = Discovery(settings.portals, settings.discovery, fetcher, seen,
                                          on_error=_source_error_hook(holder), claims=claims)
                    front = DiscoveryPipeline(copy.deepcopy(settings), dataclasses.replace(
                        _parts(run, fetcher, discovery, None), claims=claims))
                    # Requests stay journaled until the stories stage is done with their URL.
                    front.hold = front.journal_outlives_run = True
                    claims.front = front
                    holder.append(front)
                    stories = StoriesStage(copy.deepcopy(settings), dataclasses.replace(
                        _parts(run, fetcher, _NoSources(), deduper), claims=claims),
                        run.publisher.bootstrap, fresh=fresh)
                    children = CrawlProcesses(settings, run.publisher.bootstrap, count,
                                              Path(workdir), run.say)
                    try:
                        counts = await _orchestrate(run, front, stories, children, lag,
                                                    extracted)
                    finally:
                        front.close_journal()
            finally:
                share.close()
    finally:
        try:
            deduper.close()
        finally:
            seen.close()
    return counts


class _Finishing(LocalClaims):
    """The run's claims: a URL done (what the stories stage made of it acknowledged,
    or unchanged) also settles discovery's journaled request for it."""

    front: DiscoveryPipeline | None = None

    def done(self, canonical: str) -> None:
        super().done(canonical)
        if self.front is not None:
            self.front.finished(canonical)


async def _orchestrate(
    run: _Run, front: DiscoveryPipeline, stories: StoriesStage, children: CrawlProcesses,
    lag: GroupLag, extracted: GroupLag,
) -> Counter[str]:
    from prometheus_client import CollectorRegistry

    from kabar.metrics import RunMetrics
    from kabar.service import (
        _install_signal_handlers,
        _observe,
        _progress,
        _remove_signal_handlers,
    )

    settings = run.settings
    stopping = asyncio.Event()

    def request_stop() -> None:
        stopping.set()
        front.request_stop()

    # The run's /metrics: its own and its crawl processes' (fetch, extract), merged.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunMetrics(children.metric_files))
    server = await _observe(settings, lambda: stories.running, "stories stage",
                            run.publisher, run.say, registry)
    _install_signal_handlers(request_stop)
    await lag.start()
    await extracted.start()
    stage = asyncio.create_task(stories.run())
    progress = asyncio.create_task(_progress(stories, settings, run.say))
    failed = asyncio.create_task(children.failed.wait())
    settler = asyncio.create_task(_settle_loop(front, stories, lag, extracted,
                                               settings.cluster.snapshot_interval_s))
    fed: asyncio.Task[Counter[str]] | None = None
    try:
        before = (await extracted.ends())[0]  # the crawl's records come after it
        await children.start()
        # Discovery feeds the crawl once the stories stage reads what it makes: the first
        # articles must not wait out the stage's start-up.
        consuming = asyncio.create_task(stories.consuming.wait())
        await asyncio.wait({consuming, stage, failed}, return_when=asyncio.FIRST_COMPLETED)
        consuming.cancel()
        if run.on_ready is not None:
            run.on_ready(front, run.publisher.bootstrap)
        fed = asyncio.create_task(front.run(once=run.once))
        await asyncio.wait({fed, failed, stage}, return_when=asyncio.FIRST_COMPLETED)
        once = fed.done() and run.once and not stopping.is_set()
        if once:
            await _until(lambda: _caught_up(lag), children, stage, stopping)
        front.request_stop()
        await fed
        await children.stop(settings.pipeline.drain_timeout_s + 15.0)
        if children.failed.is_set():
            raise ChildFailed(children.failure)
        if stage.done():
            await stage  # its exception, if it failed
            raise KabarError("the stories stage ended before the crawl was done",
                             reason="stage_ended")
        end = (await extracted.ends())[0]
        made = _made_end(end, before, children.counts(), settings.cluster.extracted_topic)
        # (A wait past what the broker shows is bounded: the count may be wrong, not lost.)
        deadline = None if run.once and not stopping.is_set() and made == end else \
            settings.pipeline.drain_timeout_s
        end = made
        try:
            await asyncio.wait_for(_until(lambda: _settled(stories, end), None, stage,
                                          stopping if deadline is None else None), deadline)
        except TimeoutError:
            log_event(log, "WARNING", "stories stage stopped before taking in all the crawl "
                      "made; the journal keeps those requests", end_offset=end)
        # Also what the crawl dead-lettered or found nothing to publish in.
        await _settle_crawled(front, stories, lag, extracted, wait_s=0.0)
    finally:
        progress.cancel()
        failed.cancel()
        settler.cancel()
        front.request_stop()
        if fed is not None and not fed.done():
            await asyncio.gather(fed, return_exceptions=True)
        await children.stop(settings.pipeline.drain_timeout_s + 15.0)
        stories.request_stop()
        await asyncio.gather(stage, return_exceptions=True)
        await lag.stop()
        await extracted.stop()
        _remove_signal_handlers()
        if server is not None:
            await server.stop()
    counts = Counter(front.counts)
    counts.update(stories.counts)
    crawled = children.counts()
    crawled.pop("extracted", None)  # the stories stage counts what it took in
    crawl_cpu_s = crawled.pop("cpu_ms", 0) / 1000
    # Their event loops (fetching, handing pages over, sending) apart from extraction.
    loops_cpu_s = crawled.pop("cpu_self_ms", 0) / 1000
    counts.update(crawled)
    own = resource.getrusage(resource.RUSAGE_SELF)
    run.say(f"cpu: this process {own.ru_utime + own.ru_stime:.1f} s (discovery, stories, "
            f"publish), {len(children.children)} crawl processes {crawl_cpu_s:.1f} s "
            f"(fetch, extract, with their extraction processes; their own event loops "
            f"{loops_cpu_s:.1f} s)")
    if children.restarts:
        counts["crawl_restarts"] = children.restarts
    return counts


async def _settle_loop(front: DiscoveryPipeline, stories: StoriesStage, lag: GroupLag,
                       extracted: GroupLag, interval_s: float) -> None:
    """Now and then settle the journaled requests the later stages are done with."""
    while True:
        await asyncio.sleep(max(0.2, interval_s))
        try:
            await _settle_crawled(front, stories, lag, extracted, wait_s=interval_s)
        except Exception as exc:  # the broker away: the next round tries again
            log_event(log, "WARNING", "could not read the crawl's progress", error=repr(exc))


async def _settle_crawled(front: DiscoveryPipeline, stories: StoriesStage, lag: GroupLag,
                          extracted: GroupLag, *, wait_s: float) -> None:
    """Settle the requests that were on the frontier before the crawl group was seen
    past its end and the stories stage through all the crawl made after that: a
    request the crawl dead-lettered, or made nothing to publish of, is done too."""
    held = front.on_frontier()
    if not held or await lag.behind():
        return
    end = (await extracted.ends())[0]
    deadline = asyncio.get_running_loop().time() + wait_s
    while not stories.settled_through(end):
        if asyncio.get_running_loop().time() >= deadline:
            return
        await asyncio.sleep(0.05)
    front.settle(held)


def _made_end(end: int, before: int, crawled: Counter[str], topic: str) -> int:
    """The extracted topic's end the stories stage must reach: ``end`` as read from the
    broker, or, when that is short of it, ``before`` (the end at the run's start) plus
    the records the crawl processes had acknowledged on it. Right after a burst the
    embedded broker's answer may lag even the read past its end (``GroupLag``): a
    ``--once`` run would stop its stories stage short of the last records, articles
    fetched and extracted but not published (suspected of a bench run's fetched=600
    extracted=599 with an unlingering producer)."""
    made = before + crawled[f"published:{topic}"]
    if made <= end:
        return end
    log_event(log, "WARNING", "the extracted topic's end reads short of what the crawl "
              "made; the stories stage waits for the rest", read_end=end, made_end=made)
    return made


async def _caught_up(lag: GroupLag) -> bool:
    return await lag.behind() == 0


async def _settled(stories: StoriesStage, end: int) -> bool:
    return stories.settled_through(end)


async def _until(
    done: Callable[[], Awaitable[bool]], children: CrawlProcesses | None,
    stage: asyncio.Task[Counter[str]], stopping: asyncio.Event | None,
) -> None:
    """Poll ``done`` until true, a child keeps failing, the stage ends, or a stop."""
    while not await done():
        if (children is not None and children.failed.is_set()) or stage.done() or (
                stopping is not None and stopping.is_set()):
            return
        await asyncio.sleep(0.2)
