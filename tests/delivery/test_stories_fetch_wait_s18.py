"""The stories stage reads the extracted articles with a short broker wait: the
embedded broker (Tansu) holds a fetch its whole ``fetch_max_wait_ms`` when records
come one by one, and every article waits out part of it before it is published. At
50 ms the hop (record sent → read) was p50 20 / p99 33-37 ms at the paced bench's
60 records/s; at 20 ms, 10 / 17-22 ms (measured beside ``roles.STORIES_FETCH_WAIT_MS``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from kabar import roles
from kabar.dedup import Deduper
from kabar.settings import DedupSettings
from tests.support import stories_role


class _Started(Exception):
    """The stage built its consumer: enough seen."""


class _Consumer:
    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, *topics: str, **options: Any) -> None:
        self.made.append(options)

    async def start(self) -> None:
        raise _Started


async def test_the_stories_stage_reads_extracted_articles_with_a_short_broker_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roles, "AIOKafkaConsumer", _Consumer)
    deduper = Deduper(DedupSettings(state_path=str(tmp_path / "state.sqlite3")))
    stage = stories_role(deduper)
    try:
        with pytest.raises(_Started):
            await stage._consume(deduper)
    finally:
        deduper.close()
    [options] = _Consumer.made
    # Half the hop of the former 50 ms; 10 ms was no faster (the producer's linger and
    # the event loop are the rest) and cost an idle stage more fetches.
    assert options["fetch_max_wait_ms"] <= 20
