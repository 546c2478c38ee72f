"""Author names: finding byline lines in page text and normalising raw author strings.

Portals write bylines as "Penulis: X", "Reporter: X | Editor: Y", "Oleh: X",
"Pewarta: X", "X - detikNews" or put the portal itself ("Liputan6.com", "Tim
Redaksi", "Kompas Cyber Media") in the author field. Editors are not authors;
site names, desks and job titles are dropped.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

MAX_NAME_CHARS = 60
MAX_NAME_WORDS = 6


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, Any]:
    text = resources.files("kabar.extract").joinpath("bylines.toml").read_text("utf-8")
    return tomllib.loads(text)


def _words(key: str) -> frozenset[str]:
    """One lowercase word list of ``bylines.toml``."""
    return frozenset(str(word).lower() for word in _vocabulary()[key])


#: Wire agencies (``bylines.toml``): credited beside the writer ("Luis Romero, Associated
#: Press") they are no writer; alone they are the only credit the page gives, and stay.
AGENCIES = _words("agencies")
#: The agencies as a name's last words (" associated press"), longest first: "the
#: associated press" is cut whole, not as "associated press" leaving "the".
_SUFFIX_AGENCIES = tuple(sorted((f" {a}" for a in AGENCIES), key=lambda a: (-len(a), a)))
#: Author fields that name no person (``bylines.toml``): roles, desks, day names.
NOISE = _words("noise")


def only_agencies(names: Iterable[str]) -> bool:
    """Whether every one of ``names`` is a wire agency (and there is one at least)."""
    found = False
    for name in names:
        if name.lower() not in AGENCIES:
            return False
        found = True
    return found


_NOISE_PREFIXES = ("redaksi ", "admin ", "pt ", "pt. ", "cv ", "cv. ")
#: "Tim X" / "Team X" is a desk when X is the site or a newsroom word, else a person
#: ("Tim Rowley").
_TEAM_PREFIXES = ("tim ", "team ")
TEAM_DESKS = _words("team_desks")
#: Words naming a company, not a person ("PT Viva Media Baru", "Kompas Cyber Media").
ORG_WORDS = _words("org_words")
#: The last words of a writer's role ("Transport Correspondent", "Staff Writer").
ROLE_WORDS = _words("role_words")
_LABEL = r"(?:penulis|reporter|pewarta|ditulis\s+oleh|oleh|writer|author|kontributor)"
_STOP = (
    r"(?=\s*(?:$|\n|\||•|·|\beditor\b|\bredaktur\b|\bsumber\b|\bfoto\b|\bfotografer\b|\s-\s|\())"
)
# Words a byline starts with; found with str.find, then the patterns below are
# matched at those spots only (a regex scan of a whole page is far slower).
_LABEL_WORDS = (
    "penulis", "reporter", "pewarta", "oleh", "writer", "author", "kontributor", "by", "rep:",
    "rep :",
)  # fmt: skip
# "Penulis: X" (the colon makes it a label, not prose).
_LABELLED = re.compile(
    _LABEL + r"\s*:\s*(?P<name>[^\n|:•·]{2,80}?)" + _STOP, re.IGNORECASE | re.MULTILINE
)
# "Oleh Budi Santoso" alone on a line: capitalised words only, on that line (the
# capitalised line under it is the writer's desk or outlet: "BC Sport"); or with the town
# it was filed from before a "|" break ("By Chen Yuxi in Kunming | Orient Daily | ...").
_BARE = re.compile(
    r"(?:Oleh|Penulis|Reporter|Pewarta|By)\s+"
    r"(?P<name>[A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){0,4})"
    r"(?:[ \t]*$|[ \t]+in[ \t]+[A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){0,2}[ \t]+\|)",
    re.MULTILINE,
)
#: "ditulis oleh Nama Lengkap" inside a sentence: the verbs before "oleh", and the
#: name (two to five capitalised words) after it.
_WRITTEN_VERBS = ("ditulis ", "disusun ")
_WRITTEN_NAME = re.compile(r"\s+(?P<name>[A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){1,4})\b")
MAX_LABEL_HITS = 400
#: A byline label alone on its line ("Posted by", "Penulis:") is this short.
LABEL_LINE_MAX_CHARS = 24
#: Republika's closing credit "Rep: Nama/Red: Nama" (reporter, then editor): the short
#: label needs its colon, and the name ends at the editor's "Red:".
_REP = re.compile(
    r"rep\s*:\s*(?P<name>[^\n|:/•·]{2,60}?)\s*(?=$|\n|/|\||;|,?\s*red\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
_LEADING_LABEL = re.compile(
    # "Kontributor Ngawi, X", "Penulis: X", "By X", "Analysis by X", "Laporan oleh X".
    # One "^" before the alternation: the regex engine then tries the start only, where
    # "^...|^..." has it try every offset of the name.
    r"^(?:\s*kontributor\s+[^,]{2,40},\s*|\s*(?:\w+\s+)?(?:" + _LABEL + r"|by)\b\s*:?\s*)",
    re.IGNORECASE,
)
#: "Tech - Nadia Putri, CNBC Indonesia": a one-word desk, a dash, the writer, a comma and
#: the site. The desk is cut when the part after the last comma names the site (detik's
#: "Nama - detikNews" puts the name first and has no such comma).
_DESK_PREFIX = re.compile(r"^\s*[^\W\d_]+\s+[-–—]\s+(?=[^,]+,[^,]+$)")
_SPLIT = re.compile(r"\s*(?:,|;|&|\+|/|\s-\s|\s\|\s|\bdan\b|\band\b)\s*", re.IGNORECASE)
#: Characters one of ``_SPLIT``'s separators holds ("dan" and "and" aside).
_SPLIT_MARKS = (",", ";", "&", "+", "/", "-", "|")
_DOMAIN = re.compile(r"\.(?:com|co\.id|id|net|org|tv|news|co)\b", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[\W_]+")
_URL_START = re.compile(r"\s*(?:https?:|www\.)", re.IGNORECASE)
_URLISH = re.compile(r"https?:|www\.|@|\d", re.IGNORECASE)
_EDGE_PUNCT = " \t\n\r.,:;-–—|()[]\"'"
#: A desk's or writer's code in capitals ("WBP", "FMB"), credited after a name: no
#: name of its own (a name printed in capitals is longer: ``_tidy`` title-cases those).
_CAPS_CODE = re.compile(r"[A-Z]{2,4}")


def authors_in_text(text: str) -> tuple[str, ...]:
    """Raw author strings from byline lines ("Penulis: X", "Oleh X") in ``text``."""
    spots = _label_spots(text)
    found = [m.group("name") for p in spots if (m := _LABELLED.match(text, p) or _rep(text, p))]
    if not found:
        found = [
            m.group("name") for p in spots if _line_start(text, p) and (m := _BARE.match(text, p))
        ]
    if not found:
        found = [m.group("name") for p in spots if (m := _written_by(text, p))]
    return tuple(found)


def _written_by(text: str, at: int) -> re.Match[str] | None:
    """A credit in a sentence at the "oleh" of ``at``: "Artikel ini ditulis oleh Nama
    Lengkap peserta magang ..." (the capitalised words after it)."""
    if text[at : at + 4].lower() != "oleh":
        return None
    if not text[max(0, at - 8) : at].lower().endswith(_WRITTEN_VERBS):
        return None
    return _WRITTEN_NAME.match(text, at + 4)


