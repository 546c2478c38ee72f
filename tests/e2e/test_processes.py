"""`kabar run --once --processes 2` end to end: a local site of several portals on
127.0.0.1 (the bench's generated templates, some articles on three pages), the
embedded broker, `kabar run` as a subprocess with its crawl stage in two child
processes, and a real consumer reading what was published: every article exactly
once, the same articles as the one-process run, and a crawl process killed with
SIGKILL mid-run is started again and its work done (nothing lost, nothing twice)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from kabar.bench.e2e import write_config
from kabar.bench.e2e_site import Served, SiteSpec, serve_site
from kabar.broker import EmbeddedBroker

SPEC = SiteSpec(articles=48, multi_page_share=0.25, pages_per_article=3, corpus="")


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture(scope="module")
def site() -> Iterator[Served]:
    with serve_site(SPEC) as served:
        yield served


def _config(tmp: Path, site: Served, bootstrap: str, spec: SiteSpec = SPEC,
            workers: int = 8) -> tuple[Path, dict[str, str]]:
    tag = uuid.uuid4().hex[:8]
    topics = {k: f"procs.{tag}.{k}" for k in ("articles", "stories", "errors")}
    tmp.mkdir(parents=True, exist_ok=True)
    config = write_config(tmp, spec, site.base, bootstrap, topics, workers=workers, rate=1e9,
                          burst=1_000_000, processes="")
    return config, topics


def _command(config: Path, processes: str) -> list[str]:
    return [sys.executable, "-m", "kabar", "run", "--once", "--config", str(config),
            "--processes", processes]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}


async def _read(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every event of ``topic`` from its beginning, read by a real consumer."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        if not parts:
            await consumer.force_metadata_update()  # type: ignore[no-untyped-call]
            parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            assert time.monotonic() < deadline, "the topic could not be read to its end"
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                out += [orjson.loads(r.value or b"{}") for r in records]
        return out
    finally:
        await consumer.stop()


def _articles(bootstrap: str, topics: dict[str, str]) -> list[dict[str, Any]]:
    return asyncio.run(_read(bootstrap, topics["articles"]))


def _content(event: dict[str, Any]) -> bytes:
    """The whole article event but the time it was fetched."""
    return orjson.dumps({k: v for k, v in event.items() if k != "fetched_at"},
                        option=orjson.OPT_SORT_KEYS)


def _run(config: Path, processes: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(config, processes), capture_output=True, text=True,
                          timeout=timeout, env=_env(), check=False)


def test_two_crawl_processes_publish_every_article_once_as_one_process_does(
    tmp_path: Path, site: Served, broker: EmbeddedBroker
) -> None:
    one_cfg, one_topics = _config(tmp_path / "one", site, broker.bootstrap)
    two_cfg, two_topics = _config(tmp_path / "two", site, broker.bootstrap)

    two = _run(two_cfg, "2")
    assert two.returncode == 0, two.stderr[-3000:]
    assert "2 crawl processes" in two.stderr
    assert len(set(re.findall(r"pid (\d+) partitions", two.stderr))) == 2
    # Each crawl process fetched a share (the four portals sit on distinct partitions).
    crawled = [int(n) for n in re.findall(r"done: fetched=(\d+)", two.stderr)][:-1]
    assert len(crawled) == 2 and min(crawled) > 0, two.stderr[-3000:]
    one = _run(one_cfg, "1")
    assert one.returncode == 0, one.stderr[-3000:]
    assert "crawl processes" not in one.stderr

    split, single = _articles(broker.bootstrap, two_topics), _articles(broker.bootstrap,
                                                                      one_topics)
    urls = Counter(e["canonical_url"] for e in split)
    assert len(urls) == SPEC.articles, "an article was lost"
    assert max(urls.values()) == 1, f"published twice: {[u for u, n in urls.items() if n > 1]}"
    assert sorted(map(_content, split)) == sorted(map(_content, single))
    assert {e["pages"] for e in split} == {1, SPEC.pages_per_article}
    # Nothing failed, and the between-stage topics stay out of the article topic.
    assert asyncio.run(_read(broker.bootstrap, two_topics["errors"])) == []


def test_a_killed_crawl_process_is_started_again_and_its_work_done(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    # Pages answer after 50 ms and each process fetches two at a time: the run lasts
    # long enough to kill a crawl process with work handed to it and not finished.
    spec = SiteSpec(articles=80, multi_page_share=0.2, pages_per_article=3, corpus="")
    with serve_site(spec, 0.05) as site:
        config, topics = _config(tmp_path, site, broker.bootstrap, spec, workers=2)
        proc = subprocess.Popen(_command(config, "2"), stderr=subprocess.PIPE, text=True,
                                env=_env())
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")),
                                  daemon=True)  # drained all along: a full pipe would block it
        reader.start()
        try:
            deadline = time.monotonic() + 60
            victim = None
            while victim is None:
                assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)[-3000:]
                pids = re.findall(r"pid (\d+) partitions", "".join(lines))
                victim = int(pids[0]) if pids else None
                time.sleep(0.05)
            # Kill it once articles come out: requests are handed to it, some in flight.
            while len(_articles(broker.bootstrap, topics)) < 10:
                assert time.monotonic() < deadline, "".join(lines)[-3000:]
                time.sleep(0.2)
            os.kill(victim, signal.SIGKILL)
            proc.wait(timeout=240)
            reader.join(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = "".join(lines)
    assert proc.returncode == 0, log[-3000:]
    exits = [orjson.loads(line) for line in log.splitlines()
             if "a crawl process exited" in line and line.startswith("{")]
    assert [(e["pid"], e["exit_code"]) for e in exits] == [(victim, -signal.SIGKILL)], log[-3000:]
    assert "crawl_restarts=1" in log  # the summary line says so too
    urls = Counter(e["canonical_url"] for e in _articles(broker.bootstrap, topics))
    assert len(urls) == spec.articles, "the killed process's work was lost"
    assert max(urls.values()) == 1, "an article was published twice"


def test_a_stopped_run_leaves_its_unfinished_work_journaled_for_the_next(
    tmp_path: Path,
) -> None:
    """The embedded broker's topics die with the run: what the crawl had not finished at
    SIGTERM must come from the journal at the next start, and nothing twice."""
    spec = SiteSpec(articles=200, multi_page_share=0.2, pages_per_article=3, corpus="")
    with serve_site(spec, 0.05) as site:
        config, topics = _config(tmp_path, site, "", spec, workers=2)  # "": embedded
        text = config.read_text("utf-8").replace('archive = "never"', 'archive = "always"')
        text = text.replace("[broker]\n", "[broker]\nembedded_port = 0\n")
        # A crawl process takes a few requests at a time: the rest wait on the frontier.
        config.write_text(text.replace("[pipeline]\n", "[pipeline]\nfetch_queue_size = 4\n"),
                          "utf-8")
        archived = tmp_path / "data" / "events" / f"{topics['articles']}.jsonl"
        command = _command(config, "2")
        _run_then_stop(command, lambda: _archived(archived) >= 10)
        done_first = _archived(archived)
        assert done_first < spec.articles, "the run finished before the stop: nothing tested"
        second = subprocess.run(command, capture_output=True, text=True, timeout=240,
                                env=_env(), check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming spooled work" in second.stderr
    urls = Counter(orjson.loads(line)["canonical_url"]
                   for line in archived.read_bytes().splitlines())
    assert len(urls) == spec.articles, "work unfinished at the stop was lost"
    assert max(urls.values()) == 1, "an article was published twice"


def _run_then_stop(command: list[str], until: Callable[[], bool]) -> None:
    """Run the service without --once until ``until()`` holds (polled, with a
    deadline), then SIGTERM it: it must drain and exit 0."""
    proc = subprocess.Popen([c for c in command if c != "--once"],
                            stderr=subprocess.PIPE, text=True, env=_env())
    try:
        deadline = time.monotonic() + 90
        while not until():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, log = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log[-3000:]


def _archived(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def test_a_request_a_crawl_process_dead_lettered_leaves_the_journal(tmp_path: Path) -> None:
    """The run does not see the children's dead letters, but once the crawl is past the
    frontier's end and the stories stage through what it made, the request is settled:
    a service stopped and started again resumes nothing (the URL is not marked seen,
    so the next start's discovery may queue it again, as it would a passing failure)."""
    spec = SiteSpec(articles=12, multi_page_share=0.0, pages_per_article=1, corpus="")
    with serve_site(spec) as site:
        config, topics = _config(tmp_path, site, "", spec, workers=2)  # "": embedded
        missing = f"http://127.0.0.1:{site.base.rsplit(':', 1)[1]}/tidak-ada/berita-1"
        text = config.read_text("utf-8").replace('archive = "never"', 'archive = "always"')
        text = text.replace("[broker]\n", "[broker]\nembedded_port = 0\n")
        # The missing page is one more URL of the first portal.
        text = text.replace("urls = [", f'urls = ["{missing}",', 1)
        config.write_text(text, "utf-8")
        events = tmp_path / "data" / "events"
        articles = events / f"{topics['articles']}.jsonl"
        errors = events / f"{topics['errors']}.jsonl"
        command = _command(config, "2")
        _run_then_stop(command, lambda: _archived(articles) >= spec.articles
                       and _archived(errors) >= 1)
        second = subprocess.run(command, capture_output=True, text=True, timeout=240,
                                env=_env(), check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming spooled work" not in second.stderr
    failed = {(e["url"], e["reason"]) for e in map(orjson.loads, errors.read_bytes().splitlines())}
    assert failed == {(missing, "http_4xx")}
    assert _archived(articles) == spec.articles  # and nothing published twice


def test_the_crawl_processes_counts_show_on_the_runs_metrics(
    tmp_path: Path, site: Served, broker: EmbeddedBroker
) -> None:
    """The run itself fetches no page here (its portals list article URLs): a page
    fetch counted on its /metrics was counted by a crawl process."""
    import socket

    import httpx

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    config, _ = _config(tmp_path, site, broker.bootstrap)
    config.write_text(config.read_text("utf-8").replace(
        "[metrics]\nport = 0", f"[metrics]\nport = {port}"), "utf-8")
    seen: list[str] = []

    def fetched_by_children() -> bool:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.HTTPError:
            return False  # not listening yet
        seen[:] = [line for line in text.splitlines()
                   if line.startswith(("kabar_fetches_total{", "kabar_extractions_total{"))
                   and ('status="200"' in line or 'reason="ok"' in line)]
        return (_total(seen, "kabar_fetches_total{") >= SPEC.articles
                and _total(seen, "kabar_extractions_total{") >= SPEC.articles
                and text.count("# TYPE kabar_fetches_total ") == 1)

    _run_then_stop(_command(config, "2"), fetched_by_children)


def _total(lines: list[str], start: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(start))
