"""Publication dates as Indonesian portals write them, normalised to UTC ISO 8601.

Handles ISO 8601 (with or without offset), RFC 822 feed dates, Indonesian and
English month names and abbreviations ("20 Juni 2024", "20 Peb 2024", "June 20,
2024"), day-first numeric dates ("18/6/2024"), day names, "pukul 13.45" and dots
as time separators, and the Indonesian zones WIB (UTC+7), WITA (UTC+8) and WIT
(UTC+9). A date without a time is midnight local time. A date without a zone is
in ``default_tz``. Relative dates ("2 jam yang lalu") are not resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import takewhile

MONTHS: dict[str, int] = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "february": 2, "feb": 2, "peb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip

ZONE_HOURS: dict[str, float] = {
    "wib": 7, "wita": 8, "wit": 9, "z": 0, "utc": 0, "gmt": 0, "ut": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
}  # fmt: skip

#: Texts up to this long are matched whole; longer ones only around 4-digit years.
SHORT_TEXT_CHARS = 200
WINDOW_BEFORE = 40
WINDOW_AFTER = 48
#: "YYYY-MM-DD" at least, for the ISO fast path.
ISO_MIN_CHARS = 10
MIN_YEAR = 1990
MAX_YEAR = 2100

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# Longest alternatives first so "WITA" is not read as "WIT" + "A".
_ZONE = r"(?P<tz>wita|wit|wib|utc|gmt|ut|z|[ecmp][sd]t|[+-]\d{2}:?\d{2})"
_TIME = (
    r"(?:[\s,|–—-]*(?:pukul|pkl\.?|pk\.?|jam|at)?\s*"
    r"(?P<hh>\d{1,2})[:.](?P<mi>\d{2})(?![\d])(?:[:.](?P<ss>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<ampm>am|pm)?(?:\s*\(?\s*" + _ZONE + r"(?![a-z])\)?)?)?"
)
# A pattern opens with its first digit, the "no digit before" check right after it
# ("\d(?<!\d\d)" is "(?<!\d)\d"): a leading lookbehind makes the regex engine try every
# offset instead of skipping to the digits (two to three times slower).
_ISO = re.compile(
    r"(?P<y>\d(?<!\d\d)\d{3})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:(?:\s*t\s*|\s+)(?P<hh>\d{1,2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:[.,]\d+)?)?"
    r"\s*" + _ZONE + r"?)?",
)
_DAY_MONTH_YEAR = re.compile(
    r"(?P<d>\d(?<!\w\d)\d?)(?:st|nd|rd|th)?[\s./-]*(?P<mon>" + _MONTH + r")(?![a-z])\.?"
    r"[\s,./-]*(?P<y>\d{4})(?!\d)" + _TIME,
)
# The lookahead first: a lookbehind or the month alternation as the first step would be
# tried at every offset (the pattern was half the cost of reading a page's dates).
_MONTH_DAY_YEAR = re.compile(
    r"(?=[" + "".join(sorted({m[0] for m in MONTHS})) + r"])(?<![\w])"
    r"(?P<mon>" + _MONTH + r")(?![a-z])\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<y>\d{4})(?!\d)" + _TIME,
)
_NUMERIC = re.compile(
    r"(?P<d>\d(?<![\d/.-]\d)\d?)(?:[/-](?P<m>\d{1,2})[/-](?P<y>\d{4}|\d{2})"
    r"|\.(?P<m2>\d{1,2})\.(?P<y2>\d{4}))(?![\d/.-]\d)" + _TIME,
)
_YEAR_FIRST = re.compile(
    r"(?P<y>\d(?<![\d/]\d)\d{3})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])" + _TIME,
)
# The digit boundaries are checked on each hit: a leading lookbehind would make the
# regex engine try every offset of the text instead of skipping to candidate digits.
_YEAR = re.compile(r"(?:19|20|21)\d\d")
#: ``_YEAR`` as two patterns that open with a literal: the regex engine skips to a
#: literal's occurrences, where ``_YEAR``'s opening set is tested at every character.
_YEARS_SPLIT = (re.compile(r"19\d\d"), re.compile(r"2[01]\d\d"))
_DIGIT = re.compile(r"\d")
_ISO_FORMAT = "%04d-%02d-%02dT%02d:%02d:%02dZ"
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
# The patterns are written in lower case and run on lowercased text: case-blind
# matching (re.I) of the month alternations is several times slower.
_PATTERNS = (_ISO, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC, _YEAR_FIRST)
_PATTERNS_ANY_CASE = tuple(re.compile(p.pattern, re.IGNORECASE) for p in _PATTERNS)
#: Characters whose lowercase is ASCII or longer than one character ("\u212a" is "k").
_LOWER_ODD = ("\u0130", "\u212a")


def parse_date(text: str, *, default_tz: str = "WIB") -> str | None:
    """The first date in ``text`` as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), or None."""
    return _from_iso(text, default_tz) or find_date_in_text(text, default_tz=default_tz)


def _from_iso(text: str, default_tz: str) -> str | None:
    """Fast path for the ISO 8601 stamps most metadata carries."""
    raw = text.strip()
    if len(raw) < ISO_MIN_CHARS or not raw[:4].isdigit() or raw[4:5] != "-":
        return None
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1] in "zZ" else raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        zone = _zone(default_tz)
        if zone is None:
            return None
        moment = moment.replace(tzinfo=zone)
    return to_iso(moment) if MIN_YEAR <= moment.year <= MAX_YEAR else None


def find_date_in_text(text: str, *, default_tz: str = "WIB") -> str | None:
    """The earliest plausible date anywhere in ``text`` (UTC ISO), or None."""
    found = find_dates(text, default_tz=default_tz, limit=1)
    return found[0].value if found else None


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date found in running text: where it starts, the moment it names, whether a time
    was given."""

    start: int
    moment: datetime
    has_time: bool

    @property
    def value(self) -> str:
        """The date as UTC ISO 8601: formatted when asked (most dates found on a page are
        passed over for a nearer or timed one)."""
        return to_iso(self.moment)


