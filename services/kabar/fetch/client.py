"""The fetcher: shared ``httpx.AsyncClient`` connection pools behind every politeness and
safety rule.

One attempt is a chain of hops followed by hand, because each hop must pass
the same checks (scheme, public address, robots.txt, the host's rate slot)
and loops must be caught. Attempts are retried with backoff for transient
failures only; the final failure is raised as a typed ``FetchError`` carrying
the URL. A feed's body is streamed through ``body.read_body`` (size and
decompression limits) and decoded by ``charset.decode``, at no less than a
minimum transfer rate (``pace``). A page's body is read as it came over the wire
(``body.read_wire``: its size limit only) and decoded by ``page.decode_page``:
here (``fetch``), or in the extraction worker that parses it (``fetch_wire``), so
decompression and the charset pass stay off the event loop.

Attached to the pipeline's fetch queue (``attach_queue``), a page request still
running after ``slow_after_s`` gives its host slot back and goes on parked, and
a page that timed out is not tried again in place: it goes back to the queue
(``RetryLater``), so its host's other URLs have the slot meanwhile.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin

import httpx
from httpx._urlparse import IPv4_STYLE_HOSTNAME, ParseResult
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from kabar import metrics
from kabar.errors import BlockedError, ContentError, FetchError, HTTPStatusError, NetworkError
from kabar.events import now_iso
from kabar.fetch import charset
from kabar.fetch.body import Limits, gunzip_file, read_body, read_wire
from kabar.fetch.netguard import NetGuard, guarded_transport
from kabar.fetch.pace import paced
from kabar.fetch.page import PageText, WirePage, decode_page, media_type, text_of
from kabar.fetch.ratelimit import HostLimiter, Lease, RateLimiter
from kabar.fetch.retry import RetryPolicy, is_retryable, parse_retry_after
from kabar.fetch.robots import MAX_ROBOTS_BYTES, RobotsCache, RobotsPolicy
from kabar.models import FetchRequest, FetchResult
from kabar.settings import FetchSettings

if TYPE_CHECKING:
    from kabar.fetch.runshare import RunShare

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Fetch workers per connection pool (see ``Fetcher.__aenter__``).
POOL_WORKERS = 4
#: Media types a feed, sitemap (possibly a .xml.gz file) or section page may have.
_SOURCE_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
    "text/plain",
    "application/gzip",
    "application/x-gzip",
    "application/octet-stream",
)
_PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_SOURCE_ACCEPT = "application/rss+xml,application/atom+xml,application/xml,text/xml,text/html;q=0.8"

#: Called with (host, time.monotonic()) just before each HTTP request is sent.
RequestHook = Callable[[str, float], None]
class SlotQueue(Protocol):
    """The fetch queue's side of parking (``kabar.fetch.hostqueue.HostFairQueue``)."""

    def holds(self, request: FetchRequest) -> bool:
        """Whether ``request`` was handed out by the queue and is not finished."""
        ...

    def step_aside(self, request: FetchRequest) -> bool:
        """Park a slow request; True when it is parked."""
        ...


class RetryLater(NetworkError):
    """A page request that timed out, to be tried again through the fetch queue after
    ``retry_after`` seconds (as a Retry-After is) rather than in place."""

    def __init__(self, cause: NetworkError, retry_after: float) -> None:
        super().__init__(cause.detail, reason=cause.reason, url=cause.url)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SourceResponse:
    """A feed, sitemap or section page; ``status`` is 200, or 304 (``text`` empty)."""

    status: int
    url: str
    text: str
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""


@dataclass(frozen=True, slots=True)
class _Want:
    """What a caller accepts from one request chain."""

    accept: str
    content_types: tuple[str, ...] | None  # None: anything
    limits: Limits
    headers: tuple[tuple[str, str], ...] = ()
    robots: bool = True
    #: Also accept any ``*/xml`` or ``*+xml`` media type (RSS, Atom, sitemaps).
    any_xml: bool = False
    #: Parks the request when it turns out slow (pages handed out by the fetch queue).
    on_slow: Callable[[], bool] | None = None
    #: Undo the Content-Encoding while reading; False: keep the wire bytes (pages,
    #: decoded by ``page.decode_page``).
    decode: bool = True


