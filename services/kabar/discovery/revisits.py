"""Revisits: known articles whose source announces an update are queued again.

A source announces a change with a newer date on a URL it lists: Atom
``<updated>``, RSS ``pubDate``/``dc:date``/``atom:updated``, sitemap
``lastmod``. The newest date a source kind announced per canonical URL is kept
in the ``SeenStore`` under its own key, so a feed's publication date and a
sitemap's later ``lastmod`` for the same article never look like an update.
Floods are refused: the first sighting is never a revisit, neither are URLs
whose last announcement predates the age window, nor sources that stamp every
entry with one date (the time the file was generated), and a poll queues at
most ``limit`` revisits, newest first (the rest stay due for the next poll).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from kabar.discovery.dates import epoch_of
from kabar.discovery.seen import SeenStore
from kabar.discovery.sources import Link, SourceKind


@dataclass(frozen=True, slots=True)
class Revisit:
    canonical: str
    link: Link
    #: Epoch seconds of the announced change.
    announced: float


def announced(link: Link) -> float | None:
    """Epoch seconds of the newest date a link carries (publication or last change)."""
    moments = [epoch_of(date) for date in (link.published, link.updated) if date]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def one_stamp_for_all(links: Iterable[Link]) -> bool:
    """True when two or more links are dated and all with the same moment: a generation
    stamp (undated links say nothing either way)."""
    moments = [moment for moment in map(announced, links) if moment is not None]
    return len(moments) >= 2 and len(set(moments)) == 1


def without_generation_stamps(links: Sequence[Link], not_before: float | None) -> list[Link]:
    """Drop ``lastmod``s a sitemap gave every entry alike (it says when the file was
    built, not when the articles changed). A shared stamp older than ``not_before``
    stays: it still tells the age filter that the entries are stale."""
    stamps = [link.updated for link in links if link.updated]
    if len(stamps) < 2 or len(set(stamps)) != 1:
        return list(links)
    moment = epoch_of(stamps[0])
    if moment is None or (not_before is not None and moment < not_before):
        return list(links)
    return [dataclasses.replace(link, updated=None) for link in links]


def stamp_key(kind: SourceKind, canonical: str) -> str:
    """The ``SeenStore`` key of what ``kind`` sources last announced for a URL."""
    return f"{kind} {canonical}"


class Revisits:
    """Decides which known URLs of one poll are due again, and remembers announcements."""

    def __init__(self, seen: SeenStore, limit: int) -> None:
        self._seen = seen
        self._limit = limit

    def due(
        self,
        kind: SourceKind,
        links: Mapping[str, Link],
        known: Collection[str],
        cutoff: float,
    ) -> list[Revisit]:
        """Revisits among ``links`` (by canonical URL) that were ``known`` before this poll."""
        if one_stamp_for_all(links.values()):
            return []
        candidates: list[tuple[Revisit, str]] = []
        for canonical, link in links.items():
            moment = announced(link)
            if canonical not in known or moment is None:
                continue
            key = stamp_key(kind, canonical)
            last = self._seen.stamp(key)
            if last is None:  # first announcement this kind of source made: a baseline
                self._seen.add(key, moment)
            elif moment > last and last >= cutoff:
                candidates.append((Revisit(canonical, link, moment), key))
        candidates.sort(key=lambda pair: -pair[0].announced)
        chosen = candidates[: self._limit]
        for revisit, key in chosen:
            self._seen.add(key, revisit.announced)
        return [revisit for revisit, _ in chosen]

    def first_seen(self, kind: SourceKind, canonical: str, link: Link) -> None:
        """Record the date a newly queued URL came with: the baseline for later updates."""
        moment = announced(link)
        if moment is not None:
            self._seen.add(stamp_key(kind, canonical), moment)
