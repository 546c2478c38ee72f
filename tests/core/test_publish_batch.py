"""The producer's batches hold many events: a burst of sends (a restart's queued
events, a stop's flush) joins batches instead of waiting, send by send, for full
16 kB batches to drain; never more than the broker's request size."""

from __future__ import annotations

from kabar.publish import MAX_BATCH_BYTES, Publisher
from kabar.settings import BrokerSettings


def test_batches_are_large_but_within_the_request_size() -> None:
    config = Publisher(BrokerSettings(), "127.0.0.1:1")._producer_config()
    assert config["max_batch_size"] == min(MAX_BATCH_BYTES, BrokerSettings().max_request_size)
    assert config["max_batch_size"] > 16 * 1024
    small = Publisher(BrokerSettings(max_request_size=100_000), "127.0.0.1:1")
    assert small._producer_config()["max_batch_size"] == 100_000
