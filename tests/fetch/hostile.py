"""Hostile bodies a portal may serve, built small in code (nothing stored), and
a way to measure what handling one costs in a fresh process.

    from tests.fetch.hostile import attribute_flood_feed, peak_rss_mb
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap

#: Goal of issue 16: no hostile input takes the process past this.
RSS_LIMIT_MB = 400.0


def attribute_flood_feed(items: int = 2000, attribute_bytes: int = 1 << 20) -> str:
    """An RSS feed whose DTD defaults a huge attribute onto every element, with a
    control byte in front so a naive check for ``<!DOCTYPE`` at the start misses it."""
    big = "A" * attribute_bytes
    dtd = f'<!DOCTYPE rss [<!ATTLIST item pad CDATA "{big}"><!ATTLIST title pad CDATA "{big}">]>'
    entries = "".join(
        f"<item><title>Berita {i}</title><link>https://h.example.id/b/{i}</link></item>"
        for i in range(items)
    )
    return f"\x01{dtd}<rss><channel>{entries}</channel></rss>"


def many_url_sitemap(count: int) -> str:
    """A URL set with ``count`` entries (the protocol allows 50,000)."""
    head = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    body = "".join(f"<url><loc>https://h.example.id/a/{i}</loc></url>" for i in range(count))
    return head + body + "</urlset>"


def deep_xml(depth: int) -> str:
    return "<urlset>" + "<x>" * depth + "</x>" * depth + "</urlset>"


def nested_divs(depth: int) -> str:
    return "<html><body>" + "<div>" * depth + "teks" + "</div>" * depth + "</body></html>"


def gzip_bomb(decoded_bytes: int) -> bytes:
    return gzip.compress(b"\n" * decoded_bytes, compresslevel=9)


def gzip_in_gzip(data: bytes) -> bytes:
    return gzip.compress(gzip.compress(data))


def peak_rss_mb(setup: str, work: str) -> dict[str, object]:
    """Run ``setup`` then ``work`` in a fresh interpreter; report the peak RSS of the
    whole child (MB: ``VmHWM``, else ``ru_maxrss``) and what ``work`` assigned to
    ``result``."""
    code = textwrap.dedent(
        """
        import json, resource
        {setup}
        result = None
        try:
        {work}
        except Exception as exc:
            result = getattr(exc, "reason", type(exc).__name__)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        try:
            # ru_maxrss survives exec on Linux: a child of a big parent (a long pytest
            # run) would report the parent's size. VmHWM is this process image's own.
            with open("/proc/self/status") as status:
                hwm = [line for line in status if line.startswith("VmHWM:")]
            peak = int(hwm[0].split()[1]) / 1024
        except (OSError, IndexError, ValueError):
            pass
        print(json.dumps({{"peak_mb": peak, "result": result}}))
        """
    ).format(setup=setup, work=textwrap.indent(textwrap.dedent(work), "    "))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


async def fetch_every_hostile_case() -> dict[str, object]:
    """Serve each hostile answer from a local server and take it through the real
    fetcher and source parsers; what became of each (a count, or the refusal's reason)."""
    from kabar.bench.hostile_bodies import endless_page, huge_robots
    from kabar.discovery.feeds import parse_feed
    from kabar.discovery.sections import read_section
    from kabar.discovery.sitemaps import parse_sitemap
    from kabar.errors import KabarError
    from kabar.fetch.client import Fetcher
    from kabar.models import FetchRequest
    from kabar.settings import FetchSettings
    from tests.fetch.server import LocalServer, Reply

    xml = {"Content-Type": "application/xml"}
    html = {"Content-Type": "text/html; charset=utf-8"}
    sitemap = b'<urlset><url><loc>http://127.0.0.1/berita/1</loc></url></urlset>'
    routes = {
        "/robots.txt": Reply(200, huge_robots(), {"Content-Type": "text/plain"}),
        "/berita/1": Reply(200, b"<html><body><p>isi berita</p></body></html>", html),
        "/bom": Reply(200, gzip_bomb(50 * 1024 * 1024), {**html, "Content-Encoding": "gzip"}),
        "/besar": Reply(200, endless_page(), html),
        "/peta-sejuta.xml": Reply(200, many_url_sitemap(1_000_000).encode(), xml),
        "/rss-dtd": Reply(200, attribute_flood_feed().encode(), xml),
        "/kanal-dalam": Reply(200, nested_divs(200_000).encode(), html),
        "/peta.xml.gz": Reply(200, gzip_in_gzip(sitemap), {"Content-Type": "application/gzip"}),
    }
    settings = FetchSettings(allow_private_addresses=True, retries=0, per_host_rate=1000.0,
                             per_host_burst=100)
    outcome: dict[str, object] = {}
    with LocalServer() as server:
        for path, reply in routes.items():
            server.route(path, reply)
        async with Fetcher(settings) as fetcher:
            cases = {
                "robots_50mb": lambda: fetcher.fetch(FetchRequest(server.url("/berita/1"), "h")),
                "gzip_bomb": lambda: fetcher.fetch(FetchRequest(server.url("/bom"), "h")),
                "page_200mb": lambda: fetcher.fetch(FetchRequest(server.url("/besar"), "h")),
            }
            for name, call in cases.items():
                try:
                    outcome[name] = (await call()).status
                except KabarError as exc:
                    outcome[name] = exc.reason
            sources = {
                "sitemap_1m": ("/peta-sejuta.xml", lambda t, u: len(parse_sitemap(t, u).links)),
                "feed_dtd": ("/rss-dtd", lambda t, u: len(parse_feed(t, u))),
                "section_deep": ("/kanal-dalam", lambda t, u: len(read_section(t, u).links)),
                "sitemap_gz_gz": ("/peta.xml.gz", lambda t, u: len(parse_sitemap(t, u).links)),
            }
            for name, (path, parse) in sources.items():
                try:
                    document = await fetcher.fetch_source(server.url(path), "h")
                    outcome[name] = parse(document.text, document.url)
                except KabarError as exc:
                    outcome[name] = exc.reason
    return outcome
