"""A fetched page's body from wire bytes to text: content decoding within the size
and ratio limits, a gzip file inside it unwrapped, the empty/binary/untyped checks
and the character set.

Kept apart from the HTTP client (no httpx here) because an extraction worker runs
it: ``Fetcher.fetch_wire`` reads a page's body as it came over the wire (counted
against the size limit, not decoded) and the worker decodes it beside parsing it,
so gzip or brotli (a third of a millisecond per 100 kB page) and the charset pass
cost the worker, not the crawl's event loop. The decoded size is still checked as
the output grows, so a bomb is stopped after at most ``max_bytes`` of output
whichever process inflates it.
"""

from __future__ import annotations

import codecs
import zlib
from dataclasses import dataclass

import brotli

from kabar.errors import ContentError
from kabar.fetch import charset
from kabar.fetch.body import (
    Limits,
    _collect,
    _Counter,
    _Identity,
    decoder_for,
    gunzip_file,
    whole_step,
)

#: File signatures of documents that servers sometimes label text/html.
_BINARY_MAGIC = (b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"RIFF")


@dataclass(frozen=True, slots=True)
class WirePage:
    """A page's body as it came over the wire, with what decoding it needs."""

    data: bytes
    content_encoding: str | None
    content_type: str
    limits: Limits
    #: Media types the caller accepts (None: anything): the binary and markup checks.
    content_types: tuple[str, ...] | None
    #: The requested URL, for errors.
    url: str


@dataclass(frozen=True, slots=True)
class PageText:
    """The decoded page: its text, the charset, and the bytes themselves when they
    are BOM-less UTF-8 (or ASCII; else empty), which extraction parses as they are."""

    text: str
    charset: str
    utf8: bytes


def decode_body(data: bytes, content_encoding: str | None, limits: Limits) -> bytes:
    """Undo the Content-Encoding of a whole body read off the wire, within ``limits``
    (as ``body.read_body`` does while streaming), and unwrap a gzip file inside it."""
    decoder = decoder_for(content_encoding, whole_step(len(data), limits))
    if isinstance(decoder, _Identity):
        plain = data
    else:
        counter = _Counter(limits, compressed=True)
        counter.wire = len(data)
        parts: list[bytes] = []
        try:
            _collect(decoder.feed(data), counter, parts)
            _collect(decoder.flush(), counter, parts)
        except (zlib.error, brotli.error) as exc:
            raise ContentError(f"corrupt {content_encoding} body: {exc}",
                               reason="bad_content") from exc
        plain = b"".join(parts)
    return gunzip_file(plain, limits)


def decode_page(page: WirePage) -> PageText:
    """The page's text; ``ContentError`` (with the page's URL) for a body that is too
    large, a bomb, corrupt, empty, binary, untyped non-markup or of a broken charset."""
    try:
        body = decode_body(page.data, page.content_encoding, page.limits)
        return text_of(body, page.content_type, page.content_types)
    except ContentError as exc:
        exc.url = page.url
        raise


def text_of(body: bytes, content_type: str, content_types: tuple[str, ...] | None) -> PageText:
    """Decoded text of a plain body, after the empty, binary and markup checks."""
    # Blank (bytes.strip's whitespace) without strip's copy of a whole page that ends
    # in a newline: 9 us of 24 of this function on the idn pages.
    if not body or body.isspace():
        raise ContentError("empty body", reason="empty_body")
    if content_types is not None and body.startswith(_BINARY_MAGIC):
        raise ContentError("binary file served as a page", reason="not_html")
    decoded = charset.decode(body, content_type)
    untyped = content_types is not None and not media_type(content_type)
    if untyped and not decoded.text.lstrip().startswith("<"):
        raise ContentError("untyped body is not markup", reason="not_html")
    return PageText(decoded.text, decoded.charset, _utf8_bytes(body, decoded))


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _utf8_bytes(body: bytes, decoded: charset.Decoded) -> bytes:
    """The body itself when decoding proved it BOM-less UTF-8 (or ASCII), else nothing."""
    if decoded.charset == "utf-8" and not body.startswith(codecs.BOM_UTF8):
        return body
    return body if body.isascii() else b""
