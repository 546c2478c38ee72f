"""When to try a fetch again, and how long to wait first (tenacity runs the
attempts, in ``client.Fetcher``; this module decides what is worth retrying
and the wait).

Backoff is exponential with full jitter (a uniform draw between 0 and the
capped exponential), which spreads retries of many workers apart. A server's
Retry-After is honoured, up to a cap, and never undercut by the jitter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from kabar.errors import FetchError, HTTPStatusError

#: Transient network failures worth another attempt (a DNS "no such name" is not).
_RETRYABLE_REASONS = frozenset({"connect_error", "timeout", "read_error"})


def is_retryable(exc: FetchError) -> bool:
    if isinstance(exc, HTTPStatusError):
        return exc.retryable
    return exc.reason in _RETRYABLE_REASONS


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``retries`` further attempts after the first, spaced by ``delay``."""

    retries: int
    base_s: float
    max_s: float
    retry_after_max_s: float
    rand: Callable[[], float] = field(default=random.random, compare=False)

    @property
    def attempts(self) -> int:
        return 1 + max(0, self.retries)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_s, self.base_s * 2.0 ** (attempt - 1))
        jittered = ceiling * self.rand()
        if retry_after is not None:
            return max(jittered, min(max(0.0, retry_after), self.retry_after_max_s))
        return jittered
