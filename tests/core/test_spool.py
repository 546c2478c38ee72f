"""The spool keeps unsent records and unfetched requests across restarts."""

from __future__ import annotations

from pathlib import Path

from kabar.models import FetchRequest
from kabar.publish import Outgoing
from kabar.spool import Spool


def test_round_trip_and_take_empties(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path / "s" / "spool.jsonl"))
    record = Outgoing("t", b"k\xff", b'{"a":1}', [("ce_id", b"1"), ("bin", b"\x00\xff")])
    request = FetchRequest(url="https://x.id/a", portal="x", source="feed", attempt=2)
    assert spool.save([record], [request]) == 2
    assert spool.save([Outgoing("t", None, b"v", [])], []) == 1
    records, requests = spool.take()
    assert records == [record, Outgoing("t", None, b"v", [])]
    assert requests == [request]
    assert spool.take() == ([], [])


def test_disabled_spool_keeps_nothing() -> None:
    spool = Spool("")
    assert spool.save([Outgoing("t", None, b"v", [])], []) == 0
    assert spool.take() == ([], [])
