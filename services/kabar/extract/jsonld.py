"""Article facts from JSON-LD ``<script type="application/ld+json">`` blocks.

Finds the article node among plain objects, lists, ``@graph`` arrays and
``mainEntity`` wrappers, resolves ``@id`` references (authors in a graph), and
tolerates the broken JSON portals ship: comments and CDATA wrappers, raw
newlines inside strings, trailing commas, concatenated objects. When a block
still does not parse, the key article fields are salvaged with regexes.
Values come back raw (unnormalised); metadata.py decides what to trust.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

ARTICLE_TYPES = frozenset(
    {
        "newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
        "askpublicnewsarticle", "satiricalarticle", "techarticle", "report", "socialmediaposting",
    }
)  # fmt: skip
PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage", "mediagallery"})
MAX_DEPTH = 4

MAX_BLOCKS = 20
_MARK = b"application/ld+json"
_WRAPPERS = re.compile(r"<!--|-->|//\s*<!\[CDATA\[|//\s*\]\]>|<!\[CDATA\[|\]\]>")
_CONTROL = re.compile(r"[\x00-\x1f]+")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_ADJACENT_OBJECTS = re.compile(r"}\s*{")
_SALVAGE_KEYS = ("headline", "datePublished", "dateModified", "description", "articleSection")
_SALVAGE = {key: re.compile(r'"' + key + r'"\s*:\s*"((?:[^"\\]|\\.)*)"') for key in _SALVAGE_KEYS}
_SALVAGE_AUTHOR = re.compile(
    r'"author"\s*:\s*(?:\[\s*)?(?:"((?:[^"\\]|\\.)*)"|\{[^{}]*?"name"\s*:\s*"((?:[^"\\]|\\.)*)")'
)


@dataclass(frozen=True, slots=True)
class LinkedData:
    """Raw article fields found in a page's JSON-LD (empty when there is none)."""

    headline: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    section: str | None = None
    keywords: tuple[str, ...] = ()
    image: str | None = None
    description: str | None = None
    url: str | None = None
    language: str | None = None
    publisher: str | None = None
    breadcrumbs: tuple[str, ...] = ()


def blocks_in_html(raw: bytes) -> list[str]:
    """The JSON-LD script bodies of a page, cut from its raw bytes.

    A string search costs a fraction of a DOM query, and script bodies hold no
    markup to parse: they end at the first ``</script``.
    """
    blocks: list[str] = []
    at = raw.find(_MARK)
    while at >= 0 and len(blocks) < MAX_BLOCKS:
        tag = raw.rfind(b"<", 0, at)
        opened = raw.find(b">", at)
        closed = raw.find(b"</script", opened) if opened >= 0 else -1
        if closed < 0:
            break
        if raw[tag : tag + 7].lower() == b"<script" and raw.find(b">", tag, at) < 0:
            blocks.append(raw[opened + 1 : closed].decode("utf-8", "replace"))
            at = raw.find(_MARK, closed)
        else:  # the mark sat in some script's code, not in a tag
            at = raw.find(_MARK, at + len(_MARK))
    return blocks


def read_linked_data(blocks: Iterable[str]) -> LinkedData:
    """Merge the article facts of every JSON-LD block of one page."""
    nodes: list[Mapping[str, Any]] = []
    salvaged: list[LinkedData] = []
    for block in blocks:
        data = _load(block)
        if data is None:
            salvaged.append(_salvage(block))
        else:
            nodes.extend(_walk(data, 0))
    by_id = {str(n["@id"]): n for n in nodes if isinstance(n.get("@id"), str)}
    article = _first_of(nodes, ARTICLE_TYPES) or _first_of(nodes, PAGE_TYPES)
    crumbs = _breadcrumbs(nodes)
    if article is None:
        if not salvaged:  # most such pages: built at once (``replace`` costs a dozen reads)
            return LinkedData(breadcrumbs=crumbs)
        return dataclasses.replace(salvaged[0], breadcrumbs=crumbs)
    return _from_node(article, by_id, crumbs)