def byline_names(
    text: str, first_line: Sequence[str], brands: Iterable[str] = ()
) -> tuple[str, ...]:
    """The writers a byline tag's text names: its labelled names ("Oleh X", else its first
    line), or the names its credit lists when they are those and more ("By" / "A" /
    "and" / "B": one link per writer, where the label reads the first only)."""
    names = normalize_authors(authors_in_text(text) or first_line, brands)
    if not names:
        return _name_under_label(text, brands)
    if "\n" not in text:
        return names
    listed = normalize_authors(_credits(_credit_pieces(text))[0], brands)
    if len(listed) > len(names) and set(names) <= set(listed):
        return listed
    if len(names) == 1:  # "A" / "," / "B (Town)": one tag per writer, no label
        return names_beside(names[0], text, brands) or names
    return names


def _name_under_label(text: str, brands: Iterable[str]) -> tuple[str, ...]:
    """The name on the line after a byline label standing alone on its own ("Posted by"
    / "A": the name is a link), or nothing."""
    lines = [kept for line in text.splitlines()[:3] if (kept := line.strip())]
    if len(lines) < 2 or len(lines[0]) > LABEL_LINE_MAX_CHARS:
        return ()
    if _LEADING_LABEL.sub("", lines[0]) and _label_of(lines[0]) not in _TRANSLATOR_ALONE:
        return ()
    return normalize_authors([lines[1]], brands) if _looks_like_name(lines[1]) else ()


