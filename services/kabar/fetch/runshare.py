"""The politeness one ``kabar run --processes N`` shares among its processes, through
a folder of the run (``pipeline.processes`` > 1; a single process shares nothing):
the host board (``hostboard``: pauses, discovery's requests) and the robots.txt
answers (``robotshare``). The run makes the folder and hands its path to its crawl
processes in ``SHARED_DIR_ENV``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kabar.fetch.hostboard import HostBoard
from kabar.fetch.robotshare import RobotsFolder

#: The run's shared folder, for its crawl processes.
SHARED_DIR_ENV = "KABAR_CRAWL_SHARED_DIR"


@dataclass(slots=True)
class RunShare:
    """One process's handle on its run's shared politeness."""

    board: HostBoard
    robots: RobotsFolder
    #: This is the run's discovery: its requests are charged to the crawl processes.
    discovery: bool = False

    @classmethod
    def open(cls, folder: Path, *, discovery: bool = False) -> RunShare:
        folder.mkdir(parents=True, exist_ok=True)
        return cls(HostBoard(folder), RobotsFolder(folder / "robots"), discovery)

    def close(self) -> None:
        self.board.close()


def from_environment() -> RunShare | None:
    """A crawl process's handle on its run's folder, if it is one of a run's."""
    folder = os.environ.get(SHARED_DIR_ENV)
    return RunShare.open(Path(folder)) if folder else None
