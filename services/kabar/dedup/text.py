"""Text features for story clustering: content words and entity candidates.

Works for Indonesian, Malay and English news. Stopwords are data
(``stopwords/<lang>.txt``) and are always applied as one union, because one
portal mixes languages (English quotes inside Indonesian copy) and a word that
is a function word in one of the three is rarely a good event term in another.
Normalization is deliberately light: lowercasing, NFKC, Indonesian clitics
(``-nya``, ``-lah``, ``-kah``) and English plural/possessive endings; heavier
stemming merges unrelated Indonesian words (``tahan``/``tahanan``).

Every article of the stream passes through here, so the hot paths avoid
per-character and per-token Python work: ASCII text (most copy, once curly
quotes and dashes are folded) is split after one ``str.translate``; each
distinct token's content word is worked out once and memoized; entity words
come from two regex passes instead of a walk over sentences.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

STOPWORD_LANGUAGES = ("id", "en", "ms")

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:;\"”])\s+|\n+|\s+[-–—]\s+")
_QUANTITY = re.compile(
    r"(?<![\w.,])([$€£]|rp\.?\s?|us\$)?(\d+(?:[.,]\d+)*)\s?"
    r"(%|persen|percent|juta|miliar|triliun|ribu|million|billion|trillion|km|kg|ton|mw|gw)?"
    r"(?![\w])",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)-([^\W\d_]{2,})")
#: Indonesian ordinals bound to the word before them: "pekan ke-12", "hari ke 3".
_ORDINAL = re.compile(r"([^\W\d_]{3,})\s+ke[-\s]?(\d+)\b")
_DIGIT = re.compile(r"\d")
_CLITICS = ("nya", "lah", "kah")
#: Every uppercase letter of the Basic Multilingual Plane, as a regex class body.
_UPPER = "".join(re.escape(c) for c in map(chr, range(0x10000)) if c.isupper() and c.isalpha())


@dataclass(frozen=True, slots=True)
class _NamePatterns:
    """Capitalised words, and those opening a sentence (or following a dash, or the
    text) with no capitalised word joined to them."""

    capitalised: re.Pattern[str]
    lone_opener: re.Pattern[str]
    lone_after_dash: re.Pattern[str]
    lone_at_start: re.Pattern[str]


def _name_patterns(upper: str, apostrophes: str, breaks: str, dashes: str) -> _NamePatterns:
    """The patterns over the given character-class bodies. (Each look-behind comes after
    the first character so the engine can skip ahead to it; sentence breaks as in
    ``_SENTENCE_BREAK``.)"""
    token = rf"[{upper}][^\W_]*+(?:[{apostrophes}][^\W_]+)?+"
    tail = rf"[\W_]*?(?<![^\W_])({token})(?![^\S\n]+[{upper}])"
    return _NamePatterns(
        capitalised=re.compile(rf"[{upper}](?<![^\W_].)[^\W_]*+(?:[{apostrophes}][^\W_]+)?+"),
        lone_opener=re.compile(rf"[{breaks}]\s*(?<=\s){tail}"),
        lone_after_dash=re.compile(rf"[{dashes}](?<=\s[{dashes}])\s+{tail}"),
        lone_at_start=re.compile(tail),
    )


_NAMES_ANY = _name_patterns(_UPPER, "'’", ".!?:;\"”\n", "-–—")
#: The same for ASCII text, with A-Z for the uppercase class: the regex engine tests a
#: thousand-letter class at every character, A-Z is a range check.
_NAMES_ASCII = _name_patterns("A-Z", "'", ".!?:;\"\n", "-")
_DASHES = ("-", "–", "—")
#: Fast tokenizing: ASCII text is split after mapping every ASCII character
#: that cannot be part of a word to a space; other text goes to _WORD.
_ASCII_BREAKS = str.maketrans(
    {chr(i): " " for i in range(128) if not chr(i).isalnum() and chr(i) != "'"}
)
_ASCII_BYTE_BREAKS = bytes(
    c if c >= 128 or chr(c).isalnum() or chr(c) == "'" else ord(" ") for c in range(256)
)
_TYPOGRAPHIC = (
    ("\u201c", " "), ("\u201d", " "), ("\u2018", " "), ("\u2014", " "), ("\u2013", " "),
    ("\u2026", " "), ("\u00a0", " "), ("\u2022", " "), ("\u00b7", " "), ("\u00ab", " "),
    ("\u00bb", " "),
)  # fmt: skip
#: Raw lowercased tokens seen so far and the content word each makes ("" = none).
_MEMO_LIMIT = 200_000
_EN_KEEP_S = ("ss", "us", "is", "os", "as", "ys")
_MIN_WORD = 3


@cache
def stopwords() -> frozenset[str]:
    """The union of the shipped stopword lists."""
    return frozenset().union(*(_stopword_list(lang) for lang in STOPWORD_LANGUAGES))


@cache
def language_stopwords() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Indonesian words the English list lacks, English words neither other
    list has, and Malay words the Indonesian list lacks (for a quick vote on a text's language)."""
    lists = {lang: _stopword_list(lang) for lang in STOPWORD_LANGUAGES}
    indonesian = lists["id"] - lists["en"]
    english = lists["en"] - lists["id"] - lists["ms"]
    return frozenset(indonesian), frozenset(english), frozenset(lists["ms"] - lists["id"])


