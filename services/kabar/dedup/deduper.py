"""The dedup stage: one verdict per extracted article.

In order: the canonical URL was seen with the same body → ``unchanged``; with
another body → ``revision`` (same id, revision + 1); the body hash was seen at
another URL → ``duplicate``; MinHash LSH finds a stored body whose verified
containment reaches the threshold → ``near_duplicate``; else ``new``, and the
story clusterer places it. Copies and revisions inherit their original's
story instead of being clustered again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from kabar import metrics
from kabar.dedup.boilerplate import BoilerplateLines, line_keys
from kabar.dedup.eventtime import MEMO_SIZE, event_time
from kabar.dedup.fingerprint import (
    U64,
    BodyWords,
    Fingerprint,
    bands_for,
    body_lines,
    containment,
    fingerprint,
    hash_joined,
    jaccard_estimates,
    line_numbers,
    word_hashes,
)
from kabar.dedup.store import ArticleRecord, StateStore, open_store
from kabar.dedup.templatelines import paragraph_span, trimmed_span
from kabar.errors import DedupError
from kabar.events import article_id as make_article_id
from kabar.models import Article, DedupResult, DedupVerdict
from kabar.settings import DedupSettings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from kabar.dedup.text import TextFeatures

log = logging.getLogger(__name__)

#: Bodies shorter than this (in words) are only matched by URL: tiny bodies
#: ("Video: ...", empty pages) collide by accident.
MIN_WORDS = 8
#: Near-duplicates must be comparable in size: a stub inside a long report is not a copy.
MIN_SIZE_RATIO = 0.5
MAX_CANDIDATES = 64
EXPIRE_EVERY_S = 3600.0
#: Story expiry work per article (``StoryClusterer.expire``'s budget): spread over
#: articles, not one batch an hour (776 ms at 1M articles). Well above the one story
#: an article can create, so expiry keeps up.
EXPIRE_PER_ARTICLE = 16
#: Growth of the frozen heap since its last whole collection that earns it another
#: (``Deduper.commit``): what bounds a leak of cyclic garbage frozen while alive.
REFREEZE_GROWTH = 1.25
#: Frozen objects a held story accounts for (its ``_Story``, an unpacked one maybe a
#: container more: 67.8k frozen at 100k articles, 34.9k stories held). Frozen-heap
#: growth the held stories explain earns no whole collection (each held the event
#: loop hundreds of ms while the index grew), only growth beyond it does (garbage
#: of other code frozen while alive).
FROZEN_PER_STORY = 2
#: Counting active stories walks them all, so the gauge is refreshed now and then.
ACTIVE_GAUGE_EVERY = 256
#: ... and at most every held-stories / this many articles (a walk costs at most this
#: many story visits per article).
ACTIVE_GAUGE_SHARE = 8
_STORIES_BLOB = "stories"
_BOILERPLATE_BLOB = "boilerplate"


class Clusterer(Protocol):
    def assign(
        self, article_id: str, article: Article, when: datetime, words: BodyWords | None = None
    ) -> Any: ...

    def dump(self) -> bytes: ...

    def expire(self, now: datetime, budget: int | None = None) -> None: ...

    def resolve(self, story_id: str) -> str: ...

    @property
    def active_count(self) -> int: ...

    @property
    def held_count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _Body:
    """An article's body, tokenized once for the hash and the fingerprint."""

    lines: list[bytes]
    #: The lines joined by spaces: what the content hash and the word hashes read.
    joined: bytes
    words: int
    content_hash: str
    hashes: U64 | None = None

    @classmethod
    def of(cls, paragraphs: tuple[str, ...]) -> _Body:
        lines = body_lines(paragraphs)
        joined = b" ".join(lines)
        words = joined.count(b" ") + 1 if lines else 0
        return cls(lines, joined, words, hash_joined(joined))

    @classmethod
    def given(cls, features: TextFeatures) -> _Body:
        """From what the extraction process worked out (``TextFeatures``)."""
        lines = features.lines
        joined = b" ".join(lines)
        words = joined.count(b" ") + 1 if lines else 0
        return cls(lines, joined, words, features.content_hash, features.hashes)

    def word_hashes(self) -> U64:
        return word_hashes(self.lines, self.joined) if self.hashes is None else self.hashes


