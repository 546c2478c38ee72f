"""End to end on real parts: a local HTTP site with an RSS feed and broken pages,
`kabar run --once` as a subprocess, the Tansu broker, and real consumers
(aiokafka and kcat) reading what was published."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from kabar.broker import EmbeddedBroker, free_port
from kabar.commands.demo import read_topic
from kabar.demo.server import Page, SiteServer
from kabar.demo.site import build_site
from tests.kcat_support import kcat_binary, kcat_consume
from tests.support import assert_valid, schema_validator

# Topics of this test's own, so other tests sharing the broker cannot interfere.
ARTICLES = "e2e.articles.v1"
ERRORS = "e2e.errors.v1"
STORIES = "e2e.stories.v1"

# path on the fixture site → the reason its failure must carry
BAD_PAGES: dict[str, tuple[Page, str]] = {
    "/bad/missing": (Page(b"gone", "text/html", 404), "http_4xx"),
    "/bad/server-error": (Page(b"oops", "text/html", 503), "http_5xx"),
    "/bad/file.pdf": (Page(b"%PDF-1.4 not html", "application/pdf"), "not_html"),
    "/bad/empty": (Page(b"", "text/html; charset=utf-8"), "empty_body"),
    "/bad/slow": (Page(b"<html><body>late</body></html>", delay_s=4.0), "timeout"),
    "/bad/charset": (Page(bytes(range(0x80, 0x100)) * 40, "text/html; charset=utf-8"),
                     "bad_charset"),
}


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        server.routes.update(build_site(server.base_url))
        server.routes.update({path: page for path, (page, _) in BAD_PAGES.items()})
        yield server


def write_config(tmp: Path, site: SiteServer, bootstrap: str) -> Path:
    base = site.base_url
    dead_port = free_port()
    bad_urls = [f"{base}{path}" for path in BAD_PAGES] + [
        f"http://127.0.0.1:{dead_port}/closed-port",
        "http://portal-yang-tidak-ada.invalid/berita/1",
    ]
    config = tmp / "kabar.toml"
    config.write_text(f"""
[broker]
bootstrap_servers = "{bootstrap}"
articles_topic = "{ARTICLES}"
errors_topic = "{ERRORS}"
stories_topic = "{STORIES}"
[fetch]
allow_private_addresses = true
# the DNS failure is played locally: no lookup leaves this machine
static_hosts = ["portal-yang-tidak-ada.invalid="]
read_timeout_s = 1.0
total_timeout_s = 3.0
retries = 1
per_host_rate = 100.0
per_host_burst = 20
[discovery]
seen_path = ""
[dedup]
store = "memory"
[metrics]
enabled = false
[pipeline]
spool_path = "{tmp / 'spool.jsonl'}"
progress_interval_s = 0
[[portals]]
name = "kabarkota"
feeds = ["{base}/kabarkota/rss.xml"]
urls = {bad_urls!r}
[[portals]]
name = "wartadesa"
feeds = ["{base}/wartadesa/rss.xml"]
""".replace("'", '"'))
    return config


@pytest.fixture(scope="module")
def published(
    site: SiteServer, broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("e2e")
    config = write_config(tmp, site, broker.bootstrap)
    proc = subprocess.run(
        [sys.executable, "-m", "kabar", "run", "--once", "--config", str(config)],
        capture_output=True, text=True, timeout=180, cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = _published_counts(proc.stderr)
    return {topic: asyncio.run(read_topic(broker.bootstrap, topic, counts[topic]))
            for topic in (ARTICLES, ERRORS, STORIES)} | {"_stderr": [{"text": proc.stderr}]}


def _published_counts(stderr: str) -> dict[str, int]:
    """The run's own summary line says how many events each topic received."""
    # stderr is a JSON log stream here (not a terminal): the summary is one of its records
    messages = [orjson.loads(x)["msg"] for x in stderr.splitlines() if x.startswith("{")]
    line = next(x for x in reversed(messages) if x.startswith("done:"))
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    return {ARTICLES: int(fields["articles"]), ERRORS: int(fields["errors"]),
            STORIES: int(fields["stories"])}


def test_articles_arrive_valid_and_clean(published: dict[str, list[dict[str, Any]]]) -> None:
    articles = published[ARTICLES]
    assert len(articles) == 5
    validator = schema_validator("article.v2.json")
    for event in articles:
        assert_valid(validator, event)
        assert "body" not in event  # schema v2: the body once, as paragraphs
        body = "\n".join(event["paragraphs"])
        assert "BACA JUGA" not in body.upper()
        assert "Berita Terkait" not in body
        assert "Penulis:" not in body
        assert event["language"] == "id"
    portals = sorted({e["portal"] for e in articles})
    assert portals == ["kabarkota", "wartadesa"]


def test_multi_page_article_is_stitched(published: dict[str, list[dict[str, Any]]]) -> None:
    futsal = next(e for e in published[ARTICLES] if "Futsal" in e["title"])
    assert futsal["pages"] == 3
    body = "\n".join(futsal["paragraphs"])
    assert "penjaga gawang" in body  # only on page 2
    assert "Iran dan Jepang" in body  # only on page 3
    assert body.count("Thailand menyamakan kedudukan") == 1


def test_same_event_from_two_outlets_shares_a_story(
    published: dict[str, list[dict[str, Any]]],
) -> None:
    by_title = {e["title"]: e for e in published[ARTICLES]}
    flood_a = by_title["Banjir Rob Genangi Tiga Kelurahan di Pesisir Semarang"]
    flood_b = by_title["Air Laut Pasang, Ratusan Rumah di Semarang Utara Terendam"]
    assert flood_a["story_id"] and flood_a["story_id"] == flood_b["story_id"]
    others = {e["story_id"] for t, e in by_title.items() if e not in (flood_a, flood_b)}
    assert flood_a["story_id"] not in others


def test_bad_input_becomes_error_events(published: dict[str, list[dict[str, Any]]]) -> None:
    validator = schema_validator("error.v1.json")
    reasons: dict[str, str] = {}
    for event in published[ERRORS]:
        assert_valid(validator, event)
        reasons[event["url"]] = event["reason"]
    for path, (_, reason) in BAD_PAGES.items():
        matching = [r for url, r in reasons.items() if url.endswith(path)]
        assert matching == [reason], (path, reasons)
    assert any(r == "connect_error" for u, r in reasons.items() if "closed-port" in u)
    assert any(r == "dns_failure" for u, r in reasons.items() if ".invalid" in u)


def test_story_events_validate(published: dict[str, list[dict[str, Any]]]) -> None:
    validator = schema_validator("story.v1.json")
    assert published[STORIES]
    for event in published[STORIES]:
        assert_valid(validator, event)


def test_kcat_reads_the_articles(
    published: dict[str, list[dict[str, Any]]], broker: EmbeddedBroker
) -> None:
    if kcat_binary() is None:
        pytest.skip("kcat not installed (apt-get install kcat)")
    messages = kcat_consume(broker.bootstrap, ARTICLES, len(published[ARTICLES]), 30)
    titles = {orjson.loads(m["value"] or b"{}")["title"] for m in messages}
    assert titles == {e["title"] for e in published[ARTICLES]}
    headers = dict(messages[0]["headers"])
    assert headers["ce_type"] in (b"article.created", b"article.updated")
    assert headers["content-type"] == b"application/json"
    assert all(m["key"] and len(m["key"]) == 32 for m in messages)
