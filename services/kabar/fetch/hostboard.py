"""What the processes of one ``kabar run --processes N`` tell each other about a host:
a file in the run's folder that each of them reads before every request.

Two kinds of word, one JSON line each, appended and never rewritten:

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
added since it last looked (one ``fstat`` when nothing was), so a pause reaches
every process before its next request to the host. A word carries its writer (pid and
board): a process skips its own, having applied them when it wrote them.
"""

from __future__ import annotations

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

    def __init__(self, folder: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._writer = writer_id()
        self._fd = os.open(folder / BOARD_FILE, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._offset = 0
        self._partial = b""
        self._warned = False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

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
        try:
            size = os.fstat(self._fd).st_size
            if size <= self._offset:
                return []
            data = self._partial + os.pread(self._fd, size - self._offset, self._offset)
        except OSError as exc:  # politeness lost for a while must not fail a fetch
            self._failed(exc)
            return []
        self._offset += len(data) - len(self._partial)
        lines = data.split(b"\n")
        self._partial = lines.pop()  # a line still being written: read with the rest
        return [word for line in lines if (word := read_word(line, self._writer)) is not None]

    def _write(self, fields: dict[str, object]) -> None:
        try:
            os.write(self._fd, write_word(fields, self._writer) + b"\n")
        except OSError as exc:  # a full disk: the others do not hear of it, no more
            self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        if not self._warned:
            self._warned = True
            log.warning("the run's host board failed; each process keeps to its own "
                        "share of the hosts meanwhile", extra={"error": repr(exc)})


def write_word(fields: dict[str, object], writer: str) -> bytes:
    return orjson.dumps({**fields, "by": writer})


def read_word(data: bytes, writer: str) -> Word | None:
    """The word ``data`` holds, unless ``writer`` wrote it (or it is damaged)."""
    try:
        fields = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # never written so; a damaged line says nothing
    if not isinstance(fields, dict) or fields.get("by") == writer:
        return None
    return Word(str(fields.get("host", "")), float(fields.get("until", 0)),
                str(fields.get("reason", "")), int(fields.get("debit", 0)),
                float(fields.get("at", 0)))
