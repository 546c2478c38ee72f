"""State stores: SQLite survives a restart, the memory store compacts and
expires, Redis (a real server) is shared by several deduper instances."""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kabar.bench.dedup import ArticleFactory
from kabar.dedup import Deduper, open_store
from kabar.dedup import store as store_module
from kabar.dedup.fingerprint import fingerprint_text
from kabar.dedup.store import ArticleRecord, MemoryStore, RedisStore, SqliteStore
from kabar.dedup.stories import StoryClusterer
from kabar.errors import ConfigError, DedupError, StateError
from kabar.models import Article
from kabar.settings import DedupSettings
from tests.dedup.samples import OWN_BODIES, edit_words

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def _articles(count: int, seed: int = 4) -> list[Article]:
    factory = ArticleFactory(seed=seed)
    return [factory.article("contoh") for _ in range(count)]


def test_sqlite_restart_announces_nothing_seen_before_as_new(tmp_path: Path) -> None:
    settings = DedupSettings(store="sqlite", state_path=str(tmp_path / "state" / "dedup.db"))
    articles = _articles(1100)  # more than one write batch
    first = Deduper(settings, clustering=False)
    ids = [first.process(a, when=T0)[0].article_id for a in articles]
    first.close()

    again = Deduper(settings, clustering=False)
    results = [again.process(a, when=T0 + timedelta(hours=1))[0] for a in articles]
    assert {r.verdict for r in results} == {"unchanged"}
    assert [r.article_id for r in results] == ids
    # Copies of what the first run saw are still recognised after the restart.
    copy = Article(url="https://salinan.id/1", title="x", paragraphs=articles[7].paragraphs)
    later = T0 + timedelta(hours=2)
    assert again.process(copy, when=later)[0].duplicate_of == ids[7]
    edited = edit_words(articles[9].paragraphs, random.Random(2))
    near_copy = Article(url="https://salinan.id/2", title="x", paragraphs=edited)
    near = again.process(near_copy, when=later)[0]
    assert (near.verdict, near.duplicate_of) == ("near_duplicate", ids[9])
    revised = Article(
        url=articles[3].url, title="x", paragraphs=(*articles[3].paragraphs, "Tambahan baru.")
    )
    rev = again.process(revised, when=later)[0]
    assert (rev.verdict, rev.revision) == ("revision", 2)
    again.close()

    third = Deduper(settings, clustering=False)
    result = third.process(revised, when=later)[0]
    assert (result.verdict, result.revision) == ("unchanged", 2)
    third.close()


def test_sqlite_restart_keeps_stories(tmp_path: Path) -> None:
    settings = DedupSettings(store="sqlite", state_path=str(tmp_path / "stories.db"))
    first = Deduper(settings)
    if first.clusterer is None:
        pytest.skip("story clusterer (kabar.dedup.stories) not importable")
    articles = [
        Article(url=f"https://www.contoh.co.id/{i}", title=body[0][:60], paragraphs=body)
        for i, body in enumerate(OWN_BODIES)
    ]
    stories = [first.process(a, when=T0)[0].story_id for a in articles]
    first.close()
    again = Deduper(settings)
    assert again.clusterer is not None
    assert again.clusterer.active_count == len(set(stories))  # the clusterer state came back
    later = T0 + timedelta(hours=3)
    copies = [
        again.process(
            Article(url=f"https://lain.id/{i}", title="", paragraphs=a.paragraphs), when=later
        )[0]
        for i, a in enumerate(articles)
    ]
    assert [c.story_id for c in copies] == stories
    edited = edit_words(OWN_BODIES[1], random.Random(9))
    near = Article(url="https://lain.id/x", title="", paragraphs=edited)
    assert again.process(near, when=later)[0].story_id == stories[1]
    again.close()


