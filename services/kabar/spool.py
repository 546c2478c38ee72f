"""The spool: a JSON-lines file holding work that was accepted but not finished
when the service stopped (unsent records, unfetched requests). The next start
reads it back first, so a shutdown or a broker outage loses nothing.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from pathlib import Path
from typing import Any

import orjson

from kabar.models import FetchRequest
from kabar.publish import Outgoing


class Spool:
    def __init__(self, path: str) -> None:
        self.path = Path(path) if path else None

    def save(self, records: list[Outgoing], requests: list[FetchRequest]) -> int:
        """Append leftovers; return how many were written."""
        if self.path is None or not (records or requests):
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [orjson.dumps(_record_to_json(r)) for r in records]
        lines += [orjson.dumps({"kind": "fetch", **dataclasses.asdict(q)}) for q in requests]
        with open(self.path, "ab") as fh:
            fh.write(b"\n".join(lines) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        return len(lines)

    def take(self) -> tuple[list[Outgoing], list[FetchRequest]]:
        """Read and remove everything spooled."""
        if self.path is None or not self.path.exists():
            return [], []
        records: list[Outgoing] = []
        requests: list[FetchRequest] = []
        for line in self.path.read_bytes().splitlines():
            if not line.strip():
                continue
            item = orjson.loads(line)
            if item.pop("kind") == "fetch":
                requests.append(FetchRequest(**item))
            else:
                records.append(_record_from_json(item))
        self.path.unlink()
        return records, requests


def _record_to_json(record: Outgoing) -> dict[str, Any]:
    return {
        "kind": "record",
        "topic": record.topic,
        "key": _b64(record.key) if record.key is not None else None,
        "value": _b64(record.value),
        "headers": [[k, _b64(v)] for k, v in record.headers],
    }


def _record_from_json(item: dict[str, Any]) -> Outgoing:
    key = item["key"]
    return Outgoing(
        topic=item["topic"],
        key=base64.b64decode(key) if key is not None else None,
        value=base64.b64decode(item["value"]),
        headers=[(k, base64.b64decode(v)) for k, v in item["headers"]],
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
