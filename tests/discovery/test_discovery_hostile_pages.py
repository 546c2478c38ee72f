"""Hostile section pages and feeds against the local portal server: refused before
lexbor with a reason, parsed off the event loop, abandoned past the time limit,
and the loop stays responsive throughout."""

from __future__ import annotations

import asyncio
import time

import pytest

from kabar.discovery import Discovery, SeenStore
from kabar.discovery.offloop import ParseRunner
from kabar.errors import ContentError, FetchError
from kabar.htmlguard import HtmlLimits, check_html, html_refusal
from kabar.settings import DiscoverySettings, PortalConfig
from tests.discovery.discovery_http import HttpxSourceFetcher, Page, Site
from tests.fetch.hostile import deep_xml, nested_divs

Errors = list[tuple[str, str, FetchError]]
ARTICLE = "/berita/2026/05/01/5001/warga-gotong-royong-bersihkan-sungai"


def section_with(filler: str, site: Site) -> bytes:
    link = f'<a href="{site.url(ARTICLE)}">Warga gotong royong bersihkan sungai</a>'
    return f"<html><body>{link}{filler}</body></html>".encode()


def discovery_of(site: Site, fetcher: HttpxSourceFetcher, errors: Errors,
                 **changes: object) -> Discovery:
    async def on_error(url: str, portal: str, exc: FetchError) -> None:
        errors.append((url, portal, exc))

    settings = DiscoverySettings(robots_sitemaps=False, autodiscover_feeds=False, **changes)
    portal = PortalConfig(name="hostil", sections=[site.url("/kanal")],
                          feeds=[site.url("/rss")])
    return Discovery([portal], settings, fetcher, SeenStore(), on_error=on_error)


async def loop_lag_during(work: asyncio.Task[object]) -> float:
    """The worst delay of a 10 ms timer on this loop while ``work`` runs."""
    worst = 0.0
    while not work.done():
        started = time.monotonic()
        await asyncio.sleep(0.01)
        worst = max(worst, time.monotonic() - started - 0.01)
    return worst


@pytest.mark.parametrize(
    ("filler", "reason"),
    [
        ("<div>" * 20_000 + "</div>" * 20_000, "html_too_deep"),
        ("</div>" * 30_000 + "<ul>" * 20_000, "html_too_deep"),  # stray closes hide nothing
        ("<select>" + "<option>pilihan</option>" * 20_000 + "</select>", "html_too_complex"),
    ],
)
async def test_a_hostile_section_page_is_refused_with_a_reason(
    site: Site, fetcher: HttpxSourceFetcher, filler: str, reason: str
) -> None:
    site.put("/kanal", Page(section_with(filler, site)))
    site.put("/rss", Page(b"<rss><channel></channel></rss>", "application/rss+xml"))
    errors: Errors = []
    discovery = discovery_of(site, fetcher, errors)
    task = asyncio.create_task(discovery.poll_once())
    lag = await loop_lag_during(task)  # type: ignore[arg-type]
    assert await task == []
    assert [(url, exc.reason) for url, _, exc in errors] == [(site.url("/kanal"), reason)]
    assert lag < 0.5


async def test_a_slow_parse_is_abandoned_and_the_loop_keeps_running(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    # Limits opened up so that lexbor really meets the deep page (about 0.5-2 s here).
    site.put("/kanal", Page(section_with(nested_divs(20_000), site)))
    site.put("/rss", Page(b"<rss><channel></channel></rss>", "application/rss+xml"))
    errors: Errors = []
    discovery = discovery_of(site, fetcher, errors, max_html_depth=1_000_000,
                             parse_timeout_s=0.2)
    task = asyncio.create_task(discovery.poll_once())
    lag = await loop_lag_during(task)  # type: ignore[arg-type]
    await task
    assert [exc.reason for _, _, exc in errors] == ["parse_timeout"]
    assert lag < 0.5  # the parse ran in a thread: selectolax lets go of the GIL


async def test_a_hostile_feed_is_refused_off_the_loop(
    site: Site, fetcher: HttpxSourceFetcher
) -> None:
    site.put("/kanal", Page(section_with("", site)))
    site.put("/rss", Page(deep_xml(5000).encode(), "application/rss+xml"))
    errors: Errors = []
    requests = await discovery_of(site, fetcher, errors).poll_once()
    assert [r.url for r in requests] == [site.url(ARTICLE)]  # the section still counts
    assert [(url, exc.reason) for url, _, exc in errors] == [(site.url("/rss"), "xml_too_deep")]


def test_the_guard_passes_ordinary_pages_and_names_its_refusals() -> None:
    ordinary = "<html><body>" + (
        "<div class=k><p>teks<br>lagi<img src=x></p><ul><li>a<li>b</ul>"
        "<table><tr><td>1<td>2</table><select><option>a<option>b</select></div>"
    ) * 3000 + "</body></html>"
    assert html_refusal(ordinary) is None
    assert html_refusal("<p>" * 100_000) is None  # unclosed paragraphs do not nest
    limits = HtmlLimits(max_chars=1000, max_depth=50, max_options=10)
    too_large = html_refusal("x" * 1001, limits)
    assert too_large is not None and too_large.reason == "html_too_large"
    refusal = html_refusal("<span>" * 51, limits)
    assert refusal is not None and refusal.reason == "html_too_deep"
    assert html_refusal("<span>" * 50, limits) is None
    assert html_refusal("<select><option>a</select>" * 11, limits) is None
    with pytest.raises(ContentError) as info:
        check_html("<select>" + "<option>" * 11, limits)
    assert info.value.reason == "html_too_complex"


async def test_abandoned_parses_never_hold_more_than_their_threads() -> None:
    release = asyncio.Event()
    loop = asyncio.get_running_loop()
    started: list[float] = []

    def stuck() -> None:
        started.append(time.monotonic())
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(5)

    runner = ParseRunner(threads=1, timeout_s=0.1)
    with pytest.raises(ContentError) as info:
        await runner.run(stuck)
    assert info.value.reason == "parse_timeout"
    second = asyncio.create_task(runner.run(len, "abc"))
    await asyncio.sleep(0.2)
    assert not second.done()  # the one thread is still busy with the abandoned parse
    release.set()
    assert await second == 3
    runner.close()
