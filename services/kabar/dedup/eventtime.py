"""The clock of story clustering: the article's own time, not the wall clock.

A story's window, its decay and its expiry are about when events happened, so
the clusterer reads time off the article: ``published_at``, else the time the
page was fetched, else (only then) the time of processing. A replayed archive
or a backfill then forms the same stories whenever it is run.

A ``published_at`` later than the fetch is impossible (a wrong time zone, a
scheduled-post date): it is clamped to the fetch time, so one bad date cannot
push the clock ahead and expire every live story.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

#: Entries of each bounded memo on the dedup path (parsed times here, article ids,
#: formatted story times): a stream repeats its values, and a memo costs ~0.25 MB.
MEMO_SIZE = 4096


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time as an aware datetime (naive ones are UTC); None when unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        return _parse_text(value)
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _parse_text(value: str) -> datetime | None:
    """Remembered: a stream repeats its stamps (one publication minute, a portal's
    date-only stamps), and parsing is a good share of a dedup verdict."""
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_time(published_at: object, fetched_at: object = None) -> datetime | None:
    """``published_at`` (not later than ``fetched_at``), else ``fetched_at``; None when
    neither is readable (the caller falls back to the time of processing)."""
    published, fetched = parse_time(published_at), parse_time(fetched_at)
    if published is None:
        return fetched
    if fetched is not None and published > fetched:
        return fetched
    return published
