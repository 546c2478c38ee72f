"""What the processes of one ``kabar run --processes N`` tell each other about a host:
a file in the run's folder that each of them reads before every request.

Two kinds of word, one JSON line each, appended (and compacted, below):

* a pause, ``{"host", "until", "reason"}``: the host answered 429/503 with a
  Retry-After, so no process of the run sends to it before ``until``. The end is in
  epoch seconds: a pause is politeness towards a server, wall-clock by nature, and
  is compared across processes (it decides when requests go, never what is made of
  a page).
* a request of the run's discovery, ``{"host", "debit": 1, "at"}``: discovery has its own
  full budget of the host for its few sources, and each such request is charged to
  the crawl processes' shares of the host (``HostLimiter.charge``), so discovery and
  crawl together keep to the host's rate.

Each line is one ``write(2)`` on a descriptor opened with ``O_APPEND``: lines of
several writers never interleave. A reader keeps its offset and reads only what was
added since it last looked (one ``stat`` when nothing was), so a pause reaches
every process before its next request to the host. A word carries its writer (pid and
board): a process skips its own, having applied them when it wrote them.

Compaction. Discovery debits every request it sends (a line of ~100 bytes: tens of MB
a day), so the file is rewritten once it is over ``MAX_BYTES`` and twice what its last
compaction kept: a new file holding a header line and the words that still say
something (pauses not over, discovery's requests of the last ``DEBIT_KEEP_S``) is
renamed over it. Writers hold a shared ``flock`` of ``LOCK_FILE`` while they write (to
the file the board's name is on then), the compacting writer an exclusive one while it
reads what was added since it sifted the file and renames: no word lands in the old
file after it was read, so the old file is complete once replaced. A reader that finds
the name on another file drains its old one to the end, then reads the new one from
the top, skipping the words it has (each carries its writer's count, ``n``, and a
writer's words stay in its order): it hears each word once, and misses only words
that said nothing any more (dropped by a compaction it did not look through). The file
stays under ``MAX_BYTES`` or twice the words that still hold, whichever is more.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson

log = logging.getLogger(__name__)

#: The board's file in the run's folder.
BOARD_FILE = "hosts.board"
#: Held (``flock``) shared while writing, exclusive while compacting.
LOCK_FILE = "hosts.board.lock"
#: The board is compacted once over this many bytes (and twice what it kept).
MAX_BYTES = 1 << 20
#: Discovery's requests this recent are kept by a compaction, for a process starting
#: after it: one older charges nothing to a host spaced less than this (a crawl-delay
#: of up to ten minutes; ``HostLimiter.charge``), nor does a pause that is over.
DEBIT_KEEP_S = 600.0
_BOARDS = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Word:
    """One line of the board: a pause (``until`` > 0) or a request of discovery
    (``debit``, sent ``at``); times in epoch seconds."""

    host: str
    until: float = 0.0
    reason: str = ""
    debit: int = 0
    at: float = 0.0


def writer_id() -> str:
    """This board's name among the run's: host, pid and a count."""
    return f"{socket.gethostname()}.{os.getpid()}.{next(_BOARDS)}"


class Board(Protocol):
    """Where the processes of a run post and read host words: ``HostBoard`` (one
    machine), ``redisshare.RedisBoard`` (the distributed roles)."""

    #: The wall clock the words' times are in.
    clock: Callable[[], float]

    def pause(self, host: str, seconds: float, reason: str) -> float: ...
    def debit(self, host: str) -> None: ...
    def news(self) -> list[Word]: ...
    def close(self) -> None: ...


class HostBoard:
    """One process's handle on the run's board (``folder / BOARD_FILE``)."""

    def __init__(
        self, folder: Path, *, clock: Callable[[], float] = time.time,
        max_bytes: int | None = None,
    ) -> None:
        self.clock = clock
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self._writer = writer_id()
        self._said = itertools.count()
        self._path = folder / BOARD_FILE
        self._lock = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        #: Written to: the file the board's name was on at the last write.
        self._wfd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._wid = _identity(os.fstat(self._wfd))
        #: Read from, ``_offset`` bytes so far.
        self._fd = os.open(self._path, os.O_RDONLY)
        self._rid = _identity(os.fstat(self._fd))
        self._offset = 0
        self._partial = b""
        #: The count of the last word read of each writer.
        self._heard: dict[str, int] = {}
        self._compactions = itertools.count(1)
        self._warned = False

    def close(self) -> None:
        for fd in (self._fd, self._wfd, self._lock):
            if fd >= 0:
                os.close(fd)
        self._fd = self._wfd = self._lock = -1

    def pause(self, host: str, seconds: float, reason: str) -> float:
        """Tell the run ``host`` is paused for ``seconds`` from now; returns the end
        (epoch seconds)."""
        until = self.clock() + seconds
        self._write({"host": host, "until": until, "reason": reason})
        return until

    def debit(self, host: str) -> None:
        """Tell the crawl processes discovery sent a request to ``host``."""
        self._write({"host": host, "debit": 1, "at": self.clock()})

    def news(self) -> list[Word]:
        """The other processes' words written since the last call, in file order."""
        words: list[Word] = []
        try:
            named = os.stat(self._path)
            if _identity(named) != self._rid:  # compacted: the old file is complete
                self._read(os.fstat(self._fd).st_size, words)
                self._follow()
                named = os.fstat(self._fd)
            self._read(named.st_size, words)
        except OSError as exc:  # politeness lost for a while must not fail a fetch
            self._failed(exc)
        return words

    def _read(self, size: int, words: list[Word]) -> None:
        """Add the words of the file read from, up to ``size``, to ``words``."""
        if size <= self._offset:
            return
        data = self._partial + os.pread(self._fd, size - self._offset, self._offset)
        self._offset += len(data) - len(self._partial)
        lines = data.split(b"\n")
        self._partial = lines.pop()  # a line still being written: read with the rest
        heard = self._heard
        for line in lines:
            fields = _fields(line)
            if fields is None or "host" not in fields or fields.get("by") == self._writer:
                continue  # damaged, the header of a compacted board, or its own
            writer, n = str(fields.get("by")), fields.get("n")
            if isinstance(n, int):
                if n <= heard.get(writer, -1):
                    continue  # copied by a compaction from a file read already
                heard[writer] = n
            words.append(_word(fields))

    def _follow(self) -> None:
        """Read the file the board's name is on now, from its top."""
        fd = os.open(self._path, os.O_RDONLY)
        os.close(self._fd)
        self._fd, self._rid = fd, _identity(os.fstat(fd))
        self._offset = 0
        self._partial = b""  # a damaged last line of the old file: never completed

    def _write(self, fields: dict[str, object]) -> None:
        line = write_word({**fields, "n": next(self._said)}, self._writer) + b"\n"
        try:
            # Shared: not while a compaction reads the file and puts another in its place.
            fcntl.flock(self._lock, fcntl.LOCK_SH)
            try:
                if _identity(os.stat(self._path)) != self._wid:
                    fd = os.open(self._path, os.O_RDWR | os.O_APPEND)
                    os.close(self._wfd)
                    self._wfd, self._wid = fd, _identity(os.fstat(fd))
                os.write(self._wfd, line)
                size = os.fstat(self._wfd).st_size
            finally:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            if size > self.max_bytes and size > 2 * _kept(self._wfd):
                self._compact()
        except OSError as exc:  # a full disk: the others do not hear of it, no more
            self._failed(exc)

    def _compact(self) -> None:
        """Put a file of the words that still hold in the board's place (unless
        another process is at it, or did it since this one wrote). The file is read
        and sifted first without the lock (17 ms of CPU at 1 MiB): only what was
        added meanwhile is read holding it, so the others' writes wait little."""
        with open(self._path, "rb") as old:
            named = os.fstat(old.fileno())
            if named.st_size <= self.max_bytes or named.st_size <= 2 * _kept(old.fileno()):
                return  # compacted meanwhile
            now = self.clock()
            data = old.read()
            end = data.rfind(b"\n") + 1  # a line still being written: read with the rest
            kept = _holding(data[:end], now)
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # being written or compacted: tried again at a later write
            try:
                if _identity(os.stat(self._path)) != _identity(named):
                    return  # another process put one in its place meanwhile
                kept += _holding(os.pread(old.fileno(), 1 << 30, end), now)
                header = orjson.dumps({"kept": len(kept)}) + b"\n"
                temp = self._path.with_name(
                    f"{BOARD_FILE}.{self._writer}.{next(self._compactions)}")
                try:
                    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    try:
                        os.write(fd, header + kept)
                    finally:
                        os.close(fd)
                    os.replace(temp, self._path)
                except OSError:
                    temp.unlink(missing_ok=True)  # (a full disk) the board stays as it was
                    raise
            finally:
                fcntl.flock(self._lock, fcntl.LOCK_UN)

    def _failed(self, exc: OSError) -> None:
        if not self._warned:
            self._warned = True
            log.warning("the run's host board failed; each process keeps to its own "
                        "share of the hosts meanwhile", extra={"error": repr(exc)})


