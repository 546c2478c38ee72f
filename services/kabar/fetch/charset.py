"""Decode fetched bytes to text with the right character set.

Evidence, strongest first: a byte-order mark; bytes that are valid UTF-8
(read as UTF-8 whatever the label says: mislabelled UTF-8 is common, the
reverse accident practically never happens); the Content-Type charset; a
``<meta>`` (or ``<?xml encoding=?>``) declaration near the top; windows-1252.
Labels follow the WHATWG mapping where it differs from Python (latin-1 and
ASCII mean windows-1252). A declared charset the bytes clearly violate is
refused (``bad_charset``): a few stray bad bytes are replaced, a page of
garbage is not passed downstream."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from kabar.errors import ContentError

#: How much of the document start is searched for a declaration.
_SNIFF_BYTES = 4096
#: More replacement characters than this share of the text means "clearly broken".
_BROKEN_SHARE = 0.01
_BROKEN_MIN = 8

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)""")
_HEADER = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_WHATWG = {
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "iso-8859-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "x-sjis": "shift_jis",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str


def header_charset(content_type: str | None) -> str | None:
    match = _HEADER.search(content_type or "")
    return match.group(1) if match else None


def normalize(label: str | None) -> str | None:
    """Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().lower()
    label = _WHATWG.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page cannot really be UTF-16 without a BOM; browsers read such labels as UTF-8.
    return "utf-8" if name.startswith("utf-16") or name.startswith("utf-32") else name


def declared_charset(data: bytes) -> str | None:
    head = data[:_SNIFF_BYTES]
    match = _XML_DECL.match(head) or _META.search(head)
    return normalize(match.group(1).decode("ascii", "replace")) if match else None


def decode(data: bytes, content_type: str | None = None) -> Decoded:
    """Decode ``data``; raises ``ContentError(bad_charset)`` when clearly broken."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(name, "replace"), name)
    declared = normalize(header_charset(content_type)) or declared_charset(data)
    try:
        # Valid UTF-8 beyond ASCII is practically never an accident, while pages
        # labelled latin-1 but written in UTF-8 are common: trust the bytes.
        text = data.decode("utf-8")
        return Decoded(text, declared if declared and text.isascii() else "utf-8")
    except UnicodeDecodeError:
        pass
    name = declared or "windows-1252"
    text = data.decode(name, "replace")
    if _clearly_broken(text):
        raise ContentError(f"bytes are not valid {name}", reason="bad_charset")
    return Decoded(text, name)


def _clearly_broken(text: str) -> bool:
    bad = text.count("\ufffd") + text.count("\x00")  # NULs: binary, not text
    return bad >= _BROKEN_MIN and bad > _BROKEN_SHARE * len(text)
