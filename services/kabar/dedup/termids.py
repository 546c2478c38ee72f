"""Body words to term ids, from the hashes the fingerprint already made.

The dedup stage hashes every word of a body for its MinHash
(``fingerprint.word_hashes``, in numpy); story clustering needs the same words
as term ids. Splitting the body again into a few hundred Python strings and
looking each up costs more than all the numpy work after it, so the word
hashes look up term ids instead, in a hash table held in numpy arrays. Only
a word never met before becomes a string, once, to find its content word.

The fingerprint's words are ``\\w+`` runs, where ``text.tokens`` keeps an
inner apostrophe (``ma'ruf`` reads ``ma`` and ``ruf`` here, ``ma`` there);
otherwise the two agree, and clustering results on the shared corpus are the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kabar.dedup import text
from kabar.dedup.fingerprint import U64

Ids = npt.NDArray[np.int64]
#: Words held at most; beyond, the table starts over (as the token memos do).
MAX_WORDS = 200_000
#: The table is grown before it is more than this full (cuckoo hashing
#: inserts reliably up to about half full).
MAX_LOAD = 0.4
MAX_KICKS = 64
_INITIAL_SLOTS = 1 << 14
_SECOND = np.uint64(32)  # a key's second slot comes from its high bits


class HashedTerms:
    """Word hash -> term id of its content word (0: none), through ``by_token``.

    A cuckoo hash table in two numpy arrays: every key sits in one of its two
    slots, so a whole body is looked up in a fixed dozen array operations.
    Key 0 marks an empty slot (a word hashing to 0 is taken as hashing to 1)."""

    def __init__(self, by_token: text.TermIds) -> None:
        self._by_token = by_token
        self._allocate(_INITIAL_SLOTS)

    def __call__(self, hashes: U64, lines: Sequence[bytes]) -> Ids:
        """The term id of each word (``hashes`` of the words of ``lines``)."""
        hashes = hashes | (hashes == 0)
        first = (hashes & self._mask).astype(np.intp)
        second = ((hashes >> _SECOND) & self._mask).astype(np.intp)
        # Each key sits in its first slot or its second: pick the slot, then read once.
        slot = np.where(self._keys[first] == hashes, first, second)
        ids: Ids = self._values[slot]
        missing = np.flatnonzero(self._keys[slot] != hashes)
        if len(missing):
            self._resolve(ids, hashes, missing, lines)
        return ids

    def _resolve(self, ids: Ids, hashes: U64, missing: Ids, lines: Sequence[bytes]) -> None:
        words = b" ".join(lines).split()  # aligned with word_hashes
        for i, key in zip(missing.tolist(), hashes[missing].tolist(), strict=True):
            value = self._get(key)  # a new word seen twice in one body
            if value is None:
                value = self._by_token[words[i].decode("utf-8")]
                self._put(key, value)
            ids[i] = value

    def _slots(self, key: int) -> tuple[int, int]:
        mask = int(self._mask)
        return key & mask, (key >> int(_SECOND)) & mask

    def _get(self, key: int) -> int | None:
        for slot in self._slots(key):
            if int(self._keys[slot]) == key:
                return int(self._values[slot])
        return None

    def _put(self, key: int, value: int) -> None:
        if self._used + 1 > MAX_LOAD * len(self._keys):
            self._grow()
        keys, values = self._keys, self._values
        first, second = self._slots(key)
        slot = second if keys[first] != 0 and keys[second] == 0 else first
        for _ in range(MAX_KICKS):
            if keys[slot] == 0:
                keys[slot], values[slot] = key, value
                self._used += 1
                return
            # Evict the occupant to its other slot.
            key, keys[slot] = int(keys[slot]), key
            value, values[slot] = int(values[slot]), value
            first, second = self._slots(key)
            slot = second if slot == first else first
        self._grow()
        self._put(key, value)

    def _grow(self) -> None:
        held = np.flatnonzero(self._keys)
        if len(held) >= MAX_WORDS:  # start over, as the token memos do
            self._allocate(_INITIAL_SLOTS)
            return
        keys, values = self._keys[held], self._values[held]
        self._allocate(2 * len(self._keys))
        self._put_many(keys, values)

    def _put_many(self, keys: U64, values: Ids) -> None:
        """Insert distinct keys not held: most straight into a free slot of theirs,
        in bulk, the few left one by one (``_put``). Reinserting them one by one
        held the event loop 100 ms and more at 100k words (issue 14)."""
        left = np.ones(len(keys), dtype=bool)
        for shift in (np.uint64(0), _SECOND):
            slots = ((keys >> shift) & self._mask).astype(np.intp)
            free = np.flatnonzero(left & (self._keys[slots] == 0))
            _, first = np.unique(slots[free], return_index=True)  # one key a slot
            placed = free[first]
            self._keys[slots[placed]] = keys[placed]
            self._values[slots[placed]] = values[placed]
            self._used += len(placed)
            left[placed] = False
        for i in np.flatnonzero(left).tolist():
            self._put(int(keys[i]), int(values[i]))

    def _allocate(self, size: int) -> None:
        self._keys: U64 = np.zeros(size, dtype=np.uint64)
        self._values: Ids = np.zeros(size, dtype=np.int64)
        self._mask = np.uint64(size - 1)
        self._used = 0
