"""The public topics' producer gathers records for ``broker.linger_ms`` (20 ms by
default: fewer, fuller produce requests); the internal topics' producer (the frontier,
the extracted articles) lingers at most ``INTERNAL_LINGER_MS``, as it did before."""

from __future__ import annotations

from kabar.publish import INTERNAL_LINGER_MS, Internal, Publisher
from kabar.settings import BrokerSettings, load_settings


def test_the_public_producer_lingers_longer_than_the_internal_one_by_default() -> None:
    settings = load_settings(env={}).broker
    assert settings.linger_ms == 20
    publisher = Publisher(settings, "127.0.0.1:1", internal=Internal(frozenset({"front"}), ""))
    assert publisher._producer_config()["linger_ms"] == 20
    assert publisher._producer_config("", INTERNAL_LINGER_MS)["linger_ms"] == 5


def test_the_internal_producer_never_lingers_longer_than_the_setting() -> None:
    publisher = Publisher(BrokerSettings(linger_ms=0), "127.0.0.1:1")
    assert publisher._producer_config("", INTERNAL_LINGER_MS)["linger_ms"] == 0
    assert publisher._producer_config()["linger_ms"] == 0
