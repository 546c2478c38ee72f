"""URL status: which canonical URLs are queued (claimed) and which are done.

Discovery *claims* a URL before queuing it, so it is never queued twice while
in flight; the pipeline marks it *done* (seen) only once the broker
acknowledged what was published for it, and *releases* it when the fetch failed
for a passing reason, so a later poll may queue it again. ``LocalClaims`` keeps
the claims of one process in memory over the ``SeenStore``; the distributed
roles share a store (``kabar.frontier``). ``SeenOnQueue`` marks a URL seen as
soon as it is queued, for discovery used on its own (tools and tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # discovery imports this module
    from kabar.discovery.seen import SeenStore


class UrlClaims(Protocol):
    def claim(self, canonical: str) -> bool:
        """True when the URL was neither done nor claimed, and is claimed now."""
        ...

    def done(self, canonical: str) -> None: ...

    def release(self, canonical: str) -> None: ...


class LocalClaims:
    """Claims of one process; done URLs go to the (persistent) seen-store."""

    def __init__(self, seen: SeenStore) -> None:
        self._seen = seen
        self._claimed: set[str] = set()

    def claim(self, canonical: str) -> bool:
        if canonical in self._claimed or canonical in self._seen:
            return False
        self._claimed.add(canonical)
        return True

    def done(self, canonical: str) -> None:
        self._claimed.discard(canonical)
        self._seen.add(canonical)

    def release(self, canonical: str) -> None:
        self._claimed.discard(canonical)
        self._seen.discard(canonical)

    def __len__(self) -> int:
        return len(self._claimed)


class SeenOnQueue:
    """Queued is done: for discovery without a pipeline publishing what it finds."""

    def __init__(self, seen: SeenStore) -> None:
        self._seen = seen

    def claim(self, canonical: str) -> bool:
        return self._seen.add(canonical)

    def done(self, canonical: str) -> None:
        self._seen.add(canonical)

    def release(self, canonical: str) -> None:
        self._seen.discard(canonical)