def test_sqlite_persists_boilerplate_counts(tmp_path: Path) -> None:
    settings = DedupSettings(store="sqlite", state_path=str(tmp_path / "b.db"))
    deduper = Deduper(settings, clustering=False)
    block = ("Ikuti kanal resmi redaksi kami untuk kabar terbaru setiap hari",)
    for i, article in enumerate(_articles(5)):
        deduper.process(Article(url=f"{article.url}/{i}", title="", paragraphs=(
            *article.paragraphs, *block), portal="contoh"))  # fmt: skip
    learned = len(deduper.boilerplate)
    deduper.close()
    assert learned > 0
    assert len(Deduper(settings, clustering=False).boilerplate) == learned


def test_sqlite_state_survives_a_crash_without_close(tmp_path: Path) -> None:
    """A killed process never calls close(): the time-bounded batch (interval 0 here:
    every verdict) and the story checkpoint must already be on disk."""
    path = str(tmp_path / "crash.db")
    settings = DedupSettings(
        store="sqlite", state_path=path, flush_interval_s=0.0, checkpoint_interval_s=0.0
    )
    articles = _articles(5)
    crashed = Deduper(settings)
    first = [crashed.process(a, when=T0)[0] for a in articles]
    # Handed to the writer thread at once; wait for it as the OS would have.
    assert isinstance(crashed.store, SqliteStore) and crashed.store.sync()
    # No close(): a second process opens the same file while the first is "dead".
    again = Deduper(settings)
    results = [again.process(a, when=T0 + timedelta(hours=1))[0] for a in articles]
    assert {r.verdict for r in results} == {"unchanged"}
    assert [r.story_id for r in results] == [r.story_id for r in first]
    assert isinstance(again.clusterer, StoryClusterer)
    assert again.clusterer.held_count == len(articles)
    again.close()


def test_sqlite_batches_verdicts_until_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "batch.db"
    store = SqliteStore(path, ttl_s=86400.0, flush_interval_s=3600.0)
    record = ArticleRecord("art_b", "11" * 32, 1, T0.timestamp())
    store.put(record, now=T0.timestamp(), fingerprint=None, index_hash=True)
    assert SqliteStore(path, ttl_s=86400.0).get("art_b") is None  # still pending
    store.flush_interval_s = 0.0
    store.touch("art_b", T0.timestamp() + 5)
    assert store.sync()
    assert SqliteStore(path, ttl_s=86400.0).get("art_b") is not None
    store.close()


def test_sqlite_bulk_reload_answers_as_the_store_did(tmp_path: Path) -> None:
    """Reopening loads rows in bulk: ids, hashes, fingerprints, long story ids and
    rows kept out of the hash index come back as they were put."""
    path = tmp_path / "bulk.db"
    store = SqliteStore(path, ttl_s=86400.0 * 30)
    long_story = "st_" + "9" * 40
    texts = OWN_BODIES[:3]
    for n, text in enumerate(texts):
        fp = fingerprint_text(text, 20)
        record = ArticleRecord(f"art_{n:024x}", f"{n + 1:064x}", 2, T0.timestamp(),
                               long_story if n == 1 else f"st_{n:020x}")
        store.put(record, now=T0.timestamp(), fingerprint=fp, index_hash=True)
    copy = ArticleRecord("art_copy", f"{1:064x}", 1, T0.timestamp(), None)
    store.put(copy, now=T0.timestamp(), fingerprint=None, index_hash=False)
    store.close()

    again = SqliteStore(path, ttl_s=86400.0 * 30)
    assert again.count() == 4
    assert again.get("art_copy") == copy
    assert again.get(f"art_{1:024x}") == ArticleRecord(
        f"art_{1:024x}", f"{2:064x}", 2, T0.timestamp(), long_story
    )
    assert again.first_with_hash(f"{1:064x}") == f"art_{0:024x}"  # the copy is not indexed
    for n, text in enumerate(texts):
        found = again.candidates(fingerprint_text(text, 20).bands, 8)
        assert found.article_ids[0] == f"art_{n:024x}"
    again.close()


