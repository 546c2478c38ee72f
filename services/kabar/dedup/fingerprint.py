"""Body fingerprints: normalization, the exact content hash and MinHash signatures.

Normalization folds what differs between two renderings of the same text (case,
Unicode forms, punctuation, whitespace, paragraph breaks), so the content hash
names the words only. Near-duplicate detection uses word bigram shingles, all
in numpy with no per-word Python: the normalized body's bytes give every word a
64-bit polynomial hash through prefix sums, neighbouring words are combined into
shingle hashes, and the signature is a one-permutation MinHash (one hash, 128
bins by the top bits, minimum per bin, empty bins filled from their right-hand
neighbour) — as accurate as 128 separate permutations for news-length texts
and several times cheaper. The stored signature keeps 8 bits per bin (b-bit
MinHash): enough to verify a candidate, 8x smaller.

Signatures, band keys and content hashes are persisted (SQLite, Redis), so
speed work here must keep every value bit for bit (a test pins them). The hot
path works on UTF-8 bytes: ASCII bodies are normalized with one
``bytes.translate``, and numpy constants are 0-d arrays, which as operands cost
a third of numpy scalars (a fingerprint is ~70 small array operations).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

PERMUTATIONS = 128
#: LSH bands take ROWS_PER_BAND consecutive bins each; all bins are used to verify.
ROWS_PER_BAND = 4
MAX_BANDS = PERMUTATIONS // ROWS_PER_BAND
#: Most bands indexed: 20 keeps recall ≥ 98% from Jaccard 0.65 at ~84 bytes an article
#: (4 a band, packed: lsh.py).
INDEX_BANDS = 20

U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]
Lines = npt.NDArray[np.int64]

_WORD = re.compile(r"\w+")  # [^\W_]+ would drop "_" too, at 1.5x the cost


def _u64(value: int) -> U64:
    """A 0-d uint64 array: as an operand it costs a third of a numpy scalar."""
    return np.array(value, dtype=np.uint64)


_BIN_SHIFT = _u64(64 - 7)  # 2**7 == PERMUTATIONS bins
_LOW_BITS = _u64((1 << 57) - 1)
_SEED = 0x6B61626172  # "kabar": fixed, so signatures survive restarts
_rng = np.random.default_rng(_SEED)
_BAND_MIX: U64 = (
    _rng.integers(0, 2**63, (MAX_BANDS, ROWS_PER_BAND), dtype=np.uint64) << np.uint64(1)
) | np.uint64(1)
_BASE = _u64(0x100000001B3)  # odd, so its powers are invertible mod 2**64
_MIX1 = _u64(0xBF58476D1CE4E5B9)
_MIX2 = _u64(0x94D049BB133111EB)
_PAIR_MIX = _u64(0x9E3779B97F4A7C15)
_BYTE_MIX = _u64(0xD6E8FEB86659FD93)
_FIRST_WORD_BYTE = np.array(ord("0"), dtype=np.uint8)
_SHIFTS = {bits: _u64(bits) for bits in (27, 29, 30, 31, 32, 56)}
_BAND_MASK = _u64(0xFFFFFFE0)
_BIN_MASK = np.array(PERMUTATIONS - 1, dtype=np.int64)
_ONE = np.array(1, dtype=np.int64)
_BINS = np.arange(PERMUTATIONS)
_BAND_NUMBERS = np.arange(MAX_BANDS, dtype=np.uint64)
_BINS_U64 = _BINS.astype(np.uint64)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What near-duplicate search stores and compares for one body."""

    #: b-bit MinHash: one byte per bin.
    signature: bytes
    #: Number of shingles (for containment).
    size: int
    #: One 32-bit key per LSH band (band number in the low bits).
    bands: tuple[int, ...]


