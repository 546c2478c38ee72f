"""Story state checkpoints: incremental rows, crash resume, expiry, old format, determinism."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from kabar.bench.dedup import StoryStream
from kabar.dedup import Deduper
from kabar.dedup.store import SqliteStore
from kabar.dedup.stories import INCREMENTAL_VERSION, StoryClusterer
from kabar.dedup.storystate import CheckpointGate, decode_story
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.dedup.state_support import clusterer_of, store_of

Stream = list[tuple[Article, datetime]]


def _stream(count: int, seed: int = 3) -> Stream:
    source = StoryStream(seed=seed, per_day=2_000)
    return [source.next() for _ in range(count)]


def _deduper(path: Path) -> Deduper:
    settings = DedupSettings(store="sqlite", state_path=str(path), checkpoint_interval_s=0.0)
    deduper = Deduper(settings)
    deduper.defer_commits()  # as the stories role runs it: commits when it says
    return deduper




def _run(deduper: Deduper, items: Stream) -> list[str | None]:
    return [deduper.process(article, when=when)[0].story_id for article, when in items]


def _commit(deduper: Deduper) -> None:
    deduper.commit()
    assert store_of(deduper).sync(30.0)


def _table(path: Path, sql: str) -> list[Any]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _state(clusterer: StoryClusterer) -> Any:
    """The clusterer's whole state as plain values (dict comparison ignores key order)."""
    return orjson.loads(clusterer.dump())


