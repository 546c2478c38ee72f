"""The crawl processes of ``kabar run --processes N``: one machine's cores all work.

One ``kabar run`` keeps discovery and the stories stage (dedup, stories, publish)
in its own process and starts N crawl processes beside it: each is ``kabar run
--role crawl --partitions …`` of this interpreter, the crawl role of a
distributed deployment, joined to the rest by the same Kafka topics (the
frontier in, the extracted articles out). Each child owns a fixed share of the
frontier's partitions (static assignment: no consumer-group rebalance, which
takes seconds on the embedded broker), so a portal is fetched by one process
and its politeness holds.

A child that dies is visible (a log line with its exit code, a count in the
summary) and started again on the same partitions: it resumes from their
committed offsets, and an offset is committed only once everything made from
its record is acknowledged, so the dead child's unfinished work is done again,
never lost (the stories stage's dedup calls a page it already published
unchanged). A child failing again and again right after its start (a broken
installation, a bad setting) ends the run instead of looping.

Each child writes its metrics to a file of the run's folder every second
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
import dataclasses
import logging
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson

from kabar import metrics
from kabar.broker import _die_with_parent
from kabar.errors import ConfigError, KabarError
from kabar.logs import log_event
from kabar.settings import Settings

log = logging.getLogger("kabar.processes")

#: Where a crawl process writes its metrics for the run's /metrics (set per child).
METRICS_FILE_ENV = "KABAR_CRAWL_METRICS_FILE"
#: ... every this often, and once more when it ends.
METRICS_EXPORT_S = 5.0

#: A child that exits within this long of its start counts as failing to start ...
QUICK_EXIT_S = 10.0
#: ... and this many such exits in a row end the run.
MAX_QUICK_EXITS = 3


def processes_for(setting: str, cores: int | None = None) -> int:
    """Crawl processes for ``pipeline.processes``: "auto" (one per core), or a number.
    1 is the one-process service (no crawl children)."""
    value = setting.strip().lower()
    if value == "auto":
        return max(1, cores if cores is not None else (os.cpu_count() or 1))
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"pipeline.processes = {setting!r}: 'auto' (one crawl process per "
                          "core) or a number ≥ 1")
    return int(value)


def share_partitions(partitions: int, processes: int) -> list[tuple[int, ...]]:
    """Each process's frontier partitions: round robin, so the portals (which go to
    distinct partitions in config order) are shared out evenly."""
    count = max(1, min(processes, partitions))
    return [tuple(range(i, partitions, count)) for i in range(count)]


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
        child.proc = await asyncio.create_subprocess_exec(
            *command, env=env, stdin=asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_parent(),
        )
        child.started = time.monotonic()

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
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