def test_sqlite_reopens_from_its_snapshot_and_replays_later_rows(tmp_path: Path) -> None:
    path = tmp_path / "snap.db"
    store = SqliteStore(path, ttl_s=86400.0 * 30)
    for n in range(50):
        store.put(ArticleRecord(f"art_{n:024x}", f"{n:064x}", 1, T0.timestamp()),
                  now=T0.timestamp(), fingerprint=None, index_hash=True)
    store.close()
    assert Path(f"{path}.snapshot").exists()

    again = SqliteStore(path, ttl_s=86400.0 * 30)
    assert again.count() == 50 and again.first_with_hash(f"{7:064x}") == f"art_{7:024x}"
    revised = ArticleRecord(f"art_{3:024x}", "ab" * 32, 2, T0.timestamp())
    again.put(revised, now=T0.timestamp() + 9, fingerprint=None, index_hash=True)
    again.put(ArticleRecord("art_new", "cd" * 32, 1, T0.timestamp()), now=T0.timestamp(),
              fingerprint=None, index_hash=True)
    assert again.sync()
    # No close (a crash): the snapshot is older than these rows; SQLite replays them.
    crashed = SqliteStore(path, ttl_s=86400.0 * 30)
    assert crashed.count() == 51
    assert crashed.get(f"art_{3:024x}") == revised
    assert crashed.first_with_hash(f"{3:064x}") is None
    assert crashed.get("art_new") is not None
    crashed.close()
    again.close()


def test_unreadable_or_foreign_snapshot_falls_back_to_the_full_load(tmp_path: Path) -> None:
    path, other = tmp_path / "a.db", tmp_path / "b.db"
    for target, count in ((path, 5), (other, 9)):
        store = SqliteStore(target, ttl_s=86400.0)
        for n in range(count):
            store.put(ArticleRecord(f"art_{n:024x}", f"{n:064x}", 1, T0.timestamp()),
                      now=T0.timestamp(), fingerprint=None, index_hash=True)
        store.close()
    snap = Path(f"{path}.snapshot")
    own = snap.read_bytes()
    snap.write_bytes(own[: len(own) - 100])  # truncated
    assert SqliteStore(path, ttl_s=86400.0).count() == 5
    snap.write_bytes(Path(f"{other}.snapshot").read_bytes())  # another file's snapshot
    assert SqliteStore(path, ttl_s=86400.0).count() == 5


def test_memory_store_is_never_checkpointed() -> None:
    settings = DedupSettings(store="memory", checkpoint_interval_s=0.0)
    deduper = Deduper(settings)
    deduper.process(_articles(1)[0], when=T0)
    assert deduper.store.get_blob("stories") is None


def test_sqlite_expires_old_state(tmp_path: Path) -> None:
    path = tmp_path / "ttl.db"
    store = SqliteStore(path, ttl_s=86400.0, now=T0.timestamp())
    store.put(
        ArticleRecord("art_a", "00" * 32, 1, T0.timestamp()),
        now=T0.timestamp(),
        fingerprint=None,
        index_hash=True,
    )
    store.close()
    later = (T0 + timedelta(days=2)).timestamp()
    reopened = SqliteStore(path, ttl_s=86400.0, now=later)
    assert reopened.get("art_a") is None
    reopened.close()
    fresh = SqliteStore(path, ttl_s=86400.0, now=T0.timestamp())
    assert fresh.get("art_a") is not None  # not deleted: only skipped when loading late
    assert fresh.expire(later) == 1
    fresh.close()
    assert SqliteStore(path, ttl_s=86400.0, now=T0.timestamp()).get("art_a") is None


def test_unusable_sqlite_path_raises_one_line_state_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StateError) as err:
        SqliteStore(blocker / "state.db", ttl_s=1.0)
    assert err.value.reason == "state_unwritable"
    assert str(blocker / "state.db") in str(err.value) and "\n" not in str(err.value)