def test_checkpoint_writes_only_the_stories_changed_since_the_last(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    deduper = _deduper(path)
    items = _stream(230)
    _run(deduper, items[:200])
    _commit(deduper)
    clusterer, store = clusterer_of(deduper), store_of(deduper)
    first = store.last_story_rows
    assert first is not None and first.all_stories and first.all_terms
    assert len(first.upserts) == clusterer.held_count > 20

    _commit(deduper)  # nothing changed: nothing written
    idle = store.last_story_rows
    assert idle is not None and (idle.upserts, idle.deletes, idle.terms) == ([], [], [])

    norms_before = {s.id: s.norms_at for s in clusterer._stories.values()}
    touched: set[str] = set()
    merged: set[str] = set()
    for article, when in items[200:]:
        _, events = deduper.process(article, when=when)
        for event in events:
            touched.add(event["story_id"])
            merged.update(event.get("merged_from", ()))
    renormed = {s.id for s in clusterer._stories.values() if norms_before.get(s.id) != s.norms_at}
    _commit(deduper)
    rows = store.last_story_rows
    assert rows is not None and not rows.all_stories and not rows.all_terms
    written = {story_id for story_id, _, _ in rows.upserts}
    assert written == (touched | renormed) - merged
    assert set(rows.deletes) == merged
    assert len(written) < clusterer.held_count / 3  # a few stories, not the whole state
    assert 0 < len(rows.terms) < len(clusterer._df.terms) - 1  # only words counted again
    stored = {i for (i,) in _table(path, "SELECT id FROM story_rows")}
    assert stored == set(clusterer._stories)
    deduper.close()


def test_reopen_restores_the_same_stories_and_writes_nothing_new(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    deduper = _deduper(path)
    _run(deduper, _stream(150))
    before = _state(clusterer_of(deduper))
    deduper.close()
    again = _deduper(path)
    header = orjson.loads(again.store.get_blob("stories") or b"{}")
    assert header["version"] == INCREMENTAL_VERSION and "stories" not in header
    assert _state(clusterer_of(again)) == before
    _commit(again)
    rows = store_of(again).last_story_rows
    assert rows is not None and (rows.upserts, rows.deletes, rows.terms) == ([], [], [])
    again.close()


def test_crash_between_checkpoints_resumes_to_the_stories_of_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    items = _stream(320)
    straight = _deduper(tmp_path / "straight.db")
    expected = _run(straight, items)

    first = _deduper(tmp_path / "crash.db")
    _run(first, items[:160])
    first.commit()
    first.store.put_blob("stories_offset", b"160")  # as the stories role does
    assert store_of(first).sync(30.0)
    _run(first, items[160:250])  # never committed: lost in the crash
    store_of(first)._writer.close(0.0)  # the process dies; nothing more reaches the file

    resumed = _deduper(tmp_path / "crash.db")
    offset = int(resumed.store.get_blob("stories_offset") or b"0")
    assert offset == 160
    assert _run(resumed, items[offset:]) == expected[offset:]
    assert _state(clusterer_of(resumed)) == _state(clusterer_of(straight))
    straight.close()
    resumed.close()


def test_expired_stories_leave_memory_and_the_stored_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    deduper = _deduper(path)
    items = _stream(120)
    _run(deduper, items)
    _commit(deduper)
    clusterer = clusterer_of(deduper)
    old = set(clusterer._stories)
    ttl = deduper.settings.story_ttl_days
    article, when = _stream(1, seed=99)[0]
    later = when + timedelta(days=ttl + 2)
    late = Article(url="https://www.zeta.co.id/berita/late", title=article.title,
                   paragraphs=article.paragraphs, portal="zeta",
                   published_at=later.isoformat().replace("+00:00", "Z"))
    deduper.process(late, when=later)
    clusterer.expire(later)  # the rest of what is due (the deduper spreads it over articles)
    _commit(deduper)
    rows = store_of(deduper).last_story_rows
    assert rows is not None and set(rows.deletes) == old
    assert clusterer.held_count == 1
    assert len(_table(path, "SELECT id FROM story_rows")) == 1
    deduper.close()


def test_single_blob_state_of_version_2_loads_and_is_migrated_to_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    settings = DedupSettings(store="memory")
    legacy = StoryClusterer(settings)
    for i, (article, when) in enumerate(_stream(100)):
        legacy.assign(f"art_{i:024x}", article, when)
    blob = legacy.dump()
    assert orjson.loads(blob)["version"] == 2
    store = SqliteStore(path, ttl_s=86_400.0 * 30)
    store.put_blob("stories", blob)
    store.close()

    deduper = _deduper(path)
    assert _state(clusterer_of(deduper)) == _state(legacy)
    _commit(deduper)
    rows = store_of(deduper).last_story_rows
    assert rows is not None and rows.all_stories and len(rows.upserts) == legacy.held_count
    deduper.close()
    assert len(_table(path, "SELECT id FROM story_rows")) == legacy.held_count
    again = _deduper(path)
    assert orjson.loads(again.store.get_blob("stories") or b"{}")["version"] == 3
    assert _state(clusterer_of(again)) == _state(legacy)
    again.close()


def test_same_input_gives_the_same_stored_state(tmp_path: Path) -> None:
    items = _stream(150)
    tables = []
    for name in ("one.db", "two.db"):
        deduper = _deduper(tmp_path / name)
        _run(deduper, items[:100])
        _commit(deduper)
        _run(deduper, items[100:])
        deduper.close()
        tables.append((
            _table(tmp_path / name, "SELECT id, number, data FROM story_rows ORDER BY id"),
            _table(tmp_path / name, "SELECT term, count FROM story_terms ORDER BY term"),
        ))  # fmt: skip
    assert tables[0] == tables[1]
    assert len(tables[0][0]) > 10 and len(tables[0][1]) > 100


class _Writer:
    """Records what reaches the writer: each submit is one transaction."""

    def __init__(self) -> None:
        self.log: list[Any] = []
        self.jobs: list[Any] = []

    def submit(self, statements: Any) -> None:
        self.log.append([sql for sql, _ in statements])

    def submit_job(self, job: Any, what: str) -> None:
        self.jobs.append(job)
        self.log.append(what)


def test_the_commit_of_a_checkpoint_is_told_after_its_transaction_and_never_if_not_encoded(
) -> None:
    told: list[str] = []
    writer = _Writer()
    gate = CheckpointGate(writer)  # type: ignore[arg-type]
    gate.checkpoint(lambda: None, lambda: [("story rows", [])], lambda: told.append("one"))
    writer.jobs.pop(0)()  # the writer thread encodes and releases
    assert writer.log[1:] == [["story rows"], "story rows committed"] and not told
    writer.jobs.pop(0)()  # run once the transaction before it is committed
    assert told == ["one"]

    def broken() -> list[Any]:
        raise ValueError("cannot encode")

    gate.checkpoint(lambda: None, broken, lambda: told.append("two"))
    writer.jobs.pop(0)()
    assert not writer.jobs and told == ["one"]


def test_rows_and_a_blob_put_after_a_checkpoint_commit_with_its_story_rows() -> None:
    writer = _Writer()
    gate = CheckpointGate(writer)  # type: ignore[arg-type]
    gate.checkpoint(lambda: gate.submit([("rows", [])]),
                    lambda: [("story rows", [])])  # fmt: skip
    gate.submit_blob([("offset", [])])
    gate.submit([("later rows", [])])
    assert writer.log == ["story checkpoint"]  # everything waits for the encoding
    writer.jobs.pop()()  # the writer thread encodes and releases
    assert writer.log[1:] == [["rows", "story rows", "offset"], ["later rows"]]
    assert not gate.holding
    gate.submit([("direct", [])])
    assert writer.log[-1] == ["direct"]


def test_a_checkpoint_that_cannot_be_encoded_still_releases_the_rows() -> None:
    writer = _Writer()
    gate = CheckpointGate(writer)  # type: ignore[arg-type]

    def encode() -> list[Any]:
        raise ValueError("cannot encode")

    gate.checkpoint(lambda: gate.submit([("rows", [])]), encode)
    writer.jobs.pop()()
    assert writer.log[1:] == [["rows"]] and not gate.holding


def test_a_cut_holds_the_stories_as_they_were_when_it_was_cut() -> None:
    clusterer = StoryClusterer(DedupSettings(store="memory"))
    items = _stream(200)
    for i, (article, when) in enumerate(items[:150]):
        clusterer.assign(f"art_{i:024x}", article, when)
    clusterer.checkpoint().encode()  # the first cut: everything
    for i, (article, when) in enumerate(items[150:180], start=150):
        clusterer.assign(f"art_{i:024x}", article, when)
    cut = clusterer.checkpoint()
    at_cut = {story["id"]: story for story in _state(clusterer)["stories"]}
    for i, (article, when) in enumerate(items[180:], start=180):  # changes while it waits
        clusterer.assign(f"art_{i:024x}", article, when)
    rows = cut.encode()
    assert rows.upserts and not rows.all_stories
    assert {story_id for story_id, _, _ in rows.upserts} <= set(at_cut)
    for story_id, _, data in rows.upserts:
        assert decode_story(data)[0] == at_cut[story_id]
    later = clusterer.checkpoint().encode()
    assert {story_id for story_id, _, _ in later.upserts} - set(at_cut)  # new ones come next


def test_a_cut_made_while_the_last_still_waits_leaves_it_to_the_writer() -> None:
    # A stop's final checkpoint comes while the last one is still encoded: both wait
    # for the writer thread (nothing is encoded on the caller's), each as it was cut.
    clusterer = StoryClusterer(DedupSettings(store="memory"))
    items = _stream(240)
    for i, (article, when) in enumerate(items[:150]):
        clusterer.assign(f"art_{i:024x}", article, when)
    clusterer.checkpoint().encode()
    cuts, states = [], []
    for first, last in ((150, 180), (180, 210)):
        for i, (article, when) in enumerate(items[first:last], start=first):
            clusterer.assign(f"art_{i:024x}", article, when)
        cuts.append(clusterer.checkpoint())
        states.append({story["id"]: story for story in _state(clusterer)["stories"]})
    assert cuts[0]._pending  # the second cut did not finish the first
    for i, (article, when) in enumerate(items[210:], start=210):
        clusterer.assign(f"art_{i:024x}", article, when)
    for cut, at_cut in zip(cuts, states, strict=True):
        rows = cut.encode()
        assert rows.upserts and not rows.all_terms
        for story_id, _, data in rows.upserts:
            assert decode_story(data)[0] == at_cut[story_id]
    assert not clusterer._journal._cuts


def test_after_a_failed_encoding_the_next_checkpoint_writes_every_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kabar.dedup import storystate

    clusterer = StoryClusterer(DedupSettings(store="memory"))
    items = _stream(120)
    for i, (article, when) in enumerate(items[:100]):
        clusterer.assign(f"art_{i:024x}", article, when)
    clusterer.checkpoint().encode()
    clusterer.assign("art_late", *items[100])
    real = storystate.encode_story

    def broken(story: Any) -> bytes:
        raise OSError("simulated")

    monkeypatch.setattr(storystate, "encode_story", broken)
    with pytest.raises(OSError):
        clusterer.checkpoint().encode()
    monkeypatch.setattr(storystate, "encode_story", real)
    rows = clusterer.checkpoint().encode()
    assert rows.all_stories and rows.all_terms
    assert {story_id for story_id, _, _ in rows.upserts} == set(clusterer._stories)


def test_a_clean_stop_saves_the_postings_and_a_crash_after_a_checkpoint_ignores_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    deduper = _deduper(path)
    items = _stream(180)
    _run(deduper, items[:120])
    live = {t: bytes(p) for t, p in clusterer_of(deduper)._postings.items()}
    deduper.close()
    again = _deduper(path)
    stored = store_of(again).story_state("stories")
    assert stored is not None
    saved = stored.index()
    assert saved is not None and {t: bytes(p) for t, p in saved.items()} == live
    reopened = clusterer_of(again).saved_postings()[1]  # (with the cold terms put back)
    assert {t: bytes(p) for t, p in reopened.items()} == live
    rebuilt = StoryClusterer.restore(stored.header, stored.rows(), stored.terms(),
                                     again.settings)  # fmt: skip
    assert _state(rebuilt) == _state(clusterer_of(again))
    _run(again, items[120:])
    _commit(again)  # a later checkpoint, then a crash: the saved postings are stale
    store_of(again)._writer.close(0.0)
    crashed = _deduper(path)
    stored = store_of(crashed).story_state("stories")
    assert stored is not None and stored.index() is None
    straight = _deduper(tmp_path / "straight.db")
    _run(straight, items)
    assert _state(clusterer_of(crashed)) == _state(clusterer_of(straight))
    crashed.close()
    straight.close()


def _held_throughout(items: Stream) -> tuple[StoryClusterer, list[Any]]:
    """A clusterer that never packs a story (the reference), and its assignments."""
    held = StoryClusterer(DedupSettings(store="memory"))
    return held, [held.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items)]


def _expire_packing_all(clusterer: StoryClusterer, when: datetime) -> None:
    """Expire, then pack every story found idle now (not a few per article)."""
    clusterer.expire(when)
    while clusterer._to_freeze:
        clusterer._freeze_some()


def test_frozen_stories_cluster_as_held_ones_and_stay_packed_until_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kabar.dedup import stories

    items = _stream(160)
    held, expected = _held_throughout(items)
    # Every story frozen after every article: each one used again is unpacked first.
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)
    frozen = StoryClusterer(DedupSettings(store="memory"))
    got = []
    for i, (article, when) in enumerate(items):
        got.append(frozen.assign(f"art_{i:024x}", article, when))
        _expire_packing_all(frozen, when)
        assert all(story.raw is not None for story in frozen._stories.values())
    assert got == expected
    assert frozen.dump() == held.dump()  # (byte for byte: every dict in the same order)
    assert all(story.raw is not None for story in frozen._stories.values())  # dump kept them
    rows = frozen.checkpoint().encode()
    again = StoryClusterer.restore(rows.header, [(n, d) for _, n, d in rows.upserts],
                                   rows.terms, frozen.settings)  # fmt: skip
    assert again.dump() == held.dump()
    assert all(story.raw is not None for story in again._stories.values())