def tokens(text: str) -> list[str]:
    """Casefolded words of ``text`` (NFKC; punctuation dropped)."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.casefold())


def _ascii_words_table(keep: str = "") -> bytes:
    """bytes.translate table: ASCII word characters lowercased, ``keep`` kept,
    all else a space (for ASCII text, NFKC and casefold are no-ops and \\w is
    [A-Za-z0-9_])."""
    table = bytearray(b" " * 256)
    for code in range(128):
        char = chr(code)
        if _WORD.fullmatch(char) or char in keep:
            table[code] = ord(char.lower())
    return bytes(table)


#: Joins an ASCII body's paragraphs so that it is normalized in one pass.
_PARAGRAPH_MARK = "\x1f"
_ASCII_WORDS = _ascii_words_table()
_ASCII_PARAGRAPHS = _ascii_words_table(keep=_PARAGRAPH_MARK)


def normalized_line(paragraph: str) -> bytes:
    """``paragraph``'s words joined by single spaces, UTF-8. ASCII paragraphs
    (most news text) take a bytes fast path, 3x cheaper than the regex."""
    if paragraph.isascii():
        return _single_spaced(paragraph.encode("ascii").translate(_ASCII_WORDS)).strip()
    return " ".join(tokens(paragraph)).encode("utf-8")


def body_lines(paragraphs: Sequence[str]) -> list[bytes]:
    """Each non-empty paragraph normalized (``normalized_line``); an ASCII
    body is translated in one pass, then cut at the paragraph marks."""
    text = _PARAGRAPH_MARK.join(paragraphs)
    if text.isascii() and text.count(_PARAGRAPH_MARK) == len(paragraphs) - 1:
        marked = _single_spaced(text.encode("ascii").translate(_ASCII_PARAGRAPHS))
        lines = [part.strip() for part in marked.split(_PARAGRAPH_MARK.encode("ascii"))]
    else:
        lines = list(map(normalized_line, paragraphs))
    return [line for line in lines if line]


def _single_spaced(text: bytes) -> bytes:
    """Runs of spaces as one: a few C-speed passes (each halves every run),
    instead of splitting into hundreds of word objects."""
    while b"  " in text:
        text = text.replace(b"  ", b" ")
    return text


def normalized_lines(paragraphs: Sequence[str]) -> list[str]:
    """Each non-empty paragraph as its words joined by single spaces."""
    return [line.decode("utf-8") for line in body_lines(paragraphs)]


def hash_joined(joined: bytes) -> str:
    """The content hash of normalized lines joined by spaces (``b" ".join(lines)``)."""
    return hashlib.sha256(joined).hexdigest()


def content_hash(paragraphs: Sequence[str]) -> str:
    """sha256 hex of the normalized body: words only, so case, punctuation,
    whitespace and paragraph breaks do not change it."""
    return hash_joined(b" ".join(body_lines(paragraphs)))


class _Powers:
    """BASE**i and BASE**-i mod 2**64, grown on demand."""

    def __init__(self) -> None:
        self.up: U64 = np.empty(0, np.uint64)
        self.down: U64 = np.empty(0, np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.up) >= n:
            return
        size = max(n, 2 * len(self.up), 1 << 14)
        inverse = _u64(pow(int(_BASE), -1, 1 << 64))
        with np.errstate(over="ignore"):
            self.up = np.cumprod(np.full(size, _BASE, np.uint64), dtype=np.uint64)
            self.down = np.cumprod(np.full(size, inverse, np.uint64), dtype=np.uint64)


_POWERS = _Powers()


def word_hashes(lines: Sequence[bytes], joined: bytes | None = None) -> U64:
    """A 64-bit hash of every word of the normalized ``lines`` (``joined``:
    them joined by spaces, when the caller has it). Vectorized: polynomial
    hashes from prefix sums, with a separator before and after the text so
    every word lies between two separator positions. A word's hash covers its
    own bytes only, so which separator byte (space, newline) makes no difference."""
    if joined is None:
        joined = b" ".join(lines)
    data = np.frombuffer(b" " + joined + b" ", dtype=np.uint8)
    if len(data) <= 2:
        return np.empty(0, np.uint64)
    _POWERS.ensure(len(data))
    # Normalized text holds word bytes (all >= "0") and single separators.
    gaps = (data < _FIRST_WORD_BYTE).nonzero()[0]
    before = gaps[:-1]
    ends = gaps[1:] - _ONE
    prefix = (data * _POWERS.up[: len(data)]).cumsum()
    raw = prefix.take(ends)
    raw -= prefix.take(before)
    raw *= _POWERS.down.take(before + _ONE)
    raw ^= (ends - before).view(np.uint64)  # word lengths (never negative)
    return _mix(raw)


@dataclass(frozen=True, slots=True)
class BodyWords:
    """A body's normalized lines and the hash of each of their words."""

    lines: list[bytes]
    hashes: U64

    @classmethod
    def of(cls, paragraphs: Sequence[str]) -> BodyWords:
        lines = body_lines(paragraphs)
        return cls(lines, word_hashes(lines))


def line_numbers(lines: Sequence[bytes]) -> Lines:
    """The line number of each word of ``lines`` (aligned with ``word_hashes``)."""
    counts = [line.count(b" ") + 1 for line in lines]
    return np.repeat(np.arange(len(lines), dtype=np.int64), counts)


