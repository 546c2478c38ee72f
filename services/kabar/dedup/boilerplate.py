"""Per-portal boilerplate lines: normalized lines that recur across many
different articles of one portal ("Baca juga", newsletter pitches, copyright
notes that the extractor let through).

They are left out of the near-duplicate shingles, so two different stories
that share a portal's boilerplate do not look alike; the stories stage trims
them off the head and tail of what it publishes (``templatelines``). Counts are kept per
(portal, line hash) in a bounded table; only articles judged new are counted,
so copies of one story do not turn its own sentences into "boilerplate".
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np

_MAX_ENTRIES = 200_000


def line_keys(portal: str, lines: Sequence[bytes]) -> list[int]:
    """64-bit keys of (portal, normalized UTF-8 line): the portal's CRC above the line's."""
    high = zlib.crc32(portal.encode("utf-8")) << 32
    return [high | crc for crc in map(zlib.crc32, lines)]


class BoilerplateLines:
    """Counts of distinct new articles per (portal, normalized line)."""

    def __init__(self, min_articles: int, max_entries: int = _MAX_ENTRIES) -> None:
        self.min_articles = min_articles
        self.max_entries = max_entries
        self._counts: dict[int, int] = {}

    def copy(self) -> BoilerplateLines:
        """The counts as they are now (a dict copy, at C level: a fraction of a dump),
        for dumping on another thread while these go on changing."""
        copy = BoilerplateLines(self.min_articles, self.max_entries)
        copy._counts = self._counts.copy()
        return copy

    def __len__(self) -> int:
        return len(self._counts)

    def keep(self, keys: Sequence[int]) -> list[bool]:
        """For each line key (``line_keys``): True unless it is boilerplate."""
        get = self._counts.get
        limit = self.min_articles
        return [get(key, 0) < limit for key in keys]

    def counted(
        self, portal: str, lines: Sequence[bytes], limit: int
    ) -> Callable[[int], bool]:
        """Whether line ``i`` of ``lines`` (normalized, of one article of ``portal``)
        is in at least ``limit`` new articles: keyed one line at a time, for callers
        that ask about a few."""
        high = zlib.crc32(portal.encode("utf-8")) << 32
        get = self._counts.get
        return lambda i: get(high | zlib.crc32(lines[i]), 0) >= limit

    def learn(self, keys: Sequence[int]) -> None:
        """Count one more article for each distinct line key."""
        counts = self._counts
        for key in set(keys):
            counts[key] = counts.get(key, 0) + 1
        if len(counts) > self.max_entries:
            self._prune()

    def _prune(self) -> None:
        """Forget lines seen once (most of them: ordinary sentences); if that is
        not enough, halve every count so stale boilerplate fades."""
        kept = {k: c for k, c in self._counts.items() if c > 1}
        if len(kept) > self.max_entries // 2:
            kept = {k: c // 2 for k, c in kept.items() if c > 3}
        self._counts = kept

    def dump(self) -> bytes:
        keys = np.fromiter(self._counts.keys(), dtype=np.uint64, count=len(self._counts))
        values = np.fromiter(self._counts.values(), dtype=np.uint32, count=len(self._counts))
        return keys.tobytes() + values.tobytes()

    @classmethod
    def load(cls, data: bytes, min_articles: int) -> BoilerplateLines:
        lines = cls(min_articles)
        n = len(data) // 12
        if n * 12 == len(data) and n:
            keys = np.frombuffer(data[: n * 8], dtype=np.uint64).tolist()
            values = np.frombuffer(data[n * 8 :], dtype=np.uint32).tolist()
            lines._counts = dict(zip(keys, values, strict=True))
        return lines