def test_memory_store_compaction_keeps_live_rows() -> None:
    store = MemoryStore(ttl_s=100.0)
    records = []
    for i in range(70_000):  # more than one chunk
        record = ArticleRecord(f"art_{i:024x}", f"{i:064x}", 1, float(i))
        store.put(record, now=float(i), fingerprint=None, index_hash=True)
        records.append(record)
    fp = fingerprint_text(OWN_BODIES[0])
    keeper = ArticleRecord("art_keep", "ab" * 32, 1, 0.0, "st_keep")
    store.put(keeper, now=200_000.0, fingerprint=fp, index_hash=True)
    revised = ArticleRecord("art_keep", "cd" * 32, 2, 0.0, "st_keep")
    store.put(revised, now=200_000.0, fingerprint=fp, index_hash=True)
    assert store.expire(200_050.0) == 70_000  # all but the keeper are older than the TTL
    assert store.count() == 1
    assert store.get("art_keep") == ArticleRecord("art_keep", "cd" * 32, 2, 0.0, "st_keep")
    assert store.first_with_hash("cd" * 32) == "art_keep"
    assert store.first_with_hash("ab" * 32) is None  # retired by the revision
    assert store.get(records[5].article_id) is None
    assert store.candidates(fp.bands, 10).article_ids == ["art_keep"]
    # New rows after compaction are numbered and indexed consistently.
    store.put(records[5], now=200_060.0, fingerprint=None, index_hash=True)
    assert store.get(records[5].article_id) == records[5]
    assert store.first_with_hash(records[5].content_hash) == records[5].article_id


def test_long_story_ids_are_kept() -> None:
    store = MemoryStore(ttl_s=100.0)
    story = "story-" + "x" * 60
    store.put(ArticleRecord("art_1", "00" * 32, 1, 0.0, story), now=0.0, fingerprint=None,
              index_hash=False)  # fmt: skip
    record = store.get("art_1")
    assert record is not None and record.story_id == story


def test_open_store_rejects_unknown_kind() -> None:
    with pytest.raises(ConfigError):
        open_store(DedupSettings(store="mongo"))


# --- Redis (a real redis-server from the redis_url fixture) ------------------


def test_redis_store_verdicts_and_sharing(redis_url: str) -> None:
    settings = DedupSettings(store="redis", redis_url=redis_url)
    one = Deduper(settings, clustering=False)
    two = Deduper(settings, clustering=False)  # a second instance on the same Redis
    body = OWN_BODIES[2]
    url = "https://www.contoh.co.id/bola/final"
    first = one.process(Article(url=url, title="", paragraphs=body, portal="contoh"))[0]
    assert first.verdict == "new"
    assert two.process(Article(url=url, title="", paragraphs=body))[0].verdict == "unchanged"
    copy = two.process(Article(url="https://lain.id/1", title="", paragraphs=body))[0]
    assert (copy.verdict, copy.duplicate_of) == ("duplicate", first.article_id)
    edited = edit_words(body, random.Random(5))
    near = one.process(Article(url="https://lain.id/2", title="", paragraphs=edited))[0]
    assert (near.verdict, near.duplicate_of) == ("near_duplicate", first.article_id)
    revised = two.process(Article(url=url, title="", paragraphs=(*body, "Tambahan.")))[0]
    assert (revised.verdict, revised.revision) == ("revision", 2)
    assert (
        one.process(Article(url=url, title="", paragraphs=(*body, "Tambahan.")))[0].verdict
        == "unchanged"
    )
    other = one.process(Article(url="https://lain.id/3", title="", paragraphs=OWN_BODIES[3]))
    assert other[0].verdict == "new"
    one.close()
    two.close()


