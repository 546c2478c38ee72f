"""Wire format of Kabar's Kafka events: ids, keys, ``ce_*`` headers, JSON values.

Headers follow the CloudEvents Kafka binding (binary mode, ``ce_`` prefix) so any
consumer can route on type and schema version without parsing the value.

Event ids are deterministic: an article event's ``ce_id`` derives from its
canonical URL, content hash and revision, an error's from its URL, stage, reason
and attempt, a story event's from the story id and its version. A re-send (from
the spool, or after a crash re-processed the same input) therefore carries the
same ``ce_id`` and consumers can drop duplicates by id. ``ce_time`` is the
event's own time (fetch time, failure time, story time), never the send time, so
a re-built record is byte-identical to the first one.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from kabar.settings import SCHEMA_VERSION
from kabar.urls import canonicalize

Headers = list[tuple[str, bytes]]

SCHEMA_BASE = "https://kabar.dev/schemas"


def now_iso() -> str:
    """Current time as ISO 8601 UTC with a ``Z`` suffix, millisecond precision."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: ``canonicalize``, remembered for the last few thousand URLs: an article's URL is
#: canonicalized for its claim, its dedup, its id, its key and its event id, on the
#: event loop that paces the run (a URL parse each time).
canonical_of = lru_cache(maxsize=4096)(canonicalize)


def article_id(canonical_url: str) -> str:
    """Stable id of an article: the same canonical URL always gets the same id."""
    digest = hashlib.sha256(canonical_of(canonical_url).encode("utf-8")).hexdigest()
    return f"art_{digest[:24]}"


def kafka_key(canonical_url: str) -> bytes:
    """``urls.url_key``: a 32-hex key of the URL's canonical form."""
    return hashlib.sha256(canonical_of(canonical_url).encode("utf-8")).hexdigest()[:32].encode()


def serialize(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def ce_headers(
    event_type: str, event_id: str, schema: str, source: str, time: str | None = None
) -> Headers:
    """CloudEvents-style headers for one event; ``time`` is the event's own time."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", event_id.encode("utf-8")),
        ("ce_type", event_type.encode("utf-8")),
        ("ce_source", source.encode("utf-8")),
        ("ce_time", (time or now_iso()).encode("utf-8")),
        ("ce_dataschema", f"{SCHEMA_BASE}/{schema}".encode()),
        ("content-type", b"application/json"),
        ("schema_version", _version_of(schema).encode("ascii")),
    ]


def _version_of(schema: str) -> str:
    """"2" for ``article.v2.json``: each event type's schema has its own version."""
    stem = schema.removesuffix(".json")
    _, _, version = stem.rpartition(".v")
    return version if version.isdigit() else SCHEMA_VERSION


def _digest(*parts: object) -> str:
    """32 hex of sha256 over the parts (unit-separated, so no two tuples collide)."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def article_event_id(canonical_url: str, content_hash: str, revision: int) -> str:
    """``ce_id`` of an article event: one id per content version of one article."""
    return _digest("article", canonical_of(canonical_url), content_hash, revision)


def error_event_id(url: str, stage: str, reason: str, attempt: int) -> str:
    """``ce_id`` of a dead letter: the same failure of the same try gets the same id."""
    return _digest("error", url, stage, reason, attempt)


def story_event_id(story: dict[str, Any]) -> str:
    """``ce_id`` of a story event: the clusterer's own deterministic id when it gave
    one, else one from the story id, event type and version (its member count)."""
    given = story.get("id")
    if isinstance(given, str) and given:
        return given
    return _digest("story", story.get("story_id"), story.get("type"), story.get("member_count"))
