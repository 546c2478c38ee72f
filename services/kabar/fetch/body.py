"""Read a response body without ever holding more than the limit in memory.

The raw (wire) bytes are streamed and counted, and decompression is done here,
incrementally and with a bounded output per step, so a 10 kB gzip that would
expand to 10 GB is stopped after at most ``max_bytes`` of output. A decoded
size far beyond the wire size is a decompression bomb; a merely big body is
``too_large``.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import brotli

from kabar.errors import ContentError

_STEP = 64 * 1024
#: Below this decoded size a high ratio is harmless (tiny repetitive pages compress well).
_RATIO_FLOOR = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
#: gzip files inside the transfer encoding that are unwrapped (a .xml.gz served
#: gzipped again is common; deeper nesting is not).
MAX_GZIP_LAYERS = 3


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    max_ratio: float
    #: Keep the first ``max_bytes`` and stop reading instead of refusing the body
    #: (robots.txt: RFC 9309 has crawlers parse at least the first 500 KiB).
    truncate: bool = False


@dataclass(frozen=True, slots=True)
class Body:
    data: bytes
    wire_bytes: int


class Decoder(Protocol):
    def feed(self, chunk: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class _Identity:
    def feed(self, chunk: bytes) -> Iterator[bytes]:
        yield chunk

    def flush(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip (possibly multi-member) or deflate (zlib-wrapped or raw), at most ``step``
    bytes of output a call."""

    def __init__(self, wbits: int, step: int = _STEP) -> None:
        self._wbits = wbits
        self._obj = zlib.decompressobj(wbits)
        self._first = True
        self._step = step

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        data = chunk
        while data:
            try:
                out = self._obj.decompress(data, self._step)
            except zlib.error:
                if not (self._first and self._wbits == zlib.MAX_WBITS):
                    raise
                # Some servers send raw deflate under "deflate".
                self._wbits = -zlib.MAX_WBITS
                self._obj = zlib.decompressobj(self._wbits)
                continue
            self._first = False
            yield out
            data = self._obj.unconsumed_tail
            if self._obj.eof and self._obj.unused_data.startswith(_GZIP_MAGIC):
                data = self._obj.unused_data
                self._obj = zlib.decompressobj(self._wbits)

    def flush(self) -> Iterator[bytes]:
        yield self._obj.flush()


class _Brotli:
    def __init__(self, step: int = _STEP) -> None:
        self._obj = brotli.Decompressor()
        self._step = step

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        out: bytes = self._obj.process(chunk, output_buffer_limit=self._step)
        yield out
        # Output held back by the limit comes with further calls without input, until
        # one gives nothing (the decoder needs more input) or the stream ends. Asking
        # ``can_accept_more_data`` instead lost the rest: brotli 1.2 says True while
        # output is still held, and pages over ~96 kB were cut short.
        while out and not self._obj.is_finished():
            out = self._obj.process(b"", output_buffer_limit=self._step)
            yield out

    def flush(self) -> Iterator[bytes]:
        return iter(())


def decoder_for(content_encoding: str | None, step: int = _STEP) -> Decoder:
    """A decoder for a (single) Content-Encoding, giving at most ``step`` bytes of
    output a call.

    Unknown labels (``utf-8``, ``none``: misconfigured servers) are read as
    identity, as browsers do; real binary then fails the charset check.
    """
    coding = (content_encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS, step)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS, step)
    if coding == "br":
        return _Brotli(step)
    return _Identity()


def whole_step(wire: int, limits: Limits) -> int:
    """The output step for a body held whole (``wire`` bytes): one byte more than the
    limits allow it to expand to, so a body within them inflates in one call (in
    64 kB steps, gzip cost 8% more: each step's output and the input left over
    copied, then joined) and one beyond them is judged after that single call,
    having produced no more than the limits' worth plus a byte."""
    most = min(limits.max_bytes, max(_RATIO_FLOOR, int(limits.max_ratio * max(1, wire))))
    return max(1, most) + 1


