"""A checkpoint's boilerplate counts are dumped on the state file's writer thread,
from a copy made at the commit (``SqliteStore.put_blob_later``): the dump took 20 ms
and more of the event loop at each checkpoint (issue 14)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import Deduper
from kabar.dedup.boilerplate import BoilerplateLines
from kabar.dedup.store import SqliteStore
from kabar.dedup.storystate import CheckpointGate
from kabar.settings import DedupSettings


def test_the_boilerplate_blob_is_dumped_off_the_committing_thread_as_of_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    dump = BoilerplateLines.dump

    def recorded(self: BoilerplateLines) -> bytes:
        threads.append(threading.current_thread().name)
        return dump(self)

    monkeypatch.setattr(BoilerplateLines, "dump", recorded)
    # The story rows of a commit this small encode in no time: hold their release until
    # the commit has returned, as a real checkpoint's encoding would, so the blob always
    # meets a held checkpoint (otherwise it is made at once, on the caller).
    encoded = threading.Event()
    release = CheckpointGate._release

    def held_release(self: CheckpointGate, marker: Any, encode: Any) -> None:
        encoded.wait(30.0)
        release(self, marker, encode)

    monkeypatch.setattr(CheckpointGate, "_release", held_release)
    path = tmp_path / "state.sqlite3"
    settings = DedupSettings(store="sqlite", state_path=str(path), checkpoint_interval_s=0.0)
    dedup = Deduper(settings)
    assert dedup.defer_commits(freeze_heap=False)
    stream = StoryStream(seed=4, per_day=300)
    for _ in range(60):
        article, when = stream.next()
        dedup.process(article, when=when)
    dedup.commit()
    encoded.set()
    at_commit = dump(dedup.boilerplate)
    for _ in range(20):  # counts change after the commit, maybe while it is written
        article, when = stream.next()
        dedup.process(article, when=when)
    store = dedup.store
    assert isinstance(store, SqliteStore) and store.sync(30.0)
    assert threads and threading.main_thread().name not in threads
    assert store.get_blob("boilerplate") == at_commit
    store.close()
    reopened = SqliteStore(path, settings.fingerprint_ttl_days * 86400.0)
    assert reopened.get_blob("boilerplate") == at_commit  # as committed with the checkpoint
    reopened.close()
