"""Careful XML parsing for feeds and sitemaps.

Documents with a DTD are refused outright: entity declarations are the only
way to build "billion laughs" expansions or external references, and no
genuine feed or sitemap needs one. Real feeds are often not quite XML, so a
failed parse is retried once after repairs: HTML named entities (``&nbsp;``)
become character references, bare ``&`` are escaped, control characters go.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.entities import name2codepoint

from kabar.errors import ContentError

_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_ENTITY = re.compile(r"&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)?")
_HTML_START = re.compile(r"<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_ENTITIES = frozenset({"amp;", "lt;", "gt;", "quot;", "apos;"})


def parse_xml(text: str) -> ET.Element:
    """Parse a feed or sitemap; raise ContentError (reason ``malformed_xml``) if unusable."""
    text = text.lstrip("\ufeff")
    prolog_end = _PROLOG.match(text)
    rest = text[prolog_end.end() if prolog_end else 0 :]
    if _HTML_START.match(rest):
        raise ContentError("an HTML page where XML was expected", reason="not_xml")
    if rest[:9].upper() == "<!DOCTYPE" or rest[:8].upper() == "<!ENTITY":
        raise ContentError("XML with a DTD is refused", reason="xml_dtd_refused")
    try:
        return ET.fromstring(text)
    except ET.ParseError:
        pass
    try:
        return ET.fromstring(_repair(text))
    except ET.ParseError as exc:
        raise ContentError(f"not well-formed XML: {exc}", reason="malformed_xml") from exc


def local(tag: object) -> str:
    """Tag name without its namespace (``{http://...}link`` -> ``link``)."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if local(child.tag) == name)


def child_text(element: ET.Element, *names: str) -> str | None:
    """Stripped text of the first child with one of the local ``names`` (in that order)."""
    for name in names:
        for child in children(element, name):
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return None


def _repair(text: str) -> str:
    return _ENTITY.sub(_fix_entity, _CONTROL.sub("", text))


def _fix_entity(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref is None:
        return "&amp;"
    if ref.startswith("#") or ref in _XML_ENTITIES:
        return match.group(0)
    codepoint = name2codepoint.get(ref[:-1])
    return f"&#{codepoint};" if codepoint is not None else f"&amp;{ref}"
