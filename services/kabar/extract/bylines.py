"""Author names: finding byline lines in page text and normalising raw author strings.

Portals write bylines as "Penulis: X", "Reporter: X | Editor: Y", "Oleh: X",
"Pewarta: X", "X - detikNews" or put the portal itself ("Liputan6.com", "Tim
Redaksi", "Kompas Cyber Media") in the author field. Editors are not authors;
site names, desks and job titles are dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

MAX_NAME_CHARS = 60
MAX_NAME_WORDS = 6

NOISE = frozenset(
    {
        "admin", "administrator", "redaksi", "tim redaksi", "redaksi online", "editor",
        "reporter", "penulis", "pewarta", "kontributor", "jurnalis", "wartawan", "staff",
        "staf", "newsroom", "desk", "web", "webmaster", "unknown", "anonymous", "anonim",
        "guest", "tamu", "humas", "rilis", "press release", "siaran pers", "dan", "and",
        "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu", "ahad", "monday",
        "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "foto", "video",
    }
)  # fmt: skip
_NOISE_PREFIXES = ("tim ", "team ", "redaksi ", "admin ", "pt ", "pt. ", "cv ", "cv. ")
#: Words naming a company, not a person ("PT Viva Media Baru", "Kompas Cyber Media").
ORG_WORDS = frozenset(
    {"tbk", "media", "group", "grup", "network", "corporation", "corp", "inc", "ltd", "llc"}
)
_LABEL = r"(?:penulis|reporter|pewarta|ditulis\s+oleh|oleh|writer|author|kontributor)"
_STOP = (
    r"(?=\s*(?:$|\n|\||•|·|\beditor\b|\bredaktur\b|\bsumber\b|\bfoto\b|\bfotografer\b|\s-\s|\())"
)
# Words a byline starts with; found with str.find, then the patterns below are
# matched at those spots only (a regex scan of a whole page is far slower).
_LABEL_WORDS = ("penulis", "reporter", "pewarta", "oleh", "writer", "author", "kontributor", "by")
# "Penulis: X" (the colon makes it a label, not prose).
_LABELLED = re.compile(
    _LABEL + r"\s*:\s*(?P<name>[^\n|:•·]{2,80}?)" + _STOP, re.IGNORECASE | re.MULTILINE
)
# "Oleh Budi Santoso" alone on a line: capitalised words only.
_BARE = re.compile(
    r"(?:Oleh|Penulis|Reporter|Pewarta|By)\s+"
    r"(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4})[ \t]*$",
    re.MULTILINE,
)
MAX_LABEL_HITS = 400
_LEADING_LABEL = re.compile(
    # "Kontributor Ngawi, X", "Penulis: X", "By X", "Analysis by X", "Laporan oleh X"
    r"^\s*kontributor\s+[^,]{2,40},\s*|^\s*(?:\w+\s+)?(?:" + _LABEL + r"|by)\b\s*:?\s*",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\+|/|\s-\s|\s\|\s|\bdan\b|\band\b)\s*", re.IGNORECASE)
_DOMAIN = re.compile(r"\.(?:com|co\.id|id|net|org|tv|news|co)\b", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[\W_]+")
_URL_START = re.compile(r"\s*(?:https?:|www\.)", re.IGNORECASE)
_URLISH = re.compile(r"https?:|www\.|@|\d", re.IGNORECASE)
_EDGE_PUNCT = " \t\n\r.,:;-–—|()[]\"'"


def authors_in_text(text: str) -> tuple[str, ...]:
    """Raw author strings from byline lines ("Penulis: X", "Oleh X") in ``text``."""
    spots = _label_spots(text)
    found = [m.group("name") for p in spots if (m := _LABELLED.match(text, p))]
    if not found:
        found = [
            m.group("name") for p in spots if _line_start(text, p) and (m := _BARE.match(text, p))
        ]
    return tuple(found)


def _label_spots(text: str) -> list[int]:
    """Offsets where a byline label word starts (at a word boundary)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # case folding changed offsets; rare scripts
        lowered = text
    spots: list[int] = []
    for word in _LABEL_WORDS:
        at = lowered.find(word)
        while at >= 0 and len(spots) < MAX_LABEL_HITS:
            if at == 0 or not lowered[at - 1].isalnum():
                spots.append(at)
            at = lowered.find(word, at + len(word))
    return sorted(spots)


def _line_start(text: str, at: int) -> bool:
    line_begins = text.rfind("\n", 0, at) + 1
    return not text[line_begins:at].strip()


def normalize_authors(raws: Iterable[str], brands: Iterable[str] = ()) -> tuple[str, ...]:
    """Split, clean and filter raw author strings into distinct person names."""
    brand_keys = tuple(b for b in (_key(x) for x in brands) if len(b) >= 3)
    names: list[str] = []
    seen: set[str] = set()
    for raw in raws:
        if _URL_START.match(raw):
            continue
        for part in _SPLIT.split(_LEADING_LABEL.sub("", _unescape(raw))):
            name = _tidy(part)
            if name and name.lower() not in seen and _is_person(name, brand_keys):
                seen.add(name.lower())
                names.append(name)
    return tuple(names)


def is_site_like(text: str, brand_keys: Iterable[str]) -> bool:
    """True when ``text`` names the site itself ("Kompas.com", "detikinet")."""
    key = _key(text)
    return bool(_DOMAIN.search(text)) or any(b and _key(b) in key for b in brand_keys)


def _site_like(text: str, keys: tuple[str, ...]) -> bool:
    """``is_site_like`` with the brands already keyed (and none empty)."""
    key = _key(text)
    return bool(_DOMAIN.search(text)) or any(b in key for b in keys)


def _unescape(raw: str) -> str:
    return html.unescape(raw) if "&" in raw else raw


def _tidy(part: str) -> str:
    name = " ".join(part.split()).strip(_EDGE_PUNCT)
    return name.title() if name.isupper() and len(name) > 3 else name


def _is_person(name: str, brand_keys: tuple[str, ...]) -> bool:
    lowered = name.lower()
    if not 2 < len(name) <= MAX_NAME_CHARS or len(name.split()) > MAX_NAME_WORDS:
        return False
    if lowered in NOISE or lowered.startswith(_NOISE_PREFIXES) or _URLISH.search(name):
        return False
    if not ORG_WORDS.isdisjoint(lowered.replace(".", " ").replace(",", " ").split()):
        return False
    if name == lowered:  # "prwir": desk codes and initials, not names
        return False
    return not _site_like(name, brand_keys)


def _key(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())
