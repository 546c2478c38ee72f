"""Every hostile case together beside a healthy portal, in the long-running mode.

One local server (a child process) plays two hosts: ``sehat.test``, a healthy
portal of plain article pages, and ``jahat.test``, a hostile portal that
serves every bad answer at once: 1 byte/s bodies, silence, a gzip bomb, an
endless page, 200k nested ``<div>``s, a redirect loop, a bogus charset, a PDF
labelled HTML, a reset mid-body, ``Retry-After: 999999``, a 7 MB page, a 1 MB
title, a 50 MB robots.txt, and feeds and sitemaps with a DTD attribute flood,
billion laughs, an external entity, a gzip-in-gzip file and deep nesting.

``kabar run`` (a real subprocess, not ``--once``) runs against a standalone
embedded broker, first with the healthy portal alone, then with both. Figures:
the healthy portal's time from its first request to its last article alone and
beside the hostile one, ``/healthz`` probes missed (1 s each), the peak RSS of
``kabar run`` and its extraction processes, and what became of every hostile
URL (published, dead-lettered with a reason, or neither: lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kabar.bench.child import serve_in_child

if TYPE_CHECKING:
    from kabar.bench.faults import _Ledger

HEALTHY, HOSTILE = "sehat.test", "jahat.test"
#: The hostile portal's article URLs (paths) and what they do.
HOSTILE_PAGES = (
    "/lambat/1", "/lambat/2", "/diam/1", "/diam/2", "/bom", "/besar", "/dalam", "/putar",
    "/charset", "/biner", "/putus", "/nanti", "/raksasa", "/judul", "/berita/1", "/berita/2",
)  # fmt: skip
#: Its feeds, sitemaps and section page (each refused with a dead letter).
HOSTILE_FEEDS = ("/rss-dtd", "/rss-tawa", "/rss-xxe")
HOSTILE_SITEMAPS = ("/peta-dalam.xml",)
HOSTILE_SECTIONS = ("/kanal-dalam",)
#: A gzip-in-gzip sitemap is read; what it lists (this article) must be published.
GZ_SITEMAP, GZ_ARTICLE = "/peta.xml.gz", "/berita/49"
RSS_LIMIT_MB = 400.0


@dataclass(slots=True)
class Run:
    """One ``kabar run`` against the site."""

    healthy_s: float = 0.0
    published: int = 0
    probes: int = 0
    missed: int = 0
    worst_probe_s: float = 0.0
    peak_rss_mb: float = 0.0
    silent_drops: int = 0
    #: hostile URL (path) -> "published", a dead-letter reason, or "lost".
    hostile: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class HostileOutcome:
    articles: int
    alone: Run
    beside: Run

    @property
    def ratio(self) -> float:
        return self.beside.healthy_s / max(1e-9, self.alone.healthy_s)

    @property
    def lost(self) -> int:
        return sum(1 for v in self.beside.hostile.values() if v == "lost") + (
            self.articles - self.beside.published)

    @property
    def clean(self) -> bool:
        b = self.beside
        return (self.lost == 0 and b.silent_drops == 0 and b.missed == 0 and self.ratio <= 2.0
                and b.peak_rss_mb < RSS_LIMIT_MB and self.alone.missed == 0)

    def lines(self) -> list[str]:
        a, b = self.alone, self.beside
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(b.hostile.items()))
        return [
            f"hostile        healthy portal {b.published}/{self.articles} in {b.healthy_s:.1f} s"
            f" beside the hostile one, {a.healthy_s:.1f} s alone (x{self.ratio:.2f}, goal <= 2)",
            f"hostile        /healthz missed {b.missed}/{b.probes} (worst {b.worst_probe_s:.2f} s)"
            f" peak_rss={b.peak_rss_mb:.0f}MB (goal < {RSS_LIMIT_MB:.0f}) lost={self.lost}"
            f" silent_drops={b.silent_drops}",
            f"hostile        {outcomes}",
        ]


def run_hostile(articles: int = 30, *, short: bool = True,
                keep: str | None = None) -> HostileOutcome:
    """Both runs; ``short`` uses test-length timeouts (1-2 s) instead of the defaults."""
    with tempfile.TemporaryDirectory(prefix="kabar-hostile-") as tmp:
        where = Path(keep) if keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        log = where / "requests.log"
        code = (f"from kabar.bench.hostile import serve; serve({int(articles)}, "
                f"{str(log)!r})")
        with serve_in_child(code) as line:
            port = int(line)
            alone = _one(where / "alone", port, articles, log, hostile=False, short=short)
            beside = _one(where / "beside", port, articles, log, hostile=True, short=short)
    return HostileOutcome(articles, alone, beside)


# --- one run -------------------------------------------------------------------------------


def _one(tmp: Path, port: int, articles: int, log: Path, *, hostile: bool,
         short: bool) -> Run:
    from kabar.bench.faults import Outcome, _ensure_topics, _Ledger, _silent
    from kabar.broker import EmbeddedBroker

    tmp.mkdir(parents=True, exist_ok=True)
    run = Run()
    broker = EmbeddedBroker(log_path=tmp / "tansu.log")
    broker.start()
    ledger = _Ledger(broker.bootstrap)
    metrics_port = _free_port()
    healthy = [f"http://{HEALTHY}:{port}/berita/{i}" for i in range(articles)]
    wanted = _hostile_urls(port) if hostile else {}
    try:
        _ensure_topics(broker.bootstrap)
        ledger.start()
        config = _config(tmp, broker.bootstrap, port, metrics_port, healthy, hostile, short)
        mark = log.stat().st_size if log.exists() else 0
        with open(tmp / "run.log", "ab") as out:
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            proc = subprocess.Popen([sys.executable, "-m", "kabar", "run", "-c", str(config)],
                                    stdout=out, stderr=out, env=env)
            probe = _Probe(metrics_port)
            probe.start()
            try:
                done = _wait(lambda: _count_in(ledger, healthy) >= articles, proc, run, 120.0)
                first = _first_request(log, mark, HEALTHY)
                last = _last_time(ledger, healthy)
                run.healthy_s = last - first if done and first and last else float("inf")
                _wait(lambda: len(_fates(ledger, wanted, final=False)) >= len(wanted), proc,
                      run, 90.0)
            finally:
                probe.stop()
                _stop(proc)
        ledger.settle(1.0)
        run.published = _count_in(ledger, healthy)
        run.probes, run.missed, run.worst_probe_s = probe.count, probe.missed, probe.worst
        run.hostile = _fates(ledger, wanted, final=True)
        run.silent_drops = _silent(tmp / "run.log", Outcome("hostile", 0))
    finally:
        ledger.stop()
        broker.stop()
    return run


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait(done: Callable[[], bool], proc: subprocess.Popen[bytes], run: Run,
          limit_s: float) -> bool:
    """Poll ``done`` (sampling the peak RSS) until it holds, the run ends or time is up."""
    deadline = time.monotonic() + limit_s
    while True:
        run.peak_rss_mb = max(run.peak_rss_mb, _peak_rss_mb(proc.pid))
        if done():
            return True
        if time.monotonic() > deadline or proc.poll() is not None:
            return False
        time.sleep(0.1)


def _peak_rss_mb(pid: int) -> float:
    """The largest peak RSS among ``kabar run`` and its child processes (extraction)."""
    peak = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def _count_in(ledger: _Ledger, urls: list[str]) -> int:
    wanted = set(urls)
    return len({url for _, url, _ in list(ledger.articles) if url in wanted})


def _last_time(ledger: _Ledger, urls: list[str]) -> float:
    wanted = set(urls)
    pairs = zip(list(ledger.times), list(ledger.articles), strict=False)
    return max((t for t, (_, url, _) in pairs if url in wanted), default=0.0)


def _fates(ledger: _Ledger, wanted: dict[str, str], *, final: bool) -> dict[str, str]:
    """Each hostile URL's fate: published, its dead-letter reason, or (final) lost."""
    published = {url for _, url, _ in list(ledger.articles)}
    reasons = dict(zip(list(ledger.errors), list(ledger.reasons), strict=False))
    fates = {}
    for url, name in wanted.items():
        if url in published:
            fates[name] = "published"
        elif url in reasons:
            fates[name] = reasons[url]
        elif final:
            fates[name] = "lost"
    return fates


