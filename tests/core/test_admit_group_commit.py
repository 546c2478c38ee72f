"""Admission in continuous mode: each admitted request is durable when ``admit``
returns, yet requests admitted meanwhile share one fsync, run off the event loop."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from kabar.spool import Spool
from tests.core.test_pipeline import Sender, make, requests_for

HOST = "https://kabar-uji.example"


async def test_concurrent_admissions_share_fsyncs_and_are_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    synced_sizes: list[int] = []

    def counting_fsync(fd: int) -> None:
        synced_sizes.append(os.fstat(fd).st_size)  # size the fsync covers at least
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    requests = requests_for(*(f"{HOST}/{n}" for n in range(40)))
    pipe, _ = make(tmp_path, {}, [], Sender(), queue=100)
    pipe.spool.open()
    synced_sizes.clear()  # opening rewrites the journal: not admission's cost

    await asyncio.gather(*(pipe.admit(r) for r in requests))

    journal = tmp_path / "spool.jsonl"
    assert len(synced_sizes) <= 3, "admissions waiting together share an fsync"
    assert synced_sizes[-1] == journal.stat().st_size, "admit returns once durable"
    assert pipe.fetch_q.qsize() == 40


async def test_admitted_requests_survive_a_restart(tmp_path: Path) -> None:
    requests = requests_for(*(f"{HOST}/{n}" for n in range(5)))
    pipe, _ = make(tmp_path, {}, [], Sender(), queue=100)
    pipe.spool.open()
    await asyncio.gather(*(pipe.admit(r) for r in requests))
    pipe.spool.close()  # stands in for the crash: nothing of the pipeline runs on

    pending = Spool(str(tmp_path / "spool.jsonl")).open()
    assert sorted(r.url for _, r in pending.requests) == sorted(r.url for r in requests)
