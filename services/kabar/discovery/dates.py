"""Dates as feeds and sitemaps write them (RFC 822 and ISO 8601), to ISO UTC.

Those two formats cover almost every source; anything else is handed to
``kabar.extract.dates.parse_date`` when that module is installed (it knows the
Indonesian spellings). Times without a zone are taken as WIB (UTC+7), the
zone of the portals Kabar reads.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from typing import cast

WIB = timezone(timedelta(hours=7))


def source_date(text: str | None) -> str | None:
    """ISO 8601 UTC (``2024-05-01T03:00:00+00:00``) or None when unreadable."""
    if not text or not text.strip():
        return None
    text = text.strip()
    parsed = _iso(text) or _rfc822(text)
    if parsed is not None:
        return to_iso(parsed)
    fallback = _extract_parse_date()
    if fallback is None:
        return None
    try:
        return fallback(text)
    except Exception:  # another helper's parser must not break discovery
        return None


def to_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WIB)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def epoch_of(iso: str) -> float | None:
    """Seconds since the epoch of an ISO date (as returned by ``source_date``)."""
    parsed = _iso(iso)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=WIB)
    return parsed.timestamp()


def _iso(text: str) -> datetime | None:
    candidate = text.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


@cache
def _extract_parse_date() -> Callable[[str], str | None] | None:
    try:
        module = importlib.import_module("kabar.extract.dates")
    except ImportError:
        return None
    found = getattr(module, "parse_date", None)
    return cast(Callable[[str], str | None], found) if callable(found) else None