def _hostile_urls(port: int) -> dict[str, str]:
    base = f"http://{HOSTILE}:{port}"
    paths = (*HOSTILE_PAGES, *HOSTILE_FEEDS, *HOSTILE_SITEMAPS, *HOSTILE_SECTIONS, GZ_ARTICLE)
    return {base + p: p for p in paths}


def _first_request(log: Path, mark: int, host: str) -> float:
    """When the site first heard from ``host``'s fetcher (monotonic clock, shared)."""
    with contextlib.suppress(OSError), open(log, "rb") as f:
        f.seek(mark)
        for line in f.read().decode("utf-8", "replace").splitlines():
            name, _, when = line.partition(" ")
            if name == host:
                return float(when)
    return 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(tmp: Path, bootstrap: str, port: int, metrics_port: int, healthy: list[str],
            hostile: bool, short: bool) -> Path:
    state = tmp / "state"
    fast = ["read_timeout_s = 2.0", "connect_timeout_s = 2.0", "transfer_grace_s = 1.0",
            "slow_after_s = 0.5", "backoff_base_s = 0.2", "backoff_max_s = 1.0"]
    lines = [
        "[broker]", f'bootstrap_servers = "{bootstrap}"',
        "[fetch]", "allow_private_addresses = true",
        f'static_hosts = ["{HEALTHY}=127.0.0.1", "{HOSTILE}=127.0.0.1"]',
        "per_host_rate = 5.0", "per_host_burst = 2", "retries = 1", "retry_after_max_s = 30.0",
        *(fast if short else []),
        "[discovery]", f'seen_path = "{state}/seen.sqlite3"', "max_age_hours = 100000",
        "[pipeline]", f'spool_path = "{state}/spool.jsonl"', "progress_interval_s = 0",
        "[dedup]", f'state_path = "{state}/state.sqlite3"',
        "[metrics]", f"port = {metrics_port}",
        "[data]", f'dir = "{tmp}/data"',
        "[log]", 'format = "json"', 'level = "INFO"',
        "[[portals]]", 'name = "sehat"', "urls = [" + ", ".join(f'"{u}"' for u in healthy) + "]",
    ]  # fmt: skip
    if hostile:
        base = f"http://{HOSTILE}:{port}"

        def listed(paths: tuple[str, ...]) -> str:
            return "[" + ", ".join(f'"{base}{p}"' for p in paths) + "]"

        lines += ["[[portals]]", 'name = "jahat"', f"urls = {listed(HOSTILE_PAGES)}",
                  f"feeds = {listed(HOSTILE_FEEDS)}",
                  f"sitemaps = {listed((*HOSTILE_SITEMAPS, GZ_SITEMAP))}",
                  f"sections = {listed(HOSTILE_SECTIONS)}"]
    path = tmp / "kabar.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


class _Probe:
    """Asks ``/healthz`` every 100 ms in a thread; a miss is no 200 within 1 s."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/healthz"
        self.count = self.missed = 0
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        import httpx

        with httpx.Client(trust_env=False, timeout=1.0) as client:
            # Until the server first answers, the process is still starting: not a miss.
            up = False
            while not self._stop.wait(0.1):
                started = time.monotonic()
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if not up and not ok:
                    continue
                up = True
                self.count += 1
                self.worst = max(self.worst, time.monotonic() - started)
                self.missed += 0 if ok else 1


# --- the site (a child process) -------------------------------------------------------------


def serve(articles: int, log: str) -> None:
    asyncio.run(_Site(articles, Path(log)).serve())


_HTML = b"text/html; charset=utf-8"
_XML = b"application/xml"


class _Site:
    def __init__(self, articles: int, log: Path) -> None:
        from kabar.bench.faults import _pages

        self.offset = articles
        self.pages = _pages(articles + 50)
        self.log = open(log, "a", buffering=1)  # noqa: SIM115 (lives as long as the site)

    async def serve(self) -> None:
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=512)
        print(server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                path = head.split(" ", 2)[1]
                authority = ""
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "host":
                        authority = value.strip()
                host = authority.split(":")[0]
                self.log.write(f"{host} {time.monotonic()}\n")
                if not await self.answer(host, path, writer, f"http://{authority}"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError,
                asyncio.CancelledError):
            pass  # a client hanging up, or the site closing while a silent answer waits
        finally:
            writer.close()

    async def answer(self, host: str, path: str, writer: asyncio.StreamWriter,
                     base: str) -> bool:
        """Write the answer; False when the connection is to be closed (or was reset)."""
        if host == HEALTHY:
            if path == "/robots.txt":
                return await _send(writer, 200, b"text/plain", b"User-agent: *\nAllow: /\n")
            body = self.pages.get(path.lstrip("/"))
            return await _send(writer, 200 if body else 404, _HTML, body or b"tidak ada")
        return await _hostile(path, writer, self.pages, self.offset, base)


async def _send(writer: asyncio.StreamWriter, status: int, ctype: bytes, body: bytes,
                extra: bytes = b"") -> bool:
    writer.write(b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n"
                 % (status, ctype, len(body), extra) + body)
    await writer.drain()
    return True


async def _stream(writer: asyncio.StreamWriter, ctype: bytes, chunks: Iterator[bytes],
                  pause_s: float = 0.0, extra: bytes = b"") -> bool:
    """A close-delimited body, chunk by chunk (stops when the client hangs up)."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n%s\r\n"
                 % (ctype, extra))
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
        if pause_s:
            await asyncio.sleep(pause_s)
    return False


async def _hostile(path: str, writer: asyncio.StreamWriter, pages: dict[str, bytes],
                   offset: int, base: str) -> bool:
    from kabar.bench import hostile_bodies as bodies

    if path == "/robots.txt":
        return await _stream(writer, b"text/plain", bodies.huge_robots())
    if path.startswith("/lambat/"):
        return await _stream(writer, _HTML, bodies.drip(), pause_s=1.0)
    if path.startswith("/diam/"):
        await asyncio.sleep(3600)
        return False
    if path == "/besar":
        return await _stream(writer, _HTML, bodies.endless_page())
    if path == "/putar":
        return await _send(writer, 302, _HTML, b"", b"Location: /putar-lagi\r\n")
    if path == "/putar-lagi":
        return await _send(writer, 302, _HTML, b"", b"Location: /putar\r\n")
    if path == "/nanti":
        return await _send(writer, 503, _HTML, b"nanti", b"Retry-After: 999999\r\n")
    if path == "/putus":
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000"
                     b"\r\n\r\n<html><body><p>" + b"setengah " * 100)
        await writer.drain()
        writer.transport.abort()
        return False
    if path == "/bom":
        return await _send(writer, 200, _HTML, bodies.gzip_bomb(), b"Content-Encoding: gzip\r\n")
    kind, body = bodies.fixed(path, pages, offset, base)
    return await _send(writer, 200 if body else 404, kind, body or b"tidak ada")
