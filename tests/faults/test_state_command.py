"""`kabar state check|repair` on real files: a truncated store is reported,
moved aside by repair, and a fresh store opens in its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from kabar.cli import main
from kabar.discovery.seen import SeenStore


def _seen_file(path: Path, count: int) -> None:
    seen = SeenStore(str(path))
    for n in range(count):
        seen.add(f"https://a.example.id/berita/{n}")
    seen.close()


def test_check_and_repair_a_truncated_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.sqlite3", tmp_path / "bad.sqlite3"
    _seen_file(good, 100)
    _seen_file(bad, 5000)
    with open(bad, "r+b") as raw:
        raw.truncate(bad.stat().st_size // 3)

    assert main(["state", "check", str(good), str(bad)]) == 1
    out = capsys.readouterr()
    assert f"{good}: ok" in out.out and f"{bad}: corrupt" in out.out
    assert "kabar state repair" in out.err

    assert main(["state", "repair", str(good), str(bad)]) == 0
    out = capsys.readouterr()
    assert f"moved to {bad}.corrupt-1" in out.out
    assert good.exists() and not bad.exists() and Path(f"{bad}.corrupt-1").exists()
    assert main(["state", "check", str(good), str(bad)]) == 0
    fresh = SeenStore(str(bad))
    assert len(fresh) == 0
    fresh.close()
