"""The distributed roles as real processes (`kabar run --role ...`) on a real
Tansu behind a TCP proxy, a local site on several hosts and a real Redis: a crawl
worker killed with -9 and restarted, the stories stage killed and restarted, a
short broker outage. Every article arrives once per content version (re-sends
carry the same ``ce_id``), no page is fetched by two workers at once, and the
stories equal a one-process replay of the same stream. (`kabar bench delivery`
runs the same at full size with a 60 s outage.)"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from kabar.bench.delivery import Broker, faults


def test_kill_restart_and_outage_lose_and_duplicate_nothing(
    tmp_path: Path, redis_url: str
) -> None:
    broker = Broker(tmp_path)
    args = argparse.Namespace(portals=3, per_portal=8, workers=2, outage_s=4.0,
                              crawl_s=25.0, redis_url=redis_url)
    try:
        result = faults(tmp_path, broker, args)
    finally:
        broker.stop()
        shutil.rmtree(tmp_path / "faults", ignore_errors=True)
    assert (result.lost, result.duplicated, result.double_fetches) == (0, 0, 0)
    assert result.articles == 24
    assert result.stories_match
    assert result.stories_mode == "at-least-once"  # Tansu: found at start, said once
    assert result.rebalance_s is not None and result.rebalance_s < 30
