"""Fixtures for the fetch tests: a local server and settings that allow 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kabar.settings import FetchSettings
from tests.fetch.server import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def settings() -> FetchSettings:
    return FetchSettings(
        allow_private_addresses=True,
        connect_timeout_s=2.0,
        read_timeout_s=2.0,
        total_timeout_s=10.0,
        retries=3,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        per_host_rate=1000.0,
        per_host_burst=10,
        per_host_concurrency=4,
    )
