"""Streaming body reader: size limits, bounded decompression, gzip files."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import brotli
import pytest

from kabar.errors import ContentError
from kabar.fetch.body import Limits, decoder_for, gunzip_file, read_body, whole_step
from kabar.fetch.page import decode_body

MB = 1024 * 1024
PAGE = ("<p>Warga desa bergotong royong membersihkan saluran air.</p>" * 200).encode()


async def chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


class Counting:
    """An endless zero stream that remembers how much was pulled from it."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __call__(self) -> AsyncIterator[bytes]:
        while True:
            self.pulled += 65536
            yield b"\0" * 65536


def compress(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(data)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "raw-deflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return packer.compress(data) + packer.flush()
    return bytes(brotli.compress(data, quality=4))


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
async def test_decodes_each_coding(coding: str) -> None:
    header = "deflate" if coding == "raw-deflate" else coding
    body = await read_body(chunks(compress(PAGE, coding)), header, Limits(MB, 100))
    assert body.data == PAGE
    assert body.wire_bytes < len(PAGE)


async def test_identity_passes_through() -> None:
    body = await read_body(chunks(PAGE), None, Limits(MB, 100))
    assert body.data == PAGE and body.wire_bytes == len(PAGE)


async def test_multi_member_gzip() -> None:
    data = gzip.compress(b"<p>satu</p>") + gzip.compress(b"<p>dua</p>")
    body = await read_body(chunks(data, 7), "gzip", Limits(MB, 100))
    assert body.data == b"<p>satu</p><p>dua</p>"


async def test_stops_reading_past_the_limit() -> None:
    source = Counting()
    with pytest.raises(ContentError) as info:
        await read_body(source(), "identity", Limits(MB, 100))
    assert info.value.reason == "too_large"
    assert source.pulled <= MB + 65536


def bomb(coding: str, expanded: int) -> bytes:
    zeros = b"\0" * expanded
    return compress(zeros, coding)


@pytest.mark.parametrize("coding", ["gzip", "br"])
async def test_bomb_is_refused(coding: str) -> None:
    data = bomb(coding, 32 * MB)
    with pytest.raises(ContentError) as info:
        await read_body(chunks(data), coding, Limits(8 * MB, 100))
    assert info.value.reason == "decompression_bomb"


async def test_compressible_but_big_page_is_too_large_not_a_bomb() -> None:
    text = b"".join(b"<p>Paragraf %d tentang harga beras.</p>" % i for i in range(60000))
    data = gzip.compress(text)
    assert len(text) / len(data) < 100
    with pytest.raises(ContentError) as info:
        await read_body(chunks(data), "gzip", Limits(MB, 100))
    assert info.value.reason == "too_large"


async def test_corrupt_gzip_is_content_error() -> None:
    with pytest.raises(ContentError):
        await read_body(chunks(b"\x1f\x8b\x08\x00garbage-garbage"), "gzip", Limits(MB, 100))


async def test_unknown_coding_is_read_as_identity() -> None:
    body = await read_body(chunks(PAGE), "utf-8", Limits(MB, 100))
    assert body.data == PAGE


def test_gunzip_file() -> None:
    xml = b"<urlset><url><loc>https://a.test/1</loc></url></urlset>"
    assert gunzip_file(gzip.compress(xml), Limits(MB, 100)) == xml
    assert gunzip_file(xml, Limits(MB, 100)) == xml
    with pytest.raises(ContentError) as info:
        gunzip_file(bomb("gzip", 16 * MB), Limits(8 * MB, 100))
    assert info.value.reason == "decompression_bomb"


#: A page larger than brotli's output steps (each paragraph its own words, so it does
#: not shrink to nothing): every coding must give all of it back.
BIG_PAGE = b"".join(b"<p>Paragraf %d: harga beras naik %d persen di pasar %d.</p>"
                    % (i, i * 7 % 93, i * 13 % 71) for i in range(6000))


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
@pytest.mark.parametrize("step", [4096, 1 << 20])
async def test_a_big_page_is_decoded_whole(coding: str, step: int) -> None:
    assert len(BIG_PAGE) > 300_000
    header = "deflate" if coding == "raw-deflate" else coding
    packed = compress(BIG_PAGE, coding)
    body = await read_body(chunks(packed, step), header, Limits(MB, 100))
    assert body.data == BIG_PAGE
    assert decode_body(packed, header, Limits(MB, 100)) == BIG_PAGE


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_a_whole_body_decoded_at_once_keeps_the_limits(coding: str) -> None:
    with pytest.raises(ContentError) as info:
        decode_body(bomb(coding, 32 * MB), coding, Limits(8 * MB, 100))
    assert info.value.reason == "decompression_bomb"
    text = b"".join(b"<p>Paragraf %d tentang harga beras.</p>" % i for i in range(60000))
    with pytest.raises(ContentError) as info:
        decode_body(compress(text, coding), coding, Limits(MB, 100))
    assert info.value.reason == "too_large"
    with pytest.raises(ContentError) as info:
        decode_body(b"\x1f\x8b\x08\x00garbage-garbage", "gzip", Limits(MB, 100))
    assert info.value.reason == "bad_content"
    nested = gzip.compress(gzip.compress(PAGE))  # a .gz file served gzipped
    assert decode_body(nested, "gzip", Limits(MB, 100)) == PAGE


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
def test_a_whole_body_within_the_limits_inflates_in_one_call(coding: str) -> None:
    header = "deflate" if coding == "raw-deflate" else coding
    packed = compress(BIG_PAGE, coding)
    decoder = decoder_for(header, whole_step(len(packed), Limits(MB, 100)))
    assert [out for out in decoder.feed(packed) if out] == [BIG_PAGE]
    two = gzip.compress(PAGE) + gzip.compress(BIG_PAGE)  # members, each a call
    assert decode_body(two, "gzip", Limits(MB, 100)) == PAGE + BIG_PAGE


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_a_whole_bomb_stops_one_byte_past_what_the_limits_allow(coding: str) -> None:
    packed = bomb(coding, 64 * MB)
    for limits in (Limits(8 * MB, 100), Limits(64 * MB, 4)):
        step = whole_step(len(packed), limits)
        allowed = min(limits.max_bytes, max(MB, int(limits.max_ratio * len(packed))))
        assert step == allowed + 1
        first = next(iter(decoder_for(coding, step).feed(packed)))
        # No more inflated than that before it is judged (brotli's limit is on the
        # buffer it grows, in blocks: it may pass it, by less than as much again).
        assert len(first) == step if coding == "gzip" else step <= len(first) < 2 * step
        with pytest.raises(ContentError) as info:
            decode_body(packed, coding, limits)
        assert info.value.reason == "decompression_bomb"