class _Counter:
    """Checks the running sizes against the limits."""

    def __init__(self, limits: Limits, compressed: bool) -> None:
        self.limits = limits
        self.compressed = compressed
        self.wire = 0
        self.size = 0

    def add_wire(self, n: int) -> None:
        self.wire += n
        if self.wire > self.limits.max_bytes:
            raise ContentError(f"body over {self.limits.max_bytes} bytes", reason="too_large")

    def add_decoded(self, n: int) -> None:
        self.size += n
        bomb = self.size > self.limits.max_ratio * max(1, self.wire)
        if self.compressed and bomb and self.size > _RATIO_FLOOR:
            raise ContentError(
                f"decompressed {self.size} bytes from {self.wire}", reason="decompression_bomb"
            )
        if self.size > self.limits.max_bytes:
            reason = "decompression_bomb" if self.compressed and bomb else "too_large"
            raise ContentError(f"body over {self.limits.max_bytes} bytes", reason=reason)


async def read_body(
    chunks: AsyncIterator[bytes], content_encoding: str | None, limits: Limits
) -> Body:
    """Stream ``chunks`` (raw wire bytes), decode them and enforce ``limits``."""
    decoder = decoder_for(content_encoding)
    if limits.truncate:
        return await _read_prefix(chunks, decoder, limits.max_bytes)
    counter = _Counter(limits, compressed=not isinstance(decoder, _Identity))
    parts: list[bytes] = []
    try:
        async for chunk in chunks:
            counter.add_wire(len(chunk))
            _collect(decoder.feed(chunk), counter, parts)
        _collect(decoder.flush(), counter, parts)
    except (zlib.error, brotli.error) as exc:
        raise ContentError(f"corrupt {content_encoding} body: {exc}", reason="bad_content") from exc
    return Body(b"".join(parts), counter.wire)


async def read_wire(chunks: AsyncIterator[bytes], limits: Limits) -> Body:
    """Stream ``chunks`` (raw wire bytes) as they are, at most ``limits.max_bytes`` of
    them: decoding is left to whoever reads the page (``kabar.fetch.page``), which
    checks the decoded size and ratio as it inflates."""
    counter = _Counter(limits, compressed=False)
    parts: list[bytes] = []
    async for chunk in chunks:
        counter.add_wire(len(chunk))
        parts.append(chunk)
    return Body(b"".join(parts), counter.wire)


async def _read_prefix(chunks: AsyncIterator[bytes], decoder: Decoder, max_bytes: int) -> Body:
    """The first ``max_bytes`` of the decoded body; reading stops there (or once the
    wire passes ``max_bytes`` with less decoded), so no size is ever an error."""
    parts: list[bytes] = []
    size = wire = 0
    try:
        async for chunk in chunks:
            wire += len(chunk)
            for out in decoder.feed(chunk):
                parts.append(out[: max_bytes - size])
                size += len(parts[-1])
                if size >= max_bytes:
                    return Body(b"".join(parts), wire)
            if wire > max_bytes:
                return Body(b"".join(parts), wire)
        parts.extend(decoder.flush())
    except (zlib.error, brotli.error) as exc:
        raise ContentError(f"corrupt body: {exc}", reason="bad_content") from exc
    return Body(b"".join(parts)[:max_bytes], wire)


def gunzip_file(data: bytes, limits: Limits) -> bytes:
    """Expand a body that is itself a gzip file (``sitemap.xml.gz``, or a page
    gzipped twice by a misconfigured server) within the same limits, layer by layer
    up to ``MAX_GZIP_LAYERS``; others unchanged. The ratio is judged against the
    outermost size, so a bomb split across layers is still a bomb."""
    wire = len(data)
    for _ in range(MAX_GZIP_LAYERS):
        if not data.startswith(_GZIP_MAGIC):
            return data
        data = _gunzip_layer(data, wire, limits)
    if data.startswith(_GZIP_MAGIC):
        raise ContentError(
            f"gzip nested more than {MAX_GZIP_LAYERS} deep", reason="decompression_bomb"
        )
    return data


def _gunzip_layer(data: bytes, wire: int, limits: Limits) -> bytes:
    decoder = _Zlib(16 + zlib.MAX_WBITS)
    counter = _Counter(limits, compressed=True)
    counter.wire = wire
    parts: list[bytes] = []
    try:
        _collect(decoder.feed(data), counter, parts)
        _collect(decoder.flush(), counter, parts)
    except zlib.error as exc:
        raise ContentError(f"corrupt gzip file: {exc}", reason="bad_content") from exc
    return b"".join(parts)


def _collect(outputs: Iterable[bytes], counter: _Counter, parts: list[bytes]) -> None:
    for out in outputs:
        if out:
            counter.add_decoded(len(out))
            parts.append(out)
