"""The hostile portal's answers for ``kabar.bench.hostile``, built in code (nothing
stored): bodies that are slow, endless, bombs, deeply nested, mislabelled or
carry DTD tricks. Built once and kept (the site is a child process of its own)."""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable, Iterator

_HTML = b"text/html; charset=utf-8"
_XML = b"application/xml"
#: The hostile portal's own plain articles: /berita/0 .. /berita/49.
PLAIN = 50


def huge_robots() -> Iterator[bytes]:
    """A 50 MB robots.txt: one real rule, then comments."""
    yield b"User-agent: *\nDisallow: /rahasia\n"
    line = b"# " + b"catatan " * 100 + b"\n"
    for _ in range(50 * 1024 * 1024 // len(line)):
        yield line


def drip() -> Iterator[bytes]:
    """The start of a page, then one byte at a time (the server waits between them)."""
    yield b"<html><body><p>"
    for _ in range(600):
        yield b"x"


def endless_page() -> Iterator[bytes]:
    """200 MB of paragraphs."""
    yield b"<html><body>"
    chunk = b"<p>kata kata kata</p>" * 3000
    for _ in range(200 * 1024 * 1024 // len(chunk)):
        yield chunk


@functools.cache
def gzip_bomb() -> bytes:
    """50 MB of newlines in about 50 kB."""
    return gzip.compress(b"\n" * (50 * 1024 * 1024), compresslevel=9)


@functools.cache
def _nested(depth: int, text: str) -> bytes:
    return ("<html><head><title>Dalam</title></head><body>" + "<div>" * depth + text
            + "</div>" * depth + "</body></html>").encode()


def _article(title: str, paragraphs: int, words: str = "warga menanam padi di sawah") -> bytes:
    body = "".join(f"<p>{words} {i} {words} {words} {words}.</p>" for i in range(paragraphs))
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{body}</article></body></html>").encode()


@functools.cache
def _big_article() -> bytes:
    """About 7 MB of text: under the 8 MiB fetch cap, over the broker's request size."""
    return _article("Laporan panjang", 25_000, "pembangunan jalan desa berlanjut " * 2)


@functools.cache
def _long_title() -> bytes:
    return _article("Judul " + "panjang " * 130_000, 8)


def _attribute_flood() -> bytes:
    """A DTD that defaults a 1 MiB attribute onto every item, hidden behind a control byte."""
    big = "A" * (1 << 20)
    items = "".join(f"<item><title>Berita {i}</title><link>http://jahat.test/b/{i}</link></item>"
                    for i in range(2000))
    return (f'\x01<!DOCTYPE rss [<!ATTLIST item pad CDATA "{big}">]>'
            f"<rss><channel>{items}</channel></rss>").encode()


def _laughs() -> bytes:
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{i} "' + f"&a{i - 1};" * 10 + '">' for i in range(1, 10))
    return (f"<?xml version=\"1.0\"?><!DOCTYPE rss [{entities}]><rss><channel><item>"
            "<title>&a9;</title><link>http://jahat.test/b/1</link></item></channel></rss>"
            ).encode()


def _external_entity() -> bytes:
    return (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY rahasia SYSTEM "file:///etc/passwd">'
            b"]><rss><channel><item><title>&rahasia;</title><link>http://jahat.test/b/2</link>"
            b"</item></channel></rss>")


def _deep_sitemap() -> bytes:
    return ("<urlset>" + "<x>" * 50_000 + "</x>" * 50_000 + "</urlset>").encode()


def _gzip_in_gzip(base: str) -> bytes:
    sitemap = (f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
               f"<loc>{base}/berita/{PLAIN - 1}</loc></url></urlset>").encode()
    return gzip.compress(gzip.compress(sitemap))


def fixed(path: str, pages: dict[str, bytes], offset: int, base: str,
          ) -> tuple[bytes, bytes | None]:
    """(content type, body) of the hostile portal's one-shot answers; body None: 404.
    Its plain articles are the site's pages from ``offset`` on (not copies of the
    healthy portal's)."""
    if path.startswith("/berita/"):
        n = int(path.rsplit("/", 1)[1]) if path.rsplit("/", 1)[1].isdigit() else -1
        return _HTML, pages.get(f"berita/{offset + n}") if 0 <= n < PLAIN else None
    answers: dict[str, tuple[bytes, Callable[[], bytes]]] = {
        "/dalam": (_HTML, lambda: _nested(200_000, "teks di dasar")),
        "/kanal-dalam": (_HTML, lambda: _nested(200_000, '<a href="/berita/1">satu</a>')),
        "/charset": (b"text/html; charset=x-tidak-ada",
                     lambda: b"<html><body><p>" + bytes(range(128, 256)) * 200 + b"</p></body>"),
        "/biner": (_HTML, lambda: b"%PDF-1.4\n" + bytes(range(256)) * 400),
        "/raksasa": (_HTML, _big_article),
        "/judul": (_HTML, _long_title),
        "/rss-dtd": (_XML, _attribute_flood),
        "/rss-tawa": (_XML, _laughs),
        "/rss-xxe": (_XML, _external_entity),
        "/peta-dalam.xml": (_XML, _deep_sitemap),
        "/peta.xml.gz": (b"application/gzip", lambda: _gzip_in_gzip(base)),
    }
    found = answers.get(path)
    if found is None:
        return _HTML, None
    kind, make = found
    return kind, make()