def find_dates(text: str, *, default_tz: str = "WIB", limit: int = 20) -> list[FoundDate]:
    """Up to ``limit`` plausible dates in ``text``, in reading order."""
    found: dict[int, FoundDate] = {}
    patterns, subject = _subject(text)
    for low, high in _windows(text):
        _collect(found, patterns, subject, low, high, default_tz)
        if len(found) >= limit:
            break
    return sorted(found.values(), key=lambda f: f.start)[:limit]


def date_near(text: str, at: int, *, default_tz: str = "WIB") -> str | None:
    """The date printed nearest after offset ``at`` of ``text`` (a headline), preferring
    one with a time: the first timed date after it, else the nearest timed one before it,
    else the first date after it, else the nearest before. The stretches around years are
    read outwards from ``at`` and reading stops at the first timed date, so the dates of
    a long page (related stories) are mostly never parsed."""
    patterns, subject = _subject(text)
    fallback: FoundDate | None = None
    # The years after the headline are scanned for lazily, from the last one whose
    # stretch can reach past it: a timed date there ends the scan (the year scan is a
    # good part of the cost on a long stretch).
    for low, high in _windows(text, max(0, at - WINDOW_AFTER - 4)):
        if high <= at:
            continue
        for found in _sorted_dates(patterns, subject, low, high, default_tz):
            if found.start < at:
                continue
            if found.has_time:
                return found.value
            fallback = fallback or found
    nearest_before: FoundDate | None = None
    # Windows open in reading order: those opening past the headline are not read back
    # (the one spanning it is whole once the next opens).
    for low, high in reversed(list(takewhile(lambda window: window[0] < at, _windows(text)))):
        for found in reversed(_sorted_dates(patterns, subject, low, high, default_tz)):
            if found.start >= at:
                continue
            if found.has_time:
                return found.value
            nearest_before = nearest_before or found
    chosen = fallback or nearest_before
    return chosen.value if chosen else None


def _subject(text: str) -> tuple[tuple[re.Pattern[str], ...], str]:
    """The patterns and the text they run on: lowercased, unless lowering moves offsets
    (a character that expands, as "İ" does), then the case-blind patterns on the text.

    Only ASCII letters need lowering: the patterns' letters are ASCII, and every other
    character whose lowercase is one character is, in either case, the same to them (a
    letter to ``\\w``, not ``[a-z]``; its digit, space and word classes kept). So text
    that is not all ASCII is lowered through its bytes (``str.lower`` looks up each of
    its characters, several times the cost), unless it holds one of the two characters
    whose lowercase is ASCII or longer ("İ", the Kelvin sign), which take ``str.lower``."""
    if text.isascii() or any(odd in text for odd in _LOWER_ODD):
        lowered = text.lower()
    else:
        lowered = text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    return (_PATTERNS, lowered) if len(lowered) == len(text) else (_PATTERNS_ANY_CASE, text)


def _sorted_dates(
    patterns: tuple[re.Pattern[str], ...], subject: str, low: int, high: int, default_tz: str
) -> list[FoundDate]:
    found: dict[int, FoundDate] = {}
    _collect(found, patterns, subject, low, high, default_tz)
    return sorted(found.values(), key=lambda f: f.start)


