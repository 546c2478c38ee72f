"""Event ids are deterministic: a re-send or a re-run of the same input carries
the same ``ce_id`` (and the same bytes), so consumers can drop duplicates by id."""

from __future__ import annotations

from pathlib import Path

from kabar.events import article_event_id, error_event_id, story_event_id
from tests.core.test_pipeline import BASE, Deduper, Sender, make, page, requests_for


def test_article_id_changes_with_content_and_revision_only() -> None:
    one = article_event_id("https://warta.example.id/a?utm_source=x", "ab" * 16, 1)
    assert one == article_event_id("https://warta.example.id/a", "ab" * 16, 1)
    assert one != article_event_id("https://warta.example.id/a", "cd" * 16, 1)
    assert one != article_event_id("https://warta.example.id/a", "ab" * 16, 2)
    assert one != article_event_id("https://warta.example.id/b", "ab" * 16, 1)
    assert len(one) == 32


def test_error_and_story_ids_are_stable() -> None:
    assert error_event_id("u", "fetch", "timeout", 1) == error_event_id("u", "fetch", "timeout", 1)
    assert error_event_id("u", "fetch", "timeout", 1) != error_event_id("u", "fetch", "timeout", 2)
    assert story_event_id({"id": "given", "story_id": "st_1"}) == "given"
    v1 = {"story_id": "st_1", "type": "story.updated", "member_count": 2}
    assert story_event_id(v1) == story_event_id(dict(v1))
    assert story_event_id(v1) != story_event_id({**v1, "member_count": 3})


async def test_two_runs_of_the_same_input_publish_byte_identical_records(tmp_path: Path) -> None:
    pages = {f"{BASE}/1": page(1), f"{BASE}/2": page(2), f"{BASE}/3": "t||x|"}
    runs = []
    for n in range(2):
        sender = Sender()
        pipe, _ = make(tmp_path / str(n), pages, requests_for(*pages, f"{BASE}/404"), sender,
                       deduper=Deduper(set()))
        await pipe.run(once=True)
        runs.append(sender.sent)
    errors = pipe.settings.broker.errors_topic
    # Articles and stories are byte-identical; a failure happening again is a new
    # failure (its time differs) but keeps its id.
    first, second = ({(r.topic, r.key, r.value, tuple(r.headers)) for r in run
                      if r.topic != errors} for run in runs)
    assert first == second and len(first) == 3  # 2 articles, 1 story event (sent twice)
    first_ids, second_ids = ({dict(r.headers)["ce_id"] for r in run} for run in runs)
    assert first_ids == second_ids and len(first_ids) == 5
