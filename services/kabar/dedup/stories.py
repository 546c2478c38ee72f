"""Online story clustering: every article joins the story it reports, or starts one.

Outlets retell an event in their own words, so exact phrases do not carry
across; what does is the vocabulary of the event (TF-IDF over content words and
their bigrams, lede and headline weighted up), the headline, and the names
involved. An article's score against a story is

    cosine(article, story profile) + title_weight * cosine(headline, story headlines)
      - outlet_penalty  when all of the story comes from the article's own outlet
      - late_penalty    (scaled) when the article falls outside the story's window
      - a fixed penalty when the headlines name different instances (13-inch/16-inch)
      + otherwise, with ``dense`` on, an embedding term (see ``kabar.dedup.dense``)
      + in a sparse stream (few stories held), a bonus for nearness in event time
        (``SPARSE_BONUS``; dense streams never get it)

and it joins the best story scoring at least ``story_threshold``, provided they
share a name (entity guard). Both vectors of the first cosine are weighted by
IDF (learned from the stream) times a *story spread* weight: a term used by
many live stories is topical (``macbook``, ``tariff``), one concentrated in a
single story is the event's own. The outlet penalty keeps one company's
successive press releases, or one site's series, apart: two outlets choosing
the same words is evidence of one event, one outlet reusing its own vocabulary
is not. An article scoring above the threshold for two stories that are
themselves close merges them (``story.merged``).

Speed: the body's words come as the hashes the dedup stage made for its
fingerprint, and become term ids in numpy (``kabar.dedup.termids``); terms
and bigrams are counted, weighted and the heaviest picked over those ids in
numpy (a stable sort: ties keep first-seen order), and only the heaviest
become strings. The heaviest terms look up
candidate stories in an inverted index, rarest first (of a term used by more
than ``POSTING_CAP`` stories, only the stories that took it up last are
read: the cost stays flat however many stories are held; a posting holds only
its last ``POSTING_KEEP`` and the count of the others); only stories sharing
``MIN_SHARED`` of them are scored, by dot products over the article's terms.
Story norms under the drifting IDF are cached and refreshed when the stream
has grown by ``NORM_DRIFT``. Centroids stay bounded (``CENTROID_TERMS``).
The terms only one packed story uses are held as hashes instead of postings
(``kabar.dedup.storycold``): an article hitting one unpacks them first.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import math
import re
import struct
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import accumulate, compress, islice, repeat
from operator import add, eq, itemgetter, mul, truediv
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import orjson

from kabar.dedup import text
from kabar.dedup.dense import Embedder, Vector, open_dense
from kabar.dedup.eventtime import MEMO_SIZE
from kabar.dedup.fingerprint import BodyWords
from kabar.dedup.language import detect_language
from kabar.dedup.storycold import ColdTerms, term_hashes
from kabar.dedup.storyexpiry import StoryExpiry
from kabar.dedup.storymatch import MatchModel, Pair, load_model
from kabar.dedup.storystate import (
    FREEZE_AFTER_S,
    FROZEN_FIELDS,
    Raw,
    SavedIndex,
    StoredRows,
    StoryCut,
    StoryJournal,
    decode_story,
    freeze,
    held_terms,
    held_terms_of,
    is_frozen,
    packed_head,
    refreeze,
    story_fields,
    thaw,
    unfreeze,
)
from kabar.dedup.storystate import STATE_VERSION as INCREMENTAL_STATE_VERSION
from kabar.dedup.termids import HashedTerms
from kabar.dedup.tfidf import (
    DocumentFrequencies,
    SparseVector,
    add_into,
    cosine,
    heaviest,
    normalized,
)
from kabar.errors import DedupError
from kabar.models import Article
from kabar.settings import DedupSettings

STATE_VERSION = 2
#: Version 1 state (which also counted bigrams into the document frequencies) loads as is.
READABLE_VERSIONS = (1, STATE_VERSION)
#: Checkpointed incrementally (``checkpoint``/``restore``): header, story rows, term rows.
INCREMENTAL_VERSION = INCREMENTAL_STATE_VERSION
#: Body words read per article: the lead carries the event, the tail drifts.
BODY_WORDS = 300
#: The first words of the body (the lede) count this many times.
LEAD_WORDS = 60
LEAD_BOOST = 2
TITLE_BOOST = 2
#: Headline content words read at most.
TITLE_WORDS = 40
#: Content words of the lede taken as the headline of an article without one.
LEDE_TITLE_WORDS = 10
#: Bigrams count half a word; only repeated ones (or headline ones) are kept.
BIGRAM_WEIGHT = 0.5
MIN_PAIRS = 2
#: 1 + log(tf) for whole-number term frequencies.
_SUBLINEAR = [0.0] + [
    1.0 + math.log(c)
    for c in range(1, BODY_WORDS + (LEAD_BOOST - 1) * LEAD_WORDS + TITLE_BOOST * TITLE_WORDS + 1)
]
_SUBLINEAR_ARRAY = np.array(_SUBLINEAR, dtype=np.float64)
#: The same for bigram counts (in half words).
_PAIR_SUBLINEAR = np.array(
    [0.0] + [1.0 + math.log(c * BIGRAM_WEIGHT) for c in range(1, len(_SUBLINEAR))], dtype=np.float64
)
_PAIR_SHIFT = 32
_LOW_ID = (1 << _PAIR_SHIFT) - 1
_Ids = npt.NDArray[np.int64]
#: Scratch table indexed by term ids and pair codes (see ``_first_positions``);
#: grown on demand. Clustering runs on one thread.
_SCRATCH: _Ids = np.zeros(1 << 16, dtype=np.int64)
#: 0, 1, 2, ... for every position of an article's counted sequence (views stand in for arange).
_POSITIONS: _Ids = np.arange(BODY_WORDS + (LEAD_BOOST - 1) * LEAD_WORDS + TITLE_BOOST * TITLE_WORDS)
ARTICLE_TERMS = 60
CENTROID_TERMS = 150
#: Centroids are pruned back to CENTROID_TERMS once they exceed it by this much.
CENTROID_SLACK = 50
STORY_ENTITIES = 80
ENTITY_CHARS = 1200
LANGUAGE_CHARS = 1000
#: The article's heaviest terms look up candidate stories in the postings
#: (the last POSTING_CAP entries of a longer one); the SHORTLIST stories
#: sharing most of them are scored in full, and the best CANDIDATES of those
#: are considered for joining and merging.
PREFILTER_TERMS = 24
POSTING_CAP = 100
#: A posting holds the last POSTING_KEEP entries (a margin over the cap: stories
#: leave as well as join) and the count of those before them (``_dropped``): once
#: it reaches POSTING_TRIM entries its front goes. The shortlist reads no further
#: than the cap, and the story spread needs only the count: at 100k articles the
#: postings of more than the cap held 3.4M entries, nearly all never read again.
POSTING_KEEP = POSTING_CAP + POSTING_CAP // 2
POSTING_TRIM = 2 * POSTING_CAP
#: Posting entries counted per article at most (the rarest terms' lists first).
POSTING_BUDGET = 300
#: A story must share at least this many of those terms to be scored.
MIN_SHARED = 3
#: An article with fewer body content words than this (a headline-only item)
#: carries too few terms to share MIN_SHARED with its story: it
#: needs SHORT_MIN_SHARED, and is judged against ``SHORT_THRESHOLD``.
SHORT_BODY_WORDS = 12
SHORT_MIN_SHARED = 1
SHORT_THRESHOLD = 0.18
SHORTLIST = 12
CANDIDATES = 8
#: A sparse stream: fewer stories held than SPARSE_STORIES (a replayed archive,
#: a niche feed, events days or years apart). There a story near in time is
#: likely the article's own event, so the score gains up to SPARSE_BONUS times
#: the time nearness (a Gaussian on the gap, sigma half the story window), the
#: less the fewer stories the window around the article holds (none: all of it;
#: SPARSE_STORIES or more: none, as in every dense stream, whose decisions are
#: unchanged). And a story needs only SPARSE_MIN_SHARED of the heaviest terms to
#: be scored (scoring few stories is cheap). Why it is safe: in a dense stream
#: many unrelated stories are near in time, so nearness says little.
SPARSE_STORIES = 32
SPARSE_BONUS = 0.12
SPARSE_MIN_SHARED = 2
#: A story's cached norms are recomputed once the stream has grown by this share.
NORM_DRIFT = 0.02
#: Idle stories thawed only to be scored are frozen again once this many were
#: (their packed rows were kept: no packing again). Candidates scored by
#: coincidence are most of the thaws: held unpacked until the hourly expiry,
#: they were a fifth of the story memory (14k of 113k stories at 200k articles).
READ_THAWED = 1024
#: Terms of a reopen's postings looked at per article for the cold table (``_cool_some``).
COOL_PER_ARTICLE = 1024
#: Idle stories packed per article (``_freeze_some``): enough to keep up with a
#: stream far faster than one new story per article within an hour of event time.
FREEZE_PER_ARTICLE = 4
#: The terms of packed stories go to the cold table this many at a time at most
#: (``_cool_packed``): a call's fixed cost (a dozen numpy operations, ~50 us) was
#: paid per story, and a hundred-odd terms a story.
COOL_BATCH = 4096
#: Cold stories whose terms a clean stop puts back into the saved postings at once.
SAVE_BATCH = 512
#: member_ids carried in events and state (member_count keeps the true total).
MAX_MEMBER_IDS = 500
MAX_STORIES = 200_000
#: Story title when the first article has none: its first words.
TITLE_FALLBACK_WORDS = 12
#: An article scoring above the threshold for two stories merges them when the
#: stories themselves reach this fraction of the threshold (the article is the
#: missing link between two halves of one event).
MERGE_FACTOR = 0.75
#: ... and when together they span at most MERGE_MAX_WINDOWS story windows: the
#: halves of one event are days apart, an ongoing topic's stories (a city's
#: protests, a company's filings, a critic's reviews) weeks, and merging those
#: makes a mega-story that then absorbs every new event of the topic.
MERGE_MAX_WINDOWS = 2.0
#: An article whose body is mostly a list (at least ROUNDUP_ITEMS bulleted or
#: numbered paragraphs, and ROUNDUP_SHARE of all) is a roundup, a digest of
#: several events: it may join a story but never merges two. (Dashes are not
#: bullets: they open dialogue lines and embedded posts' credits.)
ROUNDUP_ITEMS = 4
ROUNDUP_SHARE = 1 / 3
_LIST_ITEM = re.compile(r"\s*(?:[-•*·▪►]|\d{1,2}[.)])\s")
#: Subtracted when the headlines name different instances (13-inch vs 16-inch).
NUMBER_CONFLICT_PENALTY = 0.2
#: Smoothing of the story-spread weight (see ``_spread``).
SPREAD_PRIOR = 20.0
KEYWORDS = 10
_ZEROS = repeat(0.0)
#: A term's posting: the numbers (``_Story.number``) of the stories using it,
#: in the order they took it up, as packed uint32s (``_Story.key``; half the
#: bytes of int64s, and the postings of common words hold most entries: 3.4M of
#: 4.2M at 100k articles; 4 billion story numbers last a stream of ten billion
#: articles). A
#: bytearray: a query joins its postings and numpy counts them without a
#: Python object per entry, and the GC leaves it untracked (hundreds of
#: thousands of tracked objects made every full collection walk them all).
#: A term used by one story (most are: bigrams) holds that story's ``key``
#: itself, shared, instead of a bytearray of its own (a bytearray object and
#: its buffer are ~100 bytes; at 113k stories held, 1.5M of 1.6M postings were
#: single): a ``bytes`` posting is never mutated, its first append replaces it.
#: A posting of fewer than ``SMALL_POSTING`` stories stays ``bytes`` (an append
#: makes a new one): a bytearray costs 24 bytes more, and over-allocates, and
#: most postings of more than one story hold a few.
_Posting = bytes | bytearray
SMALL_POSTING = 32
_JOIN = bytearray().join
_NUMBER = struct.Struct("<I")
_NUMBER_BYTES = _NUMBER.size
_NUMBER_DTYPE = "<u4"
_SMALL_BYTES = (SMALL_POSTING - 1) * _NUMBER_BYTES
#: A saved posting whose front was dropped starts with this number, then the count
#: dropped (``saved_postings``): story numbers never reach it.
_TRIMMED_MARK = _NUMBER.pack(0xFFFFFFFF)
_TRIM_BYTES = POSTING_TRIM * _NUMBER_BYTES
_KEEP_BYTES = POSTING_KEEP * _NUMBER_BYTES
_ONES = repeat(1.0)


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """The story an article belongs to and the story events to publish."""

    story_id: str
    events: tuple[dict[str, Any], ...]
    #: Score against the story joined; None when the article started the story.
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class _Doc:
    article_id: str
    #: TF-IDF of the heaviest terms, L2-normalized, heaviest first.
    vector: SparseVector
    #: IDF at arrival of the vector's terms, in the vector's order.
    idf: list[float]
    #: IDF at arrival of the headline's terms.
    title_idf: SparseVector
    title_terms: SparseVector
    numbered: dict[str, frozenset[str]]
    #: Distinct name words in first-seen order (a tuple: a set's order follows the hash seed).
    entities: tuple[str, ...]
    portal: str
    time: float
    #: The distinct term ids counted into the document frequencies.
    terms: npt.NDArray[np.int64]
    #: Fewer than SHORT_BODY_WORDS body words (headline-only, caption).
    short: bool = False
    #: The body's paragraphs (only a possible merge reads them: ``_roundup``).
    paragraphs: tuple[str, ...] = ()
    #: Headline + lede embedding (``dense`` on only).
    dense: Vector | None = None


@dataclass(slots=True)
class _Story:
    """A story's profile keeps term weights *without* IDF and applies the
    current IDF when scoring, so stories formed while the stream was young
    are compared with what the stream knows now."""

    id: str
    title: str
    language: str | None
    first_seen: float
    last_seen: float
    member_count: int = 0
    #: A tuple, not a list: the GC stops tracking tuples of strings (one object
    #: less per story for every full collection to walk).
    member_ids: tuple[str, ...] = ()
    outlets: dict[str, int] = field(default_factory=dict)
    centroid: SparseVector = field(default_factory=dict)
    titles: SparseVector = field(default_factory=dict)
    entities: dict[str, float] = field(default_factory=dict)
    #: Headline number-word compounds (``16-inch``, ``55-year``) of all members.
    numbered: dict[str, list[str]] = field(default_factory=dict)
    #: Cached live norms of centroid and titles (``norms``), and the stream size they
    #: are for. Two slots, not a tuple: a tuple a story was 56 bytes more (5 MB at 100k).
    body_norm: float = 0.0
    title_norm: float = 0.0
    norms_at: int = -1
    #: The story's number in the postings (given when it is indexed; not saved).
    number: int = -1
    #: Some of its terms are held in the cold table, not the postings (``_cool_packed``).
    cold: bool = False
    #: While the story is frozen (idle, or not used since a reopen): its
    #: ``FROZEN_FIELDS`` packed, their slots unset (``kabar.dedup.storystate``).
    raw: Raw | None = None

    if not TYPE_CHECKING:  # (a __getattr__ would make every unknown attribute Any to mypy)

        def __getattr__(self, name: str) -> Any:
            """A frozen field is an unset slot: the first use unpacks the story."""
            if name in FROZEN_FIELDS and object.__getattribute__(self, "raw") is not None:
                thaw(self)
                return object.__getattribute__(self, name)
            raise AttributeError(name)

    @property
    def key(self) -> bytes:
        """The story's number packed, as its postings hold it: made at each call, not
        held (a slot and a bytes object, 48 bytes a story, 10 MB at the story cap,
        where most stories are packed and their one-story terms cold, in no posting).
        A caller posting many terms takes it once: they share it."""
        return _NUMBER.pack(self.number)

    @property
    def norms(self) -> tuple[float, float]:
        return self.body_norm, self.title_norm

    @norms.setter
    def norms(self, value: tuple[float, float]) -> None:
        self.body_norm, self.title_norm = value

    def to_dict(self) -> dict[str, Any]:
        return story_fields(self)  # (a frozen story stays frozen)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> _Story:
        return cls(**{**data, "member_ids": tuple(data.get("member_ids", ()))})

    @classmethod
    def frozen(cls, raw: bytes, stored: StoredRows | None = None) -> _Story | None:
        """A story from its packed row, left frozen (None: not a packed row); with
        ``stored`` (where the row is committed) it holds that instead of the bytes."""
        head = packed_head(raw)
        if head is None:
            return None
        story = object.__new__(cls)
        (story.id, story.first_seen, story.last_seen, story.member_count, story.body_norm,
         story.title_norm, story.norms_at) = head  # fmt: skip
        if story.last_seen == story.first_seen:  # (most: one float object for both)
            story.last_seen = story.first_seen
        story.number, story.cold = -1, False
        story.raw = raw if stored is None else stored
        return story

    @classmethod
    def decoded(cls, data: bytes) -> _Story:
        """A story from its row of any kind, unpacked (an orjson row: version 3 state)."""
        fields, norms, norms_at = decode_story(data)
        story = cls.from_dict(fields)
        story.norms, story.norms_at = norms, norms_at
        return story


@dataclass(frozen=True, slots=True)
class _Probe:
    """An article prepared for scoring against many stories: per term, the
    factor its story weight is multiplied by in the dot products."""

    doc: _Doc
    terms: tuple[str, ...]
    weights: tuple[float, ...]
    norm: float
    title_terms: tuple[str, ...]
    title_weights: tuple[float, ...]
    title_norm: float
    #: How sparse the stream is around the article, 0 (dense) to 1 (``_sparseness``).
    sparse: float = 0.0


class StoryClusterer:
    """Assigns articles to stories, online, in publication-time order (roughly)."""

    def __init__(self, settings: DedupSettings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._dense = open_dense(settings, embedder)  # None unless settings.dense
        self._model: MatchModel | None = load_model() if settings.story_match == "learned" else None
        self._df = DocumentFrequencies()
        self._use_vocabulary()
        self._stories: dict[str, _Story] = {}
        self._postings: dict[str, _Posting] = {}
        #: Per term whose posting's front was dropped (``POSTING_TRIM``): how many
        #: stories those entries were. Such a posting is a bytearray (maybe empty).
        self._dropped: dict[str, int] = {}
        self._numbered: dict[int, _Story] = {}
        self._next_number = 0
        self._aliases: dict[str, str] = {}
        self._latest = 0.0
        #: Stories changed since the last checkpoint (``checkpoint``).
        self._journal = StoryJournal()
        #: Shortlisted stories that were frozen, maybe thawed to be scored (``_settle_read``).
        self._read: list[_Story] = []
        #: Stories found idle at the last expiry, packed a few per article (``_freeze_some``).
        self._to_freeze: list[_Story] = []
        self._freeze_before = 0.0
        #: One-story terms of packed stories, as hashes (``kabar.dedup.storycold``).
        self._cold = ColdTerms()
        #: Stories packed since the last move to the cold table, by number, with their
        #: centroid's terms (``_cool_packed``), and how many terms those are.
        self._packed: dict[int, tuple[_Story, list[str]]] = {}
        self._packed_terms = 0
        #: The terms of a reopen's postings, to look at for the cold table (``_cool_some``).
        self._to_cool: list[str] = []
        self._cool_at = 0
        self._expiry = StoryExpiry()  # (``expire``; told of stories left unpacked)

    # --- public API ---------------------------------------------------------
    def assign(
        self, article_id: str, article: Article, when: datetime, words: BodyWords | None = None
    ) -> StoryAssignment:
        """Place the article; ``words`` are its body's, when the caller has them already."""
        if words is None:
            words = BodyWords.of(article.paragraphs)
        if len(self._read) >= READ_THAWED:
            self._settle_read()
        if self._to_freeze:
            self._freeze_some()
        elif self._to_cool:
            self._cool_some()
        doc = self._features(article_id, article, when, words)
        if self._dense is not None:
            doc = replace(doc, dense=self._dense.embed(article.title, article.body))
        if self._cold.size:  # the article's terms held cold go back into the postings
            self._warm_hits(doc.vector)
        # The postings of the heaviest terms: the shortlist reads them, a new story extends them.
        heads = list(map(self._postings.get, islice(doc.vector, PREFILTER_TERMS)))
        ranked = self._rank(doc, heads)
        if self._df.add_ids(doc.terms):
            self._use_vocabulary()  # the ids were renumbered
        self._latest = max(self._latest, doc.time)
        threshold = self._threshold(doc)
        if not ranked or ranked[0][0] < threshold:
            story = self._create(doc, article, heads)
            return StoryAssignment(story.id, (self._event("story.created", story, doc),))
        score, best = ranked[0]
        merged_from: list[str] = []
        for other_score, other in ranked[1:]:
            if other_score < threshold:
                break
            if other.id not in self._stories or not self._may_merge(doc, best, other):
                continue
            if self._story_similarity(best, other) >= self._merge_floor(doc):
                survivor = self._merge(best, other)
                merged_from.append(other.id if survivor is best else best.id)
                best = survivor
        self._add(best, doc)
        if merged_from:
            event = self._event("story.merged", best, doc, merged_from)
        else:
            event = self._event("story.updated", best, doc)
        return StoryAssignment(best.id, (event,), round(min(max(score, 0.0), 1.0), 4))

    def resolve(self, story_id: str) -> str:
        """The current id of a story (stories merged away forward to the survivor)."""
        seen = set()
        while story_id in self._aliases and story_id not in seen:
            seen.add(story_id)
            story_id = self._aliases[story_id]
        return story_id

    def expire(self, now: datetime, budget: int | None = None) -> None:
        """Forget stories (and merge aliases) not updated within ``story_ttl_days``
        of ``now`` (event time: the deduper passes the latest it has seen), the
        oldest first past ``MAX_STORIES``, and queue the idle ones for packing. With
        a ``budget``, only that share of the work (``kabar.dedup.storyexpiry``): the
        deduper calls this at every article, not once an hour for everything."""
        t = _epoch(now)
        cutoff = t - self.settings.story_ttl_days * 86400.0
        self._expiry.run(self, t, cutoff, t - FREEZE_AFTER_S, MAX_STORIES, budget)

    @property
    def active_count(self) -> int:
        """Stories still open for new members (updated within the time window)."""
        since = self._latest - self.settings.story_window_hours * 3600.0
        return sum(1 for s in self._stories.values() if s.last_seen >= since)

    @property
    def held_count(self) -> int:
        """Stories held in memory (not yet expired)."""
        return len(self._stories)

    def dump(self) -> bytes:
        state = {
            "version": STATE_VERSION,
            "df": self._df.to_dict(),
            "stories": [s.to_dict() for s in self._stories.values()],
            "aliases": self._aliases,
            "latest": self._latest,
        }
        if self._dense is not None:  # optional: a state without it loads with no story vectors
            state["dense"] = self._dense.to_dict()
        return orjson.dumps(state)

    @classmethod
    def load(
        cls, data: bytes, settings: DedupSettings, embedder: Embedder | None = None
    ) -> StoryClusterer:
        try:
            state = orjson.loads(data)
            if state.get("version") not in READABLE_VERSIONS:
                raise ValueError(f"unknown story state version {state.get('version')!r}")
            clusterer = cls(settings, embedder)
            clusterer._df = DocumentFrequencies.from_dict(state["df"])
            clusterer._use_vocabulary()
            for raw in state["stories"]:
                clusterer._index(_Story.from_dict(raw))
            clusterer._aliases = dict(state["aliases"])
            clusterer._latest = float(state["latest"])
            if clusterer._dense is not None and state.get("dense"):
                clusterer._dense.restore(state["dense"], set(clusterer._stories))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise DedupError(f"cannot load story state: {exc}", reason="state_error") from exc
        return clusterer

    def checkpoint(self) -> StoryCut:
        """The stories changed since the last checkpoint (all of them at the first),
        cut now; ``StoryCut.encode`` (on any thread) makes their rows."""
        df = self._df
        header: dict[str, Any] = {
            "version": INCREMENTAL_VERSION, "prior_docs": df.prior_docs, "docs": df.docs,
            "aliases": dict(self._aliases), "latest": self._latest,
            "next_number": self._next_number,
        }  # fmt: skip
        if self._dense is not None:
            header["dense"] = self._dense.to_dict()
        return self._journal.cut(self._stories, header, df.terms, df.counts_view())

    @classmethod
    def restore(
        cls,
        header: bytes,
        rows: Iterable[tuple[int, bytes]],
        terms: Iterable[tuple[str, int]],
        settings: DedupSettings,
        embedder: Embedder | None = None,
        postings: Mapping[str, _Posting] | None = None,
        stored: StoredRows | None = None,
    ) -> StoryClusterer:
        """The clusterer checkpointed as ``header`` + story ``rows`` (number, data; in
        number order) + document frequency ``terms`` (``kabar.dedup.storystate``);
        ``postings`` saved with that checkpoint spare indexing the stories again.
        With ``stored`` (where the ``rows`` are committed), a packed story holds it
        instead of its row's bytes from the start: at 1M articles the bytes were
        170 MB held from a reopen until its first checkpoints committed."""
        try:
            state = orjson.loads(header)
            if state.get("version") != INCREMENTAL_VERSION:
                raise ValueError(f"not an incremental story state: {state.get('version')!r}")
            clusterer = cls(settings, embedder)
            clusterer._df = DocumentFrequencies.from_counts(
                float(state["prior_docs"]), int(state["docs"]), terms
            )
            clusterer._use_vocabulary()
            if postings is None:
                clusterer._index_rows(rows, stored)
            else:
                packed = clusterer._number_rows(rows, stored)
                clusterer._take_saved(SavedIndex.of(postings), packed)
            clusterer._next_number = max(clusterer._next_number, int(state["next_number"]))
            clusterer._aliases = dict(state["aliases"])
            clusterer._latest = float(state["latest"])
            clusterer._journal.cuts = int(state.get("cut", 0))
            if clusterer._dense is not None and state.get("dense"):
                clusterer._dense.restore(state["dense"], set(clusterer._stories))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise DedupError(f"cannot load story state: {exc}", reason="state_error") from exc
        # (With ``stored`` no story holds its row's bytes: none to note.)
        held = () if stored is not None else clusterer._stories.values()
        clusterer._journal.loaded(clusterer._df.terms, clusterer._df.counts_view(), held)
        clusterer._to_cool = list(clusterer._postings)  # (cooled a slice per article)
        return clusterer

    def _index_rows(self, rows: Iterable[tuple[int, bytes]], stored: StoredRows | None) -> None:
        """Hold and index the stories of ``rows`` (number, data; in number order)."""
        for number, data in rows:
            # A packed row stays packed until the story is used (most never are
            # again before they expire); an orjson row (version 3 state) is read.
            story = _Story.frozen(data) or _Story.decoded(data)
            self._next_number = number  # the story keeps its number (postings order)
            self._index(story)  # (a packed story's terms from the bytes at hand)
            if stored is not None and story.raw is not None:
                story.raw = stored  # its row is committed: read back when used

    def _number_rows(
        self, rows: Iterable[tuple[int, bytes]], stored: StoredRows | None
    ) -> list[int]:
        """Hold the stories of ``rows`` under their numbers (their postings are saved);
        the numbers of those held packed. One pass, no call a story but the unpacking
        of its head: 200k stories at 1M articles."""
        stories, numbered, packed = self._stories, self._numbered, []
        frozen, number = _Story.frozen, -1
        for number, data in rows:
            story = frozen(data, stored)
            if story is None:
                story = _Story.decoded(data)
            else:
                packed.append(number)
            story.number = number
            numbered[number] = stories[story.id] = story
        self._next_number = number + 1
        return packed

    def _take_saved(self, saved: SavedIndex, packed: list[int]) -> None:
        """Take the postings of a saved index: a term only one packed story (of the
        numbers ``packed``) uses goes straight to the cold table, all at once (where
        ``_cool_some`` would move it a few per article, from a dict of every term:
        3.7 s and ~100 bytes a term of a 1M reopen, for terms nearly all cold soon
        after); the others are postings."""
        numbered = self._numbered
        which, numbers = saved.single()
        is_packed = np.zeros(self._next_number + 1, dtype=bool)
        is_packed[packed] = True
        known = numbers < len(is_packed)
        cool = np.zeros(len(which), dtype=bool)
        cool[known] = is_packed[numbers[known]]
        owners = numbers[cool]
        hashes = term_hashes(saved.words())[which[cool]]  # (all: cheaper than picking some)
        self._cold, placed = ColdTerms.filled(hashes, owners)
        has_cold = np.zeros(len(is_packed), dtype=bool)
        has_cold[owners[placed]] = True
        for number in np.flatnonzero(has_cold).tolist():
            numbered[number].cold = True
        cool[cool] = placed
        rest = np.sort(np.concatenate((which[~cool], saved.longer())))
        self._postings = dict(zip(saved.names(rest), saved.postings(rest), strict=True))
        self._trim_saved()

    def _trim_saved(self) -> None:
        """Postings read from a saved index: the dropped counts that start trimmed
        ones (``saved_postings``) taken out, and the long ones (an index saved
        before trimming) trimmed."""
        postings, dropped = self._postings, self._dropped
        terms = list(postings)
        sizes = np.fromiter(map(len, postings.values()), np.int64, len(terms))
        for i in np.flatnonzero(sizes > _NUMBER_BYTES).tolist():  # (most are one story's)
            term = terms[i]
            posting = postings[term]
            if posting[:_NUMBER_BYTES] == _TRIMMED_MARK:
                dropped[term] = _NUMBER.unpack_from(posting, _NUMBER_BYTES)[0]
                posting = postings[term] = bytearray(posting[2 * _NUMBER_BYTES :])
            if len(posting) >= _TRIM_BYTES:
                _trim(postings, term, posting, dropped)
            elif term in dropped and type(posting) is not bytearray:
                postings[term] = bytearray(posting)

    def _freeze_some(self) -> None:
        """Pack FREEZE_PER_ARTICLE of the stories found idle at the last expiry (not
        updated since ``_freeze_before``, event time): they are held in a fraction of
        the memory, and unpacked when used again. A few per article: packing them all
        at the expiry held the event loop (about 600 stories an hour of a 40k-a-day
        stream, ~100 us each). Their one-story terms go to the cold table in batches
        (``_cool_packed``): when COOL_BATCH are waiting, or the queue is done. Whether
        a story is packed (or its terms cold) never changes a result."""
        queue, before, stories = self._to_freeze, self._freeze_before, self._stories
        for _ in range(min(FREEZE_PER_ARTICLE, len(queue))):
            story = queue.pop()
            if story.raw is None and story.last_seen < before and stories.get(story.id) is story:
                terms = list(story.centroid)
                if freeze(story, self._journal.row_of(story.id)):
                    self._journal.packed(story)  # (its row is read back once committed)
                    self._packed[story.number] = (story, terms)
                    self._packed_terms += len(terms)
        if self._packed and (self._packed_terms >= COOL_BATCH or not queue):
            self._cool_packed()

    def _cool_some(self) -> None:
        """Move COOL_PER_ARTICLE of the terms of a reopen's postings that one packed
        story uses to the cold table (as ``_cool_packed``): the reopen packed every story, and
        the postings say whose a one-story term is (no row is unpacked for it)."""
        at, postings, numbered = self._cool_at, self._postings, self._numbered
        chunk = self._to_cool[at : at + COOL_PER_ARTICLE]
        self._cool_at = at + len(chunk)
        if self._cool_at >= len(self._to_cool):
            self._to_cool, self._cool_at = [], 0
        dropped = self._dropped
        own = [t for t, p in zip(chunk, map(postings.get, chunk), strict=True)
               if p is not None and len(p) == _NUMBER_BYTES and t not in dropped]  # fmt: skip
        if not own:
            return
        keys = b"".join(map(postings.__getitem__, own))
        numbers = np.frombuffer(keys, dtype=_NUMBER_DTYPE).astype(np.int64)
        packed = [n for n in np.unique(numbers).tolist() if is_frozen(numbered[n])]
        own = [own[i] for i in np.flatnonzero(np.isin(numbers, packed)).tolist()]
        numbers = numbers[np.isin(numbers, packed)]
        placed = self._cold.add(term_hashes(own), numbers)
        for i in np.flatnonzero(placed).tolist():
            del postings[own[i]]
        for number in np.unique(numbers[placed]).tolist():
            numbered[number].cold = True

    def _cool_packed(self) -> None:
        """Move the terms that no other story uses of the stories packed since the
        last call (``_packed``) from the postings to the cold table: a packed story
        is seldom used again. Checked now, not when each was packed: a story
        unpacked (``_add``) or dropped since keeps its postings, and a term another
        story took up since (its posting no longer the story's key alone) stays."""
        packed, self._packed, self._packed_terms = self._packed, {}, 0
        numbered, postings = self._numbered, self._postings
        terms: list[str] = []
        keys: list[bytes] = []
        numbers: list[int] = []
        for number, (story, story_terms) in packed.items():
            if story.raw is None or numbered.get(number) is not story:
                continue
            terms += story_terms
            keys += repeat(story.key, len(story_terms))
            numbers += repeat(number, len(story_terms))
        own = list(map(eq, map(postings.get, terms), keys))  # (None == key: False)
        if dropped := self._dropped:  # (whatever is left of a trimmed posting is not one's)
            own = [o and t not in dropped for t, o in zip(terms, own, strict=True)]
        terms = list(compress(terms, own))
        if not terms:
            return
        owners = np.array(list(compress(numbers, own)), dtype=np.int64)
        placed = self._cold.add(term_hashes(terms), owners)
        for term in compress(terms, placed.tolist()):
            del postings[term]
        for number in np.unique(owners[placed]).tolist():
            numbered[number].cold = True

    def _warm(self, story: _Story) -> None:
        """Put the story's cold terms back into the postings (it is about to be used)."""
        terms = list(held_terms(story))
        held = self._cold.take(term_hashes(terms), story.number)
        postings, key = self._postings, story.key
        for i in np.flatnonzero(held).tolist():
            postings[terms[i]] = key
        story.cold = False

    def _warm_hits(self, terms: Collection[str]) -> None:
        """Warm the stories whose cold terms may be among ``terms``."""
        numbered = self._numbered
        for number in self._cold.hits(term_hashes(terms)):
            story = numbered.get(number)
            if story is not None and story.cold:
                self._warm(story)

    def _settle_read(self) -> None:
        """Freeze again the idle stories thawed only to be scored; a recent one
        (loaded packed by a reopen) is held unpacked from now, as it would have
        been without the reopen."""
        before = self._latest - FREEZE_AFTER_S
        for story in self._read:
            if story.raw is None:
                continue  # changed since: held unpacked, frozen when idle
            if story.last_seen < before:
                refreeze(story)
            elif not is_frozen(story):
                story.raw = None
                self._expiry.touched(story)
        self._read = []

    def saved_postings(self) -> tuple[int, dict[str, _Posting]]:
        """The last checkpoint's number and the postings (valid for it when nothing
        changed since: at a clean stop, right after the last ``checkpoint``), the
        cold terms put back in a copy (read from the stories' rows: at a stop only),
        and a trimmed posting led by ``_TRIMMED_MARK`` and its count dropped."""
        if not self._cold.size and not self._dropped:
            return self._journal.cuts, self._postings
        postings = dict(self._postings)
        for term, count in self._dropped.items():  # (``_TRIMMED_MARK``: read by ``restore``)
            postings[term] = b"".join((_TRIMMED_MARK, _NUMBER.pack(count), postings[term]))
        cold = [story for story in self._stories.values() if story.cold]
        terms_of = held_terms_of(cold)
        for at in range(0, len(cold), SAVE_BATCH):  # one numpy round a batch, not a story
            stories = cold[at : at + SAVE_BATCH]
            lists = list(islice(terms_of, len(stories)))
            terms = [term for story_terms in lists for term in story_terms]
            owners = np.repeat(np.arange(len(stories)), list(map(len, lists)))
            numbers = np.array([story.number for story in stories], dtype=np.int64)[owners]
            held = self._cold.hits_of(term_hashes(terms), numbers)
            found = np.flatnonzero(held)
            keys = [story.key for story in stories]
            for i, owner in zip(found.tolist(), owners[found].tolist(), strict=True):
                postings[terms[i]] = keys[owner]
        return self._journal.cuts, postings

    # --- features -----------------------------------------------------------
    def _use_vocabulary(self) -> None:
        """Token and word-hash memos for the current term ids."""
        self._term_ids = text.TermIds(self._df.intern)
        self._hashed_terms = HashedTerms(self._term_ids)

    def _features(
        self, article_id: str, article: Article, when: datetime, body_words: BodyWords
    ) -> _Doc:
        body = article.body
        words = self._hashed_terms(body_words.hashes, body_words.lines)
        words = words[words != 0][:BODY_WORDS]
        heading_ids = _content_ids(self._term_ids, article.title)[:TITLE_WORDS]
        if not len(heading_ids):
            # No headline: the lede's first words stand in (they say what a headline
            # would), or the article would have no headline evidence to give or match.
            heading_ids = words[:LEDE_TITLE_WORDS]
        vocabulary = len(self._df.terms)
        terms, counts, pairs, pair_counts = _term_frequencies(heading_ids, words, vocabulary)
        vector, idf, title_idf = self._weigh(terms, counts, pairs, pair_counts, heading_ids)
        names = text.entity_words(article.title + "\n" + body[:ENTITY_CHARS])
        return _Doc(
            article_id=article_id,
            vector=vector,
            idf=idf,
            title_idf=title_idf,
            title_terms=dict.fromkeys(title_idf, 1.0 / len(title_idf)) if title_idf else {},
            numbered=text.numbered_words(article.title),
            entities=tuple(names),
            portal=_outlet(article),
            time=_epoch(when),
            terms=terms,
            short=len(words) < SHORT_BODY_WORDS,
            paragraphs=article.paragraphs,
        )

    def _weigh(
        self, terms: _Ids, counts: _Ids, pairs: _Ids, pair_counts: _Ids, heading: _Ids
    ) -> tuple[SparseVector, list[float], SparseVector]:
        """Sublinear TF times IDF of the ``ARTICLE_TERMS`` heaviest terms,
        L2-normalized and heaviest first; the IDF of those (in that order) and
        of the headline's terms."""
        df = self._df
        seen = df.counts_view()
        logs = np.frombuffer(df.log_table(), np.float64)
        # The same float operations as DocumentFrequencies.idf: bit for bit equal.
        word_idf = df.base() - logs[seen[terms]]
        pair_idf = df.base() - logs[np.minimum(seen[pairs >> _PAIR_SHIFT], seen[pairs & _LOW_ID])]
        # The headline's few terms: plain Python beats three array operations.
        base, table, log_of = df.base(), df.counts_table(), df.log_table()
        heading_ids = heading.tolist()
        heading_idf = [base - log_of[table[i]] for i in heading_ids]
        del seen  # a view must not outlive the call: the table grows
        weights = np.concatenate(
            (_SUBLINEAR_ARRAY[counts] * word_idf, _PAIR_SUBLINEAR[pair_counts] * pair_idf)
        )
        order = _heaviest_first(weights, ARTICLE_TERMS)
        top = _names(df.terms, np.concatenate((terms, pairs))[order], order >= len(terms))
        values = weights[order].tolist()
        norm = math.hypot(*values)
        vector = dict(zip(top, map(truediv, values, repeat(norm)), strict=False)) if norm else {}
        idf: list[float] = np.concatenate((word_idf, pair_idf))[order].tolist()
        heading_terms = map(df.terms.__getitem__, heading_ids)
        return vector, idf, dict(zip(heading_terms, heading_idf, strict=True))

    # --- scoring ------------------------------------------------------------
    def _rank(self, doc: _Doc, heads: list[_Posting | None]) -> list[tuple[float, _Story]]:
        """The best CANDIDATES of the shortlisted stories, by score, best first."""
        shortlist = self._shortlist(doc, heads)
        if not shortlist:
            return []
        probe = self._probe(doc)
        scored = []
        for story in shortlist:
            score = self._score(probe, story)
            if score is not None:
                scored.append((score, story))
        scored.sort(key=itemgetter(0), reverse=True)
        self._read += [story for story in shortlist if story.raw is not None]
        return scored[:CANDIDATES]

    def _shortlist(self, doc: _Doc, heads: list[_Posting | None]) -> list[_Story]:
        """The stories sharing enough of the article's heaviest terms to be scored
        (``heads``: the postings of its first PREFILTER_TERMS terms)."""
        found: list[_Posting] = list(filter(None, heads))  # (a posting is empty only trimmed)
        need = SHORT_MIN_SHARED if doc.short else MIN_SHARED
        if len(self._stories) < SPARSE_STORIES:
            need = min(need, SPARSE_MIN_SHARED)
        if len(found) < need:
            return []
        if self._dropped:  # the rarest terms first: by all the stories using them
            found = self._by_use(doc, heads)
        else:
            found.sort(key=len)  # the rarest terms first, as far as the budget goes
        cap = POSTING_CAP * _NUMBER_BYTES
        budget = list(accumulate(map(min, map(len, found), repeat(cap))))
        lists = found[: max(need, bisect_right(budget, POSTING_BUDGET * _NUMBER_BYTES))]
        if max(map(len, lists)) > cap:
            # A long posting is read from its end: the stories that took the term up last
            # (a common word cannot single out an event, but among the latest stories it can).
            lists = [ids if len(ids) <= cap else ids[len(ids) - cap :] for ids in lists]
        shortlist, shared = _shared(np.frombuffer(b"".join(lists), dtype=_NUMBER_DTYPE), need)
        if len(shortlist) > SHORTLIST:
            picked = heapq.nlargest(SHORTLIST, range(len(shortlist)), key=shared.__getitem__)
            shortlist = [shortlist[i] for i in picked]
        return list(map(self._numbered.__getitem__, shortlist))

    def _by_use(self, doc: _Doc, heads: list[_Posting | None]) -> list[_Posting]:
        """The non-empty ``heads`` by how many stories use their terms, fewest first
        (a stable sort: equal counts keep the article's order)."""
        dropped = self._dropped.get
        sized = [(len(p) + _NUMBER_BYTES * dropped(t, 0), p)
                 for t, p in zip(doc.vector, heads, strict=False) if p]  # fmt: skip
        sized.sort(key=itemgetter(0))
        return list(map(itemgetter(1), sized))

    def _probe(self, doc: _Doc) -> _Probe:
        log, postings, dropped = math.log, self._postings, self._dropped.get
        base = log(len(self._stories) + SPREAD_PRIOR)  # spread(t), inlined: see _spread
        weights = []
        squares = 0.0
        for (term, x), idf in zip(doc.vector.items(), doc.idf, strict=False):
            using = len(postings.get(term, b"")) // _NUMBER_BYTES + dropped(term, 0)
            spread = base - log(using + 1.0)
            squares += (x * spread) ** 2
            weights.append(x * spread * spread * idf)
        title = normalized(doc.title_idf)  # here: most articles are never scored
        return _Probe(
            doc=doc,
            terms=tuple(doc.vector),
            weights=tuple(weights),
            norm=math.sqrt(squares),
            title_terms=tuple(title),
            title_weights=tuple(x * doc.title_idf[t] for t, x in title.items()),
            title_norm=1.0 if title else 0.0,
            sparse=self._sparseness(doc.time),
        )

    def _sparseness(self, t: float) -> float:
        """1 - log(n + 1) / log(SPARSE_STORIES) for the n stories within a story
        window of ``t``; 0 when SPARSE_STORIES or more are held (dense: not counted)."""
        if len(self._stories) >= SPARSE_STORIES:
            return 0.0
        window = self.settings.story_window_hours * 3600.0
        near = sum(1 for story in self._stories.values() if _gap(t, story) <= window)
        return max(0.0, 1.0 - math.log(near + 1.0) / math.log(SPARSE_STORIES))

    def _threshold(self, doc: _Doc) -> float:
        if self._model is not None:
            return self._model.threshold
        return SHORT_THRESHOLD if doc.short else self.settings.story_threshold

    def _merge_floor(self, doc: _Doc) -> float:
        """How alike two stories must be for an article scoring on both to merge them."""
        threshold = SHORT_THRESHOLD if doc.short else self.settings.story_threshold
        return threshold * MERGE_FACTOR

    def _may_merge(self, doc: _Doc, a: _Story, b: _Story) -> bool:
        """Whether the article may bridge two stories (before their similarity is checked)."""
        if _roundup(doc.paragraphs):  # a digest of several events
            return False
        span = max(a.last_seen, b.last_seen) - min(a.first_seen, b.first_seen)
        return span <= MERGE_MAX_WINDOWS * self.settings.story_window_hours * 3600.0

    def _score(self, probe: _Probe, story: _Story) -> float | None:
        """The join score (None: not a candidate): the hand-tuned sum, or with
        ``story_match = "learned"`` the match model's probability."""
        pair = self._pair(probe, story)
        if pair is None:
            return None
        if self._model is not None:
            return self._model.probability(pair)
        s = self.settings
        score = pair.body + s.story_title_weight * pair.title
        if pair.own_outlet:
            score -= s.story_outlet_penalty
        doc = probe.doc
        if pair.numbers:
            score -= NUMBER_CONFLICT_PENALTY
        elif doc.dense is not None and self._dense is not None:
            # Not across a number conflict: embeddings hardly tell 13-inch from 16-inch.
            score += s.dense_weight * self._dense.score(doc.dense, story.id)
        if probe.sparse:
            sigma = s.story_window_hours * 1800.0  # half the window, in seconds
            score += SPARSE_BONUS * probe.sparse * math.exp(-0.5 * (pair.gap_s / sigma) ** 2)
        return score - s.story_late_penalty * pair.late

    def _pair(self, probe: _Probe, story: _Story) -> Pair | None:
        """The evidence that the article reports the story's event; None when
        the story is past its TTL or shares no name with the article."""
        doc = probe.doc
        gap = _gap(doc.time, story)
        if gap > self.settings.story_ttl_days * 86400.0:
            return None
        entities = story.entities
        if doc.entities and entities and entities.keys().isdisjoint(doc.entities):
            return None  # entity guard: one event involves at least one same name
        shared = sum(1 for name in doc.entities if name in entities)
        window = self.settings.story_window_hours * 3600.0
        centroid_norm, titles_norm = self._norms(story)
        body = title = 0.0
        if probe.norm and centroid_norm:
            found = map(story.centroid.get, probe.terms, _ZEROS)
            body = sum(map(mul, probe.weights, found)) / (probe.norm * centroid_norm)
        if probe.title_norm and titles_norm:
            found = map(story.titles.get, probe.title_terms, _ZEROS)
            title = sum(map(mul, probe.title_weights, found)) / titles_norm
        return Pair(
            body=body,
            title=title,
            entities=shared / max(len(doc.entities), 1),
            gap_s=gap,
            own_outlet=len(story.outlets) == 1 and doc.portal in story.outlets,
            numbers=bool(doc.numbered) and _conflicting(doc.numbered, story.numbered),
            short=doc.short,
            late=min(1.0, (gap - window) / window) if gap > window else 0.0,
        )

    def _norms(self, story: _Story) -> tuple[float, float]:
        """Norms of the story's live centroid (IDF times spread) and live
        titles (IDF), cached until the story changes or the stream grows."""
        docs = self._df.docs
        if story.norms_at >= 0 and docs - story.norms_at <= NORM_DRIFT * docs:
            return story.norms
        log, postings, own, dropped = math.log, self._postings, story.key, self._dropped.get
        spread_base = log(len(self._stories) + SPREAD_PRIOR)
        squares = 0.0
        for term, x in self._df.weighted(story.centroid).items():
            # A term missing from the postings is held cold: the story's own alone.
            using = len(postings.get(term, own)) // _NUMBER_BYTES + dropped(term, 0)
            spread = spread_base - log(using + 1.0)
            squares += (x * spread) ** 2
        titles = sum(x * x for x in self._df.weighted(story.titles).values())
        self._journal.touch(story.id)
        norms = story.norms = (math.sqrt(squares), math.sqrt(titles))
        story.norms_at = docs
        return norms

    def _story_similarity(self, a: _Story, b: _Story) -> float:
        s = self.settings
        score = cosine(self._live(a.centroid), self._live(b.centroid))
        score += s.story_title_weight * cosine(self._live(a.titles), self._live(b.titles))
        if len(a.outlets) == 1 and set(a.outlets) == set(b.outlets):
            score -= s.story_outlet_penalty
        return score

    # --- story bookkeeping --------------------------------------------------
    def _create(self, doc: _Doc, article: Article, heads: list[_Posting | None]) -> _Story:
        """A story of the article alone (``heads``: the postings of its first terms,
        unchanged since they were looked up)."""
        language = article.language or detect_language(
            article.title + "\n" + article.body[:LANGUAGE_CHARS]
        )
        story_id = "st_" + hashlib.sha1(doc.article_id.encode()).hexdigest()[:20]
        self._journal.touch(story_id)
        title = article.title.strip() or " ".join(article.body.split()[:TITLE_FALLBACK_WORDS])
        # What _add would make of an empty story, built directly (most articles start one).
        vector = doc.vector
        weights = map(truediv, vector.values(), doc.idf)
        entities = dict.fromkeys(doc.entities, 1.0)
        story = _Story(
            story_id,
            title,
            language,
            doc.time,
            doc.time,
            member_count=1,
            member_ids=(doc.article_id,),
            outlets={doc.portal: 1},
            centroid=dict(zip(vector, weights, strict=True)),
            titles=dict(doc.title_terms),
            entities=entities if len(entities) <= STORY_ENTITIES else heaviest(
                entities, STORY_ENTITIES
            ),
        )
        _add_numbered(story.numbered, doc.numbered)
        self._number(story)
        postings, key = self._postings, story.key
        found = heads + list(map(postings.get, islice(vector, len(heads), None)))
        dropped = self._dropped
        for term, posting in zip(vector, found, strict=True):
            _extend(postings, term, posting, key, dropped)
        if doc.dense is not None and self._dense is not None:
            self._dense.add(story_id, doc.dense)
        return story

    def _add(self, story: _Story, doc: _Doc) -> None:
        self._journal.touch(story.id)
        if story.cold:
            self._warm(story)
        unfreeze(story)  # (its packed row, if any, is stale from now)
        story.member_count += 1
        story.member_ids = (*story.member_ids, doc.article_id)[-MAX_MEMBER_IDS:]
        story.outlets[doc.portal] = story.outlets.get(doc.portal, 0) + 1
        story.first_seen = min(story.first_seen, doc.time)
        story.last_seen = max(story.last_seen, doc.time)
        vector = doc.vector
        weights = map(truediv, vector.values(), doc.idf)
        self._add_terms(story, dict(zip(vector, weights, strict=True)))
        add_into(story.titles, doc.title_terms)
        _add_numbered(story.numbered, doc.numbered)
        entities = story.entities  # each name counts once more (add_into, at C level)
        counts = map(add, map(entities.get, doc.entities, _ZEROS), _ONES)
        entities.update(zip(doc.entities, counts, strict=False))
        if len(entities) > STORY_ENTITIES:
            story.entities = heaviest(story.entities, STORY_ENTITIES)
        if doc.dense is not None and self._dense is not None:
            self._dense.add(story.id, doc.dense)
        story.norms_at = -1
        self._expiry.touched(story)  # (unpacked now: packed again once idle)

    def _add_terms(self, story: _Story, profile: Mapping[str, float]) -> None:
        """Add to the story's centroid, indexing the terms new to it."""
        centroid, postings, key = story.centroid, self._postings, story.key
        dropped = self._dropped
        for term, x in profile.items():
            old = centroid.get(term)
            if old is None:
                centroid[term] = x
                _post(postings, term, key, dropped)
            else:
                centroid[term] = old + x
        if len(centroid) > CENTROID_TERMS + CENTROID_SLACK:
            live = self._live(centroid)
            for term in heapq.nsmallest(len(centroid) - CENTROID_TERMS, live, key=live.__getitem__):
                del centroid[term]
                self._unpost(term, key)

    def _merge(self, keep: _Story, other: _Story) -> _Story:
        """Merge two stories; the larger (then the older) survives."""
        if (other.member_count, -other.first_seen) > (keep.member_count, -keep.first_seen):
            keep, other = other, keep
        self._journal.touch(keep.id)
        if keep.cold:
            self._warm(keep)
        unfreeze(keep)
        if self._dense is not None:
            self._dense.merge(keep.id, other.id)
        self._drop(other)
        keep.member_count += other.member_count
        keep.member_ids = (*keep.member_ids, *other.member_ids)[-MAX_MEMBER_IDS:]
        for outlet, count in other.outlets.items():
            keep.outlets[outlet] = keep.outlets.get(outlet, 0) + count
        keep.first_seen = min(keep.first_seen, other.first_seen)
        keep.last_seen = max(keep.last_seen, other.last_seen)
        self._add_terms(keep, other.centroid)
        add_into(keep.titles, other.titles)
        _add_numbered(keep.numbered, other.numbered)
        add_into(keep.entities, other.entities)
        keep.entities = heaviest(keep.entities, STORY_ENTITIES)
        keep.norms_at = -1
        self._aliases[other.id] = keep.id
        self._expiry.touched(keep)
        return keep

    def _spread(self, term: str) -> float:
        """How few stories use ``term``: topical words shared by many stories weigh less."""
        stories = self._using(term)
        return math.log((len(self._stories) + SPREAD_PRIOR) / (stories + 1.0))

    def _using(self, term: str) -> int:
        """How many stories use ``term`` (its posting's entries, and those dropped)."""
        return len(self._postings.get(term, b"")) // _NUMBER_BYTES + self._dropped.get(term, 0)

    def _live(self, profile: SparseVector) -> SparseVector:
        """A story profile weighted by the current IDF."""
        return self._df.weighted(profile)

    def _number(self, story: _Story) -> None:
        """Hold the story, under a new number for the postings."""
        story.number = self._next_number
        self._next_number += 1
        self._numbered[story.number] = story
        self._stories[story.id] = story

    def _index(self, story: _Story) -> None:
        """Number the story and post its terms (a frozen story is not unpacked for it)."""
        self._number(story)
        postings, key, dropped = self._postings, story.key, self._dropped
        for term in held_terms(story):
            _post(postings, term, key, dropped)

    def _unpost(self, term: str, key: bytes) -> None:
        _unpost(self._postings, term, key, self._dropped)

    def _drop(self, story: _Story) -> None:
        self._journal.touch(story.id)
        postings, key, dropped = self._postings, story.key, self._dropped
        terms = held_terms(story)
        if story.cold:
            terms = list(terms)
            self._cold.take(term_hashes(terms), story.number)
            story.cold = False
        for term in terms:  # (a frozen story is not unpacked to go)
            posting = postings.get(term)
            # Most terms are the story's own (bigrams): their posting is its key alone.
            # (A posting whose front was dropped is a bytearray: ``_unpost`` counts it.)
            if posting is not None and len(posting) == _NUMBER_BYTES and type(posting) is bytes:
                if posting == key:
                    del postings[term]
            elif posting is not None:
                _unpost(postings, term, key, dropped)
        self._stories.pop(story.id, None)
        self._numbered.pop(story.number, None)
        if self._dense is not None:
            self._dense.drop(story.id)

    def _event(
        self, kind: str, story: _Story, doc: _Doc, merged_from: list[str] | None = None
    ) -> dict[str, Any]:
        event_id = hashlib.sha1(
            f"{story.id}|{kind}|{story.member_count}|{doc.article_id}".encode()
        ).hexdigest()[:32]
        if story.member_count == 1:
            keywords = list(islice(doc.vector, KEYWORDS))  # a new story's centroid is the article
        else:
            live = self._live(story.centroid)
            keywords = heapq.nlargest(KEYWORDS, live, key=live.__getitem__)
        first_seen = _iso(story.first_seen)
        # A new story's two times are one (most events): format it once.
        last_seen = first_seen if story.last_seen == story.first_seen else _iso(story.last_seen)
        event: dict[str, Any] = {
            "id": event_id,
            "type": kind,
            "story_id": story.id,
            "article_id": doc.article_id,
            "title": story.title,
            "language": story.language,
            "first_seen": first_seen,
            "last_seen": last_seen,
            "member_count": story.member_count,
            "member_ids": list(story.member_ids),
            "outlets": sorted(story.outlets),
            "keywords": keywords,
        }
        if merged_from:
            event["merged_from"] = merged_from
        return event


def _heaviest_first(weights: npt.NDArray[np.float64], top: int) -> _Ids:
    """Positions of the ``top`` largest weights, largest first, ties in position
    order (as sorted(reverse=True)): only the weights reaching the top-th
    largest are sorted (a stable sort of them gives the same prefix)."""
    if len(weights) > top:
        floor = np.partition(weights, len(weights) - top)[len(weights) - top]
        reaching = np.flatnonzero(weights >= floor)
        picked: _Ids = reaching[np.argsort(-weights[reaching], kind="stable")[:top]]
        return picked
    ordered: _Ids = np.argsort(-weights, kind="stable")
    return ordered


def _roundup(paragraphs: Sequence[str]) -> bool:
    """Whether the body is a list of items (a digest, a roundup)."""
    items = sum(1 for p in paragraphs if _LIST_ITEM.match(p))
    return items >= ROUNDUP_ITEMS and items >= ROUNDUP_SHARE * len(paragraphs)


def _post(postings: dict[str, _Posting], term: str, key: bytes,
          dropped: dict[str, int] | None = None) -> None:  # fmt: skip
    """Append the story ``key`` to the term's posting (a new one is the key itself)."""
    _extend(postings, term, postings.get(term), key, dropped)


def _extend(postings: dict[str, _Posting], term: str, posting: _Posting | None,
            key: bytes, dropped: dict[str, int] | None = None) -> None:  # fmt: skip
    """``_post`` with the term's ``posting`` looked up already (None: it has none);
    with ``dropped`` (the clusterer's counts of entries dropped), a posting reaching
    ``POSTING_TRIM`` entries keeps its last ``POSTING_KEEP``."""
    if posting is None:
        postings[term] = key
    elif type(posting) is bytearray:
        posting += key
        if len(posting) >= _TRIM_BYTES and dropped is not None:
            _trim(postings, term, posting, dropped)
    elif len(posting) < _SMALL_BYTES:
        postings[term] = posting + key
    else:
        postings[term] = _JOIN((posting, key))


def _trim(postings: dict[str, _Posting], term: str, posting: _Posting,
          dropped: dict[str, int]) -> None:  # fmt: skip
    """Keep the last ``POSTING_KEEP`` entries of the term's posting, counting the
    others in ``dropped`` (a copy: a bytearray cut at its front keeps its buffer)."""
    gone = len(posting) - _KEEP_BYTES
    if gone > 0:
        dropped[term] = dropped.get(term, 0) + gone // _NUMBER_BYTES
        postings[term] = bytearray(posting[gone:])


def _unpost(postings: dict[str, _Posting], term: str, key: bytes,
            dropped: dict[str, int] | None = None) -> None:  # fmt: skip
    """Take the story ``key`` out of the term's posting (its entry order kept); a
    story not among the entries kept is among those ``dropped``, if any were."""
    posting = postings.get(term)
    if posting is None:
        return
    at = posting.find(key)
    while at > 0 and at % _NUMBER_BYTES:  # a match across two numbers: look on
        at = posting.find(key, at + 1)
    if at < 0:
        if dropped is not None and term in dropped:
            _forget_dropped(postings, term, dropped)
        return
    size = len(posting)
    if size == _NUMBER_BYTES:
        if dropped is not None and term in dropped:
            postings[term] = bytearray()  # (the count of the others lives on with it)
        else:
            del postings[term]
        return
    if type(posting) is not bytearray:  # a bytes posting is not changed in place
        if size <= _SMALL_BYTES:
            postings[term] = posting[:at] + posting[at + _NUMBER_BYTES :]
            return
        posting = postings[term] = bytearray(posting)
    if at < size // 2:
        # Near the front (the oldest stories, which the cap drops): move the entries
        # before it on by one and advance the start, instead of moving the whole tail
        # back (a frequent term's posting holds tens of thousands of stories).
        posting[_NUMBER_BYTES : at + _NUMBER_BYTES] = posting[:at]
        del posting[:_NUMBER_BYTES]
    else:
        del posting[at : at + _NUMBER_BYTES]


def _forget_dropped(postings: dict[str, _Posting], term: str, dropped: dict[str, int]) -> None:
    """One story fewer among the term's entries dropped."""
    left = dropped[term] - 1
    if left:
        dropped[term] = left
        return
    del dropped[term]
    if not postings[term]:
        del postings[term]


def _content_ids(ids: text.TermIds, sample: str) -> _Ids:
    """The term ids of the content words of ``sample``, in order."""
    tokens = text.tokens(sample)
    found = np.fromiter(map(ids.__getitem__, tokens), np.int64, len(tokens))
    content: _Ids = found[found != 0]
    return content


def _term_frequencies(heading: _Ids, words: _Ids, vocabulary: int) -> tuple[_Ids, _Ids, _Ids, _Ids]:
    """The distinct terms in first-seen order with their counts (lede and
    headline boosted), and the bigrams (as pair codes) that reach a whole
    count (repeated in the body, or in the headline) with their counts in
    half words, in first-seen order too; counted in numpy over ids (all below
    ``vocabulary``)."""
    lead = words[:LEAD_WORDS]
    sequence = np.concatenate((words, *[lead] * (LEAD_BOOST - 1), *[heading] * TITLE_BOOST))
    size = len(sequence)
    positions = _POSITIONS[:size]
    first = _first_positions(sequence, positions, vocabulary)
    terms, counts = _counted(sequence, first, positions)
    # A bigram is named by its words' first positions: small codes, counted the same way.
    start = len(words) + (LEAD_BOOST - 1) * len(lead)
    in_words, in_heading = first[: len(words)], first[start : start + len(heading)]
    pair_firsts = [in_heading[:-1] * size + in_heading[1:]] * TITLE_BOOST
    codes = np.concatenate((in_words[:-1] * size + in_words[1:], *pair_firsts))
    at = positions[: len(codes)]
    distinct, pair_counts = _counted(codes, _first_positions(codes, at, size * size), at)
    repeated = pair_counts >= MIN_PAIRS
    distinct = distinct[repeated]
    pairs: _Ids = (sequence[distinct // size] << _PAIR_SHIFT) | sequence[distinct % size]
    return terms, counts, pairs, pair_counts[repeated]


def _first_positions(values: _Ids, positions: _Ids, top: int) -> _Ids:
    """For each value, the position of its first occurrence in ``values``
    (``positions``: 0, 1, ...; values index a scratch table, so they must stay
    below ``top``, which should be small)."""
    global _SCRATCH
    if len(_SCRATCH) < top:
        _SCRATCH = np.zeros(max(top, 2 * len(_SCRATCH)), dtype=np.int64)
    scratch = _SCRATCH
    scratch[values] = len(values)
    np.minimum.at(scratch, values, positions)
    first: _Ids = scratch[values]
    return first


def _counted(values: _Ids, first: _Ids, positions: _Ids) -> tuple[_Ids, _Ids]:
    """Distinct values in first-seen order and their counts, given ``_first_positions``."""
    firsts = np.flatnonzero(first == positions)
    counts: _Ids = np.bincount(first)[firsts]  # first[i] <= i: the bins cover every first
    return values[firsts], counts


def _names(terms: list[str], ids: _Ids, is_pair: npt.NDArray[np.bool_]) -> list[str]:
    """Term strings for ids and pair codes: the words in one C-level map, the
    few bigrams put in after."""
    codes = ids.tolist()
    at = np.flatnonzero(is_pair).tolist()
    for i in at:
        codes[i] = 0
    names = list(map(terms.__getitem__, codes))
    for i in at:
        code = int(ids[i])
        names[i] = f"{terms[code >> _PAIR_SHIFT]} {terms[code & _LOW_ID]}"
    return names


def _shared(numbers: _Ids, need: int) -> tuple[list[int], list[int]]:
    """The numbers occurring at least ``need`` times, in order of first
    occurrence, and how often each occurs."""
    if len(numbers) < need:
        return [], []
    if need > 1:
        # Most articles start a story: a plain sort tells cheaply that no number
        # occurs ``need`` times (in sorted order, a run of ``need`` equal values).
        ordered = np.sort(numbers)
        if not (ordered[need - 1 :] == ordered[: len(ordered) - need + 1]).any():
            return [], []
    order = numbers.argsort(kind="stable")  # equal numbers keep their first occurrence first
    ordered = numbers[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, len(numbers)))
    enough = counts >= need
    if not enough.any():
        return [], []
    firsts = order[starts[enough]]
    by_first = firsts.argsort()
    shared: list[int] = numbers[firsts[by_first]].tolist()
    return shared, counts[enough][by_first].tolist()


def _conflicting(doc: dict[str, frozenset[str]], story: dict[str, list[str]]) -> bool:
    """Same number-word in both headlines, never with the same number."""
    return any(word in story and numbers.isdisjoint(story[word]) for word, numbers in doc.items())


def _add_numbered(target: dict[str, list[str]], source: Mapping[str, Iterable[str]]) -> None:
    for word, numbers in source.items():
        target[word] = sorted(set(target.get(word, ())) | set(numbers))


def _outlet(article: Article) -> str:
    if article.portal:
        return article.portal
    host = urlsplit(article.url).hostname or ""
    return host.removeprefix("www.")


def _gap(t: float, story: _Story) -> float:
    """Seconds from ``t`` to the story's [first_seen, last_seen] span."""
    if t < story.first_seen:
        return story.first_seen - t
    return max(0.0, t - story.last_seen)


def _epoch(when: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@functools.lru_cache(maxsize=MEMO_SIZE)
def _iso(t: float) -> str:
    """``t`` as ISO 8601 UTC, remembered: every event carries a story's times, and
    a story's first_seen recurs in each of its events (and a stream's stamps repeat)."""
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")