def test_redis_store_keys_expire(redis_url: str) -> None:
    import redis

    store = RedisStore(redis_url, ttl_s=3600.0, prefix="kabar:ttltest:")
    fp = fingerprint_text(OWN_BODIES[4])
    store.put(ArticleRecord("art_t", "ef" * 32, 1, 0.0, None), now=1000.0, fingerprint=fp,
              index_hash=True)  # fmt: skip
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("kabar:ttltest:*")
    assert len(keys) == 2 + len(fp.bands)
    assert all(0 < client.ttl(key) <= 3600 for key in keys)
    assert store.candidates(fp.bands, 5).article_ids == ["art_t"]
    store.put_blob("stories", b"\x00\x01")
    assert store.get_blob("stories") == b"\x00\x01"
    client.close()
    store.close()


def test_unreachable_redis_raises_dedup_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DedupError) as err:
        RedisStore(f"redis://127.0.0.1:{port}/0", ttl_s=60.0)
    assert err.value.reason == "state_error"


def test_large_blobs_live_in_a_file_beside_the_state(tmp_path: Path) -> None:
    path = tmp_path / "blobs.db"
    store = SqliteStore(path, ttl_s=86400.0)
    big = bytes(range(256)) * 8192  # 2 MiB: a story checkpoint's size class
    store.put_blob("stories", big)
    store.put_blob("boilerplate", b"small")
    store.close()
    assert Path(f"{path}.stories.blob").read_bytes() == big
    again = SqliteStore(path, ttl_s=86400.0)
    assert again.get_blob("stories") == big and again.get_blob("boilerplate") == b"small"
    again.close()


_ODD_IDS = (
    "art_1",  # short (tests)
    "art_" + "AB" * 12,  # upper-case hex is not what events.article_id makes
    "art_" + "0" * 24,  # zeros mark "kept beside the row"
    "https://www.contoh.co.id/" + "x" * 80,  # long
)
_STORIES = (None, "", f"st_{7:020x}", "st_" + "0" * 20, "st_" + "F" * 20, "story-" + "y" * 40)


def _odd_records() -> list[ArticleRecord]:
    ids = [*_ODD_IDS, *(f"art_{n:024x}" for n in range(1, 9))]
    return [ArticleRecord(ident, f"{n + 1:064x}", n % 3 + 1, T0.timestamp() + n,
                          _STORIES[n % len(_STORIES)])
            for n, ident in enumerate(ids)]  # fmt: skip


def test_ids_and_story_ids_of_any_form_come_back_as_put(tmp_path: Path) -> None:
    """Rows hold hex ids as bytes; other forms live beside them: either way an id
    reads back as it was put, from memory, a snapshot and the full SQLite load."""
    path = tmp_path / "odd.db"
    store = SqliteStore(path, ttl_s=86400.0 * 30)
    records = _odd_records()
    fps = [fingerprint_text(OWN_BODIES[n % len(OWN_BODIES)], 20) for n in range(len(records))]
    for record, fp in zip(records, fps, strict=True):
        store.put(record, now=record.first_seen, fingerprint=fp, index_hash=True)

    def same(opened: SqliteStore) -> None:
        for record, fp in zip(records, fps, strict=True):
            expected = ArticleRecord(record.article_id, record.content_hash, record.revision,
                                     record.first_seen, record.story_id or None)  # fmt: skip
            assert opened.get(record.article_id) == expected
            assert opened.first_with_hash(record.content_hash) == record.article_id
            assert record.article_id in opened.candidates(fp.bands, 64).article_ids
        assert opened.get("art_" + "ab" * 12) is None  # the lower-case twin was never put
        assert opened.get("art_2") is None

    same(store)
    store.close()
    same(SqliteStore(path, ttl_s=86400.0 * 30))  # from the snapshot
    Path(f"{path}.snapshot").unlink()
    same(SqliteStore(path, ttl_s=86400.0 * 30))  # the full load


