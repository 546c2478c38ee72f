"""`kabar dedup` round trip through a subprocess, with and without a state file."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.dedup.samples import OWN_BODIES, edit_words

URL = "https://www.contoh.co.id/berita/2026/kebakaran-gudang"


def _run(lines: list[dict[str, Any]], *args: str, tmp_path: Path) -> list[dict[str, Any]]:
    stdin = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    proc = subprocess.run(
        [sys.executable, "-m", "kabar", "dedup", "--no-stories", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return [orjson.loads(line) for line in proc.stdout.splitlines()]


def _lines() -> list[dict[str, Any]]:
    body = OWN_BODIES[5]
    edited = edit_words(body, random.Random(1))
    return [
        {"url": URL, "title": "Gudang terbakar", "paragraphs": list(body), "portal": "contoh"},
        {"file": "rusak.html", "error": "not_article", "detail": "no body"},
        {"url": URL.replace("www.", "m.") + "?utm_source=x", "body": "\n".join(body)},
        {"url": "https://lain.id/1", "canonical_url": None, "body": "\n".join(body)},
        {"url": "https://lain.id/2", "title": "Salinan", "body": "\n".join(edited)},
        {"url": URL, "paragraphs": [*body, "Pembaruan: penyebab kebakaran dipastikan."]},
        {"url": "https://lain.id/3", "paragraphs": list(OWN_BODIES[0]), "extra": [1, 2]},
    ]


def test_cli_annotates_in_order(tmp_path: Path) -> None:
    out = _run(_lines(), tmp_path=tmp_path)
    verdicts = [line.get("dedup") for line in out]
    assert verdicts == ["new", None, "unchanged", "duplicate", "near_duplicate", "revision", "new"]
    first, error, _, dup, near, revision, other = out
    assert error == {"file": "rusak.html", "error": "not_article", "detail": "no body"}
    assert first["id"].startswith("art_") and len(first["id"]) == 28
    assert dup["duplicate_of"] == first["id"] and dup["similarity"] == 1.0
    assert near["duplicate_of"] == first["id"] and 0.8 <= near["similarity"] <= 1.0
    assert revision["id"] == first["id"] and revision["revision"] == 2
    assert revision["previous_content_hash"] == first["content_hash"]
    assert other["extra"] == [1, 2]  # unknown fields pass through
    for line in (first, dup, near, revision, other):
        assert set(line) >= {"id", "story_id", "duplicate_of", "similarity", "revision"}


def test_cli_state_file_remembers_earlier_runs(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    first = _run(_lines()[:1], "--state", str(state), tmp_path=tmp_path)
    assert first[0]["dedup"] == "new"
    again = _run(_lines()[:1], "--state", str(state), tmp_path=tmp_path)
    assert again[0]["dedup"] == "unchanged" and again[0]["id"] == first[0]["id"]
    fresh = _run(_lines()[:1], tmp_path=tmp_path)  # memory store by default
    assert fresh[0]["dedup"] == "new"


def test_cli_reports_bad_json_and_continues(tmp_path: Path) -> None:
    stdin = b"{not json\n" + orjson.dumps(_lines()[0]) + b"\n"
    proc = subprocess.run(
        [sys.executable, "-m", "kabar", "dedup", "--no-stories"],
        input=stdin,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1
    bad, good = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert bad["error"] == "bad_json"
    assert good["dedup"] == "new"
