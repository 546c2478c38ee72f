"""The local event archive and the ``-o`` output: JSON lines of acknowledged events.

The embedded broker keeps its topics in memory, so without a copy a run's output
would vanish at exit while its seen-URL and dedup state persist. Every record the
broker acknowledged is appended to ``<data dir>/events/<topic>.jsonl`` (the
publisher's ``on_ack`` hook), so what the state says was published is also on disk.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from kabar.logs import log_event
from kabar.publish import Outgoing

log = logging.getLogger("kabar.archive")


def topic_file(directory: Path, topic: str) -> Path:
    """The archive file of one topic."""
    return directory / f"{topic}.jsonl"


class EventArchive:
    """Appends each acknowledged record's value to its topic's JSON-lines file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.counts: Counter[str] = Counter()
        self._files: dict[str, IO[bytes]] = {}
        self._failed = False

    def write(self, record: Outgoing) -> None:
        try:
            out = self._files.get(record.topic)
            if out is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                out = self._files[record.topic] = topic_file(self.directory, record.topic).open(
                    "ab")
            out.write(record.value + b"\n")
            out.flush()  # `kabar tail` may read the file while the run goes on
        except OSError as exc:
            if not self._failed:  # once: a full disk would otherwise log every record
                log_event(log, "ERROR", "cannot write the event archive", error=str(exc),
                          directory=str(self.directory))
            self._failed = True
            return
        self.counts[record.topic] += 1

    def close(self) -> None:
        for out in self._files.values():
            out.close()
        self._files.clear()


class LineOutput:
    """``kabar run -o FILE|-``: the article events as JSON lines."""

    def __init__(self, stream: IO[bytes], topic: str) -> None:
        self.stream = stream
        self.topic = topic
        self.count = 0

    def write(self, record: Outgoing) -> None:
        if record.topic == self.topic:
            self.stream.write(record.value + b"\n")
            self.stream.flush()
            self.count += 1


def read_archive(path: Path) -> Iterator[bytes]:
    """The archived events of one topic, oldest first (a torn last line is skipped)."""
    with path.open("rb") as lines:
        for line in lines:
            if line.endswith(b"\n") and line.strip():
                yield line.rstrip(b"\n")
