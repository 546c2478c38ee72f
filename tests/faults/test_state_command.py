"""`kabar state` on real files: a truncated store is reported, moved aside by
repair, and a fresh store opens in its place; rebuild-seen refills the seen
store from an event archive or from the articles topic on a real broker."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from kabar.broker import EmbeddedBroker
from kabar.cli import main
from kabar.discovery.seen import SeenStore
from kabar.urls import canonicalize


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


def _article(n: int) -> bytes:
    return orjson.dumps({"id": f"art_{n}", "url": f"https://a.example.id/berita/{n}?utm_source=x",
                         "canonical_url": f"https://a.example.id/read/{n}"})


def test_rebuild_seen_from_the_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen_path, archive = tmp_path / "seen.sqlite3", tmp_path / "articles.jsonl"
    archive.write_bytes(b"".join(_article(n) + b"\n" for n in range(5)) + b'{"torn')
    config = tmp_path / "k.toml"
    config.write_text(f'[discovery]\nseen_path = "{seen_path}"\n')
    assert main(["state", "rebuild-seen", "-c", str(config), "--archive", str(archive)]) == 0
    assert "10 URLs marked seen from 5 articles" in capsys.readouterr().out
    seen = SeenStore(str(seen_path))
    assert canonicalize("https://a.example.id/berita/3?utm_source=x") in seen
    assert canonicalize("https://a.example.id/read/4") in seen
    assert canonicalize("https://a.example.id/read/9") not in seen
    seen.close()


def test_rebuild_seen_from_the_articles_topic(
    tmp_path: Path, broker: EmbeddedBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = f"faults.rebuild.{uuid.uuid4().hex[:8]}"

    async def publish() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        try:
            for n in range(3):
                await producer.send_and_wait(topic, _article(n))
        finally:
            await producer.stop()

    asyncio.run(publish())
    seen_path = tmp_path / "seen.sqlite3"
    config = tmp_path / "k.toml"
    config.write_text(f'[broker]\narticles_topic = "{topic}"\n'
                      f'[discovery]\nseen_path = "{seen_path}"\n')
    assert main(["state", "rebuild-seen", "-c", str(config), "--bootstrap",
                 broker.bootstrap]) == 0
    assert "from 3 articles" in capsys.readouterr().out
    seen = SeenStore(str(seen_path))
    assert canonicalize("https://a.example.id/read/2") in seen
    seen.close()
