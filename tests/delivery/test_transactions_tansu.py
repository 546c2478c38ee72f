"""On the embedded Tansu (no transactions: InitProducerId fails) the stories stage
finds that once at start and runs at-least-once; ``transactions = "on"`` refuses
to start there with a message saying why. A real broker, a real role process."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from kabar.bench.delivery_site import write_config
from kabar.broker import EmbeddedBroker
from kabar.errors import ConfigError
from kabar.settings import Settings
from kabar.transact import choose_mode


async def test_auto_falls_back_on_tansu_and_says_so(
    broker: EmbeddedBroker, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings()
    caplog.set_level(logging.INFO, logger="kabar.transact")
    assert not await choose_mode(settings, broker.bootstrap)
    assert "the broker has no transactions" in caplog.text
    assert "at-least-once" in caplog.text


async def test_on_refuses_a_broker_without_transactions(broker: EmbeddedBroker) -> None:
    settings = Settings()
    settings.cluster.transactions = "on"
    with pytest.raises(ConfigError, match="InitProducerId"):
        await choose_mode(settings, broker.bootstrap)


def test_the_stories_role_with_transactions_on_stops_at_start_on_tansu(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "kabar.toml", {"warta0": "http://warta0.test:1"},
                          broker.bootstrap, topics="txnon", state_dir=tmp_path,
                          redis_prefix="unused:", cluster={"transactions": "on"})
    done = subprocess.run([sys.executable, "-m", "kabar", "run", "--role", "stories",
                           "--config", str(config)], capture_output=True, cwd=tmp_path,
                          timeout=120, check=False)
    said = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode != 0
    assert "transactions" in said and "InitProducerId" in said
