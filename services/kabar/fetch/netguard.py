"""Refuse URLs that would make us talk to places a public crawler must not reach.

A feed can list any URL and any page can redirect anywhere, so every hop is
checked: the scheme must be http(s) and every address the host name resolves
to must be a public one (no private, loopback, link-local, multicast or
reserved ranges), unless the operator allows private addresses (tests do).
Checking *after* resolution matters: ``intranet.example`` may resolve to 10.x.
IPv6 addresses that carry an IPv4 one (IPv4-mapped and -compatible, NAT64
``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4, Teredo) are judged by the IPv4
address they lead to: ``64:ff9b::7f00:1`` reaches 127.0.0.1 through a NAT64.

The check runs twice: before a hop (clear, early errors) and inside the
connection itself (``GuardedBackend``): the socket is opened to the very
address that was approved, so a DNS server answering "public" to the check
and "10.0.0.5" to the connect (DNS rebinding) gains nothing. TLS still
verifies the certificate against the host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.abc
import httpcore
import httpx
from httpcore._backends.anyio import AnyIOStream

from kabar.errors import BlockedError, NetworkError

_SCHEMES = frozenset({"http", "https"})
#: Resolutions are reused briefly: one page fetch checks the same host several times.
_CACHE_TTL_S = 30.0
_CACHE_MAX = 4096
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


@dataclass(frozen=True, slots=True)
class Target:
    """The parts of a URL the guard checked."""

    scheme: str
    host: str
    port: int


def parse_target(url: str) -> Target:
    """Split an absolute http(s) URL, or raise ``BlockedError(bad_url)``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedError(f"unparsable URL: {exc}", reason="bad_url", url=url) from exc
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise BlockedError(f"scheme {scheme!r} not allowed", reason="bad_url", url=url)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise BlockedError("URL has no host", reason="bad_url", url=url)
    return Target(scheme, host, port or (443 if scheme == "https" else 80))


