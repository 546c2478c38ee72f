"""An idle story whose committed row holds it as it is is frozen on that row,
without packing it again on the event loop (issue 14): the same stories and the
same state as packing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import storystate
from kabar.dedup.storystate import StoredRows, StoryJournal
from tests.dedup.state_support import clusterer_of, story_ids, stream_deduper


@pytest.fixture(autouse=True)
def _every_story_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    from kabar.dedup import stories

    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)


def test_stories_frozen_on_their_rows_cluster_and_save_as_stories_packed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = StoryStream(seed=9, per_day=2_000)
    items = [source.next() for _ in range(240)]
    held = stream_deduper(None)
    expected = story_ids(held, items)
    on_row: list[str] = []
    freeze = storystate.freeze

    def counted(story: Any, stored: StoredRows | None = None) -> bool:
        done = freeze(story, stored)
        if done and stored is not None and story.raw is stored:
            on_row.append(story.id)
        return done

    from kabar.dedup import stories

    monkeypatch.setattr(stories, "freeze", counted)
    stored = stream_deduper(tmp_path / "state.db")
    assert story_ids(stored, items, commit_every=10) == expected
    assert len(on_row) > 10  # most idle stories were committed, unchanged, when frozen
    state = orjson.loads(clusterer_of(stored).dump())  # (unpacks every story from its row)
    assert state == orjson.loads(clusterer_of(held).dump())
    stored.close()


def test_a_row_stands_for_a_story_only_while_every_cut_is_committed_and_it_is_unchanged(
    tmp_path: Path,
) -> None:
    journal = StoryJournal()
    assert journal.row_of("st_a") is None  # no rows file yet
    rows = StoredRows(tmp_path / "absent.db")  # (never read here)
    journal.stored_in(rows)
    journal.cut({}, {}, [], np.zeros(0, dtype=np.int64))
    assert journal.row_of("st_a") is None  # the cut is not committed yet
    journal.committed(1)
    assert journal.row_of("st_a") is rows
    journal.touch("st_a")  # changed since the last cut: its row is older
    assert journal.row_of("st_a") is None and journal.row_of("st_b") is rows


def test_a_story_whose_words_do_not_pack_is_not_frozen_on_its_row(tmp_path: Path) -> None:
    from kabar.dedup.stories import _Story

    rows = StoredRows(tmp_path / "absent.db")
    story = _Story("st_x", "judul", "id", 0.0, 0.0, member_count=1,
                   centroid={"kata\nbaris": 1.0})  # fmt: skip
    assert not storystate.freeze(story, rows)  # its row would be orjson: held as it is
    assert story.raw is None and story.centroid == {"kata\nbaris": 1.0}
    plain = _Story("st_y", "judul", "id", 0.0, 0.0, member_count=1, centroid={"kata": 1.0})
    assert storystate.freeze(plain, rows) and plain.raw is rows
