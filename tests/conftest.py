"""Session fixtures: the embedded Kafka-protocol broker and ../shared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kabar.broker import EmbeddedBroker
from tests.support import shared_dir


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        pytest.skip("../shared not found: corpus tests need the shared data beside the repo")
    return path


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A Tansu broker on a free port for the whole test session."""
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log) as running:
        yield running
