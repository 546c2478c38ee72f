"""The robots.txt answers of one ``kabar run --processes N``, kept in the run's folder
so every process of the run (discovery and the crawl processes) reads an origin's
robots.txt from one fetch per ``fetch.robots_cache_s``, and they all keep to the same
rules even when the file changes meanwhile.

An origin has two files: ``<key>.json``, its answer (``robots.RobotsAnswer``) with
the epoch second it stops being valid (the TTL is wall-clock: it is compared across
processes, and decides only when robots.txt is asked again), written whole by a
rename; and ``<key>.lock``, held (``flock``) by the process fetching the answer, so
the others wait for it instead of fetching it too. ``key`` is a hash of the origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson

from kabar.fetch.robots import RobotsAnswer

#: How often a process waiting for another's fetch of an origin's robots.txt looks.
_LOCK_POLL_S = 0.02
_KINDS = ("text", "allow", "disallow", "unreachable")


class RobotsFolder:
    """``robots.SharedRobots`` over a folder (created if missing)."""

    def __init__(self, folder: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self._clock = clock
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, origin: str, suffix: str) -> Path:
        return self.folder / f"{origin_key(origin)}{suffix}"

    @contextlib.asynccontextmanager
    async def locked(self, origin: str) -> AsyncIterator[None]:
        # Polled without blocking: a thread blocked in flock could not be cancelled.
        try:
            fd = os.open(self._path(origin, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # fetched here, as by a process alone
            yield
            return
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(_LOCK_POLL_S)
            yield
        finally:
            os.close(fd)  # releases the lock

    def read(self, origin: str) -> tuple[RobotsAnswer, float] | None:
        try:
            data = self._path(origin, ".json").read_bytes()
        except OSError:
            return None
        return read_answer(data, origin, self._clock())

    def write(self, origin: str, answer: RobotsAnswer, ttl_s: float) -> None:
        path = self._path(origin, ".json")
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        # A full disk: the others fetch robots.txt themselves, as processes alone.
        with contextlib.suppress(OSError):
            partial.write_bytes(write_answer(origin, answer, self._clock() + ttl_s))
            os.replace(partial, path)


def origin_key(origin: str) -> str:
    return hashlib.sha256(origin.encode("utf-8", "replace")).hexdigest()[:32]


def write_answer(origin: str, answer: RobotsAnswer, expires: float) -> bytes:
    return orjson.dumps({"origin": origin, "kind": answer.kind, "text": answer.text,
                         "reason": answer.reason, "expires": expires})


def read_answer(data: bytes, origin: str, now: float) -> tuple[RobotsAnswer, float] | None:
    """The answer ``data`` keeps for ``origin`` and its seconds left; None: expired,
    another origin's or damaged."""
    try:
        fields = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(fields, dict):
        return None
    left = float(fields.get("expires", 0)) - now
    kind = fields.get("kind")
    if left <= 0 or fields.get("origin") != origin or kind not in _KINDS:
        return None
    return RobotsAnswer(kind, str(fields.get("text", "")), str(fields.get("reason", ""))), left