@dataclass(frozen=True, slots=True)
class _Raw:
    """A completed exchange: final URL, status, headers and the body (content-decoded,
    or as on the wire when ``_Want.decode`` is False)."""

    url: str
    status: int
    #: Lower-case names, repeated fields joined (``dict(httpx.Headers)``; ``header_map``).
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str
    #: A hop that sets a cookie may legitimately lead back to the same URL (cookie checks).
    sets_cookie: bool = False


class Fetcher:
    """Fetches pages and sources politely; use as ``async with Fetcher(...) as f``."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: RequestHook | None = None,
        share: RunShare | None = None,
    ) -> None:
        """``share``: the politeness of a run of several processes (``runshare``)."""
        self.settings = settings
        self._transport = transport
        self._on_request = on_request
        self._queue: SlotQueue | None = None
        self._clients: list[_Pool] = []
        self._in_flight: list[int] = []
        self._guard = NetGuard(
            allow_private=settings.allow_private_addresses, static_hosts=settings.static_hosts
        )
        self._limiter = RateLimiter(
            settings.per_host_rate, settings.per_host_burst, settings.per_host_concurrency,
            settings.host_share, board=share.board if share else None,
            discovery=share.discovery if share else False,
            slots=share.slots if share and settings.run_slots else None,
        )
        self._retry = RetryPolicy(
            settings.retries,
            settings.backoff_base_s,
            settings.backoff_max_s,
            settings.retry_after_max_s,
        )
        self._robots = RobotsCache(
            self._load_robots,
            settings.user_agent,
            ttl_s=settings.robots_cache_s,
            unreachable_s=settings.robots_unreachable_s,
            shared=share.robots if share else None,
        )

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        # Several small connection pools instead of one large one: httpcore walks
        # every connection of a pool (a syscall for each idle one; its quadratic count
        # of them is gone, ``netguard.LinearPool``) each time a request starts or ends,
        # which made the pool's bookkeeping a quarter of the event loop's work at 32
        # workers. A host keeps
        # to a few pools of its own (``_shard``): spread over all of them, each pool
        # came to hold idle connections to every host (24 hosts: ~25 a pool, walked
        # per request); the host slots bound the total.
        shards = 1 if self._transport is not None else max(1, s.workers // POOL_WORKERS)
        # Parked slow requests keep their connections: room for them on top.
        pool = max(10, s.workers * s.per_host_concurrency) + s.max_parked
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
        context = httpx.create_ssl_context(trust_env=False)
        self._clients = [self._new_client(limits, context) for _ in range(shards)]
        self._in_flight = [0] * shards
        return self

    def _new_client(self, limits: httpx.Limits, context: ssl.SSLContext) -> _Pool:
        s = self.settings
        transport = self._transport or guarded_transport(self._guard, limits, s.proxy, context)
        client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # never route through a proxy from the environment
            timeout=httpx.Timeout(
                connect=s.connect_timeout_s,
                read=s.read_timeout_s,
                write=s.read_timeout_s,
                pool=s.total_timeout_s,
            ),
            limits=limits,
            headers={
                "User-Agent": s.user_agent,
                "Accept-Encoding": "gzip, deflate, br",
                "Accept-Language": "id-ID,id;q=0.9,en;q=0.5",
            },
        )
        client._cookies = _Cookies()  # httpx wraps a jar given to it in a plain Cookies
        return _Pool(client, transport)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pools, self._clients = self._clients, []
        for pool in pools:
            await pool.client.aclose()

    def attach_queue(self, queue: SlotQueue) -> None:
        """Page requests come from a fetch queue that parks slow ones and takes
        timed-out ones back for later (others, e.g. further pages, are fetched as
        before)."""
        self._queue = queue

    @property
    def limiter(self) -> RateLimiter:
        """Per-host limits (e.g. ``limiter.set_rate(host, portal.rate)``)."""
        return self._limiter

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one HTML page and decode it to text."""
        started = time.monotonic()
        with _outcome(request.portal, started, request.url) as outcome:
            raw, want = await self._fetch_page(request)
            text = decode_page(_wire_page(raw, want, request.url))
            outcome.status = str(raw.status)
            return _page_result(request, raw, started, text)

    async def fetch_wire(self, request: FetchRequest) -> tuple[FetchResult, WirePage]:
        """``fetch`` without decoding the body: the result has no text yet (``html`` and
        ``body`` empty, ``charset`` unknown) and the page goes with it as it came over
        the wire, for an extraction worker to decode (``page.decode_page``). The wire
        size limit holds here; the decoded size, ratio and content checks there. The
        fetch is counted (``FETCHES``) by ``count_page`` once the body is judged."""
        started = time.monotonic()
        with _outcome(request.portal, started, request.url, count_ok=False) as outcome:
            raw, want = await self._fetch_page(request)
            outcome.status = str(raw.status)
            return _page_result(request, raw, started, None), _wire_page(raw, want, request.url)

    @staticmethod
    def count_page(portal: str, status: str) -> None:
        """Count a ``fetch_wire`` page once its body is judged: its HTTP status, or the
        reason decoding refused it (as ``fetch`` counts)."""
        metrics.child(metrics.FETCHES, portal, status).inc()

    def _parking(self, request: FetchRequest) -> Callable[[], bool] | None:
        queue = self._queue
        if queue is None or not queue.holds(request):
            return None
        return partial(queue.step_aside, request)

    async def _fetch_page(self, request: FetchRequest) -> tuple[_Raw, _Want]:
        s = self.settings
        want = _Want(
            accept=_PAGE_ACCEPT,
            content_types=tuple(t.lower() for t in s.accepted_content_types),
            limits=Limits(s.max_body_bytes, s.max_decompression_ratio),
            on_slow=self._parking(request),
            decode=False,
        )
        try:
            return await self._with_retries(request.url, request.portal, want), want
        except NetworkError as exc:
            if want.on_slow is None or exc.reason != "timeout":
                raise
            raise RetryLater(exc, self._retry.delay(request.attempt)) from exc

    async def fetch_source(
        self,
        url: str,
        portal: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> SourceResponse:
        """Fetch a feed, sitemap or section page, conditionally when validators are given."""
        s = self.settings
        headers = [("If-None-Match", etag)] if etag else []
        if last_modified:
            headers.append(("If-Modified-Since", last_modified))
        limits = Limits(s.max_source_bytes, s.max_decompression_ratio)
        want = _Want(_SOURCE_ACCEPT, _SOURCE_TYPES, limits, tuple(headers), any_xml=True)
        with _outcome(portal, time.monotonic(), url) as outcome:
            raw = await self._with_retries(url, portal, want)
            outcome.status = str(raw.status)
            if raw.status == 304:
                metrics.child(metrics.NOT_MODIFIED, portal).inc()
                return SourceResponse(
                    304,
                    raw.url,
                    "",
                    raw.headers.get("etag", etag),
                    raw.headers.get("last-modified", last_modified),
                    _media_type(raw.headers.get("content-type", "")),
                )
            ctype = raw.headers.get("content-type", "")
            try:
                decoded = text_of(gunzip_file(raw.body, limits), ctype, None)
            except ContentError as exc:
                exc.url = url
                raise
            return SourceResponse(
                200,
                raw.url,
                decoded.text,
                raw.headers.get("etag"),
                raw.headers.get("last-modified"),
                _media_type(ctype),
            )

    async def robots(self, url: str) -> RobotsPolicy:
        """The robots.txt policy for ``url``'s origin (cached); its ``sitemaps`` help discovery."""
        return await self._robots.policy(url)

    # -- retries and redirects ---------------------------------------------

    async def _with_retries(self, url: str, portal: str, want: _Want) -> _Raw:
        """``_follow`` with tenacity retrying transient failures (``RetryPolicy`` says
        how long to wait); the last failure is raised as it is.

        The first attempt goes without tenacity: setting up its retry loop cost about
        a twentieth of a page fetch's CPU, and most fetches need no second attempt."""
        try:
            return await self._attempt(url, portal, want)
        except FetchError as exc:
            if self._retry.attempts <= 1 or not self._worth_retrying(want, exc):
                raise
            _count_failure(exc, portal)
            await asyncio.sleep(self._retry.delay(1, _retry_after(exc)))
        retrying = AsyncRetrying(  # attempts 2, 3, ...: tenacity numbers them 1, 2, ...
            stop=stop_after_attempt(self._retry.attempts - 1),
            retry=retry_if_exception(partial(self._worth_retrying, want)),
            wait=self._wait,
            before_sleep=lambda state: _count_retry(state, portal),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(url, portal, want)
        raise AssertionError("tenacity ends by returning or raising")  # pragma: no cover

    async def _attempt(self, url: str, portal: str, want: _Want) -> _Raw:
        try:
            return await self._follow(url, portal, want)
        except FetchError as exc:
            exc.url = exc.url or url
            raise

    def _worth_retrying(self, want: _Want, exc: BaseException) -> bool:
        if not isinstance(exc, FetchError) or not is_retryable(exc):
            return False
        if want.on_slow is not None and exc.reason == "timeout":
            return False  # the fetch queue tries it again later, without holding the slot
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        # A longer Retry-After is the caller's: it re-queues the URL, freeing the worker.
        return retry_after is None or retry_after <= self.settings.retry_after_inline_max_s

    def _wait(self, state: RetryCallState) -> float:
        """The wait after a failure in tenacity's loop, which starts at attempt 2."""
        exc = state.outcome.exception() if state.outcome is not None else None
        return self._retry.delay(state.attempt_number + 1, _retry_after(exc))

    async def _follow(self, url: str, portal: str, want: _Want) -> _Raw:
        seen = {url}
        current = url
        for _ in range(self.settings.max_redirects + 1):
            try:
                result = await self._exchange(current, portal, want)
            except FetchError as exc:
                # Errors name the requested URL; where in the chain it failed goes in detail.
                if current != url:
                    exc.detail = f"{exc.detail} (redirected to {current})"
                exc.url = url
                raise
            if isinstance(result, _Raw):
                return result
            if result.location in seen and not result.sets_cookie:
                raise BlockedError("redirect loop", reason="redirect_loop", url=url)
            seen.add(result.location)
            current = result.location
        raise BlockedError(
            f"more than {self.settings.max_redirects} redirects",
            reason="too_many_redirects",
            url=url,
        )

    # -- one hop -------------------------------------------------------------

    async def _exchange(self, url: str, portal: str, want: _Want) -> _Raw | _Redirect:
        target = await self._guard.check(url)
        limiter = self._limiter.host(target.host)
        if want.robots and self.settings.respect_robots:
            await self._check_robots(url, portal, limiter)
        async with limiter.slot() as lease:
            if self._on_request is not None:
                self._on_request(target.host, time.monotonic())
            timer = self._arm_slow(want, lease)
            try:
                async with asyncio.timeout(self.settings.total_timeout_s):
                    return await self._send(url, target.host, portal, want, limiter)
            except TimeoutError as exc:
                raise NetworkError("total timeout", reason="timeout", url=url) from exc
            except httpx.HTTPError as exc:
                raise _network_error(exc, url) from exc
            except (httpx.InvalidURL, UnicodeError) as exc:
                # httpx parses a redirect's Location itself, before we see the response.
                raise BlockedError(f"invalid URL: {exc}", reason="bad_url", url=url) from exc
            finally:
                if timer is not None:
                    timer.cancel()

    def _arm_slow(self, want: _Want, lease: Lease) -> asyncio.TimerHandle | None:
        """After ``slow_after_s`` the request asks to be parked; once it is, its slot
        of the host's concurrency is free too."""
        on_slow = want.on_slow
        if on_slow is None or self.settings.slow_after_s <= 0:
            return None

        def step_aside() -> None:
            if on_slow():
                lease.step_aside()

        return asyncio.get_running_loop().call_later(self.settings.slow_after_s, step_aside)

    def _shard(self, host: str) -> int:
        """The pool for a request to ``host``: the least busy of the host's own few
        (enough for its concurrency at ``POOL_WORKERS`` requests a pool)."""
        count = len(self._in_flight)
        if count == 1:
            return 0
        spread = min(count, max(1, -(-self.settings.per_host_concurrency // POOL_WORKERS)))
        first = zlib.crc32(host.encode("utf-8", "replace"))  # stable, unlike hash()
        return min(((first + k) % count for k in range(spread)),
                   key=self._in_flight.__getitem__)

    async def _send(
        self, url: str, host: str, portal: str, want: _Want, limiter: HostLimiter
    ) -> _Raw | _Redirect:
        clients = self._require_clients()
        shard = self._shard(host)
        self._in_flight[shard] += 1
        try:
            return await self._stream(clients[shard], url, portal, want, limiter)
        finally:
            self._in_flight[shard] -= 1

    async def _stream(
        self, pool: _Pool, url: str, portal: str, want: _Want, limiter: HostLimiter
    ) -> _Raw | _Redirect:
        # The client builds the request (its headers, cookies, timeouts) and the
        # transport answers it: ``client.stream``'s layers between them (auth flow,
        # redirect bookkeeping, event hooks, a log line, a stream wrapper) do nothing
        # here, where redirects are followed by hand and the body is read once, yet
        # cost about a tenth of a page fetch's CPU on the event loop.
        request = pool.request(url, want.accept, want.headers)
        response = await pool.transport.handle_async_request(request)
        response.request = request
        try:
            pool.client.cookies.extract_cookies(response)
            return await self._answer(response, url, portal, want, limiter)
        finally:
            await response.aclose()

    async def _answer(
        self, response: httpx.Response, url: str, portal: str, want: _Want,
        limiter: HostLimiter,
    ) -> _Raw | _Redirect:
        """What came back for one hop: a redirect, or the body within the limits."""
        status = response.status_code
        fields = header_map(response.headers)
        location = fields.get("location")
        if status in _REDIRECTS and location:
            sets_cookie = "set-cookie" in fields
            try:  # httpx's client checked every Location so (its host decoded too)
                httpx.URL(location)
                target = urljoin(url, location.strip())
                _ = httpx.URL(target).host
                return _Redirect(target, sets_cookie)
            except (httpx.InvalidURL, ValueError) as exc:  # "http://[::1/", "http://xn--/"
                raise BlockedError(f"invalid URL in Location: {exc}", reason="bad_url",
                                   url=url) from exc
        if status == 304 and want.headers:
            return _Raw(str(response.url), 304, fields, b"")
        if not 200 <= status < 300:
            raise self._status_error(response, url, limiter)
        _check_type(fields.get("content-type", ""), want, url)
        if not want.limits.truncate:
            _check_length(fields.get("content-length"), want.limits, url)
        try:
            s = self.settings
            chunks = paced(response.aiter_raw(), s.min_transfer_rate, s.transfer_grace_s)
            if want.decode:
                encoding = fields.get("content-encoding")
                body = await read_body(chunks, encoding, want.limits)
            else:
                body = await read_wire(chunks, want.limits)
        except ContentError as exc:
            exc.url = url
            raise
        metrics.child(metrics.FETCH_BYTES, portal).inc(body.wire_bytes)
        return _Raw(str(response.url), status, fields, body.data)

    def _status_error(
        self, response: httpx.Response, url: str, limiter: HostLimiter
    ) -> HTTPStatusError:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        error = HTTPStatusError(status=status, url=url, retry_after=retry_after)
        if retry_after is not None and status in (429, 503):
            # One URL's answer speaks for the host only so far: the rest of the portal
            # goes on after a short pause, the URL itself waits the full time.
            limiter.push_back(min(retry_after, self.settings.retry_after_host_max_s),
                              error.reason)
        return error

    # -- robots --------------------------------------------------------------

    async def _check_robots(self, url: str, portal: str, limiter: HostLimiter) -> None:
        policy = await self._robots.policy(url)
        if policy.unreachable is not None:
            # Report the host as down (retryable), not as a robots refusal.
            raise NetworkError("robots.txt unreachable", reason=policy.unreachable, url=url)
        limiter.set_crawl_delay(policy.crawl_delay)
        if policy.large:  # thousands of rules: milliseconds per URL, off the loop
            allowed = await asyncio.to_thread(policy.allows, url)
        else:
            allowed = policy.allows(url)
        if not allowed:
            metrics.child(metrics.ROBOTS_REFUSALS, portal).inc()
            raise BlockedError("disallowed by robots.txt", reason="robots_disallowed", url=url)

    async def _load_robots(self, robots_url: str) -> str:
        """The robots.txt text; only its first ``MAX_ROBOTS_BYTES`` are read (RFC 9309
        §2.5), so a huge or gzip-bomb file is parsed as far as that, not refused."""
        s = self.settings
        limits = Limits(MAX_ROBOTS_BYTES, s.max_decompression_ratio, truncate=True)
        want = _Want("text/plain,*/*;q=0.5", None, limits, robots=False)
        raw = await self._follow(robots_url, "robots", want)
        if not raw.body:
            return ""
        text = charset.decode(raw.body, raw.headers.get("content-type")).text
        if len(raw.body) >= MAX_ROBOTS_BYTES:
            text = text[: text.rfind("\n") + 1]  # a rule cut in half is no rule
        return text

    def _require_clients(self) -> list[_Pool]:
        if not self._clients:
            raise RuntimeError("use Fetcher inside 'async with'")
        return self._clients


@dataclass(frozen=True, slots=True)
class _Pool:
    """One connection pool: the client that builds requests and keeps cookies, and
    the transport (its connections) that answers them."""

    client: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport
    #: The client's headers merged with a request's Accept, by Accept (a few in all).
    merged: dict[str, httpx.Headers] = field(default_factory=dict)
    #: The client's timeouts as a request carries them.
    extensions: dict[str, Any] = field(default_factory=dict)

    def request(self, url: str, accept: str, extra: tuple[tuple[str, str], ...]) -> httpx.Request:
        """``client.build_request("GET", url, ...)``, the same request, without merging
        the client's headers, cookies and timeouts anew for every page."""
        if extra:  # validators of a source: the client merges them
            return self.client.build_request("GET", url, headers=[("Accept", accept), *extra])
        headers = self.merged.get(accept)
        if headers is None:
            headers = self.merged[accept] = httpx.Headers(self.client.headers)
            headers.update([("Accept", accept)])
        if not self.extensions:
            self.extensions["timeout"] = self.client.timeout.as_dict()
        request = httpx.Request("GET", plain_url(url), headers=headers,
                                extensions=self.extensions)
        cookies = self.client.cookies
        if cookies:  # as build_request: the jar's cookies for this URL, if any
            cookies.set_cookie_header(request)
        return request


#: A URL httpx's parser leaves as it is: lowercase http(s) scheme and host name, maybe a
#: port, a path and query of characters it never escapes (no "%" escapes, no fragment).
_PLAIN_URL = re.compile(
    r"(https?)://((?:[a-z0-9-]+\.)*[a-z0-9-]+)(?::([0-9]{1,5}))?"
    r"(/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)(?:\?([A-Za-z0-9\-._~!$&'()*+,;=:@/?]*))?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: httpx refuses longer URLs (``httpx._urlparse.MAX_URL_LENGTH``): left to it to say so.
_MAX_URL_LENGTH = 65536


def plain_url(url: str) -> httpx.URL | str:
    """``url`` as the ``httpx.URL`` httpx's parser would make of it, built directly
    when its parse would change nothing (most page URLs), else ``url`` itself for httpx
    to parse. The parse checks every character in Python: 35-40 us a page URL, a
    tenth of a page fetch's CPU on the crawl's event loop, where this takes 3."""
    match = _PLAIN_URL.fullmatch(url)
    if match is None or len(url) > _MAX_URL_LENGTH:
        return url
    scheme, host, port, path, query = match.groups()
    # Dot segments are resolved and an IPv4-style host is checked by the parser.
    if "/." in path or IPv4_STYLE_HOSTNAME.match(host):
        return url
    number = int(port) if port else None
    parsed = ParseResult(scheme, "", host, None if number == _DEFAULT_PORTS[scheme] else number,
                         path, query, None)
    made = httpx.URL.__new__(httpx.URL)
    made._uri_reference = parsed
    return made


class _Cookies(httpx.Cookies):
    """A client's cookie jar that reads a response for cookies only when it sets one:
    httpx builds urllib stand-ins of the request and the response for every response
    first (a tenth of a page's fetch on the event loop), where the jar finds nothing."""

    def extract_cookies(self, response: httpx.Response) -> None:
        # What the jar reads (its policy leaves Set-Cookie2 alone, but both count here).
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


def _count_retry(state: RetryCallState, portal: str) -> None:
    _count_failure(state.outcome.exception() if state.outcome is not None else None, portal)


def _count_failure(exc: BaseException | None, portal: str) -> None:
    """One retry about to happen, counted by the reason of the failure before it."""
    reason = exc.reason if isinstance(exc, FetchError) else "error"
    metrics.child(metrics.RETRIES, portal, reason).inc()


def _retry_after(exc: BaseException | None) -> float | None:
    return exc.retry_after if isinstance(exc, HTTPStatusError) else None


class _outcome:  # lower-case: used like a function, ``with _outcome(...)``
    """Counts one public fetch call in FETCHES / FETCH_SECONDS and stamps errors with the URL."""

    def __init__(self, portal: str, started: float, url: str, *, count_ok: bool = True) -> None:
        self.portal = portal
        self.started = started
        self.url = url
        self.status = "error"
        #: False: a success is counted later (``Fetcher.count_page``), once the body is judged.
        self.count_ok = count_ok

    def __enter__(self) -> _outcome:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, asyncio.CancelledError):
            return
        if isinstance(exc, FetchError):
            exc.url = exc.url or self.url
            self.status = str(exc.status) if isinstance(exc, HTTPStatusError) else exc.reason
        if exc is not None or self.count_ok:
            metrics.child(metrics.FETCHES, self.portal, self.status).inc()
        metrics.child(metrics.FETCH_SECONDS, self.portal).observe(time.monotonic() - self.started)


def _media_type(content_type: str) -> str:
    return media_type(content_type)


def _check_type(content_type: str, want: _Want, url: str) -> None:
    media = _media_type(content_type)
    if want.content_types is None or not media or media in want.content_types:
        return  # a missing type is judged from the body (see page.text_of)
    if want.any_xml and (media.endswith("/xml") or media.endswith("+xml")):
        return
    raise ContentError(f"content type {media}", reason="not_html", url=url)


def _check_length(content_length: str | None, limits: Limits, url: str) -> None:
    digits = (content_length or "").strip()
    if digits.isdigit() and int(digits) > limits.max_bytes:
        raise ContentError(
            f"content-length {digits} over {limits.max_bytes}", reason="too_large", url=url
        )


def _wire_page(raw: _Raw, want: _Want, url: str) -> WirePage:
    return WirePage(raw.body, raw.headers.get("content-encoding"),
                    raw.headers.get("content-type", ""), want.limits, want.content_types, url)


def _page_result(
    request: FetchRequest, raw: _Raw, started: float, text: PageText | None
) -> FetchResult:
    """The page's result; without ``text`` (``fetch_wire``) its text is still to come."""
    return FetchResult(
        request=request,
        final_url=raw.url,
        status=raw.status,
        html=text.text if text is not None else "",
        headers=raw.headers,
        content_type=_media_type(raw.headers.get("content-type", "")) or "text/html",
        charset=text.charset if text is not None else "",
        size_bytes=len(raw.body),
        elapsed_s=time.monotonic() - started,
        fetched_at=now_iso(),
        body=text.utf8 if text is not None else b"",
    )


def header_map(headers: httpx.Headers) -> dict[str, str]:
    """``dict(headers)`` in one pass: each ``httpx.Headers`` lookup walks every field
    (about 2 us each, a dozen a page, and ``dict()`` looks up every name once more)."""
    joined: dict[str, str] = {}
    for name, value in headers.multi_items():  # names lower-cased, in order
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def _network_error(exc: httpx.HTTPError, url: str) -> FetchError:
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(detail, reason="timeout", url=url)
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(detail, reason="connect_error", url=url)
    if isinstance(exc, httpx.UnsupportedProtocol) or "Invalid URL in location" in str(exc):
        # httpx vets a redirect's Location itself and reports it as a protocol error.
        return BlockedError(detail, reason="bad_url", url=url)
    return NetworkError(detail, reason="read_error", url=url)
