"""Article extraction in worker processes: off the event loop, on every core, and
with a time limit per page.

Parsing is CPU work that holds the GIL (and lexbor's parse time grows with the
square of the nesting depth: one crafted page can take minutes). Each worker is
a plain child process (``python -c``, so nothing of the parent's state or
threads is inherited) joined to us by a socket pair and reused page after
page. A page is handed to an idle worker; a thread of our own waits for the
answer, so the event loop never does. A worker that has not answered within
``extract_timeout_s`` is killed and replaced, and the page fails with
``parse_timeout``; a worker that dies (a crash, the OOM killer) fails its page
with ``extract_crashed``. Either way the caller dead-letters it and goes on.
Before parsing, ``kabar.htmlguard`` refuses pages whose estimated nesting or
``<select>`` size would make lexbor slow (``html_too_deep``...), so most such
pages cost milliseconds, not the whole time limit.

A page may also come as it was fetched (``kabar.fetch.page.WirePage``): the worker
decodes it first (decompression within the size and ratio limits, the charset),
and a body refused there fails with its ``ContentError`` reason, as the fetch
would have.

The number of workers bounds the pages in extraction at once: ``extract``
waits for a free worker, which is the stage's back-pressure.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from kabar import stagewatch
from kabar.errors import (
    BadInputError,
    ContentError,
    EmptyBodyError,
    ExtractError,
    KabarError,
    NotAnArticleError,
)
from kabar.fetch.page import WirePage, decode_page
from kabar.htmlguard import DEFAULT_LIMITS, HtmlLimits, check_html
from kabar.models import Article

if TYPE_CHECKING:
    from kabar.dedup.text import TextFeatures

log = logging.getLogger("kabar.extract_pool")

#: How long a closing pool waits for a worker to exit by itself.
_EXIT_WAIT_S = 2.0
#: How long a new worker may take to import the extractor (a loaded machine is slow).
_START_WAIT_S = 120.0
_ERRORS: dict[str, type[KabarError]] = {
    cls.__name__: cls for cls in (ExtractError, NotAnArticleError, EmptyBodyError, BadInputError,
                                  ContentError)
}

Page = bytes | str | WirePage


def processes_for(setting: str) -> int:
    """Worker processes for ``pipeline.extract_processes``: "auto" (one per core),
    a number, or "0"/"off" (extract in a thread of the service process)."""
    value = setting.strip().lower()
    if value in ("auto", ""):
        return max(1, os.cpu_count() or 1)
    if value in ("0", "off", "no", "false"):
        return 0
    if not value.isdigit():
        raise ValueError(f"pipeline.extract_processes={setting!r}: 'auto', 'off' or a number")
    return int(value)


# --- the worker side ----------------------------------------------------------------------


def worker_main(fd: int) -> None:
    """Body of a worker process: extract the pages it is sent until told to stop."""
    from kabar.extract import extract

    # Ctrl-C reaches the whole process group: the service drains, its workers must not die.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    _warm_up(extract)
    conn.send("ready")  # imports and first-use costs paid: the time limit counts parsing only
    idle = _IdleClock() if stagewatch.enabled() else None
    while True:
        try:
            if idle is not None:
                idle.wait_starts()
            job = conn.recv()
            if idle is not None:
                idle.wait_ends()
        except EOFError:
            return  # the service is gone
        if job is None:
            if idle is not None:
                idle.report()
            return
        page, url, portal, limits, features = job
        started = time.process_time()
        try:
            if isinstance(page, WirePage):
                text = decode_page(page)
                page = text.utf8 or text.text
            # Pages lexbor would take seconds or minutes over are refused up front; the
            # time limit catches what this estimate lets through.
            check_html(page, limits, BadInputError)
            # Bytes come only from a fetch that found them valid UTF-8 (FetchResult.body).
            article = extract(page, url, portal=portal, utf8=isinstance(page, bytes))
        except (ExtractError, ContentError) as exc:
            conn.send(("error", type(exc).__name__, exc.reason, exc.detail,
                       time.process_time() - started))
        except Exception as exc:  # extract's own contract is ExtractError; be safe anyway
            conn.send(("error", "BadInputError", "malformed_html",
                       f"{type(exc).__name__}: {exc}", time.process_time() - started))
        else:
            # One pickle with the article: the features keep its paragraphs' identity.
            made = _text_features(article, features) if features else None
            conn.send(("ok", article, made, time.process_time() - started))


def _text_features(article: Article, entity_chars: int) -> TextFeatures | None:
    """Dedup's text-only work on the article, here rather than on the service's loop."""
    from kabar.dedup.text import TextFeatures

    try:
        return TextFeatures.of(article, entity_chars)
    except Exception:  # the deduper works them out itself (and says what is wrong)
        return None


class _IdleClock:
    """How long a worker waited for its next page against how long it worked
    (``KABAR_DEBUG_STAGES``): waiting while the service has pages means the hand-off,
    not parsing, holds the stage up."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.cpu = time.process_time()
        self.waited = 0.0
        self.pages = 0
        self._since = 0.0

    def wait_starts(self) -> None:
        self._since = time.perf_counter()

    def wait_ends(self) -> None:
        if self.pages:  # the wait for the first page is the run starting, not a hand-off
            self.waited += time.perf_counter() - self._since
        self.pages += 1

    def report(self) -> None:
        wall = time.perf_counter() - self.started
        print(f"extract worker {os.getpid()}: {self.pages} pages, waited "
              f"{self.waited:.2f} s for pages of {wall:.2f} s, cpu "
              f"{time.process_time() - self.cpu:.2f} s", file=sys.stderr, flush=True)


