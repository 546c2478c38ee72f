"""SQLite state files (the dedup store, the seen-URL store): opened durable,
written off the event loop, and failing visibly.

Durability: WAL journal with ``synchronous=FULL``. In WAL mode ``NORMAL``
syncs only at checkpoints, so an OS crash or power cut can take back commits
the process already counted on (issue 16: the dedup store held 0 rows after a
filesystem failure). ``FULL`` syncs the WAL at every commit; commits here are
batches (a second's verdicts, a few hundred seen marks) made on a writer
thread, so the sync costs the event loop nothing. ``EXTRA`` adds nothing in
WAL mode (it syncs the directory after deleting a rollback journal).

Writes: each file has one ``StateWriter`` thread owning its connection after
the initial load. Callers hand it batches of statements and go on; it commits
them in order and checkpoints the WAL every ``CHECKPOINT_EVERY_S`` (and with
``TRUNCATE`` at close), so the main file is complete without the WAL.

Failures: a batch that cannot be written (disk full, read-only, I/O error)
is kept and retried with backoff, in order, never dropped. Meanwhile
``kabar_state_write_errors_total{store}`` counts the failures,
``kabar_state_writable{store}`` is 0, ``/readyz`` answers 503 naming the file
(``problems()``), and an unwritten backlog at close is an error that names the
path and the way on. Opening a corrupt or unwritable file raises one
``StateError`` line, never a traceback; ``move_aside`` is the recovery
(``kabar state repair``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kabar import metrics
from kabar.errors import StateError
from kabar.logs import log_event

log = logging.getLogger(__name__)

SYNCHRONOUS = "FULL"
#: A passive checkpoint this often (when something was written since the last).
CHECKPOINT_EVERY_S = 30.0
#: Queued batches committed in one transaction (one sync), at most.
COMMIT_MAX_BATCHES = 256
COMMIT_MAX_ROWS = 20_000
#: Retry backoff while a file cannot be written.
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0
#: At close, how long an unwritable file is retried before giving up.
CLOSE_TIMEOUT_S = 10.0
#: Failures logged at most this often per file (the metric counts them all).
LOG_EVERY_S = 30.0
_REPAIR_HINT = "run `kabar state repair` to move it aside and start fresh"
_CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}

#: One write: a statement and its parameter rows (executemany).
Statement = tuple[str, Sequence[Sequence[Any]]]

_writers: weakref.WeakSet[StateWriter] = weakref.WeakSet()
#: Failed write attempts since the process started, over all files (closed ones too).
_failures = [0]


def open_db(path: str | Path, what: str, setting: str) -> sqlite3.Connection:
    """A WAL connection with ``synchronous=FULL``, checked readable; a StateError
    naming the path and the way on when the file is corrupt or cannot be written."""
    path = str(path)
    try:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise state_error(exc, what, path, setting) from exc
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        db.close()
        raise state_error(exc, what, path, setting) from exc
    return db


def state_error(exc: BaseException, what: str, path: str, setting: str) -> StateError:
    """The one-line error for a state file that cannot be used, with the way on."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if is_corrupt(exc):
        return StateError(f"{what} {path} is corrupt ({text}): {_REPAIR_HINT}",
                          reason="state_corrupt")
    return StateError(
        f"cannot use {what} {path} ({text}): free disk space or make the directory writable,"
        f" or set {setting} to another path",
        reason="state_unwritable",
    )


