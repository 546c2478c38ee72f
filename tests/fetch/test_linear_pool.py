"""``LinearPool`` decides as httpcore's pool does, counting its connections cheaply."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpcore
import pytest

from kabar.fetch.netguard import SWEEP_S, LinearPool


@dataclass
class FakeConnection:
    name: str
    origin: str
    closed: bool = False
    expired: bool = False
    idle: bool = False
    available: bool = False
    calls: list[str] = field(default_factory=list)
    expiry_checks: int = 0

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
        self.expiry_checks += 1
        return self.expired

    def is_idle(self) -> bool:
        self.calls.append("is_idle")
        return self.idle

    def is_available(self) -> bool:
        return self.available

    def can_handle_request(self, origin: Any) -> bool:
        return bool(self.origin == origin)


@dataclass
class FakeUrl:
    origin: str


@dataclass
class FakeRequest:
    url: FakeUrl


@dataclass
class FakePoolRequest:
    request: FakeRequest
    queued: bool = True
    connection: str | None = None

    def is_queued(self) -> bool:
        return self.queued

    def assign_to_connection(self, connection: FakeConnection) -> None:
        self.connection = connection.name
        self.queued = False


def _pool(cls: type[httpcore.AsyncConnectionPool], seed: int) -> httpcore.AsyncConnectionPool:
    """A pool in a state drawn from ``seed``: the same state for either class."""
    draw = random.Random(seed)
    origins = ["a", "b", "c"]
    pool = cls(max_connections=draw.randint(1, 8), max_keepalive_connections=draw.randint(0, 8))
    made = iter(range(1000))

    def create(origin: Any) -> FakeConnection:
        return FakeConnection(f"new{next(made)}", origin, available=True)

    pool.create_connection = create  # type: ignore[method-assign]
    connections = []
    for i in range(draw.randint(0, 10)):
        idle = draw.random() < 0.5
        connections.append(FakeConnection(
            f"c{i}", draw.choice(origins), closed=draw.random() < 0.1,
            expired=draw.random() < 0.1, idle=idle, available=idle or draw.random() < 0.2))
    pool._connections = connections  # type: ignore[assignment]
    pool._requests = [  # type: ignore[assignment]
        FakePoolRequest(FakeRequest(FakeUrl(draw.choice(origins))), queued=draw.random() < 0.7)
        for _ in range(draw.randint(0, 6))
    ]
    return pool


def _outcome(pool: httpcore.AsyncConnectionPool) -> tuple[list[str], list[str], list[Any]]:
    closing = pool._assign_requests_to_connections()
    return ([c.name for c in closing],  # type: ignore[attr-defined]
            [c.name for c in pool._connections],  # type: ignore[attr-defined]
            [r.connection for r in pool._requests])  # type: ignore[attr-defined]


def test_same_decisions_as_httpcore() -> None:
    for seed in range(500):
        assert _outcome(_pool(LinearPool, seed)) == _outcome(
            _pool(httpcore.AsyncConnectionPool, seed)), seed


def test_bookkeeping_is_linear_in_connections() -> None:
    pool = LinearPool(max_connections=100, max_keepalive_connections=100)
    connections = [FakeConnection(f"c{i}", "a", idle=True, available=True) for i in range(40)]
    pool._connections = list(connections)  # type: ignore[arg-type]
    pool._requests = [FakePoolRequest(FakeRequest(FakeUrl("a")))]  # type: ignore[list-item]
    pool._assign_requests_to_connections()
    assert sum(len(c.calls) for c in connections) <= 2 * len(connections)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _idle_pool(clock: Clock, origins: str) -> tuple[LinearPool, list[FakeConnection]]:
    """A pool holding one idle connection to each of ``origins``, swept once already."""
    pool = LinearPool(max_connections=100, max_keepalive_connections=100)
    pool._clock = clock  # type: ignore[method-assign, assignment]
    made = iter(range(1000))
    pool.create_connection = lambda origin: FakeConnection(  # type: ignore[method-assign]
        f"new{next(made)}", origin, available=True)
    connections = [FakeConnection(o, o, idle=True, available=True) for o in origins]
    pool._connections = list(connections)  # type: ignore[arg-type]
    pool._requests = []
    pool._assign_requests_to_connections()  # the first call sweeps
    for connection in connections:
        connection.expiry_checks = 0
    return pool, connections


def test_between_sweeps_only_the_connection_taking_a_request_is_checked() -> None:
    clock = Clock()
    pool, connections = _idle_pool(clock, "abcdefgh")
    clock.now += SWEEP_S / 2
    request = FakePoolRequest(FakeRequest(FakeUrl("c")))
    pool._requests = [request]  # type: ignore[list-item]
    pool._assign_requests_to_connections()
    assert request.connection == "c"
    # httpcore polls every idle connection's socket each time a request starts or ends.
    assert [c.expiry_checks for c in connections] == [0, 0, 1, 0, 0, 0, 0, 0]


def test_an_expired_connection_is_never_handed_a_request_between_sweeps() -> None:
    clock = Clock()
    pool, connections = _idle_pool(clock, "aab")
    connections[0].expired = True  # the server closed it since the sweep
    clock.now += SWEEP_S / 2
    request = FakePoolRequest(FakeRequest(FakeUrl("a")))
    pool._requests = [request]  # type: ignore[list-item]
    closing = pool._assign_requests_to_connections()
    assert request.connection == "a"  # the second connection to a: its name is "a" too
    assert closing == [connections[0]]
    assert pool._connections == connections[1:]  # type: ignore[comparison-overlap]
    connections[1].expired = True
    connections[2].expired = True
    again = FakePoolRequest(FakeRequest(FakeUrl("a")))
    pool._requests = [again]  # type: ignore[list-item]
    closing = pool._assign_requests_to_connections()
    assert again.connection == "new0"  # neither the expired one, nor one to another host
    assert closing == [connections[1]]


def test_every_expired_connection_is_closed_by_the_next_sweep() -> None:
    clock = Clock()
    pool, connections = _idle_pool(clock, "abc")
    connections[1].expired = True
    clock.now += SWEEP_S / 2
    assert pool._assign_requests_to_connections() == []  # no request: nothing checked
    clock.now += SWEEP_S
    assert pool._assign_requests_to_connections() == [connections[1]]
    assert [c.expiry_checks for c in connections] == [1, 1, 1]


class Shield:
    """Stands in for httpcore's shielded cancel scope, counting how often it is opened."""

    opened = 0

    def __enter__(self) -> None:
        Shield.opened += 1

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass
class Closable:
    closed: bool = False

    async def aclose(self) -> None:
        self.closed = True


async def test_a_shield_is_opened_only_when_there_is_something_to_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from httpcore._async import connection_pool

    monkeypatch.setattr(connection_pool, "AsyncShieldCancellation", Shield)
    pool = LinearPool()
    await pool._close_connections([])
    assert Shield.opened == 0  # twice a request, for nothing, in httpcore's pool
    connection = Closable()
    await pool._close_connections([connection])  # type: ignore[list-item]
    assert Shield.opened == 1 and connection.closed