def _warm_up(extract: Callable[..., Article]) -> None:
    """One throw-away page and the language model, so the first real page does not pay
    for loading the portal rules, the language identifier (seconds), compiling patterns
    and the like."""
    from kabar.dedup.fingerprint import word_hashes
    from kabar.dedup.language import detect_language

    word_hashes([b"warga desa"])  # dedup's text features may be asked for (TextFeatures)
    detect_language("Warga desa memperbaiki jalan yang rusak setelah banjir surut.")
    sentence = "Warga desa memperbaiki jalan yang rusak setelah banjir surut kemarin sore. "
    page = ("<html><head><title>Pemanasan</title></head><body><article><h1>Pemanasan</h1>"
            + f"<p>{sentence * 3}</p>" * 6 + "</article></body></html>")
    with contextlib.suppress(Exception):
        extract(page.encode("utf-8"), "https://warm.invalid/berita/1/pemanasan", utf8=True)


# --- the service side ---------------------------------------------------------------------

#: Bytes the reader of a worker's answers buffers before it stops reading the socket.
_READ_LIMIT = 1 << 20
#: Pages handed to a worker at once: the one it parses and the next ones, waiting in its
#: socket, so it starts on the next page the moment it answers instead of waiting for
#: the service's event loop to read the answer and write another page (on a busy loop
#: that hand-off took longer than the parse: workers waited for pages 35 to 60% of a run
#: while the service had pages queued for them).
DEPTH = 2
#: Kernel send buffer asked for the pages on their way to a worker (the kernel caps it
#: at net.core.wmem_max): room for the pages queued at a worker, so a worker reading
#: its next page needs no further write from the event loop.
_SEND_BUFFER = 1 << 20


class _Lost(Exception):
    """The worker holding a page went away: ``why`` says whether its page failed
    (``timeout``, ``crashed``) or was only queued behind it (``requeue``)."""

    def __init__(self, why: str, cause: str = "") -> None:
        super().__init__(why)
        self.why = why
        self.cause = cause


@dataclass(slots=True)
class _Owed:
    """An answer a worker owes: the caller's future and when its page was sent."""

    reply: asyncio.Future[tuple[Any, ...]]
    sent_at: float