def _stopword_list(lang: str) -> set[str]:
    folder = resources.files("kabar.dedup").joinpath("stopwords")
    words: set[str] = set()
    for line in folder.joinpath(f"{lang}.txt").read_text("utf-8").splitlines():
        word = line.split("#", 1)[0].strip().lower()
        if word:
            words.add(word)
    return words


def normalize(text: str) -> str:
    """NFKC, lowercase, typographic apostrophes folded."""
    return unicodedata.normalize("NFKC", text).lower().replace("’", "'")


def stem(word: str) -> str:
    """Strip Indonesian clitics and English possessive/plural endings."""
    if "'" in word:
        word = word.split("'", 1)[0]
    if len(word) > 6 and word.endswith(_CLITICS):
        word = word[:-3]
    if len(word) > 4 and word.endswith("s") and not word.endswith(_EN_KEEP_S):
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """All word tokens of ``text``, normalized, in order."""
    return _WORD.findall(normalize(text))


def content_words(text: str) -> list[str]:
    """Stemmed content words: no stopwords, no short words, no bare numbers."""
    return list(filter(None, map(_TERMS.__getitem__, tokens(text))))


def tokens(text: str) -> list[str]:
    """Normalized tokens, fast: like ``words`` but a token may keep stray
    apostrophes (``'quoted'``) that the regex would have left out, and a token
    with two inner apostrophes (``rock'n'roll``) is not split in two."""
    normal = typographic_folded(normalize(text))
    if normal.isascii():  # the common case, and str.translate is fast only on ASCII
        return normal.translate(_ASCII_BREAKS).split()
    return _WORD.findall(normal)


def typographic_folded(normal: str) -> str:
    """Typographic quotes, dashes and spaces of normalized text as spaces."""
    if not normal.isascii():
        for typographic, plain in _TYPOGRAPHIC:
            normal = normal.replace(typographic, plain)
    return normal


def ascii_tokens(normal: str) -> list[bytes]:
    """``tokens`` of normalized, typographic-folded ASCII text, as bytes
    (splitting bytes makes its objects three times faster than str)."""
    return normal.encode("ascii").translate(_ASCII_BYTE_BREAKS).split()


def _content_word(token: str) -> str:
    """The content word a token makes, "" when it makes none (splitting
    leaves stray apostrophes on tokens; the regex word is what counts)."""
    stop = stopwords()
    if not token.isalnum():
        found = _WORD.findall(token)
        if not found:
            return ""
        token = found[0]
    word = token
    if len(word) < _MIN_WORD or word in stop or word.isdigit():
        return ""
    word = stem(word)
    return "" if word in stop else word