def _mix(x: U64) -> U64:
    """splitmix64 finalizer: every input bit moves every output bit. Works in
    place on ``x`` (callers pass a temporary): no allocations, half the cost."""
    shifted = x >> _SHIFTS[30]
    x ^= shifted
    x *= _MIX1
    np.right_shift(x, _SHIFTS[27], shifted)
    x ^= shifted
    x *= _MIX2
    np.right_shift(x, _SHIFTS[31], shifted)
    x ^= shifted
    return x


def shingles(words: U64) -> U64:
    """Hashes of the word bigrams (the words themselves for one-word texts).
    Repeated bigrams are kept: they do not change a minimum, and counting them
    in the size skews both sides of a containment ratio alike."""
    if len(words) < 2:
        return words
    later = words[1:]
    pairs = later >> _SHIFTS[29]
    pairs ^= later
    pairs += words[:-1] * _PAIR_MIX
    return _mix(pairs)


def minhash(shingle_hashes: U64) -> U64:
    """One-permutation MinHash: the minimum per bin (top 7 bits pick the bin),
    empty bins densified from the next non-empty bin to the right (with the
    distance mixed in, so two texts fill the same bin alike only when their
    donors agree)."""
    if len(shingle_hashes) == 0:
        return np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    ordered = np.sort(shingle_hashes)
    bins = ordered >> _BIN_SHIFT
    first = bins.searchsorted(_BINS_U64)
    filled = bins.take(first, mode="clip") == _BINS_U64
    values: U64 = ordered.take(first, mode="clip")
    values &= _LOW_BITS
    donors = filled.nonzero()[0]
    if len(donors) == PERMUTATIONS:
        return values
    donor = donors.take(donors.searchsorted(_BINS), mode="wrap")
    fill = ((donor - _BINS) & _BIN_MASK).astype(np.uint64)
    fill *= _PAIR_MIX
    fill += values.take(donor)
    densified: U64 = np.where(filled, values, _mix(fill))
    return densified


def band_keys(mins: U64, bands: int) -> tuple[int, ...]:
    """One 32-bit key per band; the low 5 bits hold the band number, so all
    bands can share one index without colliding with each other."""
    rows = mins[: bands * ROWS_PER_BAND].reshape(bands, ROWS_PER_BAND)
    mixed = (rows * _BAND_MIX[:bands]).sum(axis=1, dtype=np.uint64) >> _SHIFTS[32]
    mixed &= _BAND_MASK
    mixed |= _BAND_NUMBERS[:bands]
    return tuple(mixed.tolist())


def signature_bytes(mins: U64) -> bytes:
    """8 well-mixed bits of every minimum."""
    return ((mins * _BYTE_MIX) >> _SHIFTS[56]).astype(np.uint8).tobytes()


def fingerprint(words: U64, bands: int) -> Fingerprint:
    """The fingerprint of a body given its word hashes (``word_hashes``)."""
    hashed = shingles(words)
    mins = minhash(hashed)
    return Fingerprint(signature_bytes(mins), len(hashed), band_keys(mins, bands))


def fingerprint_text(paragraphs: Sequence[str], bands: int = INDEX_BANDS) -> Fingerprint:
    return fingerprint(word_hashes(body_lines(paragraphs)), bands)


def jaccard_estimates(signature: bytes, others: U8) -> npt.NDArray[np.float64]:
    """Estimated Jaccard similarity of ``signature`` with each row of ``others``,
    corrected for the 1/256 chance that two different minima share 8 bits."""
    mine = np.frombuffer(signature, dtype=np.uint8)
    agree = np.count_nonzero(others == mine, axis=1) / len(mine)
    chance = 1.0 / 256.0
    estimates: npt.NDArray[np.float64] = np.clip((agree - chance) / (1.0 - chance), 0.0, 1.0)
    return estimates


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Share of the smaller shingle set found in the larger, from Jaccard and sizes."""
    if min(size_a, size_b) <= 0:
        return 0.0
    intersection = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, intersection / min(size_a, size_b))


def bands_for(threshold: float) -> int:
    """LSH bands for a containment threshold: enough that a pair whose Jaccard is
    a little under the equal-length equivalent of ``threshold`` is found with
    98% probability, capped at INDEX_BANDS (memory)."""
    jaccard = max(0.3, threshold / (2.0 - threshold) - 0.05)
    p_band = jaccard**ROWS_PER_BAND
    needed = int(np.ceil(np.log(0.02) / np.log(1.0 - p_band)))
    return max(4, min(needed, INDEX_BANDS))
