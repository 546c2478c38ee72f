"""The politeness the processes of a run share: the host board (``hostboard``:
pauses, discovery's requests), the robots.txt answers (``robotshare``) and, on one
machine, the hosts' concurrency slots (``hostslots``).

``kabar run --processes N`` shares them through a folder of the run, which it makes
and hands to its crawl processes in ``SHARED_DIR_ENV``; the distributed roles through
the Redis they share (``redisshare``). A single process shares nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kabar.fetch.hostboard import Board, HostBoard
from kabar.fetch.hostslots import RunSlots
from kabar.fetch.robots import SharedRobots
from kabar.fetch.robotshare import RobotsFolder

#: The run's shared folder, for its crawl processes.
SHARED_DIR_ENV = "KABAR_CRAWL_SHARED_DIR"


@dataclass(slots=True)
class RunShare:
    """One process's handle on its run's shared politeness."""

    board: Board
    robots: SharedRobots
    #: This is the run's discovery: its requests are charged to the crawl processes.
    discovery: bool = False
    #: The Redis client of ``redis``, closed with the share.
    client: Any = None
    #: The hosts' slots for the whole run (one machine only).
    slots: RunSlots | None = None

    @classmethod
    def open(cls, folder: Path, *, discovery: bool = False) -> RunShare:
        folder.mkdir(parents=True, exist_ok=True)
        return cls(HostBoard(folder), RobotsFolder(folder / "robots"), discovery,
                   slots=RunSlots(folder / "slots"))

    @classmethod
    def redis(cls, url: str, prefix: str, *, discovery: bool = False) -> RunShare:
        """The distributed roles' share, in the Redis at ``url`` under ``prefix``."""
        import redis

        from kabar.fetch.redisshare import RedisBoard, RedisRobots

        client = redis.Redis.from_url(url)
        return cls(RedisBoard(client, prefix), RedisRobots(client, prefix), discovery, client)

    def close(self) -> None:
        self.board.close()
        if self.slots is not None:
            self.slots.close()
        if self.client is not None:
            self.client.close()


def from_environment() -> RunShare | None:
    """A crawl process's handle on its run's folder, if it is one of a run's."""
    folder = os.environ.get(SHARED_DIR_ENV)
    return RunShare.open(Path(folder)) if folder else None
