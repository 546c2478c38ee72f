"""robots.txt: parsing (RFC 9309 plus the common extensions, by protego) and a
per-origin cache.

Matching follows RFC 9309 and Google's documented behaviour, which
``urllib.robotparser`` does not: the group for our product token (all such
groups merged) or else the ``*`` groups; ``*`` wildcards and a ``$`` end
anchor in paths; the longest matching rule wins, Allow winning ties; paths
compared after percent-encoding is made uniform. protego does all of that
(the suite's robots tests hold for it unchanged); ``Crawl-delay`` (non-standard
but common) is kept for the rate limiter and ``Sitemap`` lines for discovery.

Only the first ``MAX_ROBOTS_BYTES`` (RFC 9309 asks for at least 500 KiB) are
fetched and parsed; a big file is parsed in a thread, off the event loop.

Availability (RFC 9309 §2.3.1.3/4): a 4xx robots.txt means "no rules"; a 5xx,
429 or an unreachable host means "assume everything is disallowed" for a while.

The processes of one run read each robots.txt once for the run: the answer
(``RobotsAnswer``) is kept where they all see it (``SharedRobots``: the run's folder,
``kabar.fetch.robotshare``, or the distributed roles' Redis) and the first process
to need it fetches it while the others wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit

from protego import Protego

from kabar.errors import FetchError, HTTPStatusError, NetworkError

#: RFC 9309 asks parsers to read at least 500 KiB; the rest is not even fetched.
MAX_ROBOTS_BYTES = 512 * 1024
MAX_ROBOTS_CHARS = MAX_ROBOTS_BYTES
#: Larger files are parsed in a thread (a 500 KiB file of rules takes ~0.5 s).
_INLINE_PARSE_CHARS = 64 * 1024
#: protego judges URLs; a bare path is judged as if on this origin.
_ANY_ORIGIN = "http://robots.invalid"


@dataclass(frozen=True, slots=True)
class RobotsPolicy:
    """The rules that apply to us on one origin."""

    #: The parsed file; None means no rules (everything allowed).
    rules: Protego | None = field(default=None, compare=False)
    #: Our product token, as the groups of ``rules`` are chosen by it.
    token: str = "*"
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()
    #: Set when robots.txt could not be read because the host was unreachable
    #: (the network error's reason): everything is disallowed meanwhile.
    unreachable: str | None = None
    #: Everything disallowed (robots.txt answered 5xx/429 or could not be read).
    nothing: bool = False
    #: A file big enough that matching a URL against it is worth a thread
    #: (thousands of rules: milliseconds per URL).
    large: bool = False

    def allows(self, url_or_path: str) -> bool:
        parts = urlsplit(url_or_path)
        if parts.path == "/robots.txt":
            return True
        if self.nothing:
            return False
        if self.rules is None:
            return True
        url = url_or_path if parts.scheme else _ANY_ORIGIN + (url_or_path or "/")
        return bool(self.rules.can_fetch(url, self.token))


def product_token(user_agent: str) -> str:
    """``KabarBot/0.1 (+https://…)`` → ``kabarbot``."""
    words = user_agent.split("/", 1)[0].split()
    return words[0].lower() if words else ""


def parse_robots(text: str, user_agent: str) -> RobotsPolicy:
    """Parse robots.txt and keep what applies to ``user_agent``'s product token."""
    rules = Protego.parse(text[:MAX_ROBOTS_CHARS])
    token = product_token(user_agent) or "*"
    delay = rules.crawl_delay(token)
    return RobotsPolicy(
        rules=rules,
        token=token,
        crawl_delay=float(delay) if delay is not None and delay >= 0 else None,
        sitemaps=tuple(rules.sitemaps),
        large=len(text) > _INLINE_PARSE_CHARS,
    )


ALLOW_ALL = RobotsPolicy()
DISALLOW_ALL = RobotsPolicy(nothing=True)

RobotsLoader = Callable[[str], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    """What asking an origin for robots.txt came to, before parsing: its ``text``, no
    file (``allow``: a 4xx), everything disallowed (``disallow``: 5xx, 429, a broken
    answer) or the host unreachable (its network error's ``reason``)."""

    kind: Literal["text", "allow", "disallow", "unreachable"]
    text: str = ""
    reason: str = ""


class SharedRobots(Protocol):
    """Robots answers shared by the processes of one run (``robotshare.RobotsFolder``,
    ``redisshare.RedisRobots``)."""

    def locked(self, origin: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the origin's answer against the run's other processes."""
        ...

    def read(self, origin: str) -> tuple[RobotsAnswer, float] | None:
        """The origin's answer and the seconds it stays valid; None: none valid."""
        ...

    def write(self, origin: str, answer: RobotsAnswer, ttl_s: float) -> None: ...


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
        shared: SharedRobots | None = None,
    ) -> None:
        self._load = load
        self._shared = shared
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
        shared = self._shared
        if shared is None:
            answer = await self._ask(origin)
            return await self._policy(answer), self._ttl_of(answer)
        async with shared.locked(origin):  # one fetch per origin for the whole run
            known = shared.read(origin)
            if known is None:
                answer = await self._ask(origin)
                known = answer, self._ttl_of(answer)
                shared.write(origin, *known)
        return await self._policy(known[0]), known[1]

    async def _ask(self, origin: str) -> RobotsAnswer:
        try:
            return RobotsAnswer("text", await self._load(origin + "/robots.txt"))
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                return RobotsAnswer("allow")
            return RobotsAnswer("disallow")
        except NetworkError as exc:
            return RobotsAnswer("unreachable", reason=exc.reason)
        except FetchError:
            return RobotsAnswer("disallow")

    def _ttl_of(self, answer: RobotsAnswer) -> float:
        return self._ttl_s if answer.kind in ("text", "allow") else self._unreachable_s

    async def _policy(self, answer: RobotsAnswer) -> RobotsPolicy:
        if answer.kind == "allow":
            return ALLOW_ALL
        if answer.kind == "disallow":
            return DISALLOW_ALL
        if answer.kind == "unreachable":
            return dataclasses.replace(DISALLOW_ALL, unreachable=answer.reason)
        if len(answer.text) > _INLINE_PARSE_CHARS:
            return await asyncio.to_thread(parse_robots, answer.text, self._user_agent)
        return parse_robots(answer.text, self._user_agent)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