@dataclass(frozen=True, slots=True)
class _Match:
    article_id: str
    similarity: float


class Deduper:
    """Decides new / duplicate / near_duplicate / revision / unchanged."""

    def __init__(
        self,
        settings: DedupSettings,
        *,
        store: StateStore | None = None,
        clustering: bool = True,
    ) -> None:
        self.settings = settings
        self.store = store if store is not None else open_store(settings)
        self.threshold = settings.near_duplicate_threshold
        self.bands = bands_for(self.threshold)
        saved = self.store.get_blob(_BOILERPLATE_BLOB)
        minimum = settings.boilerplate_min_articles
        self.boilerplate = (
            BoilerplateLines.load(saved, minimum) if saved else BoilerplateLines(minimum)
        )
        self.clusterer = _open_clusterer(settings, self.store) if clustering else None
        self._last_expire = 0.0
        self._deferred = False
        self._freeze_heap = False
        self._frozen_after_full = 0  # objects frozen after the last whole collection
        self._held_after_full = 0  # stories held then
        self._frozen_bound = 0  # at least gc.get_freeze_count() (``_freeze``)
        self._story_clock = datetime.fromtimestamp(0, UTC)
        self._checkpointed_at = time.monotonic()
        self._assigned = 0
        self._next_gauge = 1
        self._counters: dict[tuple[str, str], Any] = {}
        self._dropped: dict[str, Any] = {}
        #: Cut paragraphs per portal not counted yet: counted when the verdicts become
        #: durable (``_count_cuts``), so the articles a restart processes again count once.
        self._uncounted: dict[str, int] = {}
        #: Verdicts per (portal, verdict) not counted yet, for the same reason.
        self._uncounted_verdicts: dict[tuple[str, str], int] = {}

    def process(
        self, article: Article, *, when: datetime | None = None,
        features: TextFeatures | None = None,
    ) -> tuple[DedupResult, list[dict[str, Any]]]:
        """The verdict for ``article`` and the story events to publish; ``features``:
        its text features when the extraction process worked them out."""
        moment = when or datetime.now(UTC)
        now = moment.timestamp()
        # Before any state changes: a refused article is dead-lettered, not half-recorded.
        self.store.check_writable()
        # Stories expire on event time: the latest published_at (or ``moment``) seen.
        clock = event_time(article.published_at, moment) or moment
        if clock.tzinfo is not None and clock > self._story_clock:
            self._story_clock = clock
        self._maybe_expire(now)
        ident = _article_id(article.canonical_url or article.url)
        if features is not None and features.fits(article):
            body = _Body.given(features)
            features.lend()
        else:
            body = _Body.of(article.paragraphs)
        known = self.store.get(ident)
        # Before the verdict learns this article's own lines.
        span = self._template_span(article, body, revised=known is not None)
        events: list[dict[str, Any]] = []
        if known is not None:
            result = self._known(ident, known, body, article.portal or "", now)
        else:
            result, events = self._unknown(ident, article, body, now, clock)
        if span is not None and result.verdict != "unchanged":
            result = self._trimmed(result, article, body.lines, span)
        key = (article.portal or "unknown", result.verdict)
        if self._deferred:
            self._uncounted_verdicts[key] = self._uncounted_verdicts.get(key, 0) + 1
        else:
            self._verdict_counter(*key).inc()
        self._maybe_checkpoint()
        return result, events

    def defer_commits(self, *, freeze_heap: bool = True) -> bool:
        """Let the caller decide when verdicts become durable (``commit``), e.g. once
        their events are acknowledged; False when the store cannot hold writes back.
        ``freeze_heap``: each commit also moves every object then alive out of the
        cyclic GC's reach (``commit``)."""
        if not hasattr(self.store, "autoflush"):
            return False
        setattr(self.store, "autoflush", False)  # noqa: B010 - not on the StateStore seam
        self._deferred = True
        self._freeze_heap = freeze_heap
        return True

    def commit(self, blobs: Mapping[str, bytes] | None = None) -> None:
        """Make every verdict so far durable with the story state that goes with it
        and ``blobs`` (such as the stories role's offset): on a SQLite store in one
        transaction (``SqliteStore.together``), so a crash keeps all of it or none.

        Then, unless ``defer_commits(freeze_heap=False)``, the heap is frozen
        (``gc.freeze``): the story and dedup state is a heap of a few million
        references that every full collection of the cyclic GC walks, holding the
        event loop 200 ms and more at 200k articles (longer as the index grows).
        Frozen objects are still freed by reference counting when they go; only
        cyclic garbage among them would be kept, and dedup and clustering make none
        (tests/dedup/test_story_gc.py). The cyclic garbage of other code made since
        the last commit is collected first (a full collection now walks only the
        objects made since the last freeze). Objects of other code alive at a
        commit that later die in a cycle (an in-flight task's exception and its
        frames) are kept while frozen; so once the frozen heap has grown by a
        quarter since its last full collection (``REFREEZE_GROWTH``, the same
        rule by which CPython itself runs a full collection) beyond what the
        stories held since then account for (``FROZEN_PER_STORY`` each), it is
        unfrozen and collected whole once: no pause while the story state grows
        or in a steady state, and a leak bounded by a quarter of the heap (plus
        what the stories added since do not take of their allowance)."""
        together = getattr(self.store, "together", contextlib.nullcontext)
        with together():
            self._save_state()
            for name, data in (blobs or {}).items():
                self.store.put_blob(name, data)
            # Counted once on disk: counted at the call, a crash before the write counted
            # the articles the restart processes again twice.
            counted = functools.partial(self._count, *self._taken_counts())
            after_commit = getattr(self.store, "after_commit", None)
            if after_commit is None:
                counted()
            else:
                after_commit(counted)
        if self._freeze_heap:
            self._freeze()

    def _freeze(self) -> None:
        gc.collect()  # what is garbage now is not frozen with the rest
        # gc.get_freeze_count walks the whole frozen heap (35 ms for 3M objects): a
        # bound, what each freeze adds, says when the exact count can matter.
        self._frozen_bound += len(gc.get_objects())
        gc.freeze()  # O(1): the generations are spliced onto the permanent one
        held = self.clusterer.held_count if self.clusterer is not None else 0
        stories = FROZEN_PER_STORY * max(0, held - self._held_after_full)
        limit = self._frozen_after_full * REFREEZE_GROWTH + stories
        if self._frozen_bound <= limit:
            return  # the frozen heap only shrinks between freezes: the count is lower
        self._frozen_bound = gc.get_freeze_count()
        if self._frozen_bound > limit:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._frozen_after_full = self._frozen_bound = gc.get_freeze_count()
            self._held_after_full = held

    @property
    def checkpoint_busy(self) -> bool:
        """The last story checkpoint is still being encoded on the store's writer
        thread (it lags under load, behind the disk): a checkpoint cut now would
        finish that encoding on the caller's thread, the event loop, for 100 ms and
        more at 200k articles. The stories role's snapshots wait for their next turn
        instead (its snapshots come every second; the one-process pipeline's every
        few minutes, by which time the writer is done)."""
        return bool(getattr(self.store, "checkpoint_pending", False))

    def close(self) -> None:
        """Save the clusterer and boilerplate counts; flush and release the store."""
        try:
            self._save_state()
            self._count_cuts()
            save_index = getattr(self.store, "save_story_index", None)
            saved_postings = getattr(self.clusterer, "saved_postings", None)
            if save_index is not None and saved_postings is not None:
                save_index(*saved_postings())  # nothing changes after the last checkpoint
        finally:
            self.store.close()

    def _save_state(self) -> None:
        save_stories = getattr(self.store, "save_stories", None)
        checkpoint = getattr(self.clusterer, "checkpoint", None)
        incremental = save_stories is not None and checkpoint is not None
        if save_stories is not None and checkpoint is not None:
            # The changed stories, in one transaction with the rows pending now.
            save_stories(_STORIES_BLOB, checkpoint())
        else:  # the rows first, then the state that describes them
            flush = getattr(self.store, "flush", None)
            if flush is not None:
                flush()
        later = getattr(self.store, "put_blob_later", None)
        if later is not None:  # dumped off this thread, from a copy of the counts
            later(_BOILERPLATE_BLOB, self.boilerplate.copy().dump)
        else:
            self.store.put_blob(_BOILERPLATE_BLOB, self.boilerplate.dump())
        if self.clusterer is not None and not incremental:
            self.store.put_blob(_STORIES_BLOB, self.clusterer.dump())

    def _maybe_checkpoint(self) -> None:
        """Save the story and boilerplate state now and then, not only at shutdown:
        after a crash, stories carry on from the last checkpoint instead of from empty."""
        if not self.store.durable or self._deferred:
            return
        now = time.monotonic()
        if now - self._checkpointed_at < self.settings.checkpoint_interval_s:
            return
        self._checkpointed_at = now
        self._save_state()

    # -- verdicts ------------------------------------------------------------
    def _known(
        self, ident: str, known: ArticleRecord, body: _Body, portal: str, now: float
    ) -> DedupResult:
        story = self._current_story(known.story_id)
        if known.content_hash == body.content_hash:
            self.store.touch(ident, now)
            return _result("unchanged", ident, story, body, revision=known.revision)
        revised = ArticleRecord(
            ident, body.content_hash, known.revision + 1, known.first_seen, story
        )
        fp = self._fingerprint(line_keys(portal, body.lines), body)
        self.store.put(revised, now=now, fingerprint=fp, index_hash=True)
        return _result(
            "revision",
            ident,
            story,
            body,
            revision=revised.revision,
            previous_content_hash=known.content_hash,
        )

    def _unknown(
        self, ident: str, article: Article, body: _Body, now: float, clock: datetime
    ) -> tuple[DedupResult, list[dict[str, Any]]]:
        if body.words >= MIN_WORDS:
            first = self.store.first_with_hash(body.content_hash)
            if first is not None:
                story = self._story_of(first)
                record = ArticleRecord(ident, body.content_hash, 1, now, story)
                self.store.put(record, now=now, fingerprint=None, index_hash=False)
                result = _result(
                    "duplicate", ident, story, body, duplicate_of=first, similarity=1.0
                )
                return result, []
        portal = article.portal or ""
        keys = line_keys(portal, body.lines)
        # The body's word hashes serve the fingerprint and the story clusterer both.
        words = BodyWords(body.lines, body.word_hashes()) if body.words >= MIN_WORDS else None
        fp = self._fingerprint(keys, body, words)
        match = self._near_duplicate(fp) if fp is not None else None
        if match is not None:
            story = self._story_of(match.article_id)
            record = ArticleRecord(ident, body.content_hash, 1, now, story)
            self.store.put(record, now=now, fingerprint=fp, index_hash=True)
            result = _result(
                "near_duplicate",
                ident,
                story,
                body,
                duplicate_of=match.article_id,
                similarity=round(match.similarity, 4),
            )
            return result, []
        story, events = self._assign(ident, article, clock, words)
        record = ArticleRecord(ident, body.content_hash, 1, now, story)
        self.store.put(record, now=now, fingerprint=fp, index_hash=body.words >= MIN_WORDS)
        self.boilerplate.learn(keys)
        return _result("new", ident, story, body), events

    # -- helpers -------------------------------------------------------------
    def _template_span(
        self, article: Article, body: _Body, *, revised: bool = False
    ) -> tuple[int, int] | None:
        """The lines left once the portal's known boilerplate is cut off the head
        and tail (``templatelines``); None when nothing is cut. ``revised``: the URL
        is known, so its first version may be among the articles that counted a line
        (only new articles count, once per URL): one more article is asked for, as
        an article's own lines never count for it."""
        if not self.settings.trim_template_lines or not article.portal:
            return None
        lines = body.lines
        limit = self.settings.template_min_articles + (1 if revised else 0)
        counted = self.boilerplate.counted(article.portal, lines, limit)
        span = trimmed_span(counted, len(lines))
        return None if span == (0, len(lines)) else span

    def _trimmed(
        self, result: DedupResult, article: Article, lines: list[bytes], span: tuple[int, int]
    ) -> DedupResult:
        """``result`` naming the paragraphs to publish; the cut ones counted (with
        deferred commits, at the next commit: ``_count_cuts``)."""
        start, end = paragraph_span(article.paragraphs, lines, span)
        dropped = len(article.paragraphs) - (end - start)
        portal = article.portal or "unknown"
        self._uncounted[portal] = self._uncounted.get(portal, 0) + dropped
        if not self._deferred:
            self._count_cuts()
        return dataclasses.replace(result, kept=(start, end))

    def _count_cuts(self) -> None:
        """Add the cuts and verdicts made since the last call to
        ``kabar_template_lines_dropped_total`` and ``kabar_dedup_verdicts_total``.
        With deferred commits they are counted once the commit holding them is written
        (``commit``): the state a restart resumes from holds exactly the articles
        counted, and the ones after it, which it processes again (the stories role
        replays from its snapshot's offset), count then. (Made but lost in a crash, a
        cut or verdict was never counted.)"""
        self._count(*self._taken_counts())

    def _taken_counts(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """The verdicts and cuts not counted yet, taken (the counts start again)."""
        verdicts, cuts = self._uncounted_verdicts, self._uncounted
        self._uncounted_verdicts, self._uncounted = {}, {}
        return verdicts, cuts

    def _count(self, verdicts: dict[tuple[str, str], int], cuts: dict[str, int]) -> None:
        """Count them (on any thread: the store's writer, once they are written)."""
        for key, count in verdicts.items():
            self._verdict_counter(*key).inc(count)
        for portal, dropped in cuts.items():
            child = self._dropped.get(portal)
            if child is None:
                child = self._dropped[portal] = metrics.child(
                    metrics.TEMPLATE_LINES_DROPPED, portal)
            child.inc(dropped)

    def _verdict_counter(self, portal: str, verdict: str) -> Any:
        """The labelled counter child, cached (``labels()`` takes a lock each call)."""
        key = (portal, verdict)
        child = self._counters.get(key)
        if child is None:
            child = self._counters[key] = metrics.child(metrics.DEDUP_VERDICTS, portal, verdict)
        return child

    def _fingerprint(
        self, keys: list[int] | None, body: _Body, body_words: BodyWords | None = None
    ) -> Fingerprint | None:
        """MinHash of the body without the portal's boilerplate lines (unless
        that would leave too little to compare); None for tiny bodies."""
        if body.words < MIN_WORDS:
            return None
        words = body_words.hashes if body_words is not None else body.word_hashes()
        if keys is not None:
            keep = self.boilerplate.keep(keys)
            if not all(keep):
                kept = np.array(keep, dtype=bool)[line_numbers(body.lines)]
                if np.count_nonzero(kept) >= MIN_WORDS:
                    words = words[kept]
        return fingerprint(words, self.bands)

    def _near_duplicate(self, fp: Fingerprint) -> _Match | None:
        found = self.store.candidates(fp.bands, MAX_CANDIDATES)
        if not found.article_ids:
            return None
        estimates = jaccard_estimates(fp.signature, found.signatures)
        best: _Match | None = None
        for ident, jaccard, size in zip(
            found.article_ids, estimates.tolist(), found.sizes.tolist(), strict=True
        ):
            if min(size, fp.size) < MIN_SIZE_RATIO * max(size, fp.size):
                continue
            score = containment(jaccard, fp.size, size)
            if score >= self.threshold and (best is None or score > best.similarity):
                best = _Match(ident, score)
        return best

    def _story_of(self, ident: str) -> str | None:
        record = self.store.get(ident)
        return self._current_story(record.story_id if record is not None else None)

    def _current_story(self, story: str | None) -> str | None:
        """Stories merge; a stored id forwards to the surviving story."""
        if story is None or self.clusterer is None:
            return story
        return self.clusterer.resolve(story)

    def _assign(
        self, ident: str, article: Article, clock: datetime, words: BodyWords | None
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """Cluster the article on event time (``clock``: published_at, else the fetch time)."""
        if self.clusterer is None:
            return None, []
        assignment = self.clusterer.assign(ident, article, clock, words)
        events = list(assignment.events)
        created = sum(1 for event in events if event.get("type") == "story.created")
        if created:
            metrics.STORIES_CREATED.inc(created)
        self._assigned += 1
        if self._assigned >= self._next_gauge:
            metrics.STORIES_ACTIVE.set(self.clusterer.active_count)
            # Spaced by the story count too: the walk costs a bounded share per article
            # however large the index grows.
            spacing = max(ACTIVE_GAUGE_EVERY, self.clusterer.held_count // ACTIVE_GAUGE_SHARE)
            self._next_gauge = self._assigned + spacing
        return assignment.story_id, events

    def _maybe_expire(self, now: float) -> None:
        if self.clusterer is not None:  # a bounded share at every article
            self.clusterer.expire(self._story_clock, EXPIRE_PER_ARTICLE)
        if now - self._last_expire < EXPIRE_EVERY_S:
            return
        self._last_expire = now
        expired = self.store.expire(now)
        if expired:
            log.info("dedup state expired", extra={"expired": expired})


@functools.lru_cache(maxsize=MEMO_SIZE)
def _article_id(url: str) -> str:
    """``article_id`` of the URL, remembered: crawlers see the same pages again
    (re-crawls, revisions), and canonicalizing is a good share of a verdict. (It
    canonicalizes, idempotently: doing that here too would cost it twice.)"""
    return make_article_id(url)


def _result(
    verdict: DedupVerdict,
    ident: str,
    story: str | None,
    body: _Body,
    *,
    duplicate_of: str | None = None,
    similarity: float | None = None,
    revision: int = 1,
    previous_content_hash: str | None = None,
) -> DedupResult:
    return DedupResult(
        verdict=verdict,
        story_id=story,
        duplicate_of=duplicate_of,
        similarity=similarity,
        revision=revision,
        previous_content_hash=previous_content_hash,
        article_id=ident,
        content_hash=body.content_hash,
    )


def _open_clusterer(settings: DedupSettings, store: StateStore) -> Clusterer | None:
    """C2's story clusterer when available (it is optional for dedup itself): as
    checkpointed in the store (rows, or one blob of an older version), else empty."""
    try:
        from kabar.dedup.stories import INCREMENTAL_VERSION, StoryClusterer
    except ImportError:
        log.warning("story clustering unavailable: kabar.dedup.stories not importable")
        return None
    saved = store.get_blob(_STORIES_BLOB)
    story_state = getattr(store, "story_state", None)
    stored = story_state(_STORIES_BLOB) if saved and story_state is not None else None
    if saved:
        try:
            clusterer: Clusterer
            if stored is not None and stored.version == INCREMENTAL_VERSION:
                clusterer = StoryClusterer.restore(
                    stored.header, stored.rows(), stored.terms(), settings,
                    postings=stored.index(), stored=stored.stored,
                )
            else:  # one blob (version 1 or 2): the first checkpoint writes it as rows
                clusterer = StoryClusterer.load(saved, settings)
            return clusterer
        except DedupError as exc:
            if exc.reason == "dense_unavailable":
                raise  # a missing extra is the operator's to fix, not a corrupt dump
            log.exception("could not load saved stories; starting empty")
        except Exception:  # a corrupt or old-format dump must not stop ingest
            log.exception("could not load saved stories; starting empty")
    return StoryClusterer(settings)