def test_a_story_thawed_to_be_scored_is_frozen_again_from_its_row_and_a_changed_one_drops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kabar.dedup import stories, storystate

    items = _stream(160)
    held, expected = _held_throughout(items)
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)
    monkeypatch.setattr(stories, "READ_THAWED", 1)  # settled before every article
    frozen = StoryClusterer(DedupSettings(store="memory"))
    got, refrozen = [], 0
    for i, (article, when) in enumerate(items):
        rows = {s.id: s.raw for s in frozen._stories.values() if storystate.is_frozen(s)}
        got.append(frozen.assign(f"art_{i:024x}", article, when))
        read = {s.id for s in frozen._read}
        for story in frozen._stories.values():
            if story.raw is None:  # changed (or new): unpacked, frozen again by the expiry
                assert story.id not in rows or story.id == got[-1].story_id
            elif not storystate.is_frozen(story):  # only read: the very row it had
                assert story.id in read and story.raw is rows[story.id]
        frozen._settle_read()
        for story in frozen._stories.values():
            if story.id in rows and story.raw is rows[story.id]:
                assert storystate.is_frozen(story)
                refrozen += story.id in read
        _expire_packing_all(frozen, when)
        assert all(storystate.is_frozen(s) for s in frozen._stories.values())
    assert got == expected
    assert refrozen > 0
    assert frozen.dump() == held.dump()