def _whole_rows(path: Path) -> tuple[str, Any]:
    """The snapshot beside ``path`` with the cold fields of its rows (the ``.rows``
    file) put back into them: rows as Kabar held them before they were split
    (snapshot layout 2, ``store._ROW``)."""
    from kabar.dedup import rowfile, snapshot

    target = Path(f"{path}.snapshot")
    token = target.read_bytes().split(b'"token":"')[1].split(b'"')[0].decode("ascii")
    snap = snapshot.read(target, token, store_module._HOT)
    assert snap is not None
    data = Path(f"{path}.rows").read_bytes()[128:]
    cold = np.frombuffer(data, rowfile.COLD)[: snap.rows]
    chunks = []
    for number, chunk in enumerate(snap.chunks):
        whole = np.zeros(len(chunk), dtype=store_module._ROW)
        part = cold[number * len(chunk) : (number + 1) * len(chunk)]
        for name in rowfile.COLD.names or ():
            whole[name][: len(part)] = part[name]
        whole["seen"], whole["live"] = chunk["seen"], chunk["live"]
        chunks.append(whole)
    indexes = {k: v for k, v in snap.indexes.items() if k != store_module._ROWFILE}
    return token, dataclasses.replace(snap, chunks=chunks, indexes=indexes)


def _as_layout_2(path: Path) -> None:
    """Rewrite the snapshot beside ``path`` as Kabar wrote it before rows were split
    (layout 2: whole rows in the snapshot, no ``.rows`` file)."""
    from kabar.dedup import snapshot

    _, snap = _whole_rows(path)
    snapshot.write(Path(f"{path}.snapshot"), snap)
    Path(f"{path}.rows").unlink()


def _as_layout_1(path: Path) -> None:
    """Rewrite the snapshot beside ``path`` as Kabar wrote it before rows were
    packed (layout 1: ids as text in the rows, 64-bit id and hash index keys)."""
    from kabar.dedup import snapshot
    from kabar.dedup.store import _ROW_V1

    target = Path(f"{path}.snapshot")
    token, snap = _whole_rows(path)
    Path(f"{path}.rows").unlink()
    memory = MemoryStore(1.0)
    chunks = []
    for number, chunk in enumerate(snap.chunks):
        old = np.zeros(len(chunk), dtype=_ROW_V1)
        for row in range(min(len(chunk), snap.rows - number * len(chunk))):
            at = number * len(chunk) + row
            rec = chunk[row]
            ident = snap.odd_ids.get(at) or memory._id_text(at, rec)
            story = memory._story_text(rec) or ""
            old[row] = (ident.encode(), rec["hash"], rec["sig"], story.encode(),
                        rec["revision"], rec["size"], rec["first"], rec["seen"],
                        rec["live"])  # fmt: skip
        chunks.append(old)

    def unpacked_with_u64_keys(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"keys": np.arange(len(run["rows"]), dtype=np.uint64), "rows": run["rows"]}
                for run in runs]  # fmt: skip

    old_snap = snapshot.Snapshot(
        token=token, seq=snap.seq, rows=snap.rows, dead=snap.dead, chunk_rows=snap.chunk_rows,
        chunks=chunks, long_stories=snap.long_stories,
        indexes={"id": unpacked_with_u64_keys(snap.indexes["id"]),
                 "hash": unpacked_with_u64_keys(snap.indexes["hash"]),
                 "bands": snap.indexes["bands"]},
    )  # fmt: skip
    snapshot.write(target, old_snap)
    target.write_bytes(snapshot.MAGIC_V1 + target.read_bytes()[len(snapshot.MAGIC) :])


