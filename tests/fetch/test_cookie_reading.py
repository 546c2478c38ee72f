"""The fetcher reads a response for cookies only when it sets one, and keeps those."""

from __future__ import annotations

import httpx
import pytest

from kabar.fetch.client import Fetcher
from kabar.models import FetchRequest
from kabar.settings import FetchSettings
from tests.fetch.server import LocalServer, Reply, html_reply

PAGE = "<html><body><article><p>Warga menanam pohon di tepi sungai.</p></article></body></html>"


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    built: list[object] = []
    original = httpx.Cookies._CookieCompatRequest

    class Counted(original):  # type: ignore[valid-type,misc]
        def __init__(self, request: httpx.Request) -> None:
            built.append(request)
            super().__init__(request)

    monkeypatch.setattr(httpx.Cookies, "_CookieCompatRequest", Counted)
    return built


async def test_a_response_without_cookies_is_not_read_for_them(
    server: LocalServer, settings: FetchSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _counting(monkeypatch)
    server.route("/berita/1", html_reply(PAGE))
    async with Fetcher(settings) as fetcher:
        await fetcher.fetch(FetchRequest(url=server.url("/berita/1"), portal="ok"))
    assert built == []


async def test_a_cookie_set_is_sent_back(
    server: LocalServer, settings: FetchSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _counting(monkeypatch)
    reply = html_reply(PAGE)
    server.route("/berita/1", Reply(reply.status, reply.body,
                                    {**reply.headers, "Set-Cookie": "setuju=1; Path=/"}))
    server.route("/berita/2", html_reply(PAGE))
    async with Fetcher(settings) as fetcher:
        await fetcher.fetch(FetchRequest(url=server.url("/berita/1"), portal="ok"))
        await fetcher.fetch(FetchRequest(url=server.url("/berita/2"), portal="ok"))
    assert len(built) >= 1
    assert server.hits("/berita/2")[0].headers.get("cookie") == "setuju=1"