def test_orjson_story_rows_of_version_3_still_load_and_go_on_as_packed_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kabar.dedup import storystate

    items = _stream(200)
    straight = _deduper(tmp_path / "straight.db")
    expected = _run(straight, items)
    path = tmp_path / "old.db"
    old = _deduper(path)
    with monkeypatch.context() as patch:  # rows as a Kabar before packed rows wrote them
        patch.setattr(storystate, "pack_story", lambda story, fields=None: None)
        _run(old, items[:120])
        old.close()
    assert all(data.startswith(b"{") for (data,) in _table(path, "SELECT data FROM story_rows"))
    again = _deduper(path)
    assert _run(again, items[120:]) == expected[120:]
    assert _state(clusterer_of(again)) == _state(clusterer_of(straight))
    _commit(again)
    rows = store_of(again).last_story_rows
    assert rows is not None
    changed = {i for i, _, _ in rows.upserts}
    packed = {i for i, data in _table(path, "SELECT id, data FROM story_rows")
              if not data.startswith(b"{")}  # fmt: skip
    assert changed and changed <= packed
    again.close()
    straight.close()


def test_a_packed_row_reads_back_as_the_story() -> None:
    from kabar.dedup import storystate

    clusterer = StoryClusterer(DedupSettings(store="memory"))
    for i, (article, when) in enumerate(_stream(40)):
        clusterer.assign(f"art_{i:024x}", article, when)
    for story in clusterer._stories.values():
        packed = storystate.encode_story(story)
        assert packed.startswith(b"KS5\n")
        fields, norms, norms_at = storystate.decode_story(packed)
        assert fields == orjson.loads(orjson.dumps(story.to_dict()))
        assert (norms, norms_at) == (story.norms, story.norms_at)
        assert storystate.centroid_terms(packed) == list(story.centroid)