def is_corrupt(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    return name in _CORRUPT or "malformed" in text or "not a database" in text


#: Files that belong to a state file: SQLite's own, the dedup store's snapshot and
#: rows file, the story state's files, and the two files each large blob takes turns on.
_COMPANIONS = ("", "-wal", "-shm", ".snapshot", ".rows", ".stories.blob", ".stories.1.blob",
               ".boilerplate.blob", ".boilerplate.1.blob", ".stories.index")


def move_aside(path: str | Path) -> Path:
    """Rename ``path`` and its companions (-wal, -shm, .snapshot, .rows, story files) to
    ``<path>.corrupt-<n>``; the new name."""
    path = Path(path)
    n = 1
    while any(Path(f"{path}.corrupt-{n}{s}").exists() for s in _COMPANIONS):
        n += 1
    target = Path(f"{path}.corrupt-{n}")
    for suffix in _COMPANIONS:
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(Path(f"{target}{suffix}"))
    return target


#: Problems reported by state files without a writer thread (the spool journal).
_reported: dict[str, str] = {}
_reported_logged: dict[str, float] = {}


#: Fault seam for ``kabar bench faults`` (read_only_mid): while the file this names
#: exists, every state write fails as on a filesystem turned read-only. A mount cannot
#: be remounted read-only under open files, so the bench plays it here.
FAULT_ENV = "KABAR_FAULT_READ_ONLY"


def injected_fault() -> OSError | None:
    """The read-only error a state write must fail with now (test seam), else None."""
    flag = os.environ.get(FAULT_ENV)
    if flag and os.path.exists(flag):
        return OSError(30, "Read-only file system (injected)")  # EROFS
    return None


def problems() -> list[str]:
    """One line per state file that cannot be written right now (for /readyz)."""
    return sorted([w.problem for w in list(_writers) if w.problem] + list(_reported.values()))


def report_failure(store: str, path: str, exc: BaseException) -> None:
    """A write of ``store`` failed (it keeps the data and tries again): count it,
    say so on /readyz, log it now and then."""
    _failures[0] += 1
    metrics.child(metrics.STATE_WRITE_ERRORS, store).inc()
    metrics.child(metrics.STATE_WRITABLE, store).set(0)
    _reported[store] = f"{store} state {path} cannot be written: {exc}"
    now = time.monotonic()
    if now - _reported_logged.get(store, -LOG_EVERY_S) >= LOG_EVERY_S:
        _reported_logged[store] = now
        log_event(log, "ERROR", "state write failed; retrying, nothing is dropped",
                  store=store, path=path, error=str(exc), reason="state_unwritable")


def report_recovered(store: str) -> None:
    if _reported.pop(store, None) is not None:
        metrics.child(metrics.STATE_WRITABLE, store).set(1)
        log_event(log, "WARNING", "state file writable again", store=store)


def write_errors() -> int:
    """Failed write attempts over all state files since start (for the summary line)."""
    return _failures[0]


@dataclass(frozen=True, slots=True)
class _Batch:
    statements: tuple[Statement, ...]
    rows: int
    #: Instead of statements: something else to do in order (e.g. save a snapshot).
    job: Callable[[], None] | None = None
    what: str = ""


_STOP = _Batch((), 0)


class StateWriter:
    """Commits batches of statements to one SQLite file on its own thread, in order."""

    def __init__(self, db: sqlite3.Connection, store: str, path: str) -> None:
        self.store = store
        self.path = path
        self.errors = 0
        #: Why the file cannot be written right now ("" when it can).
        self.problem = ""
        self._db = db
        self._queue: queue.Queue[_Batch] = queue.Queue()
        self._pending_rows = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0
        #: Batches held by ``together`` (None: none is open).
        self._together: list[_Batch] | None = None
        self._closing = threading.Event()
        self._give_up_at = float("inf")
        self._written_since_checkpoint = False
        self._checkpointed_at = time.monotonic()
        self._logged_at = -LOG_EVERY_S
        self._gauge_writable = metrics.child(metrics.STATE_WRITABLE, store)
        self._gauge_pending = metrics.child(metrics.STATE_PENDING, store)
        self._errors_metric = metrics.child(metrics.STATE_WRITE_ERRORS, store)
        self._gauge_writable.set(1)
        self._thread = threading.Thread(target=self._run, name=f"kabar-{store}-writer",
                                        daemon=True)
        _writers.add(self)
        self._thread.start()

    @property
    def pending_rows(self) -> int:
        """Rows handed over and not yet committed."""
        return self._pending_rows

    def submit(self, statements: Iterable[Statement]) -> None:
        """Queue one transaction; never blocks, never does I/O in the caller. Rows
        that are ``lazy`` are read by the writer, in the transaction."""
        batch = tuple((sql, rows if getattr(rows, "lazy", False) else list(rows))
                      for sql, rows in statements)
        count = sum(len(rows) for _, rows in batch)
        with self._lock:
            if self._together is not None:
                self._together.append(_Batch(batch, count))
                return
            self._unfinished += 1
            self._pending_rows += count
        self._gauge_pending.set(self._pending_rows)
        self._queue.put(_Batch(batch, count))

    def submit_job(self, job: Callable[[], None], what: str) -> None:
        """Run ``job`` on the writer thread after what is queued. A failure is
        logged and counted, not retried: jobs are optimisations (snapshots)."""
        with self._lock:
            if self._together is not None:
                self._together.append(_Batch((), 0, job, what))
                return
            self._unfinished += 1
        self._queue.put(_Batch((), 0, job, what))

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """What is submitted meanwhile (from any thread) is committed in one
        transaction once the block ends, and its jobs run after it: a crash leaves all
        of it or none (a commit of rows, the blobs that describe them and the offset
        they reach, handed over one call at a time, could be split by the writer)."""
        with self._lock:
            outer = self._together is None
            if outer:
                self._together = []
        try:
            yield
        finally:
            if outer:
                with self._lock:
                    held, self._together = self._together or [], None
                statements = [s for batch in held for s in batch.statements]
                if statements:
                    self.submit(statements)
                for batch in held:
                    if batch.job is not None:
                        self.submit_job(batch.job, batch.what)

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything submitted is committed; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._unfinished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout_s: float | None = None) -> int:
        """Write what is queued (retrying up to ``timeout_s``, default
        ``CLOSE_TIMEOUT_S``, if the file fails), checkpoint, close; returns the
        rows that could not be written."""
        wait = CLOSE_TIMEOUT_S if timeout_s is None else timeout_s
        self._give_up_at = time.monotonic() + wait
        self._closing.set()
        self._queue.put(_STOP)
        self._thread.join()
        _writers.discard(self)
        return self._pending_rows

    # -- the thread ---------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                try:
                    batch = self._queue.get(timeout=CHECKPOINT_EVERY_S)
                except queue.Empty:
                    batch = None
                if batch is _STOP:
                    break
                if batch is not None:
                    batches = self._more([batch])
                    stop = batches[-1] is _STOP
                    batches = [b for b in batches if b is not _STOP]
                    if not self._write([b for b in batches if b.job is None]):
                        break  # closing and the file still fails: the rest stays unwritten
                    for job in batches:
                        if job.job is not None:
                            self._run_job(job)
                    self._done(batches)
                    if stop:
                        break
                if time.monotonic() - self._checkpointed_at >= CHECKPOINT_EVERY_S:
                    self._checkpoint("PASSIVE")
            self._checkpoint("TRUNCATE")
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()

    def _more(self, batches: list[_Batch]) -> list[_Batch]:
        """Batches already queued behind the first, to commit (and sync) together."""
        rows = batches[0].rows
        while batches[-1] is not _STOP and len(batches) < COMMIT_MAX_BATCHES and (
            rows < COMMIT_MAX_ROWS
        ):
            try:
                batches.append(self._queue.get_nowait())
            except queue.Empty:
                break
            rows += batches[-1].rows
        return batches

    def _write(self, batches: list[_Batch]) -> bool:
        delay = RETRY_FIRST_S
        while True:
            try:
                if (fault := injected_fault()) is not None:
                    raise sqlite3.OperationalError(f"attempt to write a readonly database: {fault}")
                with self._db:
                    for batch in batches:
                        for sql, rows in batch.statements:
                            self._db.executemany(sql, rows)
            except sqlite3.Error as exc:
                self._failed(exc)
                if time.monotonic() + delay > self._give_up_at:
                    return False
                if self._closing.is_set():
                    time.sleep(delay)
                else:
                    self._closing.wait(delay)  # close() cuts the wait short
                delay = min(RETRY_MAX_S, delay * 2)
                continue
            self._written_since_checkpoint = True
            if self.problem:
                log_event(log, "WARNING", "state file writable again", store=self.store,
                          path=self.path)
                self.problem = ""
                self._gauge_writable.set(1)
            return True

    def _run_job(self, batch: _Batch) -> None:
        assert batch.job is not None
        try:
            batch.job()
        except Exception as exc:  # e.g. no space for a snapshot: the rows are safe in SQLite
            self.errors += 1
            _failures[0] += 1
            self._errors_metric.inc()
            log_event(log, "WARNING", f"state {batch.what} failed", store=self.store,
                      path=self.path, error=str(exc))

    def _done(self, batches: list[_Batch]) -> None:
        with self._idle:
            self._unfinished -= len(batches)
            self._pending_rows -= sum(batch.rows for batch in batches)
            self._idle.notify_all()
        self._gauge_pending.set(self._pending_rows)

    def _failed(self, exc: sqlite3.Error) -> None:
        self.errors += 1
        _failures[0] += 1
        self._errors_metric.inc()
        self._gauge_writable.set(0)
        self.problem = f"{self.store} state {self.path} cannot be written: {exc}"
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_S:
            self._logged_at = now
            log_event(log, "ERROR", "state write failed; retrying, nothing is dropped",
                      store=self.store, path=self.path, error=str(exc),
                      pending_rows=self._pending_rows, reason="state_unwritable")

    def _checkpoint(self, mode: str) -> None:
        """Copy the WAL into the main file (a failure here loses nothing: the WAL stays)."""
        self._checkpointed_at = time.monotonic()
        if not self._written_since_checkpoint and mode == "PASSIVE":
            return
        try:
            self._db.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            self._written_since_checkpoint = False
        except sqlite3.Error as exc:
            log_event(log, "WARNING", "state checkpoint failed", store=self.store,
                      path=self.path, error=str(exc))


def fsync_dir(directory: Path) -> None:
    """Sync a directory, so a file just renamed into it survives an OS crash (best effort:
    some filesystems refuse to open or sync a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
