"""SeenStore: membership, stamps, bounded size, generations and SQLite persistence."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kabar.discovery.seen import SeenStore, url_hash


def test_add_reports_new_once() -> None:
    seen = SeenStore()
    assert seen.add("https://a.example.id/berita/1")
    assert not seen.add("https://a.example.id/berita/1")
    assert "https://a.example.id/berita/1" in seen
    assert "https://a.example.id/berita/2" not in seen
    assert 42 not in seen


def test_memory_stays_bounded_and_recent_urls_survive() -> None:
    seen = SeenStore(max_entries=100)
    for number in range(1000):
        seen.add(f"https://a.example.id/berita/{number}")
    assert len(seen) <= 100
    assert "https://a.example.id/berita/999" in seen
    assert "https://a.example.id/berita/0" not in seen


def test_urls_still_in_sources_are_kept_across_rotations() -> None:
    seen = SeenStore(max_entries=10)
    hot = "https://a.example.id/berita/panas"
    seen.add(hot)
    for number in range(100):
        seen.add(f"https://a.example.id/berita/{number}")
        assert not seen.add(hot)  # the source keeps listing it: never forgotten


def test_persists_across_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "state" / "seen.sqlite3")
    seen = SeenStore(path)
    for number in range(300):  # more than one write batch
        seen.add(f"https://a.example.id/berita/{number}")
    seen.close()
    again = SeenStore(path)
    try:
        assert "https://a.example.id/berita/0" in again
        assert "https://a.example.id/berita/299" in again
        assert not again.add("https://a.example.id/berita/150")
        assert again.add("https://a.example.id/berita/300")
    finally:
        again.close()


def test_persisted_store_is_bounded_too(tmp_path: Path) -> None:
    path = str(tmp_path / "seen.sqlite3")
    seen = SeenStore(path, max_entries=50)
    for number in range(500):
        seen.add(f"https://a.example.id/berita/{number}")
    seen.close()
    again = SeenStore(path, max_entries=50)
    try:
        assert len(again) <= 50
        assert "https://a.example.id/berita/499" in again
        assert "https://a.example.id/berita/0" not in again
    finally:
        again.close()


def test_discard_forgets_in_memory_and_on_disk(tmp_path: Path) -> None:
    path = str(tmp_path / "seen.sqlite3")
    seen = SeenStore(path)
    seen.add("https://a.example.id/berita/1")
    seen.add("https://a.example.id/berita/2")
    seen.flush()
    seen.discard("https://a.example.id/berita/1")
    assert "https://a.example.id/berita/1" not in seen
    seen.close()
    again = SeenStore(path)
    try:
        assert "https://a.example.id/berita/1" not in again
        assert "https://a.example.id/berita/2" in again
    finally:
        again.close()


def test_stamps_are_kept_replaced_and_left_alone_without_a_new_one() -> None:
    seen = SeenStore()
    assert seen.stamp("feed https://a.example.id/berita/1") is None
    assert seen.add("feed https://a.example.id/berita/1", 1_777_000_000.7)
    assert seen.stamp("feed https://a.example.id/berita/1") == 1_777_000_000
    assert not seen.add("feed https://a.example.id/berita/1", 1_777_000_600)
    assert seen.stamp("feed https://a.example.id/berita/1") == 1_777_000_600
    assert not seen.add("feed https://a.example.id/berita/1")
    assert seen.stamp("feed https://a.example.id/berita/1") == 1_777_000_600
    seen.add("https://a.example.id/berita/2")
    assert seen.stamp("https://a.example.id/berita/2") is None


def test_stamps_move_forward_with_their_key_and_stay_bounded() -> None:
    seen = SeenStore(max_entries=10)
    seen.add("feed https://a.example.id/berita/panas", 1_777_000_000)
    for number in range(100):
        seen.add(f"https://a.example.id/berita/{number}")
        seen.add("feed https://a.example.id/berita/panas", 1_777_000_000 + number)
    assert len(seen) <= 10
    assert seen.stamp("feed https://a.example.id/berita/panas") == 1_777_000_099


def test_stamps_persist_across_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "seen.sqlite3")
    seen = SeenStore(path)
    for number in range(300):  # more than one write batch
        seen.add(f"sitemap https://a.example.id/berita/{number}", 1_777_000_000 + number)
    seen.add("sitemap https://a.example.id/berita/7", 1_777_999_999)  # replaced after a flush
    seen.close()
    again = SeenStore(path)
    try:
        assert again.stamp("sitemap https://a.example.id/berita/0") == 1_777_000_000
        assert again.stamp("sitemap https://a.example.id/berita/7") == 1_777_999_999
        assert again.stamp("sitemap https://a.example.id/berita/299") == 1_777_000_299
    finally:
        again.close()


def test_a_store_written_before_stamps_existed_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE seen (hash INTEGER PRIMARY KEY, generation INTEGER NOT NULL)")
    old.execute("INSERT INTO seen VALUES (?, 0)", (url_hash("https://a.example.id/berita/1"),))
    old.commit()
    old.close()
    seen = SeenStore(str(path))
    try:
        assert "https://a.example.id/berita/1" in seen
        assert seen.stamp("https://a.example.id/berita/1") is None
        seen.add("feed https://a.example.id/berita/1", 1_777_000_000)
        seen.flush()
    finally:
        seen.close()
    again = SeenStore(str(path))
    try:
        assert again.stamp("feed https://a.example.id/berita/1") == 1_777_000_000
    finally:
        again.close()