def _load(block: str) -> Any:
    text = block.strip()
    if not text:
        return None
    for candidate in _repairs(text):
        try:
            return orjson.loads(candidate)
        except orjson.JSONDecodeError:
            continue
    return None


def _repairs(text: str) -> Iterator[str]:
    yield text
    cleaned = _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", _WRAPPERS.sub("", text))).strip()
    yield cleaned
    yield "[" + _ADJACENT_OBJECTS.sub("},{", cleaned) + "]"


def _walk(data: Any, depth: int) -> Iterator[Mapping[str, Any]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in data:
                yield from _walk(data[key], depth + 1)


def _types(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {v.lower().rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _first_of(nodes: list[Mapping[str, Any]], wanted: frozenset[str]) -> Mapping[str, Any] | None:
    return next((n for n in nodes if _types(n) & wanted), None)


def _from_node(
    node: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]], crumbs: tuple[str, ...]
) -> LinkedData:
    return LinkedData(
        headline=_text(node.get("headline")) or _text(node.get("name")),
        authors=tuple(_names(node.get("author"), by_id))
        or tuple(_names(node.get("creator"), by_id)),
        published=_text(node.get("datePublished")) or _text(node.get("dateCreated")),
        modified=_text(node.get("dateModified")),
        section=_text(node.get("articleSection")),
        keywords=_keywords(node.get("keywords")),
        image=_url(node.get("image"), by_id) or _url(node.get("thumbnailUrl"), by_id),
        description=_text(node.get("description")),
        url=_url(node.get("url"), by_id) or _url(node.get("mainEntityOfPage"), by_id),
        language=_text(node.get("inLanguage")),
        publisher=next(iter(_names(node.get("publisher"), by_id)), None),
        breadcrumbs=crumbs,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _names(value: Any, by_id: Mapping[str, Mapping[str, Any]]) -> Iterator[str]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = by_id.get(item["@id"], item)
        name = item.get("name") if isinstance(item, dict) else item
        text = _text(name)
        if text:
            yield text


def _url(value: Any, by_id: Mapping[str, Mapping[str, Any]]) -> str | None:
    if isinstance(value, list):
        return next((u for u in (_url(v, by_id) for v in value) if u), None)
    if isinstance(value, dict):
        if "url" not in value and isinstance(value.get("@id"), str):
            value = by_id.get(value["@id"], value)
        return _text(value.get("url")) or _text(value.get("contentUrl")) or _text(value.get("@id"))
    return _text(value)


def _keywords(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def _breadcrumbs(nodes: list[Mapping[str, Any]]) -> tuple[str, ...]:
    trail = _first_of(nodes, frozenset({"breadcrumblist"}))
    items = trail.get("itemListElement") if trail else None
    if not isinstance(items, list):
        return ()
    ordered = sorted(
        (i for i in items if isinstance(i, dict)), key=lambda i: _position(i.get("position"))
    )
    names = (_text(i.get("name")) or _item_name(i.get("item")) for i in ordered)
    return tuple(n for n in names if n)


def _position(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _item_name(item: Any) -> str | None:
    return _text(item.get("name")) if isinstance(item, dict) else None


def _salvage(block: str) -> LinkedData:
    found = {key: m.group(1) for key, rx in _SALVAGE.items() if (m := rx.search(block))}
    fields = {key: _unescape(value) for key, value in found.items()}
    author = _SALVAGE_AUTHOR.search(block)
    authors = (_unescape(author.group(1) or author.group(2)),) if author else ()
    return LinkedData(
        headline=fields.get("headline"),
        authors=tuple(a for a in authors if a),
        published=fields.get("datePublished"),
        modified=fields.get("dateModified"),
        section=fields.get("articleSection"),
        description=fields.get("description"),
    )


def _unescape(raw: str) -> str:
    try:
        value = orjson.loads(b'"' + raw.encode("utf-8", "replace") + b'"')
    except orjson.JSONDecodeError:
        return raw.strip()
    return value.strip() if isinstance(value, str) else raw.strip()