def test_idle_stories_are_packed_a_few_per_article_after_the_expiry_and_cluster_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kabar.dedup import stories, storystate

    items = _stream(200)
    held, expected = _held_throughout(items)
    monkeypatch.setattr(stories, "FREEZE_AFTER_S", -1e9)  # every story is idle at once
    spread = StoryClusterer(DedupSettings(store="memory"))
    got = [spread.assign(f"art_{i:024x}", a, w) for i, (a, w) in enumerate(items[:120])]
    spread.expire(items[119][1])
    # The expiry packs none itself (packing them all held the event loop) ...
    idle = len(spread._to_freeze)
    assert idle == len(spread._stories) > 3 * stories.FREEZE_PER_ARTICLE
    assert not any(s.raw is not None for s in spread._stories.values())
    for i, (article, when) in enumerate(items[120:], 120):
        before = sum(storystate.is_frozen(s) for s in spread._stories.values())
        got.append(spread.assign(f"art_{i:024x}", article, when))
        after = sum(storystate.is_frozen(s) for s in spread._stories.values())
        # ... each article packs at most FREEZE_PER_ARTICLE (the one it joined is unpacked)
        assert after - before <= stories.FREEZE_PER_ARTICLE
    # ... until every story idle at the expiry and not updated since is packed.
    assert not spread._to_freeze
    joined = {a.story_id for a in got[120:]}
    assert all(storystate.is_frozen(s) for s in spread._stories.values() if s.id not in joined)
    assert got == expected
    assert spread.dump() == held.dump()