def is_public(address: str) -> bool:
    """Whether ``address`` may be contacted: global, not multicast, and when it is an
    IPv6 address that wraps an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo),
    the wrapped address judged the same way: ``64:ff9b::127.0.0.1`` is loopback."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _public_v4(ip)
    wrapped = embedded_ipv4(ip)
    if wrapped:
        # The wrapper's own prefix says nothing about where the packets end up.
        return all(_public_v4(inner) for inner in wrapped)
    return ip.is_global and not ip.is_multicast


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address leads to (none for a native one).

    ``64:ff9b:1::/48`` (local-use NAT64, RFC 8215) may embed at the /96 or the
    /48 position of RFC 6052, so both readings are returned and both must pass.
    """
    value = int(ip)
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo  # (server, client)
    if value >> 32 == 0 and value > 1:  # IPv4-compatible ::a.b.c.d (not :: or ::1)
        return (ipaddress.IPv4Address(value),)
    if ip in _NAT64_WELL_KNOWN:
        return (ipaddress.IPv4Address(value & 0xFFFFFFFF),)
    if ip in _NAT64_LOCAL:
        # RFC 6052 /48: 16 bits at 48..63, the u octet (64..71), 16 bits at 72..87.
        rfc6052 = ((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF
        return (
            ipaddress.IPv4Address(value & 0xFFFFFFFF),
            ipaddress.IPv4Address(rfc6052),
        )
    return ()


def _public_v4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not ip.is_multicast


class NetGuard:
    """Resolves host names and refuses non-public addresses (cached briefly)."""

    def __init__(self, *, allow_private: bool, static_hosts: Iterable[str] = ()) -> None:
        self._allow_private = allow_private
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._static = dict(
            (name.strip().lower(), address.strip())
            for name, _, address in (entry.partition("=") for entry in static_hosts)
        )

    async def check(self, url: str) -> Target:
        target = parse_target(url)
        await self.approved(target.host, target.port, url)
        return target

    async def approved(self, host: str, port: int, url: str | None = None) -> tuple[str, ...]:
        """The addresses of ``host``; raises unless all of them may be contacted."""
        addresses = await self.resolve(host, port, url)
        if not self._allow_private:
            refused = [a for a in addresses if not is_public(a)]
            if refused:
                raise BlockedError(
                    f"{host} resolves to non-public {refused[0]}",
                    reason="private_address",
                    url=url,
                )
        return addresses

    async def resolve(self, host: str, port: int, url: str | None = None) -> tuple[str, ...]:
        pinned = self._static.get(host.lower())
        if pinned is not None:
            if not pinned:
                raise NetworkError(f"cannot resolve {host}: listed as nonexistent in "
                                   "fetch.static_hosts", reason="dns_failure", url=url)
            return (pinned,)
        now = time.monotonic()
        cached = self._cache.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise NetworkError(
                f"cannot resolve {host}: {exc}", reason="dns_failure", url=url
            ) from exc
        addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise NetworkError(f"no address for {host}", reason="dns_failure", url=url)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[host] = (now + _CACHE_TTL_S, addresses)
        return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the guard approved (no second lookup)."""

    def __init__(self, guard: NetGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.approved(host, port)
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return _Stream(await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                ))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedError("unix sockets are not fetched", reason="bad_url")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Stream(httpcore.AsyncNetworkStream):
    """A connection whose "is the idle socket readable" check is one poll.

    httpcore asks it of every idle connection in a pool each time a request starts
    or ends; anyio answers by building its whole attribute table (a getpeername call
    among it) first, which cost the event loop about a tenth of a page fetch."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._sock: socket.socket | None = inner.get_extra_info("socket")
        #: anyio's stream under httpcore's, read and written here directly: httpcore
        #: opens an anyio cancel scope and two exception maps around every read and
        #: write (a page takes several), costlier on the event loop than the read.
        self._raw: anyio.abc.ByteStream | None = (
            inner._stream if isinstance(inner, AnyIOStream) else None)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._raw is None:
            return await self._inner.read(max_bytes, timeout)
        try:  # httpcore's AnyIOStream.read, with its errors
            async with asyncio.timeout(timeout):
                return await self._raw.receive(max_bytes)
        except anyio.EndOfStream:
            return b""
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(exc) from exc
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise httpcore.ReadError(exc) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._raw is None:
            await self._inner.write(buffer, timeout)
            return
        if not buffer:
            return
        try:  # httpcore's AnyIOStream.write, with its errors
            async with asyncio.timeout(timeout):
                await self._raw.send(buffer)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(exc) from exc
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise httpcore.WriteError(exc) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._sock is not None:
            return _readable(self._sock)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """Data (or end of stream) waiting; a closed socket counts as readable, as in httpcore."""
    fd = sock.fileno()
    if fd == -1:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def guarded_transport(
    guard: NetGuard, limits: httpx.Limits, proxy: str = "",
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go through ``GuardedBackend``.

    With a ``proxy`` every connection goes to the operator's proxy instead (it may well
    sit on a private address); the fetcher still checks each target URL with the guard
    before the request is sent."""
    # Loading the CA bundle costs milliseconds each time: share one context.
    context = ssl_context or httpx.create_ssl_context(trust_env=False)
    if proxy:
        return httpx.AsyncHTTPTransport(verify=context, limits=limits, trust_env=False,
                                        proxy=proxy)
    transport = httpx.AsyncHTTPTransport(verify=context, limits=limits, trust_env=False)
    # httpx has no parameter for the network backend: give it a pool built with ours.
    transport._pool = LinearPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(guard),
    )
    return transport


#: How often a pool checks every idle connection for expiry (keep-alive time up, or a
#: readable socket: the server closed it); in between only the connection about to
#: take a request is checked (``LinearPool``).
SWEEP_S = 1.0


class LinearPool(httpcore.AsyncConnectionPool):
    """httpcore's connection pool, its bookkeeping linear in the connections it holds,
    and one readability check a request instead of one an idle connection.

    httpcore runs ``_assign_requests_to_connections`` each time a request starts or
    ends; for every idle connection it counts all connections by building a list
    (quadratic: ~80 ``is_idle`` calls a request with 9 connections a pool, 7% of the
    service's event loop at processes=1) and it lists the idle connections for every
    queued request even when it will not close one. It also asks every connection
    whether it has expired, which for an idle one polls its socket: 16 polls a page at
    processes=auto on the bench site (a pool holds a connection to most of its hosts),
    about 1.5 us each with httpcore's calls around it: ~25 us a page, 1-2% of a page
    fetch's CPU (too little for the bench or an instruction count to resolve: both
    vary more between runs). Here the full expiry sweep runs at
    most every ``SWEEP_S`` (and on the first call); in between, a connection is asked
    only when a request would take it, so a connection the server closed is still
    never handed a request (it is closed instead and the next one tried), and one
    expired meanwhile is closed by the next sweep at the latest. With a sweep due the
    decisions are httpcore 1.0's, in the same order (the surplus check counts every
    connection, not only the idle ones)."""

    #: When the last full sweep ran (``time.monotonic``), and the clock (a seam).
    _swept_at = float("-inf")
    _clock = staticmethod(time.monotonic)

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        now = self._clock()
        sweep = now - self._swept_at >= SWEEP_S
        if sweep:
            self._swept_at = now
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
            elif (sweep and connection.has_expired()) or (
                connection.is_idle()
                and len(self._connections) > self._max_keepalive_connections
            ):
                self._connections.remove(connection)
                closing.append(connection)
        for pool_request in [r for r in self._requests if r.is_queued()]:
            origin = pool_request.request.url.origin
            available = self._available(origin, closing, checked=sweep)
            if available is not None:
                pool_request.assign_to_connection(available)
                continue
            if len(self._connections) >= self._max_connections:
                idle = next((c for c in self._connections if c.is_idle()), None)
                if idle is None:
                    continue  # waits for a connection to come free
                self._connections.remove(idle)
                closing.append(idle)
            connection = self.create_connection(origin)
            self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing

    def _available(
        self, origin: httpcore.Origin, closing: list[httpcore.AsyncConnectionInterface], *,
        checked: bool,
    ) -> httpcore.AsyncConnectionInterface | None:
        """The first connection that can take a request to ``origin`` now; one found
        expired on the way (unless this call's sweep ``checked`` them all) is closed."""
        while True:
            found = next((c for c in self._connections
                          if c.can_handle_request(origin) and c.is_available()), None)
            if found is None or checked or not found.has_expired():
                return found
            self._connections.remove(found)
            closing.append(found)

    async def _close_connections(self, closing: list[httpcore.AsyncConnectionInterface]) -> None:
        # httpcore opens a shielded anyio cancel scope around the closing even when
        # there is nothing to close, twice a request: about a twentieth of a page
        # fetch's CPU. With nothing to close the call awaits nothing either way.
        if closing:
            await super()._close_connections(closing)
