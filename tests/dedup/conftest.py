"""Fixtures for the dedup tests: settings, an article builder, a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from kabar.models import Article
from kabar.settings import DedupSettings

REDIS_SERVER = "/usr/bin/redis-server"

MakeArticle = Callable[..., Article]


@pytest.fixture
def settings() -> DedupSettings:
    return DedupSettings(store="memory")


@pytest.fixture
def make_article() -> MakeArticle:
    def build(url: str, paragraphs: tuple[str, ...], portal: str = "contoh") -> Article:
        return Article(url=url, title="Judul", paragraphs=paragraphs, portal=portal)

    return build


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on a free 127.0.0.1 port, stopped afterwards."""
    binary = REDIS_SERVER if shutil.which(REDIS_SERVER) else shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not installed: Redis store tests need a real server")
    import redis

    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10.0
    try:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)  # polling for readiness, with a deadline
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