@dataclass(slots=True)
class _Worker:
    process: subprocess.Popen[bytes]
    sock: socket.socket
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    #: Answers owed, in the order their pages were sent (the worker answers in order).
    owed: collections.deque[_Owed] = field(default_factory=collections.deque)
    answers: asyncio.Task[None] | None = None
    lost: bool = False
    _owing: asyncio.Event = field(default_factory=asyncio.Event)

    async def attach(self) -> None:
        """Streams over the socket pair, on the running loop."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)
        self.reader, self.writer = await asyncio.open_connection(sock=self.sock,
                                                                 limit=_READ_LIMIT)

    def submit(self, job: object) -> asyncio.Future[tuple[Any, ...]]:
        """Send a page; the future gets the worker's answer (or ``_Lost``)."""
        assert self.writer is not None, "attach first"
        loop = asyncio.get_running_loop()
        # One synchronous write per frame: frames never interleave, and what the socket
        # does not take at once the transport sends as it can (at most DEPTH pages).
        self.writer.write(_frame(job))
        owed = _Owed(loop.create_future(), loop.time())
        self.owed.append(owed)
        self._owing.set()
        return owed.reply

    async def read_answers(self, timeout_s: float, answered: Callable[[_Worker], None],
                           lost: Callable[[_Worker], None]) -> None:
        """Hand each answer to its page's caller, in order. A page not answered within
        ``timeout_s`` of the worker starting on it (its sending or the previous answer,
        whichever came later) fails with ``timeout``, a worker gone with ``crashed``;
        either way the pages queued behind it are handed back (``requeue``) and
        ``lost`` replaces the worker."""
        loop = asyncio.get_running_loop()
        previous = 0.0
        why, cause = "crashed", ""
        try:
            while True:
                while not self.owed:
                    self._owing.clear()
                    await self._owing.wait()
                head = self.owed[0]
                started = max(head.sent_at, previous)
                try:
                    async with asyncio.timeout_at(started + timeout_s):
                        reply = await self._read_one()
                except TimeoutError:
                    why = "timeout"
                    return
                except (EOFError, OSError) as exc:  # EOF: asyncio.IncompleteReadError
                    cause = type(exc).__name__
                    return
                previous = loop.time()
                self.owed.popleft()
                if not head.reply.done():  # a cancelled caller's answer is dropped
                    head.reply.set_result(reply)
                answered(self)
        finally:
            self._fail_owed(why, cause)
            lost(self)

    def _fail_owed(self, why: str, cause: str) -> None:
        self.lost = True
        first = True
        while self.owed:
            owed = self.owed.popleft()
            if not owed.reply.done():
                owed.reply.set_exception(_Lost(why if first else "requeue", cause))
            first = False

    async def _read_one(self) -> tuple[Any, ...]:
        assert self.reader is not None, "attach first"
        (size,) = struct.unpack("!i", await self.reader.readexactly(4))
        if size == -1:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        reply: tuple[Any, ...] = pickle.loads(await self.reader.readexactly(size))
        return reply

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        else:
            self.sock.close()


def _frame(message: object) -> bytes:
    """``message`` as ``multiprocessing.connection.Connection.recv`` reads it."""
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    if len(data) > 0x7FFFFFFF:
        return struct.pack("!iQ", -1, len(data)) + data
    return struct.pack("!i", len(data)) + data


def _entity_chars() -> int:
    from kabar.dedup.stories import ENTITY_CHARS  # loaded already where dedup runs

    return ENTITY_CHARS


def _spawn() -> _Worker:
    """Start a worker and wait (blocking: run it in a thread) until it is ready."""
    ours, theirs = socket.socketpair()
    code = f"from kabar.extract_pool import worker_main; worker_main({theirs.fileno()})"
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", code], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
        )
    finally:
        theirs.close()
    worker = _Worker(process, ours)
    ready = Connection(os.dup(ours.fileno()))  # the handshake only, blocking
    try:
        started = ready.poll(_START_WAIT_S) and ready.recv() == "ready"
    except (EOFError, OSError):
        started = False
    finally:
        ready.close()
    if not started:
        _kill(process)
        worker.close()
        raise OSError(f"extraction worker did not start within {_START_WAIT_S:g} s")
    ours.setblocking(False)
    return worker


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()


