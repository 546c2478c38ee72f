"""Sitemaps that a portal's robots.txt lists, for portals configured without any.

The robots.txt of every host the portal's sections, feeds and URLs live on is
asked (the fetcher caches it); news sitemaps come first because they hold the
fresh articles, then the rest in the order robots.txt gives them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

from kabar.discovery.sources import RobotsReader
from kabar.errors import FetchError
from kabar.settings import PortalConfig

log = logging.getLogger(__name__)

#: Hosts of one portal whose robots.txt is read (feeds may live on another host).
MAX_ORIGINS = 4


def portal_origins(portal: PortalConfig) -> list[str]:
    """One URL per distinct origin among the portal's configured sources."""
    seen: set[str] = set()
    found: list[str] = []
    for url in (*portal.sections, *portal.feeds, *portal.urls):
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        if parts.scheme in ("http", "https") and parts.netloc and origin not in seen:
            seen.add(origin)
            found.append(url)
    return found[:MAX_ORIGINS]


def pick_sitemaps(found: Iterable[str], known: Collection[str]) -> list[str]:
    """Distinct http(s) sitemap URLs not already polled, news sitemaps first."""
    taken = set(known)
    fresh: list[str] = []
    for url in (candidate.strip() for candidate in found):
        if url.lower().startswith(("http://", "https://")) and url not in taken:
            taken.add(url)
            fresh.append(url)
    # Stable: robots.txt order is kept within each group.
    return sorted(fresh, key=lambda url: "news" not in url.lower())


async def listed_sitemaps(reader: RobotsReader, portal: PortalConfig) -> list[str]:
    """Every ``Sitemap:`` line of the portal's hosts; a host that fails gives none."""
    found: list[str] = []
    for url in portal_origins(portal):
        try:
            policy = await reader.robots(url)
        except FetchError as exc:
            reason = exc.reason
            log.warning("robots.txt unreadable", extra={"portal": portal.name, "reason": reason})
            continue
        except Exception:  # the fetcher's bug must not stop discovery
            log.exception("reading robots.txt failed", extra={"portal": portal.name})
            continue
        found.extend(policy.sitemaps)
    return found
