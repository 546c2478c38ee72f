"""Wire format of Kabar's Kafka events: ids, keys, ``ce_*`` headers, JSON values.

Headers follow the CloudEvents Kafka binding (binary mode, ``ce_`` prefix) so any
consumer can route on type and schema version without parsing the value.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from kabar.settings import SCHEMA_VERSION
from kabar.urls import canonicalize, url_key

Headers = list[tuple[str, bytes]]

SCHEMA_BASE = "https://kabar.dev/schemas"


def now_iso() -> str:
    """Current time as ISO 8601 UTC with a ``Z`` suffix, millisecond precision."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def article_id(canonical_url: str) -> str:
    """Stable id of an article: the same canonical URL always gets the same id."""
    digest = hashlib.sha256(canonicalize(canonical_url).encode("utf-8")).hexdigest()
    return f"art_{digest[:24]}"


def kafka_key(canonical_url: str) -> bytes:
    return url_key(canonical_url).encode("ascii")


def serialize(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def ce_headers(event_type: str, event_id: str, schema: str, source: str) -> Headers:
    """CloudEvents-style headers for one event."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", event_id.encode("utf-8")),
        ("ce_type", event_type.encode("utf-8")),
        ("ce_source", source.encode("utf-8")),
        ("ce_time", now_iso().encode("ascii")),
        ("ce_dataschema", f"{SCHEMA_BASE}/{schema}".encode()),
        ("content-type", b"application/json"),
        ("schema_version", SCHEMA_VERSION.encode("ascii")),
    ]


def new_event_id() -> str:
    return uuid.uuid4().hex
