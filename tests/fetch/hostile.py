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
    whole child (MB, ``ru_maxrss``) and what ``work`` assigned to ``result``."""
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
        print(json.dumps({{"peak_mb": peak, "result": result}}))
        """
    ).format(setup=setup, work=textwrap.indent(textwrap.dedent(work), "    "))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome
