"""Story state on disk, incrementally: only what changed since the last checkpoint.

A full dump of every story at every checkpoint grew with the index (495 MB
and 4.6 s on the event loop at 202k stories, issue 14). Instead the clusterer
keeps a journal of the stories changed (created, updated, merged, dropped,
re-normed) since the last checkpoint, and a checkpoint writes only those:

* ``story_rows`` (SQLite table of the dedup state): one row per held story,
  ``id``, its ``number`` (creation order: postings are rebuilt in it), and
  its fields as orjson; a dropped story's row is deleted.
* ``story_terms``: the document frequencies, one row per counted word; only
  the words whose count changed are written (all of them after the
  vocabulary was compacted, which renumbers it).
* the ``stories`` blob: a small header (version 3): the document count,
  merge aliases, latest event time, next story number, dense state if on.

A checkpoint is *cut* on the event loop (cheap: the set of changed ids, a
copy of the counts array, the header) and *encoded* on the state file's
writer thread. Until the encoding is done the clusterer may go on changing
stories: the first change to a story still waiting to be encoded encodes it
first (copy on write), so the checkpoint holds every story exactly as it was
at the cut. The store commits the encoded rows in one transaction with the
dedup rows and blobs (the stories role's consumed offset) that go with them.

A packed (frozen) story holds its row's bytes only until a checkpoint holding
them is committed: then (at the next cut, on the clusterer's thread, if it is
still packed on the same bytes) it holds the state file's ``StoredRows``
instead, and the row is read back when the story is unpacked or its terms are
read (the rare candidate, expiry). At a million articles the packed bytes were
162 MB of the process (191k stories, 849 bytes each). A story packed since its
last checkpoint keeps its bytes until the next one commits; reopening reads
every row (the stories' heads) and drops the bytes at the first checkpoints.

Version 1 and 2 state (one orjson blob) still loads; the first checkpoint
after it writes every story (a migration).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
import threading
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import numpy.typing as npt
import orjson

from kabar.dedup.lsh import release_freed_memory
from kabar.statefile import Statement, StateWriter

log = logging.getLogger(__name__)

STATE_VERSION = 3
#: Stories encoded between two offers of the GIL to the event loop's thread.
YIELD_EVERY = 32
#: Cuts that may wait for the writer thread at once; a cut beyond them first
#: finishes the oldest on the caller's thread (a writer that has stopped must
#: not leave every story change copying into ever more cuts).
MAX_WAITING_CUTS = 4
#: Fields of a story row besides the story's own ``to_dict``.
_NORMS, _NORMS_AT = "norms", "norms_at"
#: A story's fields that may be held packed (``freeze``): all but its id, times,
#: member count and cached norms (what expiry and the postings read).
FROZEN_FIELDS = ("title", "language", "member_ids", "outlets", "centroid", "titles",
                 "entities", "numbered")  # fmt: skip
#: Stories not updated for this long (event time) are held packed (``freeze``) until
#: used again: the stories that may still be joined are mostly the recent ones.
FREEZE_AFTER_S = 6 * 3600.0
#: A packed story row starts with this (an orjson row, which still loads, with "{").
_PACKED = b"KS5\n"
#: Packed bytes dropped for their rows (``StoryJournal._swap``) between two trims of the
#: heap. The trim they call for is made on the writer thread at the next commit, not at
#: the cut: ``malloc_trim`` walks the whole heap (73 ms of CPU on a fragmented 500 MB
#: heap), and at a million articles it was the longest checkpoint on the event loop.
TRIM_AFTER_BYTES = 64 << 20
#: The heap is trimmed at every this many committed checkpoints (``StoryJournal.committed``).
#: The stories packed and dropped, the rows encoded, free blocks between live ones
#: that malloc keeps (RSS) until trimmed: 37 of the 108 MB of malloc's heap at 50k
#: articles, 13 MB of it given back by a trim (8 ms).
TRIM_EVERY_CUTS = 8
#: magic, first and last seen, member count, norms, norms_at, then the bytes of the
#: id, how many member ids, outlets, centroid terms, title terms, entities, and the
#: bytes of JSON that follow.
_HEAD = struct.Struct("<4s4xddqddqIIIIIII")
#: The head up to the id's size (``packed_head``).
_FIRST_HEAD = struct.Struct(_HEAD.format[:-6])
_LEVEL = 1


@dataclass(frozen=True, slots=True)
class StoryRows:
    """One checkpoint's changes, encoded: written in one transaction."""

    header: bytes
    #: (id, number, orjson of the story) of every story changed since the last checkpoint.
    upserts: list[tuple[str, int, bytes]]
    #: Ids of stories dropped (expired, merged away) since the last checkpoint.
    deletes: list[str]
    #: (word, document count) of the words whose count changed.
    terms: list[tuple[str, int]]
    #: The stored words are replaced by ``terms`` (vocabulary renumbered, or migration).
    all_terms: bool
    #: The stored stories are replaced by ``upserts`` (migration from a single blob).
    all_stories: bool


@dataclass(frozen=True, slots=True)
class _Counts:
    """The document frequencies at a cut: the term list (replaced, never shrunk, by
    the clusterer's vocabulary) and a copy of the counts."""

    terms: list[str]
    length: int
    counts: npt.NDArray[np.int64]


class StoredRows:
    """The ``story_rows`` of a state file, read back one story at a time: a packed
    story whose row is committed holds this instead of its bytes (``StoryJournal``
    swaps them), and the row is read when the story is unpacked. Any thread (the
    writer's encodes a changed frozen story): one read-only connection, locked."""

    __slots__ = ("_db", "_lock", "_uri")

    def __init__(self, path: Path) -> None:
        self._uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def read(self, story_id: str) -> bytes:
        """The committed row of ``story_id`` (a swapped story's row is never deleted
        while it is held: only a dropped story's is)."""
        with self._lock:
            if self._db is None:
                self._db = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            # fetchall: the statement is done, holding no read snapshot of the WAL.
            found = self._db.execute(_GET_STORY, (story_id,)).fetchall()
        if not found:
            raise LookupError(f"story {story_id} has no stored row")
        return bytes(found[0][0])

    def read_many(self, story_ids: Sequence[str]) -> dict[str, bytes]:
        """The committed rows of ``story_ids``, in one statement a ``READ_BATCH``
        (a clean stop reads every cold story's row: one query each took 2.7 s at
        1M articles)."""
        found: dict[str, bytes] = {}
        with self._lock:
            if self._db is None:
                self._db = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            for at in range(0, len(story_ids), READ_BATCH):
                chunk = story_ids[at : at + READ_BATCH]
                sql = _GET_STORIES.format(",".join("?" * len(chunk)))
                found.update((i, bytes(d)) for i, d in self._db.execute(sql, chunk).fetchall())
        missing = [i for i in story_ids if i not in found]
        if missing:
            raise LookupError(f"story {missing[0]} has no stored row")
        return found

    def close(self) -> None:
        """Close the connection (a later read opens it again)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


#: A frozen story's packed row: in memory, or committed in the state file.
Raw = bytes | StoredRows
_GET_STORY = "SELECT data FROM story_rows WHERE id = ?"
_GET_STORIES = "SELECT id, data FROM story_rows WHERE id IN ({})"
#: Rows read in one statement by ``StoredRows.read_many`` (SQLite allows 32,766 variables).
READ_BATCH = 512


def _bytes(story: Any, raw: Raw) -> bytes:
    """The bytes of a story's packed row ``raw``."""
    return raw if isinstance(raw, bytes) else raw.read(story.id)


def encode_story(story: Any) -> bytes:
    """A story's row, packed (``pack_story``; orjson of its ``to_dict`` for the
    rare story whose words do not pack), with the cached norms (so scores after
    a reload equal those of an uninterrupted run). Never unpacks a frozen story:
    it may run on the writer thread while the event loop uses the story."""
    raw: Raw | None = story.raw
    if raw is not None and not any(map(_is_set, repeat(story), FROZEN_FIELDS)):
        data = _bytes(story, raw)
        head = _HEAD.pack(*_head(story, _HEAD.unpack_from(data)[7:]))
        return head + data[_HEAD.size :]
    fields = story_fields(story)
    packed = pack_story(story, fields)
    if packed is not None:
        return packed
    fields[_NORMS] = story.norms
    fields[_NORMS_AT] = story.norms_at
    return orjson.dumps(fields)


def decode_story(data: bytes) -> tuple[dict[str, Any], tuple[float, float], int]:
    """The ``from_dict`` fields of a story row, and its cached norms."""
    if data.startswith(_PACKED):
        head = _HEAD.unpack_from(data)
        fields = {"id": packed_id(data), "first_seen": head[1], "last_seen": head[2],
                  "member_count": head[3], **unpack_fields(data)}  # fmt: skip
        fields["member_ids"] = list(fields["member_ids"])  # as an orjson row has them
        return fields, (head[4], head[5]), head[6]
    fields = orjson.loads(data)
    norms = fields.pop(_NORMS, (0.0, 0.0))
    norms_at = fields.pop(_NORMS_AT, -1)
    return fields, (float(norms[0]), float(norms[1])), int(norms_at)


def story_fields(story: Any) -> dict[str, Any]:
    """A story's ``to_dict``, read without unpacking it when it is frozen."""
    unpacked: dict[str, Any] = {}

    def get(name: str) -> Any:
        try:
            return object.__getattribute__(story, name)
        except AttributeError:  # frozen: from the packed fields (set before the slots went)
            raw = story.raw
            if raw is None:  # unpacked meanwhile, on the event loop's thread
                return object.__getattribute__(story, name)
            if not unpacked:
                unpacked.update(unpack_fields(_bytes(story, raw)))
            return unpacked[name]

    return {
        "id": story.id, "title": get("title"), "language": get("language"),
        "first_seen": story.first_seen, "last_seen": story.last_seen,
        "member_count": story.member_count, "member_ids": get("member_ids"),
        "outlets": get("outlets"), "centroid": get("centroid"), "titles": get("titles"),
        "entities": get("entities"), "numbered": get("numbered"),
    }  # fmt: skip


def _is_set(story: Any, name: str) -> bool:
    try:
        object.__getattribute__(story, name)
    except AttributeError:
        return False
    return True


def _head(story: Any, sizes: Sequence[int]) -> tuple[Any, ...]:
    norms = story.norms
    return (_PACKED, story.first_seen, story.last_seen, story.member_count, norms[0], norms[1],
            story.norms_at, *sizes)  # fmt: skip


def pack_story(story: Any, fields: Mapping[str, Any] | None = None) -> bytes | None:
    """The story row, packed: the head (``_HEAD``), the id, then compressed (zlib,
    level 1: half the bytes, tens of microseconds) the weights of centroid,
    titles and entities as float64, the outlet counts as int64, title, language
    and numbered words as orjson, and the member ids, outlets, centroid terms,
    title terms and entities, one a line. None when a word holds a line break."""
    f = story_fields(story) if fields is None else fields
    members, outlets, centroid = f["member_ids"], f["outlets"], f["centroid"]
    titles, entities = f["titles"], f["entities"]
    words = (*members, *outlets, *centroid, *titles, *entities)
    text = "\n".join(words)
    if words and text.count("\n") != len(words) - 1:
        return None
    meta = orjson.dumps([f["title"], f["language"], f["numbered"]])
    weights = array("d", chain(centroid.values(), titles.values(), entities.values()))
    counts = array("q", outlets.values())
    ident = story.id.encode("utf-8")
    sizes = (len(ident), len(members), len(outlets), len(centroid), len(titles), len(entities),
             len(meta))  # fmt: skip
    head = _HEAD.pack(*_head(story, sizes))
    body = b"".join((weights.tobytes(), counts.tobytes(), meta, text.encode("utf-8")))
    return b"".join((head, ident, zlib.compress(body, _LEVEL)))


def _packs(story: Any) -> bool:
    """Whether ``pack_story`` packs the (unfrozen) story: no word holds a line break
    (else its row is orjson, which a frozen story is not read back from)."""
    words = (*story.member_ids, *story.outlets, *story.centroid, *story.titles,
             *story.entities)  # fmt: skip
    return not words or "\n".join(words).count("\n") == len(words) - 1


def unpack_fields(raw: bytes) -> dict[str, Any]:
    """The ``FROZEN_FIELDS`` of a packed story row (dicts in their packed order)."""
    ident, members, outlets, terms, titles, entities, meta = _HEAD.unpack_from(raw)[7:]
    raw = _body(raw, ident)
    at = 0
    weights = array("d")
    weights.frombytes(raw[at : at + 8 * (terms + titles + entities)])
    at += 8 * (terms + titles + entities)
    counts = array("q")
    counts.frombytes(raw[at : at + 8 * outlets])
    at += 8 * outlets
    title, language, numbered = orjson.loads(raw[at : at + meta])
    at += meta
    words = raw[at:].decode("utf-8").split("\n") if at < len(raw) else [""]
    a, b, c = members + outlets, members + outlets + terms, members + outlets + terms + titles
    values = weights.tolist()
    return {
        "title": title, "language": language, "member_ids": tuple(words[:members]),
        "outlets": dict(zip(words[members:a], counts.tolist(), strict=True)),
        "centroid": dict(zip(words[a:b], values[:terms], strict=True)),
        "titles": dict(zip(words[b:c], values[terms : terms + titles], strict=True)),
        "entities": dict(zip(words[c : c + entities], values[terms + titles :], strict=True)),
        "numbered": numbered,
    }  # fmt: skip


def _body(raw: bytes, ident: int) -> bytes:
    return zlib.decompress(raw[_HEAD.size + ident :])


def packed_head(raw: bytes) -> tuple[str, float, float, int, float, float, int] | None:
    """Id, first and last seen, member count, the two norms and norms_at of a packed
    row (None: an orjson row)."""
    if raw[:4] != _PACKED:
        return None
    _, first, last, members, body, title, norms_at, ident = _FIRST_HEAD.unpack_from(raw)
    return (raw[_HEAD.size : _HEAD.size + ident].decode("utf-8"), first, last, members, body,
            title, norms_at)  # fmt: skip


def packed_id(raw: bytes) -> str:
    """The story id of a packed row."""
    return raw[_HEAD.size : _HEAD.size + _HEAD.unpack_from(raw)[7]].decode("utf-8")


def centroid_terms(raw: bytes) -> list[str]:
    """The centroid's terms of a packed story row, in order."""
    ident, members, outlets, terms, titles, entities, meta = _HEAD.unpack_from(raw)[7:]
    at = 8 * (terms + titles + entities + outlets) + meta
    words = _body(raw, ident)[at:].decode("utf-8").split("\n")
    return words[members + outlets : members + outlets + terms]


def held_terms(story: Any) -> Iterable[str]:
    """The centroid's terms, without unpacking a frozen story."""
    raw = story.raw
    if raw is not None and not _is_set(story, "centroid"):
        return centroid_terms(_bytes(story, raw))
    terms: Iterable[str] = story.centroid
    return terms


def held_terms_of(stories: Sequence[Any]) -> Iterator[list[str]]:
    """``held_terms`` of each of ``stories``, in order; the committed rows of
    frozen ones read ``READ_BATCH`` at a time."""
    for at in range(0, len(stories), READ_BATCH):
        chunk = stories[at : at + READ_BATCH]
        stored: dict[str, bytes] = {}
        by_file: dict[int, tuple[StoredRows, list[str]]] = {}
        for story in chunk:
            raw = story.raw
            if isinstance(raw, StoredRows) and not _is_set(story, "centroid"):
                by_file.setdefault(id(raw), (raw, []))[1].append(story.id)
        for rows, ids in by_file.values():
            stored.update(rows.read_many(ids))
        for story in chunk:
            data = stored.get(story.id)
            yield list(held_terms(story)) if data is None else centroid_terms(data)


def freeze(story: Any, stored: StoredRows | None = None) -> bool:
    """Hold the story's ``FROZEN_FIELDS`` packed (a fraction of their objects'
    memory) until one is used again (``thaw``); False when it does not pack.
    With ``stored`` (``StoryJournal.row_of``: its committed row there holds its
    fields as they are) the story is not packed again: it holds the row, as the
    bytes packed here would come to after the next commit (``StoryJournal._swap``),
    and the event loop skips the packing (zlib and all, ~100 us a story at the
    story cap, issue 14). The fields read back are the same either way."""
    if story.raw is not None:  # thawed only to be read: the row is still its fields
        refreeze(story)
        return True
    raw: Raw | None = stored if stored is not None and _packs(story) else pack_story(story)
    if raw is None:
        return False
    story.raw = raw  # first: a reader on another thread finds the fields here meanwhile
    for name in FROZEN_FIELDS:
        delattr(story, name)
    return True


def thaw(story: Any) -> None:
    """Unpack a frozen story's fields (those set since it was frozen stay as set).
    The packed row stays: a story only read (scored as a candidate, most thaws)
    is frozen again by dropping its fields (``refreeze``), without packing it
    again; the clusterer drops the row before it changes the story (``unfreeze``)."""
    raw = object.__getattribute__(story, "raw")
    for name, value in unpack_fields(_bytes(story, raw)).items():
        if not _is_set(story, name):
            object.__setattr__(story, name, value)


def unfreeze(story: Any) -> None:
    """The story is about to change: its fields unpacked, its packed row dropped."""
    if story.raw is not None:
        thaw(story)
        story.raw = None


def is_frozen(story: Any) -> bool:
    """Whether the story's fields are held packed only (not unpacked for a read)."""
    return story.raw is not None and not _is_set(story, "centroid")


def refreeze(story: Any) -> None:
    """A story thawed only to be read: drop its fields again (its row is still theirs)."""
    if story.raw is not None:
        for name in FROZEN_FIELDS:
            if _is_set(story, name):
                delattr(story, name)


class StoryCut:
    """The changes of one checkpoint, cut on the event loop; ``encode`` runs on any thread."""

    def __init__(
        self,
        journal: StoryJournal,
        frozen: dict[str, Any],
        header: dict[str, Any],
        counts: _Counts,
        all_stories: bool,
    ) -> None:
        self._journal = journal
        #: Stories still to encode (None: dropped since the last checkpoint).
        self._pending = frozen
        self._order = list(frozen)
        self._header = header
        self._counts = counts
        self._all_stories = all_stories
        self._encoded: dict[str, tuple[int, bytes] | None] = {}
        self._lock = threading.Lock()
        #: This cut's number (``StoryJournal.cuts`` when it was cut).
        self.number: int = header["cut"]

    def stored_in(self, rows: StoredRows) -> None:
        """The rows of this cut go to ``rows``' file (the journal's from now on)."""
        self._journal.stored_in(rows)

    def committed(self) -> None:
        """This cut's rows are committed (on the writer thread, after the transaction)."""
        self._journal.committed(self.number)

    @property
    def changed(self) -> int:
        """Stories in this checkpoint (written or deleted)."""
        return len(self._order)

    def keep(self, story_id: str) -> None:
        """Before ``story_id`` changes: encode it now if it still waits (copy on write)."""
        if story_id in self._pending:
            with self._lock:
                self._encode_one(story_id)

    def finish(self) -> None:
        """Encode whatever still waits, here and now (too many cuts are waiting)."""
        with self._lock:
            for story_id in list(self._pending):
                self._encode_one(story_id)

    def encode(self) -> StoryRows:
        """Encode what the cut holds (on the writer thread: the GIL passes between stories)."""
        try:
            for n, story_id in enumerate(self._order):
                with self._lock:
                    self._encode_one(story_id)
                if n % YIELD_EVERY == YIELD_EVERY - 1:
                    time.sleep(0)  # hand the GIL back: the event loop goes first
            upserts: list[tuple[str, int, bytes]] = []
            deletes: list[str] = []
            for story_id in self._order:
                row = self._encoded[story_id]
                if row is None:
                    deletes.append(story_id)
                else:
                    upserts.append((story_id, row[0], row[1]))
            header = orjson.dumps(self._header)
            terms, all_terms = self._journal.term_changes(self._counts)
        except BaseException:
            self._journal.finished(self, failed=True)
            raise
        self._journal.finished(self)
        return StoryRows(header, upserts, deletes, terms, all_terms, self._all_stories)

    def _encode_one(self, story_id: str) -> None:
        if story_id not in self._pending:
            return  # encoded already, or not part of this cut
        story = self._pending.pop(story_id)
        if story is None:
            self._encoded[story_id] = None
            return
        raw = story.raw
        self._encoded[story_id] = (story.number, encode_story(story))
        if isinstance(raw, bytes):  # its row holds these bytes once this cut commits
            self._journal.note(story, raw, self.number)


class StoryJournal:
    """Which stories changed since the last checkpoint, and the cut being encoded."""

    def __init__(self) -> None:
        #: Ids changed since the last cut, in first-change order (a dict: a set's
        #: order would follow the hash seed).
        self._dirty: dict[str, None] = {}
        #: Cuts still being encoded, oldest first (replaced, never changed in place:
        #: the writer thread drops a cut while the event loop's thread reads them).
        self._cuts: tuple[StoryCut, ...] = ()
        self._cuts_lock = threading.Lock()
        #: The document frequencies as last written (None: write them all).
        self._saved: _Counts | None = None
        #: Off until the first cut, which writes every story: a clusterer that is
        #: never checkpointed incrementally (memory or Redis store) keeps no journal.
        self._tracking = False
        #: Cuts made so far (saved in the header): names the state a postings file is for.
        self.cuts = 0
        #: Where committed rows are read back (None: packed rows stay in memory).
        self._rows: StoredRows | None = None
        #: (story, its packed bytes, the cut whose commit puts them in its row): at a
        #: cut, a story still frozen on those bytes holds ``_rows`` instead (``_swap``).
        self._packed: list[tuple[Any, bytes, int]] = []
        self._packed_lock = threading.Lock()
        #: The last cut committed (set on the writer thread).
        self._committed = 0
        #: Packed bytes dropped since the heap was last trimmed.
        self._dropped = 0
        #: The cut at whose commit the heap was last trimmed.
        self._trimmed_at = 0
        #: ``TRIM_AFTER_BYTES`` were dropped: the next commit trims the heap (``committed``).
        self._trim_due = False

    def touch(self, story_id: str) -> None:
        """``story_id`` is about to change (or was just created)."""
        if self._tracking:
            for cut in self._cuts:
                cut.keep(story_id)
            self._dirty[story_id] = None

    def loaded(
        self, terms: list[str], counts: npt.NDArray[np.int64], stories: Iterable[Any] = ()
    ) -> None:
        """The stored state is what was just restored: checkpoints write changes from
        now; the packed ``stories`` hold their rows as read."""
        self._saved = _Counts(terms, len(terms), counts.copy())
        self._tracking = True
        self._committed = self.cuts
        with self._packed_lock:
            self._packed += [(s, s.raw, self.cuts) for s in stories if isinstance(s.raw, bytes)]

    def packed(self, story: Any) -> None:
        """``story`` was just packed (``freeze``): its row holds these bytes once the
        cut holding its last change commits (the next one, if it changed since the last)."""
        raw = story.raw
        if self._rows is not None and isinstance(raw, bytes):
            self.note(story, raw, self.cuts + (story.id in self._dirty))

    def row_of(self, story_id: str) -> StoredRows | None:
        """Where the committed row of ``story_id`` holds the story as it is now
        (``freeze`` then need not pack it): every cut is committed, and it has not
        changed since the last. None when that is not known."""
        rows = self._rows
        if rows is None or not self._tracking or self._committed != self.cuts:
            return None
        return None if story_id in self._dirty else rows

    def note(self, story: Any, raw: bytes, cut: int) -> None:
        """``story``'s row holds ``raw`` once cut number ``cut`` is committed."""
        if self._rows is not None:
            with self._packed_lock:
                self._packed.append((story, raw, cut))

    def stored_in(self, rows: StoredRows) -> None:
        """Checkpoints are committed to ``rows``' file (by the first cut given to it)."""
        if self._rows is None:
            self._rows = rows

    def committed(self, cut: int) -> None:
        """Cut number ``cut`` is committed (cuts commit in order; a failed one never).
        Every ``TRIM_EVERY_CUTS``, and after ``TRIM_AFTER_BYTES`` of packed bytes were
        dropped (``_swap``), the heap is trimmed here, on the writer thread (ctypes lets
        the GIL go for the call): ``release_freed_memory``."""
        self._committed = max(self._committed, cut)
        if self._trim_due or cut - self._trimmed_at >= TRIM_EVERY_CUTS:
            self._trim_due = False
            self._trimmed_at = cut
            release_freed_memory()

    def _swap(self, stories: Mapping[str, Any]) -> None:
        """Stories still packed on the bytes their committed row holds drop the bytes
        for the row (read back when unpacked): 850 bytes a packed story at 1M articles.
        On the thread that changes the stories: a changed story has other bytes, or none."""
        rows, committed = self._rows, self._committed
        if rows is None or not self._packed:
            return
        with self._packed_lock:
            packed = self._packed
            self._packed = [p for p in packed if p[2] > committed]
        for story, raw, cut in packed:
            held = stories.get(story.id) is story  # (not dropped: its row may be gone)
            if cut <= committed and story.raw is raw and held:
                story.raw = rows
                self._dropped += len(raw)
        del packed  # (the bytes go with their last reference)
        if self._dropped >= TRIM_AFTER_BYTES:
            # Freed blocks between live ones stay in the heap (RSS) until trimmed: by the
            # writer thread, at the next commit (here it held the event loop).
            self._dropped = 0
            self._trim_due = True

    @property
    def pending(self) -> int:
        """Stories changed since the last cut."""
        return len(self._dirty)

    def cut(
        self,
        stories: Mapping[str, Any],
        header: dict[str, Any],
        terms: list[str],
        counts: npt.NDArray[np.int64],
    ) -> StoryCut:
        """Cut a checkpoint now (on the thread that changes the stories). The cuts
        still being encoded go on (a story they hold is encoded for each before it
        changes): finishing the last one here held a stop's final checkpoint 1.3 s
        at 1M articles."""
        self._swap(stories)
        waiting = self._cuts
        if len(waiting) >= MAX_WAITING_CUTS:
            waiting[0].finish()  # the writer lags far behind: catch up here
        everything = not self._tracking
        if everything:  # the first cut (or one after a failure): every story
            frozen = dict(stories)
        else:
            frozen = {story_id: stories.get(story_id) for story_id in self._dirty}
        snapshot = _Counts(terms, len(terms), counts[: len(terms)].copy())
        self.cuts += 1
        header["cut"] = self.cuts
        cut = StoryCut(self, frozen, header, snapshot, everything)
        self._dirty = {}
        self._tracking = True
        with self._cuts_lock:
            self._cuts = (*self._cuts, cut)
        return cut

    def finished(self, cut: StoryCut, *, failed: bool = False) -> None:
        """``cut`` is encoded (on the writer thread: cuts are encoded in order)."""
        with self._cuts_lock:
            self._cuts = tuple(c for c in self._cuts if c is not cut)
        if failed:  # the next cut writes everything instead
            self._tracking = False
            self._dirty = {}
            self._saved = None

    def term_changes(self, now: _Counts) -> tuple[list[tuple[str, int]], bool]:
        """Words whose count changed since the last written cut; all words (True)
        when the vocabulary was renumbered or nothing was written yet."""
        saved = self._saved
        self._saved = now
        counts = now.counts
        if saved is None or saved.terms is not now.terms:
            changed = np.flatnonzero(counts > 0)
            return _pairs(now, changed), True
        old = saved.length
        moved = np.flatnonzero(counts[:old] != saved.counts[:old])
        grown = np.flatnonzero(counts[old:] > 0) + old
        return _pairs(now, np.concatenate((moved, grown))), False


def _pairs(counts: _Counts, ids: npt.NDArray[np.intp]) -> list[tuple[str, int]]:
    terms = counts.terms
    return [(terms[i], c) for i, c in zip(ids.tolist(), counts.counts[ids].tolist(), strict=True)]


# --- in the SQLite dedup state ------------------------------------------------
SCHEMA = """
CREATE TABLE IF NOT EXISTS story_rows (id TEXT PRIMARY KEY, number INTEGER NOT NULL,
                                       data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS story_rows_number ON story_rows (number);
CREATE TABLE IF NOT EXISTS story_terms (term TEXT PRIMARY KEY, count INTEGER NOT NULL);
"""
_PUT_STORY = "INSERT OR REPLACE INTO story_rows (id, number, data) VALUES (?, ?, ?)"
_PUT_TERM = "INSERT OR REPLACE INTO story_terms (term, count) VALUES (?, ?)"
_PUT_BLOB = "INSERT OR REPLACE INTO blobs VALUES (?, ?)"


def statements(rows: StoryRows, header_blob: str) -> list[Statement]:
    """The writes of one checkpoint (committed in one transaction)."""
    out: list[Statement] = []
    if rows.all_stories:
        out.append(("DELETE FROM story_rows", [()]))
    out.append((_PUT_STORY, rows.upserts))
    out.append(("DELETE FROM story_rows WHERE id = ?", [(i,) for i in rows.deletes]))
    if rows.all_terms:
        out.append(("DELETE FROM story_terms", [()]))
    out.append((_PUT_TERM, rows.terms))
    out.append((_PUT_BLOB, [(header_blob, rows.header)]))
    return out


@dataclass(frozen=True, slots=True)
class StoredStories:
    """A checkpointed story state in a dedup state file: the header, and the rows
    and words read (streamed, on a connection of their own) as they are iterated."""

    header: bytes
    path: Path
    #: The state file's identity (a postings file of another file is not used).
    token: str
    #: Where its committed rows are read back one at a time (None: not read back).
    stored: StoredRows | None = None

    @property
    def version(self) -> int | None:
        return self._field("version")

    def index(self) -> SavedIndex | None:
        """The postings saved at the clean stop that wrote this state, if it was one."""
        cut = self._field("cut")
        return read_index(index_path(self.path), self.token, cut) if cut is not None else None

    def _field(self, name: str) -> int | None:
        try:
            value = orjson.loads(self.header).get(name)
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return value if isinstance(value, int) else None

    def rows(self) -> Iterator[tuple[int, bytes]]:
        """Stories as (number, data), in number order (read a batch at a time, handed
        on at C level: no generator step a story)."""
        return chain.from_iterable(self._select("SELECT number, data FROM story_rows"
                                                " ORDER BY number"))  # fmt: skip

    def terms(self) -> Iterator[tuple[str, int]]:
        return chain.from_iterable(self._select("SELECT term, count FROM story_terms"))

    def _select(self, sql: str) -> Iterator[list[Any]]:
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        db = sqlite3.connect(uri, uri=True)
        try:
            cursor = db.execute(sql)
            while batch := cursor.fetchmany(4096):
                yield batch
        finally:
            db.close()


@dataclass(slots=True)
class _Marker:
    """A story checkpoint in the held writes: what was held before it, and the blobs
    put after it (the stories role's offset), are committed in its transaction."""

    blobs: list[Statement]
    #: Run on the writer thread once the checkpoint is committed.
    committed: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class _Job:
    run: Callable[[], None]
    what: str


_Held = list[Statement] | _Job | _Marker


class CheckpointGate:
    """Holds a store's writes back while a story checkpoint is encoded on the
    writer thread, then hands them over in one transaction with the story rows:
    the dedup rows, story rows and consumed offset of a checkpoint are on disk
    together or not at all."""

    def __init__(self, writer: StateWriter) -> None:
        self._writer = writer
        self._lock = threading.RLock()
        #: Writes held back (None: not holding, writes go straight to the writer).
        self._held: list[_Held] | None = None

    @property
    def holding(self) -> bool:
        return self._held is not None

    def held_rows(self) -> int:
        held = self._held or []
        return sum(len(r) for item in held if isinstance(item, list) for _, r in item)

    def submit(self, batch: Sequence[Statement]) -> None:
        with self._lock:
            if self._held is None:
                self._writer.submit(batch)
            else:
                self._held.append(list(batch))

    def submit_job(self, run: Callable[[], None], what: str) -> None:
        with self._lock:
            if self._held is None:
                self._writer.submit_job(run, what)
            else:
                self._held.append(_Job(run, what))

    def submit_blob(self, batch: Sequence[Statement]) -> None:
        """A blob goes with the newest waiting checkpoint (the state it describes)."""
        with self._lock:
            markers = [m for m in self._held or [] if isinstance(m, _Marker)]
            if markers:
                markers[-1].blobs.extend(batch)
            else:
                self.submit(batch)

    def checkpoint(
        self,
        flush: Callable[[], None],
        encode: Callable[[], list[Statement]],
        committed: Callable[[], None] | None = None,
    ) -> None:
        """Hold writes, ``flush`` (its rows join the checkpoint), and have the
        writer thread ``encode`` the story rows and release everything held so far;
        ``committed`` runs on the writer thread once they are committed (never when
        the encoding failed, nor while the transaction is being retried)."""
        with self._lock:
            if self._held is None:
                self._held = []
            flush()
            marker = _Marker([], committed)
            self._held.append(marker)
        self._writer.submit_job(lambda: self._release(marker, encode), "story checkpoint")

    def _release(self, marker: _Marker, encode: Callable[[], list[Statement]]) -> None:
        committed = marker.committed
        try:
            rows = encode()
        except Exception:  # the journal writes everything next time; the rows must go on
            log.exception("story checkpoint could not be encoded; the next one writes all")
            rows, committed = [], None
        with self._lock:
            held = self._held or []
            at = next(i for i, item in enumerate(held) if item is marker)
            before, after = held[:at], held[at + 1 :]
            batch = [s for item in before if isinstance(item, list) for s in item]
            self._writer.submit([*batch, *rows, *marker.blobs])
            if committed is not None:  # (a job runs once the batches before it committed)
                self._writer.submit_job(committed, "story rows committed")
            for item in before:
                if isinstance(item, _Job):
                    self._writer.submit_job(item.run, item.what)
            if any(isinstance(item, _Marker) for item in after):
                self._held = after
                return
            self._held = None
            for item in after:
                if isinstance(item, _Job):
                    self._writer.submit_job(item.run, item.what)
                elif isinstance(item, list):
                    self._writer.submit(item)


# --- the postings, saved at a clean stop --------------------------------------
#: Version 2: story numbers as uint32 (version 1, int64, is not read: the stories are indexed).
#: Version 3: a posting whose front was dropped starts with a mark and the count dropped
#: (``kabar.dedup.stories``); version 2 (whole postings) is still read.
INDEX_MAGIC = b"KABAR-STORY-INDEX-3\n"
_READABLE_INDEXES = (b"KABAR-STORY-INDEX-2\n", INDEX_MAGIC)
#: Bytes of one posting entry (a story number, uint32: ``kabar.dedup.stories``).
_ENTRY_BYTES = 4
_LINE = ord("\n")


def index_path(state: Path) -> Path:
    return Path(f"{state}.stories.index")


def write_index(
    path: Path, token: str, cut: int, postings: Mapping[str, bytes | bytearray]
) -> None:
    """Save the clusterer's postings (term -> story numbers) as of checkpoint ``cut``
    of the state file ``token``: a clean restart takes them as they are instead of
    indexing every story again (most of a reopen). Atomic: temporary file, rename."""
    terms = "\n".join(postings).encode("utf-8")
    sizes = np.fromiter(map(len, postings.values()), np.int64, len(postings))
    header = orjson.dumps({"token": token, "cut": cut, "terms": len(postings)})
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(INDEX_MAGIC + len(header).to_bytes(8, "little") + header)
        out.write(len(terms).to_bytes(8, "little") + terms + sizes.tobytes())
        out.write(b"".join(postings.values()))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def read_index(path: Path, token: str, cut: int) -> SavedIndex | None:
    """The postings saved for checkpoint ``cut`` of the state file ``token``; None when
    there are none for it (a crash after a later checkpoint: the stories are indexed)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(_READABLE_INDEXES):
            raise ValueError("not a story index")
        at = len(INDEX_MAGIC)
        size = int.from_bytes(data[at : at + 8], "little")
        header = orjson.loads(data[at + 8 : at + 8 + size])
        if header["token"] != token or header["cut"] != cut:
            return None
        at += 8 + size
        size = int.from_bytes(data[at : at + 8], "little")
        text = data[at + 8 : at + 8 + size]
        text.decode("utf-8")  # (checked here: read again term by term later)
        at += 8 + size
        count = int(header["terms"])
        sizes = np.frombuffer(data, np.int64, count, at)
        ends = np.cumsum(sizes) + (at + 8 * count)
        if (text.count(b"\n") + 1 if size else 0) != count or (
            ends[-1] if count else at
        ) != len(data):
            raise ValueError("story index truncated")
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        log.warning("story index %s unreadable (%s): indexing the stories instead", path, exc)
        return None
    return SavedIndex(text, data, ends - sizes, sizes)


class SavedIndex(Mapping[str, bytes]):
    """Postings saved at a clean stop, as the file holds them: the terms (UTF-8, one a
    line) and each one's span of the file's bytes. A reopen takes what it needs from
    here (``StoryClusterer.restore``): most terms are one packed story's and go
    straight to the cold table as hashes; a dict of millions of ``bytes`` (3.7 s of a
    1M reopen, and ~100 bytes a term of RSS) is never built, and the strings of the
    terms are made twice (to be hashed, then for the few kept as postings) so that
    none of the many dropped share the allocator's arenas with those kept (which
    would hold the arenas, the RSS, of all). A mapping (term -> posting bytes) for
    the rest, and for tests."""

    __slots__ = ("_at", "_data", "_sizes", "_text", "_where")

    def __init__(
        self,
        text: bytes,
        data: bytes,
        starts: npt.NDArray[np.int64],
        sizes: npt.NDArray[np.int64],
    ) -> None:
        self._text = text
        self._data = data
        self._at = starts
        self._sizes = sizes
        self._where: dict[str, int] | None = None

    @classmethod
    def of(cls, postings: Mapping[str, bytes | bytearray]) -> SavedIndex:
        """Postings held in memory, as a saved index of them would read."""
        if isinstance(postings, SavedIndex):
            return postings
        sizes = np.fromiter(map(len, postings.values()), np.int64, len(postings))
        starts = np.cumsum(sizes) - sizes
        text = "\n".join(postings).encode("utf-8")
        return cls(text, b"".join(postings.values()), starts, sizes)

    def __len__(self) -> int:
        return len(self._sizes)

    def __iter__(self) -> Iterator[str]:
        return iter(self.words())

    def __getitem__(self, term: str) -> bytes:
        if self._where is None:
            self._where = {t: i for i, t in enumerate(self.words())}
        return self.posting(self._where[term])

    def words(self) -> list[str]:
        """Every term, in order (a new list of new strings at every call)."""
        return self._text.decode("utf-8").split("\n") if self._text else []

    def names(self, which: npt.NDArray[np.intp]) -> list[str]:
        """The terms at ``which`` (new strings, made from the bytes)."""
        text = self._text
        ends = np.append(np.flatnonzero(np.frombuffer(text, np.uint8) == _LINE), len(text))
        starts = np.append(0, ends[:-1] + 1)
        spans = map(slice, starts[which].tolist(), ends[which].tolist())
        return [text[span].decode("utf-8") for span in spans]

    def posting(self, i: int) -> bytes:
        """The posting of the ``i``-th term."""
        at = int(self._at[i])
        return self._data[at : at + int(self._sizes[i])]

    def postings(self, which: npt.NDArray[np.intp]) -> Iterator[bytes]:
        """The postings of the terms at ``which`` (copied out at C level: no Python
        loop per term)."""
        starts = self._at[which]
        return map(self._data.__getitem__, map(slice, starts.tolist(),
                                               (starts + self._sizes[which]).tolist()))  # fmt: skip

    def single(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
        """The terms whose posting is one story (most: a story's own bigrams), and
        that story's number each, in one numpy gather."""
        which = np.flatnonzero(self._sizes == _ENTRY_BYTES)
        raw, at = np.frombuffer(self._data, np.uint8), self._at[which]
        numbers = np.zeros(len(which), np.int64)
        for byte in range(_ENTRY_BYTES):  # little-endian uint32s at unaligned offsets
            numbers |= raw[at + byte].astype(np.int64) << (8 * byte)
        return which, numbers

    def longer(self) -> npt.NDArray[np.intp]:
        """The terms whose posting is not one story's (several, none, or trimmed)."""
        return np.flatnonzero(self._sizes != _ENTRY_BYTES)
