"""kill -9 while a dedup commit is being written: a restart finds the state of one
commit or of the other, whole (its rows with the boilerplate counts that go with
them), never the rows of one and the counts of the other. Counts newer than the
rows count again the articles the restart processes again; older ones lose them."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kabar.dedup import Deduper, store
from tests.faults import crash_child as child

ROOT = Path(__file__).resolve().parents[2]


def _straight(stories: bool) -> list[tuple[int, bytes, bytes]]:
    """(articles held, boilerplate counts, offset) after each commit of a run not killed."""
    dedup = Deduper(child.settings(None), clustering=stories)
    articles = child.stream()
    states = []
    for count in (child.FIRST, child.SECOND):
        child.feed(dedup, articles, count)
        held = dedup.store.count()
        states.append((held, dedup.boilerplate.dump(), str(held).encode()))
    return states


def _reopened(path: Path, stories: bool) -> tuple[int, bytes, bytes | None]:
    old = store._BLOB_FILE_MIN
    store._BLOB_FILE_MIN = child.BLOB_FILE_MIN  # type: ignore[attr-defined]
    try:
        dedup = Deduper(child.settings(path), clustering=stories)
        try:
            state = dedup.store
            return state.count(), dedup.boilerplate.dump(), state.get_blob(child.OFFSET)
        finally:
            dedup.close()
    finally:
        store._BLOB_FILE_MIN = old  # type: ignore[attr-defined]


# With stories the counts join the story checkpoint's transaction; without, they are
# put on their own (``SqliteStore.put_blob``).
@pytest.mark.parametrize("stories", ["stories", "no_stories"])
@pytest.mark.parametrize("point", ["before_blob_file", "after_blob_file", "after_one_transaction"])
def test_a_commit_killed_while_written_leaves_one_whole_state(
    tmp_path: Path, point: str, stories: str
) -> None:
    path = tmp_path / "dedup.sqlite3"
    command = [sys.executable, "-m", "tests.faults.crash_child", str(path), point, stories]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    first, second = _straight(stories == "stories")
    assert first != second
    held, counts, offset = _reopened(path, stories == "stories")
    kinds = {first[1]: "first", second[1]: "second"}
    assert (held, counts, offset) in (first, second), (held, kinds.get(counts), offset)


def test_moving_a_state_aside_takes_both_files_of_its_blobs(tmp_path: Path) -> None:
    from kabar.statefile import move_aside

    path = tmp_path / "dedup.sqlite3"
    files = [
        Path(f"{path}{suffix}")
        for suffix in ("", ".boilerplate.blob", ".boilerplate.1.blob", ".stories.1.blob")
    ]
    for file in files:
        file.write_bytes(b"x")
    target = move_aside(path)
    assert [file.exists() for file in files] == [False] * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{target.name}{file.name.removeprefix(path.name)}" for file in files
    )