def _identity(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_dev, stat.st_ino


def _kept(fd: int) -> int:
    """The bytes of words a compaction wrote to the file open at ``fd`` (its header
    says; 0: never compacted)."""
    top = os.pread(fd, 64, 0)
    end = top.find(b"\n")
    if not top.startswith(b'{"kept"') or end < 0:
        return 0
    fields = _fields(top[:end])
    kept = fields.get("kept") if fields is not None else None
    return kept if isinstance(kept, int) else 0


def _holding(data: bytes, now: float) -> bytes:
    """The lines of ``data`` (whole lines) that still hold at ``now``."""
    return b"".join(line + b"\n" for line in data.split(b"\n") if _holds(line, now))


def _holds(line: bytes, now: float) -> bool:
    """Whether the word ``line`` still says something at ``now``: a pause not over, a
    request of discovery of the last ``DEBIT_KEEP_S``."""
    fields = _fields(line)
    if fields is None or "host" not in fields:
        return False  # a header, or damaged
    until, at = fields.get("until", 0), fields.get("at", 0)
    return ((isinstance(until, int | float) and until > now)
            or (isinstance(at, int | float) and at > now - DEBIT_KEEP_S))


def _fields(data: bytes) -> dict[str, object] | None:
    try:
        fields = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # never written so; a damaged line says nothing
    return fields if isinstance(fields, dict) else None


def _word(fields: dict[str, object]) -> Word:
    return Word(str(fields.get("host", "")), _number(fields.get("until")),
                str(fields.get("reason", "")), int(_number(fields.get("debit"))),
                _number(fields.get("at")))


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def write_word(fields: dict[str, object], writer: str) -> bytes:
    return orjson.dumps({**fields, "by": writer})


def read_word(data: bytes, writer: str) -> Word | None:
    """The word ``data`` holds, unless ``writer`` wrote it (or it is damaged, or a
    compacted board's header)."""
    fields = _fields(data)
    if fields is None or fields.get("by") == writer or "host" not in fields:
        return None
    return _word(fields)
