"""The shared politeness of the distributed roles (``kabar run --role crawl|discovery``
on several machines), in the Redis they already share (``cluster.status_url``): what
the run's folder holds on one machine (``runshare``).

* The host board is a Redis stream (``<prefix>board``, capped at ``BOARD_MAX``
  entries): a word is one ``XADD``, and each process reads what was added since its
  last look (``XREAD``) before a request, as it reads the board file, but not more
  often than every ``READ_EVERY_S`` (a round trip to Redis per request would cost a
  busy crawl worker's event loop more than the politeness is worth).
* A robots.txt answer is a key that expires with its TTL (``<prefix>robots:<hash>``);
  the process fetching it holds ``<prefix>robots-lock:<hash>`` (``SET NX`` with an
  expiry, so a process that dies holding it holds nobody up for long).

Redis away must not stop the crawl: a word not posted or not read, or robots.txt
fetched by each process, is politeness lost for a while, logged once per outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import redis

from kabar.fetch.hostboard import Word, read_word, write_word, writer_id
from kabar.fetch.robots import RobotsAnswer
from kabar.fetch.robotshare import origin_key, read_answer, write_answer

log = logging.getLogger(__name__)

#: Words the board stream keeps (about): pauses last seconds, a new process reads these.
BOARD_MAX = 10_000
#: A process reads the board at most this often.
READ_EVERY_S = 0.05
#: A robots.txt fetch holds its lock this long at most.
ROBOTS_LOCK_S = 120.0
_LOCK_POLL_S = 0.02


class _Outage:
    """Logs the first Redis failure of an outage, and its end."""

    def __init__(self) -> None:
        self.down = False

    def failed(self, exc: Exception) -> None:
        if not self.down:
            self.down = True
            log.warning("shared politeness: Redis unreachable; each process keeps to its "
                        "own share meanwhile", extra={"error": repr(exc)})

    def ok(self) -> None:
        if self.down:
            self.down = False
            log.info("shared politeness: Redis reachable again")


class RedisBoard:
    """``hostboard.Board`` on a Redis stream."""

    def __init__(self, client: Any, prefix: str, *,
                 clock: Callable[[], float] = time.time,
                 ticks: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._ticks = ticks
        self._read_at = float("-inf")
        self._r = client
        self._key = f"{prefix}board"
        self._writer = writer_id()
        self._last: bytes | str = "0-0"
        self._outage = _Outage()

    def pause(self, host: str, seconds: float, reason: str) -> float:
        until = self.clock() + seconds
        self._add({"host": host, "until": until, "reason": reason})
        return until

    def debit(self, host: str) -> None:
        self._add({"host": host, "debit": 1, "at": self.clock()})

    def news(self) -> list[Word]:
        now = self._ticks()
        if now - self._read_at < READ_EVERY_S:
            return []
        self._read_at = now
        try:
            found = self._r.xread({self._key: self._last}, count=BOARD_MAX)
        except redis.RedisError as exc:
            self._outage.failed(exc)
            return []
        self._outage.ok()
        words = []
        for _stream, entries in found or []:
            for entry_id, fields in entries:
                self._last = entry_id
                word = read_word(fields.get(b"w", b""), self._writer)
                if word is not None:
                    words.append(word)
        return words

    def close(self) -> None:
        pass  # the client is the share's

    def _add(self, fields: dict[str, object]) -> None:
        try:
            self._r.xadd(self._key, {"w": write_word(fields, self._writer)},
                         maxlen=BOARD_MAX, approximate=True)
        except redis.RedisError as exc:
            self._outage.failed(exc)


class RedisRobots:
    """``robots.SharedRobots`` in Redis keys."""

    def __init__(self, client: Any, prefix: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._r = client
        self._prefix = prefix
        self._clock = clock
        self._token = writer_id()
        self._outage = _Outage()

    @contextlib.asynccontextmanager
    async def locked(self, origin: str) -> AsyncIterator[None]:
        key = f"{self._prefix}robots-lock:{origin_key(origin)}"
        held = False
        try:
            while not (held := bool(self._r.set(key, self._token, nx=True,
                                                px=int(ROBOTS_LOCK_S * 1000)))):
                await asyncio.sleep(_LOCK_POLL_S)
        except redis.RedisError as exc:
            self._outage.failed(exc)  # fetched here, as by a process alone
        try:
            yield
        finally:
            if held:
                with contextlib.suppress(redis.RedisError):
                    if self._r.get(key) == self._token.encode():
                        self._r.delete(key)

    def read(self, origin: str) -> tuple[RobotsAnswer, float] | None:
        try:
            data = self._r.get(f"{self._prefix}robots:{origin_key(origin)}")
        except redis.RedisError as exc:
            self._outage.failed(exc)
            return None
        return read_answer(data, origin, self._clock()) if data else None

    def write(self, origin: str, answer: RobotsAnswer, ttl_s: float) -> None:
        data = write_answer(origin, answer, self._clock() + ttl_s)
        try:
            self._r.set(f"{self._prefix}robots:{origin_key(origin)}", data,
                        px=max(1, int(ttl_s * 1000)))
        except redis.RedisError as exc:
            self._outage.failed(exc)
