"""robots.txt: parsing (RFC 9309 plus the common extensions) and a per-origin cache.

Matching follows RFC 9309 and Google's documented behaviour, which
``urllib.robotparser`` does not: the group for our product token (all such
groups merged) or else the ``*`` groups; ``*`` wildcards and a ``$`` end
anchor in paths; the longest matching rule wins, Allow winning ties.
``Crawl-delay`` (non-standard but common) is kept for the rate limiter and
``Sitemap`` lines for discovery.

Availability (RFC 9309 §2.3.1.3/4): a 4xx robots.txt means "no rules"; a 5xx,
429 or an unreachable host means "assume everything is disallowed" for a while.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from kabar.errors import FetchError, HTTPStatusError, NetworkError

#: RFC 9309 asks parsers to read at least 500 KiB; the rest is not even fetched.
MAX_ROBOTS_BYTES = 512 * 1024
MAX_ROBOTS_CHARS = MAX_ROBOTS_BYTES
_SAFE = "/?=&;:@!$'()*+,-._~"


@dataclass(frozen=True, slots=True)
class Rule:
    allow: bool
    pattern: str
    regex: re.Pattern[str]

    @classmethod
    def build(cls, allow: bool, pattern: str) -> Rule:
        pattern = _normalize(pattern)
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        regex = "".join(".*" if ch == "*" else re.escape(ch) for ch in body)
        return cls(allow, pattern, re.compile(regex + ("$" if anchored else ""), re.DOTALL))


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """The rules that apply to us on one origin."""

    rules: tuple[Rule, ...] = ()
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()
    #: Set when robots.txt could not be read because the host was unreachable
    #: (the network error's reason): everything is disallowed meanwhile.
    unreachable: str | None = None

    def allows(self, url_or_path: str) -> bool:
        path = _path_of(url_or_path)
        if path == "/robots.txt":
            return True
        best: Rule | None = None
        for rule in self.rules:
            if rule.regex.match(path) and (best is None or _beats(rule, best)):
                best = rule
        return best is None or best.allow


def _beats(rule: Rule, best: Rule) -> bool:
    """Longest pattern wins; on a tie Allow wins (the least restrictive rule)."""
    if len(rule.pattern) != len(best.pattern):
        return len(rule.pattern) > len(best.pattern)
    return rule.allow and not best.allow


def product_token(user_agent: str) -> str:
    """``KabarBot/0.1 (+https://…)`` → ``kabarbot``."""
    words = user_agent.split("/", 1)[0].split()
    return words[0].lower() if words else ""


@dataclass(slots=True)
class _Group:
    agents: list[str]
    rules: list[Rule]
    delay: float | None = None


def parse_robots(text: str, user_agent: str) -> RobotsPolicy:
    """Parse robots.txt and keep what applies to ``user_agent``'s product token."""
    groups: list[_Group] = []
    sitemaps: list[str] = []
    current: _Group | None = None
    for key, value in _lines(text[:MAX_ROBOTS_CHARS]):
        if key == "user-agent":
            if current is None or current.rules or current.delay is not None:
                current = _Group([], [])
                groups.append(current)
            current.agents.append(value.split("/", 1)[0].strip().lower())
        elif key == "sitemap":
            sitemaps.append(value)
        elif current is None:
            continue  # rules before any user-agent line belong to no group
        elif key in ("allow", "disallow") and value:
            current.rules.append(Rule.build(key == "allow", value))
        elif key == "crawl-delay":
            current.delay = _seconds(value)
    token = product_token(user_agent)
    chosen = [g for g in groups if token and token in g.agents] or [
        g for g in groups if "*" in g.agents
    ]
    delays = [g.delay for g in chosen if g.delay is not None]
    return RobotsPolicy(
        rules=tuple(rule for g in chosen for rule in g.rules),
        crawl_delay=max(delays) if delays else None,
        sitemaps=tuple(sitemaps),
    )


def _lines(text: str) -> list[tuple[str, str]]:
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if sep:
            out.append((key.strip().lower().replace("_", "-"), value.strip()))
    return out


def _seconds(value: str) -> float | None:
    try:
        delay = float(value)
    except ValueError:
        return None
    return delay if delay >= 0 else None


def _normalize(path: str) -> str:
    """Percent-encode uniformly so ``/berita%20baru`` and ``/berita baru`` compare equal."""
    return quote(unquote(path), safe=_SAFE)


def _path_of(url_or_path: str) -> str:
    parts = urlsplit(url_or_path)
    path = parts.path or "/"
    return _normalize(path + (f"?{parts.query}" if parts.query else ""))


ALLOW_ALL = RobotsPolicy()
DISALLOW_ALL = RobotsPolicy(rules=(Rule.build(False, "/"),))

RobotsLoader = Callable[[str], Awaitable[str]]


class RobotsCache:
    """Fetches each origin's robots.txt once and keeps the policy for a while.

    ``load(robots_url)`` returns the text of a 2xx answer and raises
    ``FetchError`` otherwise.
    """

    def __init__(
        self,
        load: RobotsLoader,
        user_agent: str,
        *,
        ttl_s: float,
        unreachable_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._user_agent = user_agent
        self._ttl_s = ttl_s
        self._unreachable_s = unreachable_s
        self._clock = clock
        self._entries: dict[str, tuple[float, RobotsPolicy]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def policy(self, url: str) -> RobotsPolicy:
        origin = _origin(url)
        entry = self._entries.get(origin)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one fetch per origin, however many workers ask
            entry = self._entries.get(origin)
            if entry is not None and entry[0] > self._clock():
                return entry[1]
            policy, ttl = await self._fetch(origin)
            self._entries[origin] = (self._clock() + ttl, policy)
            return policy

    async def _fetch(self, origin: str) -> tuple[RobotsPolicy, float]:
        try:
            text = await self._load(origin + "/robots.txt")
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                return ALLOW_ALL, self._ttl_s
            return DISALLOW_ALL, self._unreachable_s
        except NetworkError as exc:
            return dataclasses.replace(DISALLOW_ALL, unreachable=exc.reason), self._unreachable_s
        except FetchError:
            return DISALLOW_ALL, self._unreachable_s
        return parse_robots(text, self._user_agent), self._ttl_s


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
