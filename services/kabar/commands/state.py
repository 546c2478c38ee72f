"""`kabar state check|repair|rebuild-seen`: is each SQLite state file (dedup,
seen URLs) readable and its directory writable; move a corrupt file aside so
the next start begins fresh; refill the seen-URL store from what was published
(the articles topic, or the run's event archive), so a fresh store does not
fetch every known article again. One line per file; exit 1 when something is
wrong."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kabar.settings import BrokerSettings, Settings

HELP = "check the SQLite state files, or move corrupt ones aside (repair)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("check", "repair", "rebuild-seen"),
                        help="check: report; repair: move corrupt files to <path>.corrupt-<n>;"
                        " rebuild-seen: mark every published article's URLs as seen")
    parser.add_argument("--archive", metavar="FILE",
                        help="rebuild-seen from this articles archive (default: the data dir's)")
    parser.add_argument("--bootstrap", metavar="HOST:PORT",
                        help="rebuild-seen from the articles topic on this broker instead")
    parser.add_argument("--config", "-c", help="TOML config file (the state paths it names)")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="state files to look at (default: those of the config)")


def main(args: argparse.Namespace) -> int:
    from kabar.errors import KabarError
    from kabar.settings import load_settings

    try:
        settings = load_settings(args.config)
    except KabarError as exc:
        print(f"kabar state: {exc}", file=sys.stderr)
        return 2
    if args.action == "rebuild-seen":
        return rebuild_seen(settings, args.archive, args.bootstrap)
    paths = [Path(p) for p in args.paths] or _configured(settings)
    if not paths:
        print("kabar state: no SQLite state files configured (memory or redis stores)")
        return 0
    bad = 0
    for path in paths:
        status, detail = diagnose(path)
        if status == "corrupt" and args.action == "repair":
            from kabar.statefile import move_aside

            aside = move_aside(path)
            print(f"{path}: corrupt ({detail}); moved to {aside}, the next start begins fresh")
            continue
        print(f"{path}: {status}" + (f" ({detail})" if detail else ""))
        bad += status not in ("ok", "missing")
    if bad and args.action == "check":
        print("kabar state: run `kabar state repair` to move corrupt files aside;"
              " free space or fix permissions for unwritable ones", file=sys.stderr)
    return 1 if bad else 0


def _configured(settings: Settings) -> list[Path]:
    paths = []
    if settings.dedup.enabled and settings.dedup.store == "sqlite":
        paths.append(Path(settings.dedup.state_path))
    if settings.discovery.seen_path:
        paths.append(Path(settings.discovery.seen_path))
    return paths


def diagnose(path: Path) -> tuple[str, str]:
    """("ok" | "missing" | "corrupt" | "unwritable", detail)."""
    import sqlite3

    from kabar.statefile import is_corrupt

    if not path.exists():
        return "missing", "created on the next start" if _writable(path.parent) else (
            f"directory {path.parent} is not writable")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = db.execute("PRAGMA quick_check").fetchall()
            tables = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return ("corrupt" if is_corrupt(exc) else "unreadable"), str(exc)
    problems = [str(row[0]) for row in found if row[0] != "ok"]
    if problems:
        return "corrupt", problems[0]
    if not _writable(path.parent):
        return "unwritable", f"directory {path.parent} is not writable"
    return "ok", ", ".join(sorted(str(t[0]) for t in tables))


def _writable(directory: Path) -> bool:
    import os
    import tempfile

    probe = directory
    while not probe.exists():
        probe = probe.parent
    try:
        fd, name = tempfile.mkstemp(dir=probe, prefix=".kabar-probe-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def rebuild_seen(settings: Settings, archive: str | None, bootstrap: str | None) -> int:
    """Add the URL and canonical URL of every published article to the seen store."""
    import orjson

    from kabar.discovery.seen import SeenStore
    from kabar.errors import KabarError
    from kabar.urls import canonicalize

    if not settings.discovery.seen_path:
        print("kabar state: discovery.seen_path is empty (the seen store is memory only)",
              file=sys.stderr)
        return 2
    try:
        events = (_from_topic(bootstrap, settings.broker.articles_topic, settings.broker)
                  if bootstrap
                  else _from_archive(archive, settings))
        seen = SeenStore(settings.discovery.seen_path, settings.discovery.seen_max_entries)
    except (KabarError, OSError) as exc:
        print(f"kabar state: {exc}", file=sys.stderr)
        return 1
    added = articles = 0
    try:
        for raw in events:
            try:
                event = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            articles += 1
            for key in ("url", "canonical_url"):
                if isinstance(event.get(key), str) and event[key]:
                    added += seen.add(canonicalize(event[key]))
    finally:
        seen.close()
    print(f"{settings.discovery.seen_path}: {added} URLs marked seen from {articles} articles")
    return 0


def _from_archive(archive: str | None, settings: Settings) -> list[bytes]:
    from kabar.archive import read_archive, topic_file

    path = Path(archive) if archive else topic_file(
        Path(settings.data.dir) / "events", settings.broker.articles_topic)
    return list(read_archive(path))


def _from_topic(bootstrap: str, topic: str, broker: BrokerSettings | None = None) -> list[bytes]:
    """Every record of ``topic`` from the start to its current end (``broker``: the
    ``[broker]`` settings, for SASL/TLS)."""
    import asyncio

    from kabar.kafka_security import client_options
    from kabar.settings import BrokerSettings as Broker

    async def read() -> list[bytes]:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                    **client_options(broker or Broker()))
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            if not parts:
                return []
            consumer.assign(parts)
            await consumer.seek_to_beginning()
            ends = await consumer.end_offsets(parts)
            values: list[bytes] = []

            async def behind() -> bool:
                positions = [await consumer.position(tp) for tp in parts]
                return any(at < ends[tp] for at, tp in zip(positions, parts, strict=True))

            while await behind():
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    values += [r.value for r in records if r.value is not None]
            return values
        finally:
            await consumer.stop()

    return asyncio.run(read())