class _TokenMemo(dict[str, str]):
    """Token -> content word, filled on first sight (news vocabulary repeats,
    so almost every token is a dictionary hit); bounded by clearing."""

    def __missing__(self, token: str) -> str:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        value = self[token] = _content_word(token)
        return value


class _NameMemo(dict[str, str]):
    """Capitalised token -> the entity word it makes ("" = none)."""

    def __missing__(self, token: str) -> str:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        word = stem(token.lower())
        value = self[token] = word if len(word) >= _MIN_WORD and word not in stopwords() else ""
        return value


class TermIds(dict[str, int]):
    """Token -> the id ``intern`` gives its content word (0 = none): like
    ``content_words``, but an article's tokens become ids in one C-level map."""

    def __init__(self, intern: Callable[[str], int]) -> None:
        super().__init__()
        self._intern = intern

    def __missing__(self, token: str) -> int:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        word = _TERMS[token]
        value = self[token] = self._intern(word) if word else 0
        return value


_TERMS = _TokenMemo()
_NAMES = _NameMemo()


def _is_name_word(token: str) -> bool:
    return token[:1].isupper() or (len(token) > 1 and token.isupper())


def _sentences(text: str) -> Iterator[str]:
    for part in _SENTENCE_BREAK.split(text):
        if part.strip():
            yield part


def _name_runs(sentence: str) -> Iterator[tuple[int, list[str]]]:
    """Runs of capitalised tokens (broken by punctuation) with the index of
    the run's first token in the sentence."""
    run: list[str] = []
    start = 0
    end = 0
    text = unicodedata.normalize("NFKC", sentence).replace("’", "'")
    for i, match in enumerate(_WORD.finditer(text)):
        token = match.group()
        joined = not text[end : match.start()].strip()
        if run and not joined:
            yield start, run
            run = []
        if _is_name_word(token) and not token.isdigit():
            if not run:
                start = i
            run.append(token)
        elif run:
            yield start, run
            run = []
        end = match.end()
    if run:
        yield start, run


def _clean_run(run: list[str]) -> list[str]:
    stop = stopwords()
    words_ = [stem(normalize(t)) for t in run]
    while words_ and words_[0] in stop:
        words_.pop(0)
    while words_ and words_[-1] in stop:
        words_.pop()
    return [w for w in words_ if len(w) > 1]


def entities(text: str) -> list[str]:
    """Entity candidates: capitalised runs (a lone capitalised word at a
    sentence start is skipped: it is usually just the first word), acronyms
    and quantities with units. Lowercased, multi-word names joined by spaces."""
    found: list[str] = []
    for sentence in _sentences(text):
        for start, run in _name_runs(sentence):
            name = _clean_run(run)
            if not name or (start == 0 and len(run) == 1):
                continue
            found.append(" ".join(name))
    found.extend(quantities(text))
    return found


def quantities(text: str) -> list[str]:
    """Numbers that carry a unit or currency (``27.2 billion``, ``$2.53``, ``10 persen``)."""
    out: list[str] = []
    for match in _QUANTITY.finditer(text):
        currency, number, unit = match.groups()
        if currency or unit:
            prefix = (currency or "").strip().lower()
            suffix = (unit or "").lower()
            out.append(f"{prefix}{number.replace(',', '.')} {suffix}".strip())
    return out


#: Entity words worked out elsewhere for one text (``TextFeatures.lend``): one slot.
_LENT: dict[str, tuple[str, ...]] = {}


def entity_words(text: str) -> list[str]:
    """The single words of all name-like entities (for overlap between outlets
    that spell a name in full once and short afterwards: Vladimir Putin / Putin).

    Equivalent to splitting ``entities`` into words, in two regex passes: every
    capitalised word counts, except the occurrences that open a sentence alone.
    Distinct, in first-seen order."""
    lent = _LENT.get(text)
    if lent is not None:
        return list(lent)
    return _entity_words(text)


