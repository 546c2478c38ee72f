"""How `kabar bench extract` times its kinds of work: page by page, taking turns, and
each page's fastest round counting the same way for every kind."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kabar.bench import extract as bench

PAGES = [(b"<p>one</p>", None), (b"<p>two</p>", "https://contoh.id/b")]


def test_kinds_take_turns_page_by_page_in_alternating_order() -> None:
    calls: list[tuple[str, bytes]] = []

    def kind(name: str) -> bench.Work:
        def work(html: bytes, url: str | None) -> bool:
            calls.append((name, html))
            return name != "a" or html != b"<p>two</p>"

        return work

    times, failures = bench._rounds(PAGES, [kind("a"), kind("b")], rounds=2)
    warm_up = [("a", PAGES[0][0]), ("a", PAGES[1][0]), ("b", PAGES[0][0]), ("b", PAGES[1][0])]
    assert calls[:4] == warm_up
    one, two = PAGES[0][0], PAGES[1][0]
    # Round 0 in the kinds' order, round 1 reversed: on each page both kinds, in turn.
    round_0 = [("a", one), ("b", one), ("a", two), ("b", two)]
    round_1 = [("b", one), ("a", one), ("b", two), ("a", two)]
    assert calls[4:] == [*round_0, *round_1]
    assert failures == 1  # the first kind's failures, in the last round
    assert len(times) == 2 and all(len(kind) == 2 and len(kind[0]) == 2 for kind in times)
    assert all(t >= 0.0 for kind in times for round_ in kind for t in round_)


def test_each_page_counts_its_fastest_round() -> None:
    # [round][page]: page 0 is fastest in round 0, page 1 in round 1; the best round
    # alone would be 5.0.
    assert bench._fastest([[1.0, 5.0], [3.0, 2.0]]) == pytest.approx(3.0)
    assert bench._fastest([[4.0, 2.0]]) == pytest.approx(6.0)
    assert bench._fastest([]) == 0.0


def test_result_keeps_every_round_and_prints_their_spread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, text in (("a", "Satu dua tiga."), ("b", "Empat lima enam.")):
        (tmp_path / f"{name}.html").write_text(f"<html><body><p>{text}</p></body></html>")
    result = bench.measure(tmp_path, rounds=3, compare=False)
    assert len(result.extract.rounds) == len(result.parse.rounds) == 3
    # The sum of each page's fastest round is at most any one round's sum.
    assert result.extract.seconds <= min(result.extract.rounds)
    assert result.parse.seconds <= min(result.parse.rounds)
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    bench.main(parser.parse_args([str(tmp_path), "--rounds", "3", "--no-compare"]))
    out = capsys.readouterr().out
    assert "2 pages, 3 rounds" in out
    assert "each round's: min" in out
