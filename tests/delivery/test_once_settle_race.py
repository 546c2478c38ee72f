"""The two questions a ``kabar run --processes N --once`` asks of the crawl group's lag
at once, on the run's own functions: is the crawl through the frontier (``_caught_up``,
which ends the run), and may discovery's journaled requests be settled
(``_settle_crawled``, every second beside it). With four of a partition's five records
still in flight in a crawl process (multi-page articles waiting for their further
pages), neither may say yes, whichever asks first: the answer that said yes ended runs
with articles lost and their journaled requests settled, so no restart resumed them."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from kabar.broker import EmbeddedBroker
from kabar.processes import _caught_up, _settle_crawled
from kabar.roles import GroupLag
from kabar.settings import Settings
from tests.delivery.topic_support import commit, fill, make_topics

RECORDS = 5


class Front:
    """Discovery's side: one request held on the frontier; what was settled."""

    def __init__(self) -> None:
        self.settled: list[dict[int, str]] = []

    def on_frontier(self) -> dict[int, str]:
        return {1: "https://warta.example.id/berita/2"}

    def settle(self, held: dict[int, str]) -> None:
        self.settled.append(held)


class Stories:
    """The stories stage, through everything the crawl made so far."""

    def settled_through(self, end: int) -> bool:
        return True




async def test_neither_the_end_check_nor_the_settling_loop_sees_the_crawl_done_early(
        broker: EmbeddedBroker) -> None:
    frontier, extracted_topic, group = "once-race.frontier", "once-race.extracted", "crawl"
    await make_topics(broker.bootstrap, frontier, extracted_topic)
    # Discovery's requests in one batch: the embedded broker reports the end short of it.
    await fill(broker.bootstrap, frontier, RECORDS, b"{}", linger_ms=50)
    # The crawl process is through the first record only; the other four are in flight.
    await commit(broker.bootstrap, group, TopicPartition(frontier, 0), 1)
    settings = Settings()
    lag = GroupLag(settings, broker.bootstrap, group, frontier, 1)
    extracted = GroupLag(settings, broker.bootstrap, "stories", extracted_topic, 1)
    await lag.start()
    await extracted.start()
    front = Front()
    try:
        for _ in range(3):
            done, _ = await asyncio.gather(
                _caught_up(lag),
                _settle_crawled(front, Stories(), lag, extracted,  # type: ignore[arg-type]
                                wait_s=0.0))
            assert not done, "the run would end with four articles in flight"
            assert front.settled == [], "requests still in flight were settled"
        assert await lag.behind() == RECORDS - 1
    finally:
        await lag.stop()
        await extracted.stop()
