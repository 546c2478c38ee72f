"""``LinearPool`` decides as httpcore's pool does, counting its connections cheaply."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpcore
import pytest

from kabar.fetch.netguard import LinearPool


@dataclass
class FakeConnection:
    name: str
    origin: str
    closed: bool = False
    expired: bool = False
    idle: bool = False
    available: bool = False
    calls: list[str] = field(default_factory=list)

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
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