def _rep(text: str, at: int) -> re.Match[str] | None:
    return _REP.match(text, at) if text[at : at + 3].lower() == "rep" else None


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
    brand_keys: tuple[str, ...] | None = None  # keyed on the first name: most calls get none
    names: list[str] = []
    seen: set[str] = set()
    for raw in raws:
        if _URL_START.match(raw):
            continue
        if brand_keys is None:
            brand_keys = _brand_keys(tuple(brands))
        text = _unescape(raw)
        if " " in text and "," in text:
            text = _without_desk(text, brand_keys)
        for part in _split(_LEADING_LABEL.sub("", text)):
            name = _tidy(part)
            if name and name.lower() not in seen and _is_person(name, brand_keys):
                seen.add(name.lower())
                names.append(name)
    people = [n for n in names if n.lower() not in AGENCIES]
    return tuple(people) if people else tuple(names)


def _split(text: str) -> list[str]:
    """``_SPLIT.split(text)``; a name holding none of the marks and words it splits at
    (most do) comes back whole without the regex, which opens with optional white space
    and so tries every offset. ASCII only: other scripts' case-blind matches stay with it."""
    if text.isascii() and not _has_split_mark(text):
        low = text.lower()
        if "dan" not in low and "and" not in low:
            return [text]
    return _SPLIT.split(text)


def _has_split_mark(text: str) -> bool:
    """Whether ``text`` holds one of ``_SPLIT_MARKS``: a chain of ``in`` tests, without
    the generator an ``any`` over the marks sets up per name."""
    return (
        "," in text or ";" in text or "&" in text or "+" in text
        or "/" in text or "-" in text or "|" in text
    )  # fmt: skip


def _without_desk(text: str, brand_keys: tuple[str, ...]) -> str:
    """``text`` without a leading desk name ("Market - ") when the site closes it."""
    match = _DESK_PREFIX.match(text)
    if match is None or not _site_like(text.rsplit(",", 1)[1].strip(), brand_keys):
        return text
    return text[match.end() :]


@lru_cache(maxsize=256)
def _brand_keys(brands: tuple[str, ...]) -> tuple[str, ...]:
    """The brands as ``_key`` leaves them, short ones dropped (a page asks several times
    for its own site's few brands)."""
    return tuple(b for b in (_key(x) for x in brands) if len(b) >= 3)


def is_desk(name: str, brand_keys: Iterable[str]) -> bool:
    """Whether the words after "Tim" name a newsroom desk rather than a surname."""
    keys = _brand_keys(tuple(brand_keys))
    low = name.lower()
    return low in TEAM_DESKS or low.split()[0] in TEAM_DESKS or _site_like(name, keys)


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


#: A title printed before a writer's name of two words or more ("Dr Rosamund Tell"): no
#: part of the name.
_HONORIFIC = re.compile(r"(?i:dr|prof|professor)\.?\s+(?=[A-Z][\w'’.-]*\s+[A-Z])")


def _tidy(part: str) -> str:
    name = _placeless(" ".join(part.split())).strip(_EDGE_PUNCT)
    if name[:1] in "DdPp" and (title := _HONORIFIC.match(name)) is not None:
        name = name[title.end() :]
    if name.count(" ") >= 2:
        name = _without_agency(name)
    return name.title() if name.isupper() and len(name) > 3 else name


def _without_agency(name: str) -> str:
    """``name`` without a wire agency printed after it with no comma, as a syndicated copy
    of a wire story prints its byline ("PATRICK WHEELOCK Associated Press"), when two
    words or more are left."""
    low = name.lower()
    for agency in _SUFFIX_AGENCIES:
        if low.endswith(agency) and " " in low[: -len(agency)]:
            return name[: -len(agency)].rstrip()
    return name


def _placeless(name: str) -> str:
    """``name`` without the town a field reporter's credit puts after it in brackets
    ("Anggi Kusuma (Lebak)")."""
    if name.endswith(")") and " (" in name:
        return name[: name.rfind(" (")]
    return name


