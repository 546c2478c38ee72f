"""Turn raw page bytes into text: BOM, declared charset (sniffed as the fetcher
does, ``kabar.fetch.charset``), fallbacks, and detection of binary payloads
that are not HTML at all."""

from __future__ import annotations

import codecs
import re

from kabar.errors import BadInputError
from kabar.fetch.charset import declared_charset, normalize

#: How much of the page start is searched for a ``<meta charset>`` declaration.
SNIFF_BYTES = 4096
#: Share of control characters (excluding whitespace) above which input is binary.
MAX_CONTROL_RATIO = 0.05

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
#: Stretch of a page checked for UTF-8 at a time (most are plain ASCII and only looked at).
#: A stretch holding one curly quote is decoded whole: 8 KB stretches decode a quarter less
#: of an Indonesian portal page than 16 KB ones (callgrind: 248K -> 188K instructions a page
#: over corpus/idn), and 4 KB ones spend more on the loop than they spare.
VALIDATE_CHUNK = 1 << 13
_utf8_decoder = codecs.getincrementaldecoder("utf-8")
#: Share of U+FFFD replacement characters above which the declared charset is wrong.
MAX_REPLACEMENT_RATIO = 0.1
def is_binary(data: bytes) -> bool:
    """Whether the sample looks like a binary payload rather than markup."""
    sample = data[:SNIFF_BYTES]
    if not sample:
        return False
    if b"\x00" in sample and not _has_utf16_bom(sample):
        return True
    # Deleting the control bytes and measuring what went is a C loop; a regex is slower.
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls / len(sample) > MAX_CONTROL_RATIO


def _has_utf16_bom(sample: bytes) -> bool:
    return sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _bomless_utf16(sample: bytes) -> str | None:
    """``utf-16-le``/``-be`` when ASCII markup alternates with NULs (no BOM)."""
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_html(data: bytes | str, charset: str | None = None) -> str:
    """Decode page bytes to text; raise ``BadInputError`` for binary payloads."""
    if isinstance(data, str):
        return data
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _checked(data[len(bom) :].decode(name, "replace"))
    utf16 = _bomless_utf16(data[:SNIFF_BYTES])
    if utf16:
        return _checked(data.decode(utf16, "replace"))
    if is_binary(data):
        raise BadInputError("input looks binary, not HTML", reason="binary_input")
    # Bytes that are valid UTF-8 are UTF-8, whatever a (often stale) declaration says:
    # legacy text almost never forms valid multi-byte sequences by chance.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mixed = data.decode("utf-8", "replace")
    if len(_UTF8_SEQUENCE.findall(data)) > mixed.count("\ufffd"):
        return mixed  # mostly UTF-8 with a few stray legacy bytes
    for label in (normalize(charset), declared_charset(data)):
        if label:
            try:
                return data.decode(label)
            except UnicodeDecodeError:
                continue
    return data.decode("cp1252", "replace")


def parser_input(data: bytes | str) -> bytes | str:
    """What to hand the parser: the bytes themselves when they are BOM-less UTF-8
    (lexbor reads UTF-8, so decoding and re-encoding them would be wasted), else text."""
    if (
        isinstance(data, str)
        or data.startswith(BOM_PREFIXES)
        or _bomless_utf16(data[:SNIFF_BYTES])
    ):
        return decode_html(data)
    if is_binary(data):
        raise BadInputError("input looks binary, not HTML", reason="binary_input")
    return data if _valid_utf8(data) else decode_html(data)


def _valid_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, decoding only the stretches that are not ASCII:
    decoding the whole page builds a second copy of it as text (twice its size once a
    curly quote widens it), only to be thrown away."""
    if data.isascii():
        return True
    decoder = _utf8_decoder()
    for at in range(0, len(data), VALIDATE_CHUNK):
        piece = data[at : at + VALIDATE_CHUNK]
        if piece.isascii() and not decoder.getstate()[0]:
            continue  # plain ASCII with no sequence left open before it
        try:
            decoder.decode(piece)
        except UnicodeDecodeError:
            return False
    try:
        decoder.decode(b"", True)  # a sequence cut off by the end of the page
    except UnicodeDecodeError:
        return False
    return True


def _checked(text: str) -> str:
    if text and text.count("\ufffd") > len(text) * MAX_REPLACEMENT_RATIO:
        raise BadInputError("text does not decode in its declared charset", reason="bad_charset")
    return text
