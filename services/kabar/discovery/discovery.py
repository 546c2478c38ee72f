"""Discovery: turn every portal's sources into a stream of new article URLs.

Each source (feed, sitemap, section page) is fetched with conditional GETs,
parsed into links, filtered by age (links without a date are kept), and the
links whose canonical URL is neither seen nor in flight become ``FetchRequest``s
(claimed in ``UrlClaims``: marked seen only once the pipeline published them);
known links whose source announces a newer date come back as revisits
(``revisits.py``). Portals configured without sitemaps also poll the ones their
robots.txt lists. ``run`` polls every source on its own
adaptive interval; ``poll_once`` is a single pass for one-shot runs and tests.
Source failures go to ``on_error`` (the pipeline dead-letters them) and only
slow that source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from kabar import metrics
from kabar.claims import SeenOnQueue, UrlClaims
from kabar.discovery.dates import epoch_of
from kabar.discovery.feeds import parse_feed
from kabar.discovery.offloop import ParseRunner
from kabar.discovery.revisits import Revisits
from kabar.discovery.robots_sitemaps import listed_sitemaps, pick_sitemaps
from kabar.discovery.safexml import XmlLimits
from kabar.discovery.schedule import Intervals, Schedule, SourceKey
from kabar.discovery.sections import read_section
from kabar.discovery.seen import SeenStore
from kabar.discovery.sitemaps import CrawlLimits, SitemapCrawler
from kabar.discovery.sources import (
    Link,
    RobotsReader,
    SourceDocument,
    SourceFetcher,
    SourceKind,
)
from kabar.errors import FetchError
from kabar.htmlguard import HtmlLimits
from kabar.models import FetchRequest
from kabar.settings import DiscoverySettings, PortalConfig
from kabar.urls import canonicalize

log = logging.getLogger(__name__)

ErrorHook = Callable[[str, str, FetchError], Awaitable[None]]
_KINDS: tuple[SourceKind, ...] = ("feed", "sitemap", "section")


class Discovery:
    """Polls feeds, sitemaps and section pages; yields new, fresh article URLs."""

    def __init__(
        self,
        portals: Sequence[PortalConfig],
        settings: DiscoverySettings,
        fetcher: SourceFetcher,
        seen: SeenStore,
        *,
        clock: Callable[[], float] = time.time,
        on_error: ErrorHook | None = None,
        claims: UrlClaims | None = None,
    ) -> None:
        self._portals = {portal.name: portal for portal in portals}
        self._settings = settings
        self._fetcher = fetcher
        self._seen = seen
        self.claims: UrlClaims = claims if claims is not None else SeenOnQueue(seen)
        self._clock = clock
        self._on_error = on_error
        self._schedule = Schedule(
            Intervals(
                settings.poll_interval_s,
                settings.min_poll_interval_s,
                settings.max_poll_interval_s,
                settings.busy_new_urls,
            ),
            clock,
        )
        for portal in portals:
            lists = (portal.feeds, portal.sitemaps, portal.sections)
            for kind, urls in zip(_KINDS, lists, strict=True):
                for url in urls:
                    self._schedule.add(SourceKey(portal.name, kind, url), portal.poll_interval_s)
        self._xml = XmlLimits(
            settings.max_source_entries, settings.max_xml_elements, settings.max_xml_depth
        )
        limits = CrawlLimits(settings.sitemap_max_depth, settings.sitemap_max_children,
                             xml=self._xml)
        self._html = HtmlLimits(
            settings.max_html_chars, settings.max_html_depth, settings.max_html_options
        )
        self._parser = ParseRunner(settings.parse_threads, settings.parse_timeout_s)
        self._sitemaps = SitemapCrawler(self._fetch, self._report, limits, self._parser)
        self._revisits = Revisits(seen, settings.max_revisits_per_poll)
        self._explicit_done = False
        self._tasks: set[asyncio.Task[None]] | None = None
        self._out: asyncio.Queue[FetchRequest] | None = None
        self._stop: asyncio.Event | None = None

    @property
    def schedule(self) -> Schedule:
        return self._schedule

    async def poll_once(self) -> list[FetchRequest]:
        """One pass over every source (and feeds the pass autodiscovers)."""
        requests = self._take_explicit()
        await self._add_robots_sitemaps()
        polled: set[SourceKey] = set()
        while todo := [key for key in self._schedule.sources() if key not in polled]:
            polled.update(todo)
            found = await asyncio.gather(*(self._collect(key) for key in todo))
            for key, links in zip(todo, found, strict=True):
                requests.extend(self._finish_poll(key, links))
        return requests

    async def run(self, out: asyncio.Queue[FetchRequest], stop: asyncio.Event) -> None:
        """Poll every source on its own interval into ``out`` until ``stop`` is set."""
        self._out, self._stop, self._tasks = out, stop, set()
        try:
            self._spawn(self._put_all(self._take_explicit()))
            if self._robots_reader() is not None:
                self._spawn(self._robots_loop())
            for key in self._schedule.sources():
                self._spawn(self._source_loop(key))
            await stop.wait()
        finally:
            tasks, self._tasks = self._tasks, None
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- running -------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self._tasks is None:
            work.close()
            return
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _source_loop(self, key: SourceKey) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            delay = self._schedule.wait_time(key)
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                continue
            await self._put_all(self._finish_poll(key, await self._collect(key)))

    async def _robots_loop(self) -> None:
        """Look for robots.txt sitemaps now and then (robots.txt may gain some)."""
        assert self._stop is not None
        while not self._stop.is_set():
            await self._add_robots_sitemaps()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._settings.max_poll_interval_s)

    async def _put_all(self, requests: list[FetchRequest]) -> None:
        assert self._out is not None
        for done, request in enumerate(requests):
            try:
                await self._out.put(request)
            except asyncio.CancelledError:
                # Stopping: what never reached the queue must be found again next run.
                for unsent in requests[done:]:
                    self.claims.release(canonicalize(unsent.url))
                raise

    # --- one poll ------------------------------------------------------------
    async def _collect(self, key: SourceKey) -> list[Link] | None:
        """The source's links; [] when unchanged (304); None when it failed."""
        try:
            if key.kind == "sitemap":
                return await self._sitemaps.crawl(key.url, key.portal, self._cutoff())
            document = await self._fetch(key.url, key.portal)
            return [] if document is None else await self._parse(key, document)
        except FetchError as exc:
            await self._report(key.url, key.portal, exc)
            return None
        except Exception:  # a parser bug must not end discovery: back off instead
            log.exception("polling a source failed", extra={"portal": key.portal})
            return None

    def _finish_poll(self, key: SourceKey, links: list[Link] | None) -> list[FetchRequest]:
        if links is None:
            self._schedule.record_failure(key)
            requests: list[FetchRequest] = []
        else:
            requests = self._admit(key, links)
            self._schedule.record_poll(key, len(requests))
        self._show_interval(key.portal, key.kind)
        return requests

    def _show_interval(self, portal: str, kind: SourceKind) -> None:
        """One gauge per portal and kind: the interval of its busiest source."""
        intervals = [
            self._schedule.state(s).interval
            for s in self._schedule.sources()
            if s.portal == portal and s.kind == kind
        ]
        metrics.child(metrics.POLL_INTERVAL, portal, kind).set(min(intervals))

    async def _fetch(self, url: str, portal: str) -> SourceDocument | None:
        """Conditional GET; None when the source has not changed."""
        known = self._schedule.validators(url)
        document = await self._fetcher.fetch_source(
            url, portal, etag=known.etag, last_modified=known.last_modified
        )
        if document.status == 304:
            return None
        self._schedule.remember(url, document.etag, document.last_modified)
        return document

    async def _parse(self, key: SourceKey, document: SourceDocument) -> list[Link]:
        """Links of a feed or section page, parsed off the event loop (``offloop``)."""
        if key.kind == "feed":
            return await self._parser.run(parse_feed, document.text, document.url, self._xml)
        page = await self._parser.run(read_section, document.text, document.url, self._html,
                                      self._xml.max_entries)
        self._autodiscover(key.portal, page.feeds)
        return page.links

    def _admit(self, key: SourceKey, links: list[Link]) -> list[FetchRequest]:
        """Fresh links of one source: the new ones, then the known ones it announces
        as updated (revisits)."""
        metrics.child(metrics.DISCOVERED, key.portal, key.kind).inc(len(links))
        cutoff = self._cutoff()
        # Undated links are kept.
        fresh = _merge_duplicates([link for link in links if _moment(link, cutoff) >= cutoff])
        known = self._seen.known_of(fresh)
        requests = self._new_requests(key, fresh, known)
        if self._settings.revisit_updates:
            due = self._revisits.due(key.kind, fresh, known, cutoff)
            metrics.child(metrics.REVISITS, key.portal, key.kind).inc(len(due))
            requests.extend(_request(key, revisit.link, revisit=True) for revisit in due)
        return requests

    def _new_requests(
        self, key: SourceKey, fresh: dict[str, Link], known: set[str]
    ) -> list[FetchRequest]:
        """Links not seen before as requests, newest first, capped per poll."""
        candidates = [
            (_moment(link, float("-inf")), canonical, link)
            for canonical, link in fresh.items()
            if canonical not in known
        ]
        candidates.sort(key=lambda entry: -entry[0])  # stable: undated keep source order
        requests: list[FetchRequest] = []
        for _, canonical, link in candidates[: self._settings.max_new_per_poll]:
            if self.claims.claim(canonical):
                if self._settings.revisit_updates:
                    self._revisits.first_seen(key.kind, canonical, link)
                requests.append(_request(key, link))
        metrics.child(metrics.NEW_URLS, key.portal, key.kind).inc(len(requests))
        return requests

    def _take_explicit(self) -> list[FetchRequest]:
        """The portals' listed URLs, once per Discovery, whatever their age or seen state."""
        if self._explicit_done:
            return []
        self._explicit_done = True
        requests: list[FetchRequest] = []
        queued: set[str] = set()
        for portal in self._portals.values():
            for url in portal.urls:
                canonical = canonicalize(url)
                if canonical in queued:
                    continue
                queued.add(canonical)
                metrics.child(metrics.DISCOVERED, portal.name, "urls").inc()
                if self.claims.claim(canonical):
                    metrics.child(metrics.NEW_URLS, portal.name, "urls").inc()
                requests.append(FetchRequest(url, portal.name, "urls"))
        return requests

    def _autodiscover(self, portal_name: str, announced: list[str]) -> None:
        """Add the feeds a section page announces, for portals configured without feeds."""
        portal = self._portals.get(portal_name)
        if portal is None or portal.feeds or not self._settings.autodiscover_feeds:
            return
        known = {
            k.url for k in self._schedule.sources() if (k.portal, k.kind) == (portal.name, "feed")
        }
        found = [url for url in announced if url not in known]
        for url in found[: max(0, self._settings.max_autodiscovered_feeds - len(known))]:
            log.info("feed autodiscovered", extra={"portal": portal.name, "url": url})
            key = SourceKey(portal.name, "feed", url)
            self._schedule.add(key, portal.poll_interval_s)
            self._spawn(self._source_loop(key))

    def _robots_reader(self) -> RobotsReader | None:
        if not self._settings.robots_sitemaps or not isinstance(self._fetcher, RobotsReader):
            return None
        return self._fetcher

    async def _add_robots_sitemaps(self) -> None:
        """Poll the robots.txt sitemaps of portals configured without sitemaps."""
        reader = self._robots_reader()
        if reader is not None:
            portals = [portal for portal in self._portals.values() if not portal.sitemaps]
            await asyncio.gather(*(self._add_listed(reader, portal) for portal in portals))

    async def _add_listed(self, reader: RobotsReader, portal: PortalConfig) -> None:
        listed = await listed_sitemaps(reader, portal)
        sources = self._schedule.sources()
        known = [k.url for k in sources if (k.portal, k.kind) == (portal.name, "sitemap")]
        room = max(0, self._settings.max_robots_sitemaps - len(known))
        for url in pick_sitemaps(listed, known)[:room]:
            log.info("sitemap found in robots.txt", extra={"portal": portal.name, "url": url})
            key = SourceKey(portal.name, "sitemap", url)
            self._schedule.add(key, portal.poll_interval_s)
            self._spawn(self._source_loop(key))

    async def _report(self, url: str, portal: str, exc: FetchError) -> None:
        if self._on_error is None:
            log.warning(
                "source failed",
                extra={"portal": portal, "url": url, "reason": exc.reason},
            )
            return  # with a hook, the pipeline's dead letter logs it: once per failure
        try:
            await self._on_error(url, portal, exc)
        except Exception:  # the pipeline's hook failing must not stop polling
            log.exception("source error hook failed", extra={"portal": portal})

    def _cutoff(self) -> float:
        return self._clock() - self._settings.max_age_hours * 3600.0


def _request(key: SourceKey, link: Link, *, revisit: bool = False) -> FetchRequest:
    return FetchRequest(
        link.url,
        key.portal,
        key.kind,
        published_hint=link.published,
        title_hint=link.title,
        revisit=revisit,
    )


def _merge_duplicates(links: list[Link]) -> dict[str, Link]:
    """One link per canonical URL, in first-seen order, keeping every hint any copy had
    (a news sitemap's title and date beat a plain sitemap's bare lastmod)."""
    merged: dict[str, Link] = {}
    for link in links:
        canonical = canonicalize(link.url)
        known = merged.get(canonical)
        if known is None:
            merged[canonical] = link
            continue
        merged[canonical] = Link(
            known.url,
            known.title or link.title,
            known.published or link.published,
            max(known.updated or "", link.updated or "") or None,
        )
    return merged


def _moment(link: Link, undated: float) -> float:
    """Epoch seconds of the link's date, or ``undated`` when it has none."""
    date = link.newest_date
    moment = epoch_of(date) if date else None
    return undated if moment is None else moment