@pytest.mark.parametrize("layout", [1, 2])
def test_a_snapshot_of_an_older_layout_is_converted(tmp_path: Path, layout: int) -> None:
    """A snapshot written before rows were packed (layout 1) or split (layout 2:
    whole rows in the snapshot) is converted on reading (not the full SQLite load:
    half a minute at a million rows), answers as the store did, and the next
    snapshot has the current layout, with a ``.rows`` file."""
    from kabar.dedup import snapshot

    path = tmp_path / "old.db"
    store = SqliteStore(path, ttl_s=86400.0 * 30)
    records = [r for r in _odd_records() if len(r.article_id) <= 28]  # layout 1 refused longer
    fps = [fingerprint_text(OWN_BODIES[n % len(OWN_BODIES)], 20) for n in range(len(records))]
    for record, fp in zip(records, fps, strict=True):
        store.put(record, now=record.first_seen, fingerprint=fp, index_hash=True)
    copy = ArticleRecord("art_" + "cd" * 12, records[2].content_hash, 1, T0.timestamp())
    store.put(copy, now=T0.timestamp(), fingerprint=None, index_hash=False)
    revised = ArticleRecord(records[5].article_id, "ee" * 32, 2, T0.timestamp(), "st_x")
    store.put(revised, now=T0.timestamp(), fingerprint=fps[5], index_hash=True)
    expected = {r.article_id: store.get(r.article_id) for r in [*records, copy]}
    store.close()
    (_as_layout_1 if layout == 1 else _as_layout_2)(path)
    # The full load would replay every row: SQLite must not be needed.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE articles SET story_id = 'st_from_sqlite'")
    again = SqliteStore(path, ttl_s=86400.0 * 30)
    assert {ident: again.get(ident) for ident in expected} == expected
    assert again.count() == len(records) + 1
    for record, fp in zip(records, fps, strict=True):
        assert record.article_id in again.candidates(fp.bands, 64).article_ids
        hashed = record.content_hash if record is not records[5] else "ee" * 32
        assert again.first_with_hash(hashed) == record.article_id
    assert again.first_with_hash(records[5].content_hash) is None  # revised away
    again.put(ArticleRecord("art_more", "ef" * 32, 1, T0.timestamp()), now=T0.timestamp(),
              fingerprint=None, index_hash=True)  # fmt: skip
    again.close()
    assert Path(f"{path}.snapshot").read_bytes().startswith(snapshot.MAGIC)
    assert Path(f"{path}.rows").exists()
    reopened = SqliteStore(path, ttl_s=86400.0 * 30)
    assert reopened.get("art_more") is not None
    assert {ident: reopened.get(ident) for ident in expected} == expected
    reopened.close()


def test_ids_and_hashes_that_count_up_are_all_found() -> None:
    """Index keys fold all of an id's (a hash's) bytes: made-up ids that differ only
    in their last digits must not share a key (a key answers its newest 256 rows)."""
    store = MemoryStore(ttl_s=100.0)
    for n in range(1000):
        store.put(ArticleRecord(f"art_{n:024x}", f"{n:064x}", 1, 0.0), now=0.0,
                  fingerprint=None, index_hash=True)  # fmt: skip
    assert all(store.get(f"art_{n:024x}") is not None for n in range(1000))
    assert all(store.first_with_hash(f"{n:064x}") == f"art_{n:024x}" for n in range(1000))


def test_a_large_blob_leaves_memory_once_its_file_is_written_and_is_read_from_it(
    tmp_path: Path,
) -> None:
    """The boilerplate counts (2.4 MB at their cap) were held in memory all along,
    beside their file; a blob put again is the one read, written or not."""
    path = tmp_path / "blobs.db"
    store = SqliteStore(path, ttl_s=86400.0)
    big, bigger = bytes(range(256)) * 8192, bytes(range(255, -1, -1)) * 8193
    store.put_blob("boilerplate", big)
    assert store.get_blob("boilerplate") == big  # (maybe not written yet)
    assert store.sync()
    assert store._memory.get_blob("boilerplate") is None
    assert store.get_blob("boilerplate") == big
    store.put_blob("boilerplate", bigger)
    assert store.get_blob("boilerplate") == bigger
    store.put_blob("boilerplate", b"small")
    assert store.get_blob("boilerplate") == b"small"
    assert store.sync()
    assert store.get_blob("boilerplate") == b"small"  # (a small blob stays in memory)
    store.put_blob("stories", bigger)
    store.close()
    again = SqliteStore(path, ttl_s=86400.0)
    assert again._memory.get_blob("stories") is None
    assert again.get_blob("stories") == bigger and again.get_blob("boilerplate") == b"small"
    again.close()
