"""A ``kabar run --processes N --once`` waits for its stories stage to take in all the
crawl processes made: up to the extracted topic's end as the broker shows it, and at
least past every record the crawl processes had acknowledged on it since the run
began (``processes._made_end``), as the embedded broker's answer may lag a burst."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from kabar.processes import _made_end

TOPIC = "kabar.extracted.v1"


def test_the_end_read_short_of_what_the_crawl_acknowledged_is_not_taken(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crawled = Counter({f"published:{TOPIC}": 600, "fetched": 600})
    with caplog.at_level(logging.WARNING, logger="kabar.processes"):
        assert _made_end(599, 0, crawled, TOPIC) == 600
        assert _made_end(649, 50, crawled, TOPIC) == 650  # after a run's 50 records
    assert ["reads short" in r.getMessage() for r in caplog.records] == [True, True]


def test_the_end_the_broker_shows_stands_when_it_holds_everything() -> None:
    crawled = Counter({f"published:{TOPIC}": 600})
    assert _made_end(600, 0, crawled, TOPIC) == 600
    # More than this run's crawl acknowledged (a crawl process killed before it reported).
    assert _made_end(612, 0, crawled, TOPIC) == 612
    assert _made_end(0, 0, Counter(), TOPIC) == 0
