"""`kabar bench faults`: a local site of several hundred article pages,
``kabar run`` (a real subprocess) against a standalone embedded broker, and
one fault injected at a time; afterwards every page must be published,
dead-lettered with a reason, or still in durable work a rerun resumes.

Faults: ``sigkill`` and ``sigterm`` of ``kabar run`` at a seeded random
moment; ``broker_kill`` (Tansu SIGKILLed and restarted on its port: its memory
storage loses what it held, so a consumer records events as they arrive) and
``broker_freeze`` (SIGSTOP for a while); ``disk_full`` (the state directory
on a small tmpfs filled up mid-run, then freed) and ``read_only`` (the state
directory mounted read-only at start: a one-line error, then a rerun after it
is writable again); ``read_only_mid`` (every state write failing as on a
filesystem turned read-only mid-run, through ``statefile.injected_fault``: a
mount cannot go read-only under open files; ``/readyz`` must say 503 and the
write-error metric and log say so meanwhile, and ready again once it clears,
then a rerun); ``truncated`` (state files cut in half after a killed run:
a one-line error, ``kabar state repair``, rerun); ``hostile`` (every hostile
answer at once beside a healthy portal, in the long-running mode, with the
default timeouts: ``kabar.bench.hostile``). The disk faults need root (mounts);
without it they are reported as skipped.

Per fault: lost (pages neither published nor dead-lettered), duplicated (an
article id published more than once), duplicated_new_id (such copies with
another ``ce_id``), dead-lettered, silent drops (stage crashes in the log and
tracebacks), peak RSS of ``kabar run``. The last line is
``lost=N duplicated_new_id=N silent_drops=N``; the exit status is non-zero
unless all three are zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kabar.bench.child import serve_in_child

FAULTS = ("sigterm", "sigkill", "broker_freeze", "broker_kill", "disk_full", "read_only",
          "read_only_mid", "truncated", "hostile")
TOPICS = ("kabar.articles.v1", "kabar.stories.v1", "kabar.errors.v1")
_RUN_TIMEOUT_S = 240.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pages", type=int, default=300, help="article pages on the site")
    parser.add_argument("--portals", type=int, default=3)
    parser.add_argument("--seed", type=int, default=16, help="seeds the fault moments")
    parser.add_argument("--faults", default=",".join(FAULTS),
                        help=f"comma-separated subset of: {', '.join(FAULTS)}")
    parser.add_argument("--keep", metavar="DIR", help="keep each fault's files (logs, state) here")


def main(args: argparse.Namespace) -> int:
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = sorted(set(faults) - set(FAULTS))
    if unknown:
        print(f"kabar bench faults: unknown fault(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    results = run_faults(faults, pages=args.pages, portals=args.portals, seed=args.seed,
                         keep=args.keep)
    return 0 if all(r.clean for r in results) else 1


@dataclass(slots=True)
class Outcome:
    fault: str
    pages: int
    published: int = 0
    dead_lettered: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicated_new_id: int = 0
    silent_drops: int = 0
    peak_rss_mb: float = 0.0
    skipped: str = ""
    notes: list[str] = field(default_factory=list)
    #: A goal other than losing nothing was missed (hostile: time, /healthz, RSS).
    below_target: bool = False

    @property
    def clean(self) -> bool:
        return self.skipped != "" or (
            self.lost == 0 and self.duplicated_new_id == 0 and self.silent_drops == 0
            and not self.below_target
        )

    def line(self) -> str:
        if self.skipped:
            return f"{self.fault:<14} skipped: {self.skipped}"
        notes = f"  [{'; '.join(self.notes)}]" if self.notes else ""
        return (f"{self.fault:<14} published={self.published}/{self.pages}"
                f" dead_lettered={self.dead_lettered} lost={self.lost}"
                f" duplicated={self.duplicated} duplicated_new_id={self.duplicated_new_id}"
                f" silent_drops={self.silent_drops} peak_rss={self.peak_rss_mb:.0f}MB{notes}")


def run_faults(
    faults: list[str], *, pages: int, portals: int, seed: int, keep: str | None = None
) -> list[Outcome]:
    rng = random.Random(seed)
    results = []
    with _site(pages) as base:
        urls = [f"{base}/p{i % portals}/berita/{i}" for i in range(pages)]
        for fault in faults:
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix=f"kabar-fault-{fault}-") as tmp:
                where = Path(keep) / fault if keep else Path(tmp)
                where.mkdir(parents=True, exist_ok=True)
                moment = rng.random()
                if fault == "hostile":
                    outcome = _hostile(where)
                else:
                    outcome = _one(fault, urls, portals, where, moment)
            print(outcome.line() + f" ({time.monotonic() - started:.0f} s)", flush=True)
            results.append(outcome)
    ran = [r for r in results if not r.skipped]
    print(f"lost={sum(r.lost for r in ran)}"
          f" duplicated_new_id={sum(r.duplicated_new_id for r in ran)}"
          f" silent_drops={sum(r.silent_drops for r in ran)}")
    return results


# --- one fault -----------------------------------------------------------------------------


def _one(fault: str, urls: list[str], portals: int, tmp: Path, moment: float) -> Outcome:
    from kabar.broker import EmbeddedBroker

    outcome = Outcome(fault, len(urls))
    state = tmp / "state"
    disk: _Disk | None = None
    if fault in ("disk_full", "read_only"):
        disk = _Disk.mount(state)
        if disk is None:
            outcome.skipped = "needs root to mount a small tmpfs for the state directory"
            return outcome
    broker = EmbeddedBroker(log_path=tmp / "tansu.log")
    broker.start()
    ledger = _Ledger(broker.bootstrap)
    try:
        _ensure_topics(broker.bootstrap)
        ledger.start()
        # A fixed port only where the bench asks /readyz (a picked port may be taken again).
        metrics_port = _free_port() if fault == "read_only_mid" else 0
        config = _config(tmp, state, broker.bootstrap, urls, portals, metrics_port)
        runner = _Runner(config, tmp / "run.log", outcome, tmp / "read-only.flag")
        # Stop at a seeded moment: when this share of the pages has been published.
        # read_only_mid is at the earliest: the run must still be working while writes
        # fail (a run that finished its pages in the meantime shuts its /readyz down).
        share = 0.15 + (0.6 * moment if fault != "read_only_mid" else 0.0)
        trigger = max(1, int(len(urls) * share))
        if fault == "read_only":
            assert disk is not None
            disk.read_only(True)
            runner.run_to_end(expect_failure=True)
            disk.read_only(False)
            runner.run_to_end()
        elif fault == "read_only_mid":
            proc = runner.start()
            ledger.wait_for(trigger, proc)
            _read_only_mid(runner, proc, metrics_port, outcome)
            runner.finish(proc)
            runner.run_to_end()  # the restart: resumes what is journaled, re-sends nothing new
        else:
            proc = runner.start()
            ledger.wait_for(trigger, proc)
            _inject(fault, proc, broker, disk, outcome, runner, ledger)
            runner.finish(proc)
            if fault == "truncated":
                for name in ("seen.sqlite3", "state.sqlite3"):
                    _truncate(state / name)
                runner.run_to_end(expect_failure=True)
                subprocess.run([sys.executable, "-m", "kabar", "state", "repair", "-c",
                                str(config)], capture_output=True, check=False)
            runner.run_to_end()
            if fault in ("sigkill", "broker_kill"):
                runner.run_to_end()  # a second rerun resumes what the first left spooled
        ledger.settle()
    finally:
        ledger.stop()
        broker.stop()
        if disk is not None:
            disk.unmount()
    _count(outcome, urls, ledger)
    _broker_losses(outcome, urls, ledger, tmp / "data" / "events" / f"{TOPICS[0]}.jsonl")
    outcome.silent_drops += _silent(tmp / "run.log", outcome)
    return outcome


def _hostile(where: Path) -> Outcome:
    from kabar.bench.hostile import run_hostile

    found = run_hostile(60, short=False, keep=str(where))
    for line in found.lines():
        print(line, flush=True)
    beside = found.beside
    outcome = Outcome("hostile", found.articles + len(beside.hostile))
    outcome.published = beside.published + sum(v == "published" for v in beside.hostile.values())
    outcome.dead_lettered = sum(v not in ("published", "lost") for v in beside.hostile.values())
    outcome.lost, outcome.silent_drops = found.lost, beside.silent_drops
    outcome.peak_rss_mb = beside.peak_rss_mb
    outcome.below_target = not found.clean
    outcome.notes.append(f"healthy x{found.ratio:.2f} beside the hostile portal,"
                         f" /healthz missed {beside.missed}")
    return outcome


def _inject(fault: str, proc: subprocess.Popen[bytes], broker: Any, disk: _Disk | None,
            outcome: Outcome, runner: _Runner, ledger: _Ledger) -> None:
    if fault == "sigkill":
        runner.sample_rss(proc)
        proc.send_signal(signal.SIGKILL)
    elif fault in ("sigterm", "truncated"):  # stopped cleanly: the files hold everything
        proc.send_signal(signal.SIGTERM)
    elif fault == "broker_freeze":
        tansu = broker._proc
        os.kill(tansu.pid, signal.SIGSTOP)
        runner.idle(8.0, proc)
        os.kill(tansu.pid, signal.SIGCONT)
    elif fault == "broker_kill":
        broker._proc.kill()
        broker._proc.wait()
        runner.idle(5.0, proc)
        broker.start()
        ledger.restarted.set()
        _ensure_topics(broker.bootstrap)
        outcome.notes.append("memory broker restarted empty: what it held unread is gone")
    elif fault == "disk_full":
        assert disk is not None
        disk.fill()
        runner.idle(6.0, proc)
        disk.free()


# --- kabar run as a subprocess ---------------------------------------------------------------


def _read_only_mid(runner: _Runner, proc: subprocess.Popen[bytes], port: int,
                   outcome: Outcome) -> None:
    """Turn state writes read-only for a while; note what the run said meanwhile."""
    mark = runner.log.stat().st_size
    runner.fault_flag.touch()
    try:
        said_503 = runner.poll(lambda: _readyz(port) == 503, proc, 20.0)
        errors = _metric(port, "kabar_state_write_errors_total")
        runner.idle(4.0, proc)
    finally:
        runner.fault_flag.unlink()
    ready_again = runner.poll(lambda: _readyz(port) == 200, proc, 30.0)
    text = runner.log.read_bytes()[mark:].decode("utf-8", "replace")
    lines = sum(1 for line in text.splitlines() if '"state_unwritable"' in line)
    outcome.notes.append(f"read-only: /readyz 503={said_503} write_errors={errors:.0f}"
                         f" log_lines={lines} ready_again={ready_again or proc.poll() is not None}")
    if not said_503 or errors <= 0 or lines == 0:
        outcome.below_target = True


def _readyz(port: int) -> int:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0, trust_env=False
                         ).status_code
    except httpx.HTTPError:
        return 0


def _metric(port: int, name: str) -> float:
    """The sum of a counter's samples on /metrics (0 if unreachable)."""
    import httpx

    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2.0, trust_env=False).text
    except httpx.HTTPError:
        return 0.0
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Runner:
    def __init__(self, config: Path, log: Path, outcome: Outcome, fault_flag: Path) -> None:
        self.config = config
        self.log = log
        self.outcome = outcome
        #: While this file exists, the run's state writes fail (statefile.injected_fault).
        self.fault_flag = fault_flag

    def start(self) -> subprocess.Popen[bytes]:
        from kabar.statefile import FAULT_ENV

        out = open(self.log, "ab")  # noqa: SIM115 (closed with the process)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", FAULT_ENV: str(self.fault_flag)}
        return subprocess.Popen([sys.executable, "-m", "kabar", "run", "--once", "-c",
                                 str(self.config)], stdout=out, stderr=out, env=env)

    def run_to_end(self, *, expect_failure: bool = False) -> None:
        mark = self.log.stat().st_size if self.log.exists() else 0
        proc = self.start()
        code = self.finish(proc)
        if expect_failure:
            text = self.log.read_bytes()[mark:].decode("utf-8", "replace")
            if code == 0:
                self.outcome.notes.append("expected a one-line state error, the run went on")
            elif "Traceback" in text:
                self.outcome.notes.append("a traceback instead of a one-line error")
            else:
                last = [ln for ln in text.splitlines() if "kabar run:" in ln]
                said = last[-1].split("kabar run:", 1)[1].strip() if last else "?"
                self.outcome.notes.append(f"exit {code}: {said[:100]}")

    def finish(self, proc: subprocess.Popen[bytes]) -> int:
        deadline = time.monotonic() + _RUN_TIMEOUT_S
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                self.outcome.notes.append("run timed out")
                break
            self.sample_rss(proc)
            time.sleep(0.2)
        return proc.wait()

    def poll(self, check: Callable[[], bool], proc: subprocess.Popen[bytes],
             limit_s: float) -> bool:
        """Until ``check`` holds (True), the run ends or ``limit_s`` pass (False)."""
        deadline = time.monotonic() + limit_s
        while proc.poll() is None and time.monotonic() < deadline:
            self.sample_rss(proc)
            if check():
                return True
            time.sleep(0.1)
        return False

    def idle(self, seconds: float, proc: subprocess.Popen[bytes]) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and proc.poll() is None:
            self.sample_rss(proc)
            time.sleep(0.2)

    def sample_rss(self, proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    mb = int(line.split()[1]) / 1024
                    self.outcome.peak_rss_mb = max(self.outcome.peak_rss_mb, mb)


def _config(tmp: Path, state: Path, bootstrap: str, urls: list[str], portals: int,
            metrics_port: int = 0) -> Path:
    lines = [
        "[broker]", f'bootstrap_servers = "{bootstrap}"',
        "[fetch]", "allow_private_addresses = true", "per_host_rate = 400.0",
        "per_host_burst = 50", "per_host_concurrency = 16", "workers = 16",
        "respect_robots = false", "retries = 1",
        "[discovery]", f'seen_path = "{state}/seen.sqlite3"',
        "[pipeline]", f'spool_path = "{state}/spool.jsonl"', "progress_interval_s = 0",
        "publish_attempts = 3",
        "[dedup]", f'state_path = "{state}/state.sqlite3"', "flush_interval_s = 0.2",
        "[metrics]", f"port = {metrics_port}",
        "[data]", f'dir = "{tmp}/data"', 'archive = "always"',
        "[log]", 'format = "json"', 'level = "INFO"',
    ]  # fmt: skip
    for p in range(portals):
        mine = ", ".join(f'"{u}"' for u in urls[p::portals])
        lines += ["[[portals]]", f'name = "p{p}"', f"urls = [{mine}]"]
    path = tmp / "kabar.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


# --- what the broker received ----------------------------------------------------------------


class _Ledger:
    """Every event the broker received, read as it arrives (a memory broker that
    is killed forgets what it held), in a thread with its own event loop."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.articles: list[tuple[str, str, str]] = []  # (article id, canonical url, ce_id)
        self.errors: list[str] = []
        #: When each article arrived here (monotonic) and each dead letter's reason.
        self.times: list[float] = []
        self.reasons: list[str] = []
        self._stop = threading.Event()
        #: Set when the broker came back empty: read its partitions from the start.
        self.restarted = threading.Event()
        self._read: set[tuple[int, str, int, int]] = set()
        self._epoch = 0
        self._thread = threading.Thread(target=lambda: asyncio.run(self._consume()), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def wait_for(self, count: int, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + _RUN_TIMEOUT_S
        while len(self.articles) < count and proc.poll() is None:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)

    def settle(self, quiet_s: float = 2.0) -> None:
        """Wait until nothing new has arrived for ``quiet_s``."""
        last, since = -1, time.monotonic()
        while time.monotonic() - since < quiet_s:
            now = len(self.articles) + len(self.errors)
            if now != last:
                last, since = now, time.monotonic()
            time.sleep(0.1)

    async def _consume(self) -> None:
        import logging

        import orjson
        from aiokafka import AIOKafkaConsumer, TopicPartition

        # A killed broker makes the client log every reconnection: the bench says it once.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        try:
            parts = [TopicPartition(t, p) for t in (TOPICS[0], TOPICS[2])
                     for p in (consumer.partitions_for_topic(t) or {0, 1, 2})]
            consumer.assign(parts)
            await consumer.seek_to_beginning()
            while not self._stop.is_set():
                if self.restarted.is_set():
                    self.restarted.clear()
                    self._epoch += 1
                    await consumer.seek_to_beginning()
                batches = await consumer.getmany(timeout_ms=200)
                for tp, records in batches.items():
                    for record in records:
                        where = (self._epoch, tp.topic, tp.partition, record.offset)
                        if where in self._read:  # read again after a seek: counted once
                            continue
                        self._read.add(where)
                        headers = dict(record.headers or ())
                        value = orjson.loads(record.value or b"{}")
                        if tp.topic == TOPICS[0]:
                            ce_id = headers.get("ce_id", b"").decode("utf-8", "replace")
                            self.times.append(time.monotonic())
                            self.articles.append((str(value.get("id")),
                                                  str(value.get("url")), ce_id))
                        else:
                            self.reasons.append(str(value.get("reason")))
                            self.errors.append(str(value.get("url")))
        finally:
            await consumer.stop()


def _ensure_topics(bootstrap: str) -> None:
    from kabar.publish import ensure_topics
    from kabar.settings import BrokerSettings

    asyncio.run(ensure_topics(BrokerSettings(), bootstrap))


def _count(outcome: Outcome, urls: list[str], ledger: _Ledger) -> None:
    from kabar.urls import canonicalize

    wanted = {canonicalize(u) for u in urls}
    published = {canonicalize(url) for _, url, _ in ledger.articles}
    dead = {canonicalize(u) for u in ledger.errors} - published
    outcome.published = len(wanted & published)
    outcome.dead_lettered = len(wanted & dead)
    outcome.lost = len(wanted - published - dead)
    first_ce: dict[str, str] = {}
    copies: Counter[str] = Counter()
    for ident, _, ce_id in ledger.articles:
        copies[ident] += 1
        if ident in first_ce and first_ce[ident] != ce_id:
            outcome.duplicated_new_id += 1
        first_ce.setdefault(ident, ce_id)
    outcome.duplicated = sum(n - 1 for n in copies.values())


def _broker_losses(outcome: Outcome, urls: list[str], ledger: _Ledger, archive: Path) -> None:
    """Lost pages kabar had published (the broker acknowledged them: they are in its
    archive) that no consumer ever saw: gone with a memory broker, not dropped by kabar."""
    import orjson

    from kabar.urls import canonicalize

    if not outcome.lost or not archive.exists():
        return
    acked = set()
    for line in archive.read_bytes().splitlines():
        with contextlib.suppress(orjson.JSONDecodeError):
            acked.add(canonicalize(str(orjson.loads(line).get("url"))))
    seen = {canonicalize(u) for _, u, _ in ledger.articles}
    seen |= {canonicalize(u) for u in ledger.errors}
    gone = len(({canonicalize(u) for u in urls} & acked) - seen)
    if gone:
        outcome.notes.append(f"{gone} of the lost were acknowledged by the broker and kept"
                             " in kabar's archive, then lost with its memory")


def _silent(log: Path, outcome: Outcome) -> int:
    """Stage crashes: an item dropped without a dead letter. Uncaught tracebacks
    are noted (a killed run's helper processes print some) but drop nothing."""
    if not log.exists():
        return 0
    text = log.read_text("utf-8", "replace")
    tracebacks = sum(1 for line in text.splitlines() if line.startswith("Traceback"))
    if tracebacks:
        outcome.notes.append(f"{tracebacks} traceback(s) in the log")
    return text.count("unexpected error in stage")


# --- the site ------------------------------------------------------------------------------


@contextlib.contextmanager
def _site(pages: int) -> Iterator[str]:
    """Article pages served by a child process (its own GIL); yields the base URL."""
    code = f"from kabar.bench.faults import serve_site; serve_site({int(pages)})"
    with serve_in_child(code) as line:
        yield f"http://127.0.0.1:{int(line)}"


def serve_site(pages: int) -> None:
    asyncio.run(_serve(_pages(pages)))


def _pages(count: int) -> dict[str, bytes]:
    from html import escape

    from kabar.bench.dedup import ArticleFactory

    factory = ArticleFactory(seed=1616, vocab_size=5000)
    out = {}
    for i in range(count):
        article = factory.article("contoh")
        body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
        out[f"berita/{i}"] = (
            '<!doctype html><html lang="id"><head><meta charset="utf-8">'
            f"<title>{escape(article.title)}</title></head><body><nav>Beranda</nav>"
            f"<article><h1>{escape(article.title)}</h1>"
            f'<time datetime="2026-11-0{1 + i % 9}T08:00:00+07:00">{i}</time>'
            f"{body}</article><footer>Redaksi</footer></body></html>"
        ).encode()
    return out


async def _serve(pages: dict[str, bytes]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode("ascii", "replace")
                key = path.split("/", 2)[-1] if path.count("/") >= 2 else ""
                body = pages.get(key)
                status = b"200 OK" if body is not None else b"404 Not Found"
                body = body if body is not None else b"not found"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html;"
                             b" charset=utf-8\r\nContent-Length: " + str(len(body)).encode()
                             + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# --- state files on a small disk -------------------------------------------------------------


class _Disk:
    """A small tmpfs mounted on the state directory (root only)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / ".filler"

    @classmethod
    def mount(cls, root: Path) -> _Disk | None:
        if os.geteuid() != 0 or shutil.which("mount") is None:
            return None
        root.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(root)],
                              capture_output=True, check=False)
        if done.returncode != 0:
            return None
        return cls(root)

    def fill(self) -> None:
        # Unbuffered, and the suppress outermost: a buffered file keeps the bytes a full
        # disk refused and raises again when it is closed, outside the suppress.
        chunk = bytes(65536)
        with contextlib.suppress(OSError), open(self.filler, "ab", buffering=0) as out:
            while out.write(chunk):
                pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def read_only(self, on: bool) -> None:
        subprocess.run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.root)],
                       check=True, capture_output=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.root)], check=False, capture_output=True)


def _truncate(path: Path) -> None:
    """Cut the state file in half once its write-ahead log is folded into it: cutting a
    file whose pages still sit in the log would damage nothing SQLite reads."""
    if not path.exists():
        return
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "r+b") as raw:
        raw.truncate(path.stat().st_size // 2)
