"""The dedup and story state's content does not depend on when it was committed (the
stories role commits on a wall-clock interval) nor on the hash seed; only its layout
in memory does. Which packed story holds its committed row rather than its own
packed bytes depends on whether the checkpoint holding its last change had committed
when it was packed (``StoryJournal.row_of``), and which one-story terms fit the cold
table's buckets on the seed (``kabar.dedup.storycold``): both read back the same
fields and postings. So the state files of two runs over the same stream, committed
at different moments in processes of different seeds, hold the same rows, story rows,
terms and blobs (but the file's identity and its count of checkpoints), and reopened,
both go on as a run never reopened does, result for result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]


def _child(state: Path, every: int, seed: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.dedup.timing_child", str(state), str(every)],
        cwd=ROOT, capture_output=True, timeout=600,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return dict(orjson.loads(done.stdout.splitlines()[-1]))


def test_state_committed_at_other_moments_holds_the_same_and_answers_the_same(
    tmp_path: Path,
) -> None:
    often, seldom = tmp_path / "often.sqlite3", tmp_path / "seldom.sqlite3"
    first = _child(often, 7, "1")
    second = _child(seldom, 400, "2")
    assert first["layout"]["packed"] and first["layout"]["cold_terms"]  # the stream packs
    assert first["content"] == second["content"]
    straight = _child(tmp_path / "straight.sqlite3", 0, "3")["results"]
    assert _child(often, 7, "4")["results"] == straight
    assert _child(seldom, 400, "5")["results"] == straight