def _is_person(name: str, brand_keys: tuple[str, ...]) -> bool:
    lowered = name.lower()
    if not 2 < len(name) <= MAX_NAME_CHARS or len(name.split()) > MAX_NAME_WORDS:
        return False
    if lowered in NOISE or lowered.startswith(_NOISE_PREFIXES) or _URLISH.search(name):
        return False
    if ":" in name:  # a label left on ("Foto: X", "Text: X"): not who wrote the story
        return False
    if lowered.startswith(_TEAM_PREFIXES) and is_desk(name.split(None, 1)[1], brand_keys):
        return False
    if not ORG_WORDS.isdisjoint(lowered.replace(".", " ").replace(",", " ").split()):
        return False
    if lowered.rsplit(None, 1)[-1] in ROLE_WORDS:
        return False  # the writer's role printed beside the name ("Transport Correspondent")
    if name == lowered:  # "prwir": desk codes and initials, not names
        return False
    if _CAPS_CODE.fullmatch(name) and lowered not in AGENCIES:
        return False  # "Amir Tejo/WBP": the desk's code in capitals after the writer
    return not _site_like(name, brand_keys)


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """``text`` lowercased, letters and digits only (the same few names and brands are
    keyed many times a page)."""
    return _NON_ALNUM.sub("", text.lower())


#: Labels of a printed credit block: who wrote the story, and who edited it.
#: ("laporan": a radio newsroom's "Laporan: A | Editor: B", see COLON_LABELS)
WRITER_LABELS = frozenset(
    {"penulis", "reporter", "pewarta", "writer", "author", "oleh", "ditulis oleh",
     "kontributor", "jurnalis", "wartawan", "by", "laporan"}
)  # fmt: skip
#: Labels that name a writer only with their colon: "Laporan: A", not "Laporan Wartawan
#: Tribun Jogja, A" (read with the lines under the headline).
COLON_LABELS = frozenset({"laporan"})
EDITOR_LABELS = frozenset(
    {"editor", "redaktur", "penyunting", "editing", "editor in chief", "edited by", "ditinjau"}
)
#: A reviewer's label, read as an editor's, and the words between it and the name: a
#: health site's "Ditinjau secara medis oleh dr. B" under "Ditulis oleh A".
REVIEW_LABELS = frozenset({"ditinjau"})
_REVIEWED_BY = re.compile(r"^(?:secara\s+[^\W\d_]+\s+)?oleh\b\s*", re.IGNORECASE)
#: Labels of a translator: the only credit of a translated story ("Translator: A" /
#: "Editor: B") names who wrote the text the reader sees; beside a writer it is dropped.
TRANSLATOR_LABELS = frozenset({"translator", "penerjemah", "translated by", "diterjemahkan oleh"})
#: A translator's label alone on its line ("Translator:"), as ``_label_of`` reads it.
_TRANSLATOR_ALONE = frozenset((label, "") for label in TRANSLATOR_LABELS)
#: Words that may stand between names in a credit ("A, B dan C").
_JOINERS = frozenset({",", "&", "dan", "and", "|", "/", ";", "-"})
_CREDIT_LABEL = re.compile(r"^\s*([^\W\d_][^\W\d_ ]*(?: [^\W\d_]+)?)\s*:?\s*(.*)$")
_NAME_PIECE = re.compile(r"^[^\W\d_][\w.'’ -]{1,60}$")
MAX_CREDIT_NAMES = 4
#: Label words looked for in a page's text, and how much text around them is read.
#: (A translator's label opens a stretch too: a translated story's "Translator: A" line
#: may stand above its "Editor: B" line with no writer's label anywhere.)
CREDIT_LABEL_WORDS = (
    "penulis", "reporter", "pewarta", "kontributor", "writer", "editor", "redaktur", "oleh",
    "edited by", "translator", "penerjemah", "laporan:", "ditulis oleh",
)  # fmt: skip
CREDIT_TAIL_CHARS = 300
CREDIT_MAX_CHARS = 3000
#: Breaks between credit pieces; a comma is kept as a piece of its own (a joiner).
_CREDIT_BREAK = re.compile(r"\s*[|•·;]\s*|\s*(,)\s*")
_BREAK_MARKS = ("|", "•", "·", ";", ",")
#: What a line holding a credit label starts with (lowercase); ``_label_of`` reads no
#: line that does not (its regex matches almost any line whole).
_LABEL_STARTS = tuple(sorted(WRITER_LABELS | EDITOR_LABELS | TRANSLATOR_LABELS))
_LABEL_START_CHARS = max(map(len, _LABEL_STARTS)) + 1
#: Digits, or a possessive ("Ryan Reed's Most Recent Stories"): a label, not a name.
_NOT_NAME = re.compile(r"\d|['’]s\b")
#: (and a physician's title in lower case: "dr. B", a health site's reviewer)
_NAME_PARTICLES = frozenset(
    {"dan", "and", "&", "bin", "binti", "van", "de", "der", "von", "da", "dr.", "drg."}
)