def _collect(
    found: dict[int, FoundDate],
    patterns: tuple[re.Pattern[str], ...],
    subject: str,
    low: int,
    high: int,
    default_tz: str,
) -> None:
    """Add the dates of ``subject[low:high]`` to ``found`` (the first pattern to match at
    an offset names the date there)."""
    for pattern in patterns:
        for match in pattern.finditer(subject, low, high):
            start = match.start()
            if start in found:
                continue
            moment = _moment(match, default_tz)
            if moment is not None:
                found[start] = FoundDate(start, moment, match.group("hh") is not None)


def _windows(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """Stretches of ``text`` worth matching: all of a short text, else around 4-digit years
    (those from offset ``start`` on).

    The full patterns are slow over long pages (month-name alternations tried at
    every character); a plain year scan is fast and every long-form date has a year.
    """
    if len(text) <= SHORT_TEXT_CHARS:
        # Every pattern needs a digit: a label ("Berita Terkait") is not matched at all.
        if _DIGIT.search(text):
            yield 0, len(text)
        return
    low = high = -1
    size = len(text)
    for first, stop in _year_spans(text, start):
        if (first and text[first - 1].isdecimal()) or (stop < size and text[stop].isdecimal()):
            continue  # part of a longer number (\d is what str.isdecimal accepts)
        start = max(0, first - WINDOW_BEFORE)
        end = min(size, stop + WINDOW_AFTER)
        if start > high >= 0:
            yield low, high
            low = -1
        low = start if low < 0 else low
        high = end
    if low >= 0:
        yield low, high


def _year_spans(text: str, start: int) -> Iterator[tuple[int, int]]:
    """The spans ``_YEAR.finditer(text, start)`` yields: its earliest match from a
    position is the earlier of the two split patterns' (their first characters differ),
    and the search goes on from the end of each match."""
    nineteen, twenty = _YEARS_SPLIT
    old = nineteen.search(text, start)
    new = twenty.search(text, start)
    while True:
        if old is not None and (new is None or old.start() < new.start()):
            first, stop = old.span()
        elif new is not None:
            first, stop = new.span()
        else:
            return
        yield first, stop
        if old is not None and old.start() < stop:
            old = nineteen.search(text, stop)
        if new is not None and new.start() < stop:
            new = twenty.search(text, stop)


def to_iso(moment: datetime) -> str:
    """A timezone-aware datetime as UTC ISO 8601 with a ``Z`` suffix."""
    # Formatted by hand: strftime is several times slower, and one %-format is cheaper
    # than six formatted f-string fields. The fields are read one by one: ``timetuple``
    # builds a struct_time through the time module, dearer than the six reads.
    utc = moment.astimezone(UTC)
    return _ISO_FORMAT % (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)


def _moment(match: re.Match[str], default_tz: str) -> datetime | None:
    """The zoned moment a date match names, or None when it names none."""
    groups = match.groupdict()
    try:
        year = _year(groups.get("y") or groups.get("y2") or "")
        month = _month(groups)
        hour, minute, second = _clock(groups)
        zone = _zone(groups.get("tz") or default_tz)
        if zone is None or not MIN_YEAR <= year <= MAX_YEAR:
            return None
        return datetime(year, month, int(groups["d"]), hour, minute, second, tzinfo=zone)
    except (ValueError, KeyError, TypeError):
        return None


def _month(groups: dict[str, str | None]) -> int:
    name = groups.get("mon")
    if name:
        return MONTHS[name.lower()]
    return int(groups.get("m") or groups.get("m2") or "")


def _year(raw: str) -> int:
    year = int(raw)
    return year + 2000 if year < 100 else year


def _clock(groups: dict[str, str | None]) -> tuple[int, int, int]:
    if groups.get("hh") is None:
        return 0, 0, 0
    hour = int(groups["hh"] or 0)
    ampm = (groups.get("ampm") or "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    return hour, int(groups["mi"] or 0), int(groups.get("ss") or 0)


def _zone(name: str) -> timezone | None:
    """The zone a date names ("WIB", "+07:00"), one object per name: built once, since
    every date of every page asks."""
    if name in _ZONES:
        return _ZONES[name]
    zone = _new_zone(name)
    if len(_ZONES) < MAX_ZONES:
        _ZONES[name] = zone
    return zone


_ZONES: dict[str, timezone | None] = {}
#: Zone names remembered (a few dozen occur; the bound keeps odd input from growing it).
MAX_ZONES = 512


def _new_zone(name: str) -> timezone | None:
    key = name.strip().lower()
    if key in ZONE_HOURS:
        return timezone(timedelta(hours=ZONE_HOURS[key]))
    sign_match = _OFFSET.fullmatch(key)
    if sign_match is None:
        return None
    sign = -1 if sign_match.group(1) == "-" else 1
    hours, minutes = int(sign_match.group(2)), int(sign_match.group(3))
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
