"""Language detection for article bodies (ISO 639-1 codes).

py3langid ships its model; we restrict it to the languages Indonesian portals
actually publish in (plus the big world languages, so foreign copy is not
forced into a regional label). Its model has no Sundanese, which it reads as
Javanese or Indonesian: a short list of Sundanese function words, checked
only in that case, tells them apart.

py3langid walks the sample byte by byte in Python (about 1 ms per 500
characters), too slow for every article of a stream. Plain Indonesian and
English copy is unmistakable from its function words, so a stopword vote
decides those first; anything less clear-cut (Malay, Javanese, Sundanese,
mixed or short text) goes to the model.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from py3langid.langid import MODEL_FILE

from kabar.dedup.text import (
    ascii_tokens,
    language_stopwords,
    normalize,
    tokens,
    typographic_folded,
)
from kabar.langcache import identifier as cached_identifier

LANGUAGES = (
    "id", "ms", "jv", "en", "tl", "nl", "de", "fr", "es", "pt", "it", "ru", "ar", "ja", "ko",
    "zh", "th", "vi", "hi", "tr",
)  # fmt: skip
#: Fewer letters than this: too little text to say.
MIN_LETTERS = 20
MIN_WORDS = 3
#: Below this normalized probability the label is a guess: report none.
MIN_CONFIDENCE = 0.3
#: Language shows in the first lines; classifying costs time linear in length.
_SAMPLE_CHARS = 1000
_SUNDANESE = frozenset((
    "teh", "nu", "jeung", "sareng", "anu", "abdi", "urang", "bade", "kana", "dina", "henteu",
    "teu", "oge", "pikeun", "ieu", "eta", "kitu", "mah", "atanapi", "ku", "sanes", "parantos",
    "tos", "geus", "keur", "nuju",
))  # fmt: skip
_SUNDANESE_MIN_SHARE = 0.08
#: Javanese function words that Indonesian copy does not use.
_JAVANESE = frozenset((
    "ing", "lan", "iku", "sing", "ora", "karo", "menyang", "saka", "uga", "wis", "arep",
    "kudu", "amarga", "kanggo", "marang", "ana", "bae", "kae",
))  # fmt: skip
#: Stopword vote: the winner's words are at least this share of all words, at
#: least VOTE_MIN_HITS of them, and this many times the runner-up's.
VOTE_MIN_SHARE = 0.2
VOTE_MIN_HITS = 8
VOTE_MARGIN = 4.0
#: The vote stands down when Malay or regional marker words are at least
#: 1/MARKER_RATIO of the leading language's words.
MARKER_RATIO = 20
#: A longer sample is first voted on by its opening this long: when that opening alone
#: decides, past a stricter bar, the rest is not read (tokens cost time linear in length).
QUICK_CHARS = 400
#: The quick vote's bar: this many function words of the winner, this many times those
#: of the other language ("com" of a "KOMPAS.com" dateline), and no Malay or regional
#: marker word at all.
QUICK_MIN_HITS = 10
QUICK_MARGIN = 2 * VOTE_MARGIN
_UNSURE = "?"
_lock = threading.Lock()


@cache
def _identifier() -> Any:
    identifier = cached_identifier(MODEL_FILE, norm_probs=True)  # decoded once, not per process
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``; None when it is too short or too uncertain."""
    sample = text[:_SAMPLE_CHARS]
    if len(sample) > 2 * QUICK_CHARS and (quick := _quick_vote(sample[:QUICK_CHARS])):
        return quick
    normal = typographic_folded(normalize(sample))
    if normal.isascii():  # the common case: bytes tokens, the vote table in bytes
        ascii_words = list(filter(bytes.isalpha, ascii_tokens(normal)))
        if len(ascii_words) < MIN_WORDS or sum(map(len, ascii_words)) < MIN_LETTERS:
            return None
        voted = _stopword_vote(ascii_words, _byte_votes())
        words = [word.decode("ascii") for word in ascii_words] if voted is None else []
    else:
        words = list(filter(str.isalpha, tokens(sample)))
        if len(words) < MIN_WORDS or sum(map(len, words)) < MIN_LETTERS:
            return None
        voted = _stopword_vote(words, _votes())
    if voted is not None:
        return voted
    with _lock:  # the identifier keeps per-call state in numpy buffers
        label, confidence = _identifier().classify(sample)
    if confidence < MIN_CONFIDENCE:
        return None
    if label in ("jv", "id", "ms") and _looks_sundanese(words):
        return "su"
    return str(label)


def _quick_vote(opening: str) -> str | None:
    """The label when an ASCII ``opening`` leaves no doubt at all (QUICK_MIN_HITS,
    QUICK_MARGIN, no marker word)."""
    normal = typographic_folded(normalize(opening))
    if not normal.isascii():
        return None
    votes = list(filter(None, map(_byte_votes().get, ascii_tokens(normal))))
    id_hits, en_hits = votes.count("id"), votes.count("en")
    if id_hits + en_hits < len(votes):
        return None
    for label, hits, other in (("id", id_hits, en_hits), ("en", en_hits, id_hits)):
        if hits >= QUICK_MIN_HITS and hits >= QUICK_MARGIN * other:
            return label
    return None


def _stopword_vote(
    words: Sequence[str | bytes], table: Mapping[Any, str] | None = None
) -> str | None:
    """The label ("id" or "en") when the sample's function words leave no doubt
    (``table``: the word votes, ``_votes`` unless given)."""
    votes_of: Mapping[Any, str] = _votes() if table is None else table
    # Only the voting words are kept (a fifth of the text): list.count then compares a
    # few interned labels instead of every word's None, and the marker words are the rest.
    votes = list(filter(None, map(votes_of.get, words)))
    id_hits, en_hits = votes.count("id"), votes.count("en")
    if (len(votes) - id_hits - en_hits) * MARKER_RATIO >= max(id_hits, en_hits):
        return None  # Malay or a regional language, unless a stray word ("sing", a name)
    for label, hits, other in (("id", id_hits, en_hits), ("en", en_hits, id_hits)):
        enough = hits >= VOTE_MIN_HITS and hits >= VOTE_MIN_SHARE * len(words)
        if enough and hits >= VOTE_MARGIN * other:
            return label
    return None


@cache
def _votes() -> dict[str, str]:
    """Word -> the language it votes for, or _UNSURE for Malay and regional
    markers. One- and two-letter words ("a", "do", "di") are shared across too
    many languages to vote."""
    indonesian, english, malay = language_stopwords()
    votes = dict.fromkeys(indonesian, "id") | dict.fromkeys(english, "en")
    votes |= dict.fromkeys(malay | _SUNDANESE | _JAVANESE, _UNSURE)
    return {word: label for word, label in votes.items() if len(word) > 2}


@cache
def _byte_votes() -> dict[bytes, str]:
    """``_votes`` keyed by ASCII bytes."""
    return {word.encode("ascii"): label for word, label in _votes().items() if word.isascii()}


def _looks_sundanese(words: list[str]) -> bool:
    hits = sum(1 for w in words if w in _SUNDANESE)
    return hits >= 2 and hits / len(words) >= _SUNDANESE_MIN_SHARE
