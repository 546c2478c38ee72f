"""The article event carries its body once (schema v2: ``paragraphs``), titles are
capped, and an event the broker can never take is dead-lettered with
``event_too_large`` — before dedup remembers it, and never spooled to loop."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

from kabar.errors import PublishError
from kabar.models import Article, DedupResult
from kabar.publish import Outgoing
from kabar.spool import Spool
from tests.core.test_pipeline import BASE, Sender, make, page, requests_for
from tests.support import assert_valid, schema_validator


class CountingDeduper:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def process(
        self, article: Article, *, when: datetime | None = None
    ) -> tuple[DedupResult, list[dict[str, object]]]:
        self.seen.append(article.url)
        return DedupResult(verdict="new", story_id="st_1"), []


async def test_article_event_carries_the_body_once_under_schema_v2(tmp_path: Path) -> None:
    sender = Sender()
    pipe, _ = make(tmp_path, {f"{BASE}/1": page(1)}, requests_for(f"{BASE}/1"), sender)
    await pipe.run(once=True)
    [record] = [r for r in sender.sent if r.topic == pipe.settings.broker.articles_topic]
    [event] = sender.values(pipe.settings.broker.articles_topic)
    assert "body" not in event and event["paragraphs"] == ["paragraf pertama 1",
                                                           "paragraf kedua 1"]
    event["content_hash"] = "ab" * 16
    assert_valid(schema_validator("article.v2.json"), event)
    headers = dict(record.headers)
    assert headers["ce_dataschema"].endswith(b"/article.v2.json")
    assert headers["schema_version"] == b"2"


async def test_a_huge_title_is_cut_at_a_word(tmp_path: Path) -> None:
    title = " ".join(["kata"] * 3000)  # 14,999 characters
    sender = Sender()
    pipe, _ = make(tmp_path, {f"{BASE}/1": f"{title}|satu|dua|"}, requests_for(f"{BASE}/1"),
                   sender)
    await pipe.run(once=True)
    [event] = sender.values(pipe.settings.broker.articles_topic)
    limit = pipe.settings.extract.max_title_chars
    assert len(str(event["title"])) <= limit
    assert str(event["title"]).endswith("kata\u2026")


async def test_an_event_over_the_request_size_is_dead_lettered_before_dedup(
    tmp_path: Path,
) -> None:
    big = "judul|" + "kata " * 40_000 + "|penutup|"  # ~200 kB of body
    pages = {f"{BASE}/big": big, f"{BASE}/2": page(2)}
    sender = Sender()
    deduper = CountingDeduper()
    pipe, _ = make(tmp_path, pages, requests_for(*pages), sender)
    pipe.parts = dataclasses.replace(pipe.parts, deduper=deduper)
    pipe.settings.broker.max_request_size = 100_000
    await pipe.run(once=True)
    assert [e["title"] for e in sender.values(pipe.settings.broker.articles_topic)] == [
        "title 2"]
    errors = [(e["url"], e["stage"], e["reason"])
              for e in sender.values(pipe.settings.broker.errors_topic)]
    assert errors == [(f"{BASE}/big", "publish", "event_too_large")]
    assert deduper.seen == [f"{BASE}/2"]  # never remembered: a later fetch tries again


class RefusingSender(Sender):
    """A broker with a smaller limit than ours: it refuses the article events."""

    async def send(self, record: Outgoing) -> None:
        if record.topic.endswith("articles.v1"):
            raise PublishError("too big for the broker", reason="message_too_large")
        await super().send(record)


async def test_a_broker_refusal_for_size_is_dead_lettered_not_spooled(tmp_path: Path) -> None:
    sender = RefusingSender()
    pipe, _ = make(tmp_path, {f"{BASE}/1": page(1)}, requests_for(f"{BASE}/1"), sender)
    counts = await pipe.run(once=True)
    errors = [(e["url"], e["reason"]) for e in sender.values(pipe.settings.broker.errors_topic)]
    assert errors == [(f"{BASE}/1", "event_too_large")]
    assert len(Spool(str(tmp_path / "spool.jsonl")).open()) == 0
    assert counts["errors"] == 1

