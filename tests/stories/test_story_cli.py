"""`kabar dedup` on event time and under any hash seed, `--resolve-merges`, and
`kabar eval stories` (on the invented samples of ``story_fixtures``)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from kabar.dedup.eventtime import event_time, parse_time
from kabar.dedup.storyscore import baseline_stories, score
from tests.stories.story_fixtures import SAMPLES, T0, Sample


def _line(sample: Sample, when: str | None, **extra: Any) -> dict[str, Any]:
    a = sample.article
    line = {"url": a.url, "title": a.title, "body": "\n".join(a.paragraphs), "portal": a.portal}
    if when is not None:
        line["published_at"] = when
    return line | extra


def _iso(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def _stream() -> list[dict[str, Any]]:
    return [
        _line(s, _iso((s.when - T0).total_seconds() / 3600), gold_story=s.event) for s in SAMPLES
    ]


def _kabar(
    lines: list[dict[str, Any]], *args: str, cwd: Path, seed: str = "0"
) -> subprocess.CompletedProcess[bytes]:
    stdin = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "kabar", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_same_stream_gives_the_same_bytes_under_two_hash_seeds(tmp_path: Path) -> None:
    lines = _stream()
    first = _kabar(lines, "dedup", "--resolve-merges", cwd=tmp_path, seed="1")
    second = _kabar(lines, "dedup", "--resolve-merges", cwd=tmp_path, seed="4242")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout
    out = [orjson.loads(line) for line in first.stdout.splitlines()]
    assert [o["url"] for o in out] == [line["url"] for line in lines]
    by_event: dict[str, set[str]] = {}
    for o in out:
        by_event.setdefault(o["gold_story"], set()).add(o["story_id"])
    assert all(len(ids) == 1 for ids in by_event.values()), by_event


def test_replay_years_apart_forms_the_same_stories_whenever_run(tmp_path: Path) -> None:
    # The same two reports of one event, then both again three years later:
    # on event time the old story is long closed, so the replayed pair is a new story.
    flood_a, flood_b = SAMPLES[0], SAMPLES[2]
    lines = [
        _line(flood_a, "2021-03-10T06:00:00Z"),
        _line(flood_b, "2021-03-10T09:00:00Z"),
        _line(flood_a, "2024-03-10T06:00:00Z", url=flood_a.article.url + "-lagi"),
        _line(flood_b, "2024-03-10T08:00:00Z", url=flood_b.article.url + "-lagi"),
    ]
    for line in lines[2:]:  # different words, so no copy verdict ties them
        line["body"] = line["body"].replace("Senin", "Selasa")
    proc = _kabar(lines, "dedup", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = [orjson.loads(line) for line in proc.stdout.splitlines()]
    ids = [o["story_id"] for o in out]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2], out


def test_resolve_merges_prints_final_ids_in_input_order(tmp_path: Path) -> None:
    lines = _stream()
    lines.insert(3, {"file": "x.html", "error": "not_article", "detail": "no body"})
    plain = _kabar(lines, "dedup", cwd=tmp_path)
    resolved = _kabar(lines, "dedup", "--resolve-merges", cwd=tmp_path)
    assert plain.returncode == resolved.returncode == 0
    a = [orjson.loads(line) for line in plain.stdout.splitlines()]
    b = [orjson.loads(line) for line in resolved.stdout.splitlines()]
    assert len(a) == len(b) == len(lines)
    assert b[3] == lines[3]
    assert [x.get("url") for x in a] == [x.get("url") for x in b]
    # Same verdicts; story ids only differ where a merge forwarded them.
    assert [x.get("dedup") for x in a] == [x.get("dedup") for x in b]


def test_eval_stories_prints_scores_and_checks_the_floor(tmp_path: Path) -> None:
    stream = tmp_path / "labelled.jsonl"
    stream.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in _stream()))
    proc = _kabar([], "eval", "stories", str(stream), "--json", "--baseline", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = orjson.loads(proc.stdout)[str(stream)]
    kabar = report["kabar"]
    assert kabar["articles"] == len(SAMPLES)
    assert kabar["gold_stories"] == len({s.event for s in SAMPLES})
    assert kabar["pair_precision"] == 1.0 and kabar["pair_recall"] == 1.0
    assert 0.0 <= report["baseline"]["pair_f1"] <= 1.0
    failing = _kabar([], "eval", "stories", str(stream), "--min-f1", "1.01", cwd=tmp_path)
    assert failing.returncode == 1 and b"pairwise" in failing.stdout
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_bytes(orjson.dumps(_line(SAMPLES[0], None)) + b"\n")
    bad = _kabar([], "eval", "stories", str(unlabelled), cwd=tmp_path)
    assert bad.returncode == 2 and b"gold_story" in bad.stderr


def test_scores_pairwise_and_bcubed() -> None:
    perfect = score(["a", "a", "b"], ["x", "x", "y"])
    assert (perfect.pair_f1, perfect.bcubed_f1, perfect.stories) == (1.0, 1.0, 2)
    lumped = score(["a", "a", "a"], ["x", "x", "y"])
    assert lumped.pair_precision == pytest.approx(1 / 3) and lumped.pair_recall == 1.0
    assert lumped.bcubed_precision == pytest.approx((2 / 3 * 2 + 1 / 3) / 3)
    split = score(["a", "b", "c"], ["x", "x", "y"])
    assert split.pair_recall == 0.0 and split.pair_precision == 1.0 and split.pair_f1 == 0.0
    assert split.bcubed_recall == pytest.approx((0.5 + 0.5 + 1) / 3)


def test_baseline_groups_the_invented_events() -> None:
    stream = _stream()
    got = score(baseline_stories(stream, threshold=0.1), [s["gold_story"] for s in stream])
    assert got.pair_recall > 0.5


def test_event_time_prefers_published_but_never_after_the_fetch() -> None:
    assert event_time("2024-01-02T03:04:05Z") == parse_time("2024-01-02T03:04:05+00:00")
    assert event_time(None, "2024-01-02T00:00:00Z") == parse_time("2024-01-02T00:00:00Z")
    assert event_time("2030-01-01T00:00:00Z", "2024-01-02T00:00:00Z") == parse_time(
        "2024-01-02T00:00:00Z"
    )
    assert event_time("kemarin", "bukan") is None
    naive = parse_time("2024-01-02T03:04:05")
    assert naive is not None and naive.utcoffset() == timedelta(0)
