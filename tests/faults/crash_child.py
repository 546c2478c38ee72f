"""A stories role that saves its dedup state and offset twice and is killed
(SIGKILL, by itself) at a chosen moment of the second save's writes:
``python -m tests.faults.crash_child STATE POINT STORIES``. Used by
tests/faults/test_commit_crash.py; not a test itself."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from kabar import statefile
from kabar.bench.dedup import StoryStream
from kabar.dedup import Deduper, store
from kabar.roles import _OFFSET_BLOB
from kabar.settings import DedupSettings
from tests.support import stories_role

#: Articles in the first commit, then in the second (the one killed).
FIRST, SECOND = 60, 20
#: Blobs this large go to a file beside the state (1 MiB in production).
BLOB_FILE_MIN = 256
#: The stories role's offset, saved with the state (``StoriesStage._save``).
OFFSET = _OFFSET_BLOB


def settings(path: Path | None) -> DedupSettings:
    if path is None:
        return DedupSettings(store="memory", checkpoint_interval_s=0.0)
    return DedupSettings(store="sqlite", state_path=str(path), checkpoint_interval_s=0.0)


def stream() -> StoryStream:
    return StoryStream(seed=4, per_day=300)


def feed(dedup: Deduper, articles: StoryStream, count: int) -> None:
    for _ in range(count):
        article, when = articles.next()
        dedup.process(article, when=when)


def _killed_at(point: str) -> None:
    """Kill this process when the next blob file is written (before or after it), or
    once the writer has committed one transaction."""
    if point == "after_one_transaction":
        commit: Any = statefile.StateWriter._write

        def committed(self: statefile.StateWriter, batches: Any) -> bool:
            done = commit(self, batches)
            if done and batches:
                os.kill(os.getpid(), signal.SIGKILL)
            return bool(done)

        statefile.StateWriter._write = committed  # type: ignore[method-assign]
        return
    write: Any = store._write_file

    def killing(path: Path, data: bytes) -> None:
        if point == "after_blob_file":
            write(path, data)
        os.kill(os.getpid(), signal.SIGKILL)

    store._write_file = killing  # type: ignore[attr-defined]


def main(path: Path, point: str, stories: bool) -> int:
    store._BLOB_FILE_MIN = BLOB_FILE_MIN  # type: ignore[attr-defined]
    dedup = Deduper(settings(path), clustering=stories)
    assert dedup.defer_commits(freeze_heap=False)
    articles = stream()
    role = stories_role(dedup)
    feed(dedup, articles, FIRST)
    role._save(dedup, FIRST)
    state = dedup.store
    assert isinstance(state, store.SqliteStore) and state.sync(60.0)
    feed(dedup, articles, SECOND)
    _killed_at(point)
    role._save(dedup, FIRST + SECOND)
    state.sync(60.0)
    return 3  # not killed: the point was never reached


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "stories"))