def printed_credits(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Raw writer and editor strings of a credit block printed as text lines (markup
    already cut at tags): "Penulis: A, B | Editor: C", or "Penulis" / "A" / "," / "B"
    / "Editor" / "C" as separate lines. A label's first name follows it; more names
    only after a joiner ("," "dan" "&"); anything else ends the label's names."""
    return _credits(_credit_pieces(_credit_stretch(text)))


def _credits(pieces: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Raw writer and editor strings of a credit block cut into pieces (see
    ``printed_credits``)."""
    writers: list[str] = []
    editors: list[str] = []
    translators: list[str] = []
    target: list[str] | None = None
    joined = False
    for index, piece in enumerate(pieces):
        line = piece.lstrip(":").strip()  # "Penulis" / ": A": the colon on the name's line
        if not line or line == _BREAK_PIECE:
            continue
        if target is None and not _opens_label(line):
            continue  # most pieces of a long stretch: no label, and no label's names
        labelled = _label_of(line)
        if labelled is not None:
            label, line = labelled
            target = writers if label in WRITER_LABELS else editors
            if label in TRANSLATOR_LABELS:
                target = translators
            joined, first = True, len(target)
            inner = _label_of(line) if line else None
            town = label == "kontributor" or (inner is not None and inner[0] == "kontributor")
            if town and tuple(pieces[index + 1 : index + 2]) == (",",):
                line = ""  # "(Penulis:) Kontributor Ngawi, A": the contributor's town, then A
            if not line:
                continue
        if target is None:
            continue
        if line.lower() in _JOINERS:
            joined = True
            continue
        listed = joined or _listed_name(pieces, index)
        if not listed or not _looks_like_name(line) or len(target) - first >= MAX_CREDIT_NAMES:
            target = None
            continue
        target.append(line)
        joined = False
    return tuple(writers or translators), tuple(editors)


def _listed_name(pieces: Sequence[str], index: int) -> bool:
    """Whether the piece at ``index`` is one of names listed one per element with no
    joiner ("Reporter" / "A" / "B" / "Editor" / "C": a link or list item each): a run of
    full names (two words or more) that the next credit label closes. A name run ending
    in anything else (a date, a heading) is not a list of writers, nor is a name after a
    "|" break (the site beside the writer: "A | Tribun Solo")."""
    if index > 0 and pieces[index - 1] == _BREAK_PIECE:
        return False
    for piece in pieces[index : index + MAX_CREDIT_NAMES + 1]:
        line = piece.lstrip(":").strip()
        if line == _BREAK_PIECE:
            return False
        if _label_of(line) is not None:
            return True
        if len(line.split()) < BYLINE_NAME_MIN_WORDS or not _looks_like_name(line):
            return False
    return False


def _credit_stretch(text: str) -> str:
    """The stretch of ``text`` from the line of the first credit label to a little past
    the last one: the rest of the page's text need not be cut into pieces."""
    low = text.lower()
    if len(low) != len(text):
        return text
    found = [(word, at) for word in CREDIT_LABEL_WORDS if (at := low.find(word)) >= 0]
    if not found:
        return ""
    # Only the words found are looked for from the end: an absent one is a second scan.
    last = max(low.rfind(word) for word, _ in found)
    start = text.rfind("\n", 0, min(at for _, at in found)) + 1
    return text[start : min(last + CREDIT_TAIL_CHARS, start + CREDIT_MAX_CHARS)]


def _looks_like_name(text: str) -> bool:
    """Capitalised words (particles aside), no digits, a few of them: "Irfan Kamil",
    "Andi Wijaya dan Bunga Citra"; not prose or a button label ("Share on Facebook")."""
    words = text.split()
    if not words or len(words) > 2 * MAX_NAME_WORDS or _NOT_NAME.search(text):
        return False
    return all(w[:1].isupper() or w.lower() in _NAME_PARTICLES for w in words)


def _credit_pieces(text: str) -> list[str]:
    """Lines, with "|", "•" and commas also breaking them (one line may hold both
    credits, and names are listed with commas; a comma stays as a joiner)."""
    out: list[str] = []
    for line in text.splitlines():
        if line.isspace() or not line:
            continue  # most lines of text cut at tags are blank: spare them the regex
        if not _has_break(line):
            out.append(line.strip())  # the regex would return the line whole
            continue
        if "\0" in line:  # a NUL of its own: the regex keeps it inside a piece
            pieces = [p for p in _CREDIT_BREAK.split(line) if p]
        else:
            pieces = _breaks_cut(line)
        for piece in pieces:
            if piece := piece.strip():
                out.append(piece)
    return out


#: A "|" or "•" break in a credit line, kept as a piece of its own (it parts a name from
#: the site or desk beside it: "A | Tribun Solo"); not a joiner, and skipped as a name.
_BREAK_PIECE = "\ue000"
_BROKEN = f"\0{_BREAK_PIECE}\0"


def _breaks_cut(line: str) -> list[str]:
    """``_CREDIT_BREAK.split`` by plain replaces (a line without NULs): each break becomes
    ``_BREAK_PIECE`` between two NULs, a comma keeping itself between two, and
    ``str.split`` cuts there; the regex tries every offset of a long paragraph (a credit
    stretch may span the whole story). The pieces come unstripped, some empty."""
    for mark in _BREAK_MARKS[:-1]:
        if mark in line:
            line = line.replace(mark, _BROKEN)
    return line.replace(",", "\0,\0").split("\0")


def _has_break(line: str) -> bool:
    """Whether ``line`` holds one of ``_BREAK_MARKS``: a chain of ``in`` tests (each a
    memchr), without the generator an ``any`` over the marks sets up per line."""
    return "," in line or "|" in line or ";" in line or "•" in line or "·" in line


def _opens_label(line: str) -> bool:
    """Whether a stripped line may open with a credit label (``_label_of``'s first test)."""
    return line[:_LABEL_START_CHARS].lower().startswith(_LABEL_STARTS)


def _label_of(line: str) -> tuple[str, str] | None:
    """The credit label opening a line and the text after it, or None."""
    if not line.lstrip()[:_LABEL_START_CHARS].lower().startswith(_LABEL_STARTS):
        return None
    match = _CREDIT_LABEL.match(line)
    if match is None:
        return None
    word = match.group(1).lower()
    for label in (word, word.split(" ")[0]):
        if label in WRITER_LABELS or label in EDITOR_LABELS or label in TRANSLATOR_LABELS:
            after = line[line.lower().find(label) + len(label) :]
            if label in COLON_LABELS and not after.lstrip().startswith(":"):
                return None
            rest = after.strip(" :")
            if label in REVIEW_LABELS:
                rest = _REVIEWED_BY.sub("", rest)
            if label in ("oleh", "by") and rest[:1].islower():
                return None  # "oleh karena itu": prose, not a credit
            return label, rest
    return None


def split_names(raws: Iterable[str], brand_keys: Iterable[str] = ()) -> tuple[str, ...]:
    """Person names of raw credit strings (as ``normalize_authors``)."""
    return normalize_authors(raws, brand_keys)


#: A byline line is short; longer lines holding the name are prose or a caption.
BYLINE_LINE_MAX_CHARS = 100
_LIST_JOINERS = frozenset({",", "&", "dan", "and"})
#: A short note in brackets printed after a writer's name ("(now)", "(earlier)").
_NAME_NOTE = re.compile(r"\([^()\d]{1,20}\)")
_EDITOR_CUT = re.compile(r"\b(?:editor|redaktur|penyunting|edited by)\b", re.IGNORECASE)
#: What parts a byline line into a name and its neighbours (a desk, the site, a photo
#: credit's agency and initials): "Market - Putra Wijaya", "ANTARA FOTO/Nama/abc".
_SEGMENT = re.compile(r"\s[-–—]\s|[|•·/;]")
#: Words of a co-writer's name printed beside the first, and of a fuller form of a
#: one-word name ("Putra" printed as "Putra Wijaya").
BYLINE_NAME_MIN_WORDS = 2
FULLER_NAME_MAX_WORDS = 4


#: A field reporter's town in brackets after the name: "(Surabaya)", "(Lebak)".
_BRACKETED_TOWN = re.compile(r"\(\s*[A-Z][\w.' -]{1,30}\)")


def names_beside(name: str, text: str, brand_keys: Iterable[str] = ()) -> tuple[str, ...]:
    """The writers a printed byline gives where the metadata gives one ``name``, or
    nothing when it adds nobody. The byline is the first short line of ``text`` (the
    visible text from the name's first mention, cut at tags) naming it: the part of it
    holding the name (not a desk, the site or a photo credit's agency beside it), names
    joined to that part by "," "dan" "&", and names joined on the next lines ("A" ","
    "B": one link per writer). A co-writer has two words or more (a town after a comma
    is no writer); a one-word name printed in full ("Putra Wijaya") takes that form."""
    key = name.casefold()
    lines = [kept for line in text.splitlines() if (kept := line.strip())]
    short = (i for i, ln in enumerate(lines) if len(ln) <= BYLINE_LINE_MAX_CHARS)
    at = next((i for i in short if key in lines[i].casefold()), -1)
    if at < 0:
        return ()
    line = _EDITOR_CUT.split(lines[at], 1)[0]
    parts = [next((p for p in _SEGMENT.split(line) if key in p.casefold()), "")]
    placed: set[str] = set()  # one-word co-writers printed with their town in brackets
    at += 1
    if at + 1 < len(lines) and _NAME_NOTE.fullmatch(lines[at]):
        # A note in brackets on the name, the next writer joined after it: "Fenella Orr"
        # "(now)" "and Kit Amadi (earlier)" (a live blog's writers, each on their turn).
        joiner, _, rest = lines[at + 1].partition(" ")
        following = _placeless(rest.strip())
        if (
            joiner.lower() in _LIST_JOINERS
            and len(following.split()) >= BYLINE_NAME_MIN_WORDS
            and _looks_like_name(following)
        ):
            parts.append(following)
            at += 2
    while at + 1 < len(lines) and lines[at].lower() in _LIST_JOINERS:
        following = _placeless(lines[at + 1])
        if not _looks_like_name(following):
            break
        if len(following.split()) < BYLINE_NAME_MIN_WORDS:
            # "A" / "," / "Siswanto" / "(Surabaya)": a field reporter's town marks the
            # one word as a writer's name (a town after a comma has no brackets)
            town = following != lines[at + 1] or (
                at + 2 < len(lines) and _BRACKETED_TOWN.fullmatch(lines[at + 2]) is not None
            )
            if not town:
                break
            placed.add(following)
        parts.append(following)
        at += 2
    names = normalize_authors(parts, brand_keys)
    own = [n for n in names if n.casefold() == key or _fuller(n, name)]
    others = [
        n
        for n in names
        if n not in own and (len(n.split()) >= BYLINE_NAME_MIN_WORDS or n in placed)
    ]
    if len(own) != 1 or (own[0] == name and not others):
        return ()
    return tuple(n for n in names if n in own or n in others)


def _fuller(printed: str, name: str) -> bool:
    """Whether ``printed`` is the full form of a one-word ``name`` ("Putra Wijaya")."""
    return (
        " " not in name
        and len(printed.split()) <= FULLER_NAME_MAX_WORDS
        and printed.casefold().startswith(name.casefold() + " ")
        and _looks_like_name(printed)  # not "Reuters file" under a photo
    )


#: A photo page: its body holds at most this many story paragraphs (of at least
#: STORY_WORDS words), the caption that tells the story.
PHOTO_PAGE_MAX_STORY_LINES = 3
STORY_WORDS = 10
#: An agency's photo credit standing as a line of its own: "ANTARA FOTO/Nama Fotografer/abc."
#: (the desk's initials after the name), "KABAR PHOTO/Nama".
_PHOTO_CREDIT = re.compile(
    r"[^\W\d_][\w.&' -]{0,30}?\b(?:foto|photo)\s?/\s?(?P<name>[^\W\d_][\w.'’ -]{2,40}?)"
    r"(?:\s?/\s?[^\W\d_][\w]{0,5})?\.?",
    re.IGNORECASE,
)


def photographers(lines: Sequence[str]) -> tuple[str, ...]:
    """Raw names of the photographers credited on a photo page, whose story is the
    caption: the agency credit lines of a body with a few story paragraphs at most. On
    such a page the photographer is its author; a credit inside a longer story is a
    picture's, not the writer's."""
    story = sum(1 for line in lines if line.count(" ") + 1 >= STORY_WORDS)
    if story > PHOTO_PAGE_MAX_STORY_LINES:
        return ()
    found: list[str] = []
    for line in lines:
        text = line.strip()
        if len(text) <= BYLINE_LINE_MAX_CHARS and (match := _PHOTO_CREDIT.fullmatch(text)):
            found.append(match.group("name"))
    return tuple(found)


#: "Hasan Basri - Okezone": a writer, a dash and the site's brand, a short line of its own.
_BRANDED = re.compile(r"(?P<name>[^\W\d_][\w.'’ ]{2,50}?)\s+[-–—|]\s+(?P<site>[^-–—|]{2,40})")
#: Lines after the headline (itself the first) where such a byline is looked for.
BRANDED_LINES = 8


def branded_byline(text: str, brands: Iterable[str]) -> tuple[str, ...]:
    """The writer of a "Name - Brand" line among the few lines from the headline on
    (``text``), where the brand names the site: an old template's byline, set in bold
    with no byline class and no label."""
    keys = _brand_keys(tuple(brands))
    if not keys:
        return ()
    lines = [kept for line in text.splitlines() if (kept := line.strip())]
    for line in lines[1:BRANDED_LINES]:
        if len(line) > BYLINE_LINE_MAX_CHARS or (match := _BRANDED.fullmatch(line)) is None:
            continue
        name = match.group("name")
        if len(name.split()) < BYLINE_NAME_MIN_WORDS:
            continue  # "Ekonomi - Okezone": a section beside the site, not a writer
        if _site_like(match.group("site"), keys) and _looks_like_name(name):
            return normalize_authors([name], brands)
    return ()


#: Where the date opens on a "Name  Selasa, 12 Jan 2016 14:05 WIB" line: a day's name or
#: a day's number.
_DATE_OPENS = re.compile(
    r"\s[,|·•-]?\s*(?=(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday)\b|\d{1,2}[\s/.-])",
    re.IGNORECASE,
)
_DATED_REST = re.compile(r"[^\d]{0,20}\d{1,2}[\s/.-][^\W_]{1,9}\.?[\s/.-]\d{2,4}\b")


#: Separators a byline sets between the writer and the date ("Kenji Mori | 04.12.2023").
_BYLINE_SEPARATORS = ("|", "·", "•")


def _rejoined(lines: list[str]) -> list[str]:
    """The lines with one opening on a byline's separator run on to the line above: the
    name set in a tag of its own ("<span>Kenji Mori</span> | 04.12.2023") is read as a
    line of its own."""
    if not any(line.startswith(_BYLINE_SEPARATORS) for line in lines[1:]):
        return lines
    joined: list[str] = []
    for line in lines:
        if joined and len(joined) > 1 and line.startswith(_BYLINE_SEPARATORS):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


def dated_byline(text: str, brands: Iterable[str]) -> tuple[str, ...]:
    """The writer of a "Name  date" line among the few lines from the headline on
    (``text``): an old template's byline printing the writer unlabelled before the date
    ("Hendro Wibowo   Selasa, 12 Jan 2016 14:05 WIB"). Two words or more, capitalised,
    so that a town or a section before the date is no writer."""
    lines = _rejoined([kept for line in text.splitlines() if (kept := line.strip())])
    for line in lines[1:BRANDED_LINES]:
        if len(line) > BYLINE_LINE_MAX_CHARS or (cut := _DATE_OPENS.search(line)) is None:
            continue
        name = line[: cut.start()].strip()
        if not _DATED_REST.match(line, cut.end()):
            continue
        if len(name.split()) < BYLINE_NAME_MIN_WORDS or not _looks_like_name(name):
            continue
        if name.endswith(":"):
            continue  # a label before the date ("Posted On: 04 APR 2024"), no writer
        return normalize_authors([name], brands)
    return ()