def _exited(process: subprocess.Popen[bytes], wait_s: float) -> bool:
    try:
        process.wait(wait_s)
    except subprocess.TimeoutExpired:
        return False
    return True


class _Workers:
    """Free places at workers (a worker is in here once per page it can take more),
    handed to urgent waiters first, then in order of arrival."""

    def __init__(self) -> None:
        self._idle: collections.deque[_Worker] = collections.deque()
        self._waiting: tuple[collections.deque[asyncio.Future[_Worker]], ...] = (
            collections.deque(), collections.deque())

    async def get(self, urgent: bool) -> _Worker:
        if self._idle and not any(self._waiting):
            return self._least_busy()
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiting[0 if urgent else 1].append(waiter)
        self._hand_out()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.put(waiter.result())  # handed over just as we were cancelled
            raise

    def idle(self) -> int:
        return len(self._idle)

    def put(self, worker: _Worker) -> None:
        self._idle.append(worker)
        self._hand_out()

    def discard(self, worker: _Worker) -> None:
        """A lost worker's free places go."""
        self._idle = collections.deque(w for w in self._idle if w is not worker)

    def _hand_out(self) -> None:
        for queue in self._waiting:
            while queue and self._idle:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(self._least_busy())

    def _least_busy(self) -> _Worker:
        """A free place at the worker with the fewest pages (an idle one before one
        that would queue the page behind another), the earliest freed among equals."""
        idle = self._idle
        best = min(range(len(idle)), key=lambda i: len(getattr(idle[i], "owed", ())))
        worker = idle[best]
        del idle[best]
        return worker


