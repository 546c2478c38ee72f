"""The one-machine run's host board (``kabar.fetch.hostboard``) over a long run: the
file is compacted, and every process still hears each word of the others once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from kabar.fetch import hostboard
from kabar.fetch.hostboard import BOARD_FILE, HostBoard, Word

SMALL = 4096  # bytes: a compaction every few dozen words
#: What a compaction keeps of discovery's requests here (``hostboard.DEBIT_KEEP_S``).
KEEP_S = 600.0


class Clock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def _board(folder: Path, clock: Clock) -> HostBoard:
    return HostBoard(folder, clock=clock)


def test_the_board_stays_small_over_a_long_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hours of discovery at 4 requests a second, each request one debit.
    monkeypatch.setattr(hostboard, "MAX_BYTES", SMALL, raising=False)
    monkeypatch.setattr(hostboard, "DEBIT_KEEP_S", 5.0, raising=False)
    clock = Clock()
    discovery, crawl = _board(tmp_path, clock), _board(tmp_path, clock)
    largest = 0
    for n in range(3000):
        clock.now += 0.25
        discovery.debit(f"portal{n % 7}.test")
        if n % 500 == 0:
            crawl.pause("busy.test", 3600.0, "rate_limited")  # outlives compactions
        largest = max(largest, (tmp_path / BOARD_FILE).stat().st_size)
    assert largest <= 2 * SMALL
    later = _board(tmp_path, clock)  # a process starting now gets what still holds
    words = later.news()
    assert {w.host for w in words if w.until > clock.now} == {"busy.test"}
    recent = sum(1 for w in words if w.debit and w.at > clock.now - 5.0)
    assert recent == 5.0 / 0.25
    for board in (discovery, crawl, later):
        board.close()


def _hosts(words: list[Word]) -> list[str]:
    return [w.host for w in words]


def test_readers_hear_every_word_once_across_compactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hostboard, "MAX_BYTES", SMALL, raising=False)
    monkeypatch.setattr(hostboard, "DEBIT_KEEP_S", KEEP_S, raising=False)
    clock = Clock()
    writer = _board(tmp_path, clock)
    eager, slow, rare = (_board(tmp_path, clock) for _ in range(3))
    heard: dict[str, list[Word]] = {"eager": [], "slow": [], "rare": []}
    said: list[Word] = []
    recent: list[list[str]] = []
    for n in range(400):
        clock.now += 30.0  # twenty debits in the ten minutes a compaction keeps
        writer.debit(f"h{n}.test")
        said.append(Word(f"h{n}.test", debit=1, at=clock.now))
        heard["eager"] += eager.news()
        if n % 20 == 0:  # never two compactions between two looks
            heard["slow"] += slow.news()
        if n % 97 == 0:  # several
            heard["rare"] += rare.news()
            recent.append([w.host for w in said if w.at > clock.now - KEEP_S])
    for name, board in (("eager", eager), ("slow", slow), ("rare", rare)):
        heard[name] += board.news()
    assert (tmp_path / BOARD_FILE).stat().st_size < SMALL  # compacted ...
    assert heard["eager"] == said  # ... and nothing lost or repeated
    assert heard["slow"] == said
    # A reader that missed whole compactions: in order, never twice, and everything
    # that could still matter when it looked.
    rare_hosts = _hosts(heard["rare"])
    assert rare_hosts == [h for h in _hosts(said) if h in set(rare_hosts)]
    assert all(set(hosts) <= set(rare_hosts) for hosts in recent)
    assert len(rare_hosts) < len(said)
    assert writer.news() == []  # its own words
    for board in (writer, eager, slow, rare):
        board.close()


def _write_words(folder: Path, name: str, count: int) -> None:
    # One moment: every debit still holds, so each compaction copies them all.
    board = HostBoard(folder, clock=lambda: 1000.0)
    for n in range(count):
        board.debit(f"{name}-{n}.test")
    board.close()


def test_processes_writing_while_others_compact_lose_no_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hostboard, "MAX_BYTES", 2048, raising=False)  # the forks' too
    count, writers = 1000, 3
    reader = HostBoard(tmp_path)
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_write_words, args=(tmp_path, f"p{k}", count))
             for k in range(writers)]
    for proc in procs:
        proc.start()
    heard: list[str] = []
    deadline = time.monotonic() + 60.0
    while len(heard) < count * writers and time.monotonic() < deadline:
        heard += _hosts(reader.news())
        # Compactions keep the words they copy: one read again would be heard twice.
        assert len(heard) == len(set(heard))
    for proc in procs:
        proc.join(30.0)
        assert proc.exitcode == 0
    heard += _hosts(reader.news())
    reader.close()
    assert (tmp_path / BOARD_FILE).read_bytes().startswith(b'{"kept"')  # compacted
    assert sorted(heard) == sorted(f"p{k}-{n}.test" for k in range(writers)
                                   for n in range(count))
    for k in range(writers):  # each writer's words in its order
        mine = [h for h in heard if h.startswith(f"p{k}-")]
        assert mine == [f"p{k}-{n}.test" for n in range(count)]