def _entity_words(text: str) -> list[str]:
    sample = unicodedata.normalize("NFKC", text).replace("’", "'")
    patterns = _NAMES_ASCII if sample.isascii() else _NAMES_ANY
    capitalised = patterns.capitalised.findall(sample)
    lone = {m.start(1): m.group(1) for m in patterns.lone_opener.finditer(sample)}
    if any(map(sample.__contains__, _DASHES)):  # a cheap scan spares a slow one
        lone.update((m.start(1), m.group(1))
                    for m in patterns.lone_after_dash.finditer(sample))
    opener = patterns.lone_at_start.match(sample)
    if opener:
        lone[opener.start(1)] = opener.group(1)
    # Distinct words in first-seen order; only the few lone openers need counting.
    distinct = dict.fromkeys(capitalised)
    for token, count in Counter(lone.values()).items():
        if token in distinct and capitalised.count(token) <= count:
            del distinct[token]
    # A list in first-seen order, never a set: set order of strings follows the
    # per-process hash seed, and the story's entity table keeps the first names
    # among equals, so a set would make stories differ from run to run.
    names = _NAMES
    return [name for name in dict.fromkeys(map(names.__getitem__, distinct)) if name]


def numbered_words(text: str) -> dict[str, frozenset[str]]:
    """Number-word compounds by word: ``13-inch`` -> {"inch": {"13"}}, and
    Indonesian ordinals: ``pekan ke-12`` -> {"pekan": {"12"}}.

    They name *which* one (a model size, a person's age, a match day, a day of
    a search), so two headlines with the same word but different numbers are
    different events (or different steps of one saga)."""
    found: dict[str, set[str]] = {}
    normal = normalize(text)
    if not _DIGIT.search(normal):  # both patterns need a digit; most headlines have none
        return {}
    for number, word in _NUMBERED.findall(normal):
        found.setdefault(word, set()).add(number.replace(",", "."))
    for word, number in _ORDINAL.findall(normal):
        found.setdefault(word, set()).add(number)
    return {word: frozenset(numbers) for word, numbers in found.items()}


if TYPE_CHECKING:
    from kabar.models import Article


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """The text-only work dedup and story clustering do on an article (normalized
    lines, word hashes, content hash, entity words), done in the extraction process
    that made the article and handed over with it, so the process that runs dedup
    (whose event loop paces a one-process run) only reads them. Pure functions of
    the text: the verdicts and story events are the same byte for byte."""

    #: What they were worked out from: the article's own tuple (one pickle keeps the
    #: identity), so an article changed since (stitched pages) is never mistaken.
    paragraphs: tuple[str, ...]
    lines: list[bytes]
    #: ``fingerprint.word_hashes`` of the lines (a uint64 array).
    hashes: Any
    content_hash: str
    #: ``entity_words(entity_text)``, where the clusterer asks for them.
    entity_text: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, article: Article, entity_chars: int | None = None) -> TextFeatures:
        """``entity_chars``: the clusterer's ``ENTITY_CHARS`` (given, so an extraction
        process need not import the clusterer for a number)."""
        from kabar.dedup.fingerprint import body_lines, hash_joined, word_hashes

        if entity_chars is None:
            from kabar.dedup.stories import ENTITY_CHARS as entity_chars
        lines = body_lines(article.paragraphs)
        joined = b" ".join(lines)
        entity_text = article.title + "\n" + article.body[:entity_chars]
        return cls(article.paragraphs, lines, word_hashes(lines, joined), hash_joined(joined),
                   entity_text, tuple(_entity_words(entity_text)))

    def fits(self, article: Article) -> bool:
        return self.paragraphs is article.paragraphs

    def lend(self) -> None:
        """``entity_words`` answers the next call for this text from here."""
        _LENT.clear()
        _LENT[self.entity_text] = self.names