class ExtractPool:
    """``await pool.extract(page, url, portal)`` in one of ``size`` worker processes;
    use as ``async with ExtractPool(n, timeout_s) as pool``."""

    def __init__(self, size: int, timeout_s: float, limits: HtmlLimits = DEFAULT_LIMITS,
                 depth: int = DEPTH) -> None:
        if size < 1:
            raise ValueError("an extract pool needs at least one worker")
        self.size = size
        self.depth = max(1, depth)
        self.timeout_s = timeout_s
        self.limits = limits
        #: Work out dedup's text features beside each article (``extract_features``):
        #: set where this process runs dedup on what the pool extracts.
        self.text_features = False
        # Starting and stopping workers blocks (imports, waits): threads of our own for
        # it, so the default executor stays free for DNS and files.
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="extract-start")
        self._idle = _Workers()
        self._all: list[_Worker] = []
        self._starting: set[asyncio.Task[None]] = set()

    @property
    def capacity(self) -> int:
        """Pages in the pool at once: parsed or queued at a worker."""
        return self.size * self.depth

    def busy(self) -> int:
        """Workers holding a page now (started ones; a replacement still starting is
        neither busy nor idle)."""
        return sum(1 for w in self._all if w.owed)

    async def __aenter__(self) -> ExtractPool:
        loop = asyncio.get_running_loop()
        started = await asyncio.gather(
            *(loop.run_in_executor(self._threads, _spawn) for _ in range(self.size)))
        for worker in started:
            await self._join(worker)
        # Interleaved, so the first pages go to different workers.
        for _ in range(self.depth):
            for worker in self._all:
                self._idle.put(worker)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _join(self, worker: _Worker) -> None:
        await worker.attach()
        worker.answers = asyncio.create_task(
            worker.read_answers(self.timeout_s, self._idle.put, self._lost))
        self._all.append(worker)

    async def close(self) -> None:
        for task in list(self._starting):
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        workers, self._all = self._all, []
        await asyncio.gather(*(self._stop_gently(w) for w in workers))
        self._threads.shutdown(wait=False)

    async def _stop_gently(self, worker: _Worker) -> None:
        """Ask the worker to exit; kill it when it does not within ``_EXIT_WAIT_S``."""
        loop = asyncio.get_running_loop()
        exited = False
        worker.lost = True  # its reader ending is the pool closing, not a loss
        if worker.writer is not None and not worker.writer.is_closing():
            with contextlib.suppress(OSError, RuntimeError):
                worker.writer.write(_frame(None))
            exited = await loop.run_in_executor(self._threads, _exited, worker.process,
                                                _EXIT_WAIT_S)
        if not exited:
            await loop.run_in_executor(self._threads, _kill, worker.process)
        if worker.answers is not None:
            worker.answers.cancel()
            await asyncio.gather(worker.answers, return_exceptions=True)
        worker.close()

    async def extract(
        self, page: Page, url: str, portal: str, *, urgent: bool = False
    ) -> Article:
        """The article of one page, or an ``ExtractError`` (``parse_timeout`` and
        ``extract_crashed`` included; a ``WirePage`` the worker cannot decode: its
        ``ContentError``). ``page`` as bytes must be valid UTF-8 (as
        ``FetchResult.body`` is): the worker parses them without decoding. An
        ``urgent`` page (a further page of an article already under way) gets the next
        free place at a worker before pages that start new articles."""
        return (await self._extract(page, url, portal, urgent, features=False))[0]

    async def extract_features(
        self, page: Page, url: str, portal: str
    ) -> tuple[Article, TextFeatures | None]:
        """``extract``, with the article's dedup text features when ``text_features``."""
        return await self._extract(page, url, portal, False, features=self.text_features)

    async def _extract(
        self, page: Page, url: str, portal: str, urgent: bool, *, features: bool
    ) -> tuple[Article, TextFeatures | None]:
        # The clusterer's entity sample length rides with the job (0: no features).
        job = (page, url, portal, self.limits, _entity_chars() if features else 0)
        while True:
            worker = await self._idle.get(urgent)
            if worker.lost:
                continue  # a place freed just before its worker went
            try:
                # A cancelled caller leaves the page with the worker: its answer, in
                # order, is dropped, and the place comes back with it.
                reply = await worker.submit(job)
            except _Lost as lost:
                if lost.why == "requeue":
                    continue  # queued behind a page that failed: another worker takes it
                # The worker is killed already; reaped before we say so.
                await asyncio.get_running_loop().run_in_executor(None, worker.process.wait)
                if lost.why == "timeout":
                    raise BadInputError(f"no result within {self.timeout_s:g} s: the parse "
                                        "was stopped", reason="parse_timeout",
                                        url=url) from None
                raise BadInputError(f"extraction worker died: {lost.cause or 'EOF'}",
                                    reason="extract_crashed", url=url) from None
            break
        # Imported here, on the service side: a worker (this module) has no use for
        # prometheus_client, a tenth of its start-up CPU.
        from kabar import metrics

        metrics.child(metrics.STAGE_CPU, "extract").inc(reply[-1])
        if reply[0] == "ok":
            article: Article = reply[1]
            made: TextFeatures | None = reply[2]
            return article, made
        _, name, reason, detail, _cpu = reply
        raise _ERRORS.get(str(name), ExtractError)(str(detail), reason=str(reason), url=url)

    def _lost(self, worker: _Worker) -> None:
        """A worker's answers ended (a parse over the limit, a crash, or the pool
        closing): unless closing, kill it and start a fresh one in its place."""
        self._idle.discard(worker)
        if worker not in self._all:
            return  # the pool is closing
        self._all.remove(worker)
        with contextlib.suppress(OSError):
            worker.process.kill()  # now: a stuck parse must not go on using a core
        log.warning("replacing an extraction worker", extra={"pid": worker.process.pid})
        from kabar import metrics

        metrics.EXTRACT_WORKER_RESTARTS.inc()
        task = asyncio.create_task(self._respawn(worker))
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _respawn(self, old: _Worker) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, _kill, old.process)
        old.close()
        delay = 0.5
        while True:
            try:
                fresh = await loop.run_in_executor(None, _spawn)
            except OSError:
                log.exception("an extraction worker failed to start; trying again")
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
                continue
            try:
                await self._join(fresh)
            except OSError:
                log.exception("an extraction worker could not be joined; trying again")
                await loop.run_in_executor(None, _kill, fresh.process)
                fresh.close()
                await asyncio.sleep(delay)
                continue
            for _ in range(self.depth):
                self._idle.put(fresh)
            return
