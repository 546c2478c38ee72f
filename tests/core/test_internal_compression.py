"""The topics between Kabar's own stages (``cluster.compression_type``) are sent by a
producer of their own compression; the public topics keep ``broker.compression_type``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kabar.errors import ConfigError
from kabar.publish import Internal, Outgoing, Publisher
from kabar.settings import BrokerSettings, ClusterSettings, load_settings


class _Producer:
    def __init__(self) -> None:
        self.topics: list[str] = []

    async def send_and_wait(self, topic: str, value: bytes, **_: Any) -> None:
        self.topics.append(topic)


def _publisher(internal: Internal | None) -> tuple[Publisher, _Producer, _Producer]:
    publisher = Publisher(BrokerSettings(compression_type="gzip"), "127.0.0.1:1",
                          internal=internal)
    public, inside = _Producer(), _Producer()
    publisher._producer = public  # type: ignore[assignment]
    publisher._internal_producer = inside  # type: ignore[assignment]
    return publisher, public, inside


def test_internal_topics_go_to_their_own_producer_and_public_ones_do_not() -> None:
    publisher, public, inside = _publisher(Internal(frozenset({"front", "done"}), ""))
    for topic in ("front", "kabar.articles.v1", "done", "kabar.errors.v1"):
        asyncio.run(publisher.send(Outgoing(topic, b"k", b"{}", [])))
    assert inside.topics == ["front", "done"]
    assert public.topics == ["kabar.articles.v1", "kabar.errors.v1"]


def test_one_producer_when_the_compressions_agree_or_nothing_is_internal() -> None:
    for internal in (Internal(frozenset({"front"}), "gzip"), Internal(frozenset(), ""), None):
        publisher, public, inside = _publisher(internal)
        asyncio.run(publisher.send(Outgoing("front", None, b"{}", [])))
        assert public.topics == ["front"] and inside.topics == []


def test_each_producer_is_configured_with_its_own_compression() -> None:
    publisher = Publisher(BrokerSettings(compression_type="gzip"), "127.0.0.1:1",
                          internal=Internal(frozenset({"front"}), ""))
    assert publisher._producer_config()["compression_type"] == "gzip"
    assert publisher._producer_config("")["compression_type"] is None
    assert publisher._producer_config("zstd")["compression_type"] == "zstd"


def test_internal_topics_are_uncompressed_by_default_and_the_choice_is_checked() -> None:
    assert ClusterSettings().compression_type == ""
    assert BrokerSettings().compression_type == "gzip"  # the public topics: unchanged
    settings = load_settings(env={"KABAR_CLUSTER__COMPRESSION_TYPE": "lz4"})
    assert settings.cluster.compression_type == "lz4"
    with pytest.raises(ConfigError):
        load_settings(env={"KABAR_CLUSTER__COMPRESSION_TYPE": "brotli"})
