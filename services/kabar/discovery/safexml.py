"""Careful XML parsing for feeds and sitemaps: no DTD, bounded cost.

Documents with a DTD (or any other ``<!`` declaration) are refused outright:
entity and attribute-list declarations are the only way to build "billion
laughs" expansions, defaulted-attribute floods or external references, and no
genuine feed or sitemap needs one. The check scans the very text the parser
is given, each time it is given one, so a repair that drops a control byte
cannot reveal a declaration the check did not see. Real feeds are often not
quite XML, so a failed parse is retried once after repairs: HTML named
entities (``&nbsp;``) become character references, bare ``&`` are escaped,
control characters go.

Parsing is incremental: the text is fed in chunks, each entry (``<url>``,
``<item>``...) is handed to a converter when it ends and then dropped from the
tree, so memory holds one entry, not the document. The number of entries,
the number of elements and the nesting depth are capped (``XmlLimits``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.entities import name2codepoint
from typing import Generic, TypeVar, cast

from kabar.errors import ContentError

_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_ENTITY = re.compile(r"&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)?")
_HTML_START = re.compile(r"<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_ENTITIES = frozenset({"amp;", "lt;", "gt;", "quot;", "apos;"})
#: Markup that may hide a declaration: processing instructions and ``<!`` constructs.
_MARKUP = re.compile(r"<[!?]")
#: Characters fed to the parser at a time: small enough that one feed call holds
#: the GIL only briefly (the event loop thread gets its turn between calls).
_CHUNK = 64 * 1024
#: Elements inside one entry (an entry is a few fields; more is an attack).
_MAX_ENTRY_ELEMENTS = 1000

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """What one feed or sitemap may cost."""

    #: Entries (``<url>``, ``<sitemap>``, ``<item>``, ``<entry>``) in one document;
    #: 50,000 is the sitemap protocol's own limit.
    max_entries: int = 50_000
    #: Elements in one document, entries' fields included.
    max_elements: int = 1_000_000
    #: Nesting depth (feeds and sitemaps are a handful of levels deep).
    max_depth: int = 100


DEFAULT_LIMITS = XmlLimits()


@dataclass(frozen=True, slots=True)
class XmlEntries(Generic[_T]):
    """The root element's local name and the converted entries, in document order."""

    root: str
    entries: list[_T]


def parse_entries(
    text: str,
    entry_tags: frozenset[str],
    convert: Callable[[ET.Element], _T | None],
    limits: XmlLimits = DEFAULT_LIMITS,
) -> XmlEntries[_T]:
    """Stream ``text`` and convert each element whose local name is in ``entry_tags``.

    Raises ContentError: ``not_xml`` (an HTML page), ``xml_dtd_refused``,
    ``malformed_xml``, ``too_many_entries``, ``xml_too_large`` or ``xml_too_deep``.
    """
    text = text.lstrip("\ufeff")
    prolog_end = _PROLOG.match(text)
    if _HTML_START.match(text, prolog_end.end() if prolog_end else 0):
        raise ContentError("an HTML page where XML was expected", reason="not_xml")
    try:
        return _stream(text, entry_tags, convert, limits)
    except ET.ParseError:
        pass
    try:
        return _stream(_repair(text), entry_tags, convert, limits)
    except ET.ParseError as exc:
        raise ContentError(f"not well-formed XML: {exc}", reason="malformed_xml") from exc


def refuse_declarations(text: str) -> None:
    """Raise ``xml_dtd_refused`` if the parser would meet a ``<!DOCTYPE``,
    ``<!ENTITY`` or any ``<!`` other than a comment or CDATA section.

    Only markup can open a declaration, so the scan skips what the parser
    skips: comments, CDATA sections and processing instructions. Where one is
    left unterminated the parser fails at that point, before anything beyond.
    """
    pos = 0
    while (match := _MARKUP.search(text, pos)) is not None:
        start = match.start()
        if text.startswith("<?", start):
            closer = "?>"
        elif text.startswith("<!--", start):
            closer = "-->"
        elif text.startswith("<![CDATA[", start):
            closer = "]]>"
        else:
            raise ContentError("XML with a DTD or declaration is refused", reason="xml_dtd_refused")
        end = text.find(closer, start + 2)
        if end < 0:
            return
        pos = end + len(closer)


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


def _stream(
    text: str,
    entry_tags: frozenset[str],
    convert: Callable[[ET.Element], _T | None],
    limits: XmlLimits,
) -> XmlEntries[_T]:
    refuse_declarations(text)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    path: list[ET.Element] = []  # open elements, root first
    entry_depth = 0  # depth of the entry being read (0: none)
    entry_start = 0  # the element count when it began
    found: list[_T] = []
    root = ""
    elements = 0
    is_entry: dict[str, bool] = {}  # tag -> local name in entry_tags (few distinct tags)
    for offset in range(0, len(text), _CHUNK):
        parser.feed(text[offset : offset + _CHUNK])
        # Only start and end events were asked for: (name, element) pairs.
        events = cast(Iterator[tuple[str, ET.Element]], parser.read_events())
        for event, element in events:
            if event == "start":
                elements += 1
                path.append(element)
                if elements == 1:
                    root = local(element.tag)
                if elements > limits.max_elements or len(path) > limits.max_depth:
                    _refuse_size(elements, limits)
                if entry_depth:
                    if elements - entry_start > _MAX_ENTRY_ELEMENTS:
                        raise ContentError(f"an entry of more than {_MAX_ENTRY_ELEMENTS} "
                                           "elements", reason="xml_too_large")
                    continue
                tag = element.tag
                entry = is_entry.get(tag)
                if entry is None:
                    entry = is_entry[tag] = local(tag) in entry_tags
                if entry:
                    entry_depth, entry_start = len(path), elements
                continue
            if len(path) == entry_depth:
                entry_depth = 0
                item = convert(element)
                if item is not None:
                    found.append(item)
                    if len(found) > limits.max_entries:
                        raise ContentError(f"more than {limits.max_entries} entries",
                                           reason="too_many_entries")
            path.pop()
            if path and not entry_depth:
                # Outside an entry nothing is kept: drop what ended (always the last child).
                del path[-1][-1]
    parser.close()
    return XmlEntries(root, found)


def _refuse_size(elements: int, limits: XmlLimits) -> None:
    if elements > limits.max_elements:
        raise ContentError(f"more than {limits.max_elements} elements", reason="xml_too_large")
    raise ContentError(f"nested deeper than {limits.max_depth}", reason="xml_too_deep")


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
