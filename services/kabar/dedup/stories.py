"""Online story clustering: every article joins the story it reports, or starts one.

Outlets retell an event in their own words, so exact phrases do not carry
across; what does is the vocabulary of the event (TF-IDF over content words and
their bigrams, lede and headline weighted up), the headline, and the names
involved. An article's score against a story is

    cosine(article, story profile) + title_weight * cosine(headline, story headlines)
      - outlet_penalty  when all of the story comes from the article's own outlet
      - late_penalty    (scaled) when the article falls outside the story's window
      - a fixed penalty when the headlines name different instances (13-inch/16-inch)

and it joins the best story scoring at least ``story_threshold``, provided they
share a name (entity guard). Both vectors of the first cosine are weighted by
IDF (learned from the stream) times a *story spread* weight: a term used by
many live stories is topical (``macbook``, ``tariff``), one concentrated in a
single story is the event's own. The outlet penalty keeps one company's
successive press releases, or one site's series, apart: two outlets choosing
the same words is evidence of one event, one outlet reusing its own vocabulary
is not. An article scoring above the threshold for two stories that are
themselves close merges them (``story.merged``).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from kabar.dedup import text
from kabar.dedup.language import detect_language
from kabar.dedup.tfidf import (
    DocumentFrequencies,
    SparseVector,
    add_into,
    cosine,
    heaviest,
    normalized,
    weigh,
)
from kabar.errors import DedupError
from kabar.models import Article
from kabar.settings import DedupSettings

STATE_VERSION = 1
#: Body words read per article: the lead carries the event, the tail drifts.
BODY_WORDS = 300
#: The first words of the body (the lede) count this many times.
LEAD_WORDS = 60
LEAD_BOOST = 2.0
TITLE_BOOST = 2.0
BIGRAM_WEIGHT = 0.5
ARTICLE_TERMS = 60
CENTROID_TERMS = 150
STORY_ENTITIES = 80
ENTITY_CHARS = 1200
#: The article's heaviest terms look up candidate stories in the postings;
#: the best SHORTLIST by that partial overlap are scored in full, and the best
#: CANDIDATES of those are considered for joining and merging.
PREFILTER_TERMS = 24
SHORTLIST = 24
CANDIDATES = 8
#: member_ids carried in events and state (member_count keeps the true total).
MAX_MEMBER_IDS = 500
MAX_STORIES = 200_000
#: Story title when the first article has none: its first words.
TITLE_FALLBACK_WORDS = 12
#: An article scoring above the threshold for two stories merges them when the
#: stories themselves reach this fraction of the threshold (the article is the
#: missing link between two halves of one event).
MERGE_FACTOR = 0.75
#: Subtracted when the headlines name different instances (13-inch vs 16-inch).
NUMBER_CONFLICT_PENALTY = 0.2
#: Smoothing of the story-spread weight (see ``_spread``).
SPREAD_PRIOR = 20.0


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
    vector: SparseVector
    #: ``vector`` with the IDF factored out (what stories accumulate; see _Story).
    profile: SparseVector
    title: SparseVector
    title_terms: SparseVector
    numbered: dict[str, frozenset[str]]
    entities: frozenset[str]
    portal: str
    time: float
    terms: tuple[str, ...]


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
    member_ids: list[str] = field(default_factory=list)
    outlets: dict[str, int] = field(default_factory=dict)
    centroid: SparseVector = field(default_factory=dict)
    titles: SparseVector = field(default_factory=dict)
    entities: dict[str, float] = field(default_factory=dict)
    #: Headline number-word compounds (``16-inch``, ``55-year``) of all members.
    numbered: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "language": self.language,
            "first_seen": self.first_seen, "last_seen": self.last_seen,
            "member_count": self.member_count, "member_ids": self.member_ids,
            "outlets": self.outlets, "centroid": self.centroid, "titles": self.titles,
            "entities": self.entities, "numbered": self.numbered,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> _Story:
        return cls(**data)


class _Memo:
    """A per-article cache of a term function (IDF and spread are looked up
    once per term, not once per candidate story)."""

    __slots__ = ("_cache", "_compute")

    def __init__(self, compute: Callable[[str], float]) -> None:
        self._compute = compute
        self._cache: dict[str, float] = {}

    def __call__(self, term: str) -> float:
        value = self._cache.get(term)
        if value is None:
            value = self._cache[term] = self._compute(term)
        return value


@dataclass(frozen=True, slots=True)
class _Probe:
    """An article prepared for scoring against many stories."""

    doc: _Doc
    vector: SparseVector
    weight: _Memo
    idf: _Memo


class StoryClusterer:
    """Assigns articles to stories, online, in publication-time order (roughly)."""

    def __init__(self, settings: DedupSettings) -> None:
        self.settings = settings
        self._df = DocumentFrequencies()
        self._stories: dict[str, _Story] = {}
        self._postings: dict[str, set[str]] = {}
        self._aliases: dict[str, str] = {}
        self._latest = 0.0

    # --- public API ---------------------------------------------------------
    def assign(self, article_id: str, article: Article, when: datetime) -> StoryAssignment:
        doc = self._features(article_id, article, when)
        ranked = self._rank(doc)
        self._df.add(doc.terms)
        self._latest = max(self._latest, doc.time)
        threshold = self.settings.story_threshold
        if not ranked or ranked[0][0] < threshold:
            story = self._create(doc, article)
            return StoryAssignment(story.id, (self._event("story.created", story, doc),))
        score, best = ranked[0]
        merged_from: list[str] = []
        for other_score, other in ranked[1:]:
            if other_score < threshold:
                break
            bridged = self._story_similarity(best, other) >= threshold * MERGE_FACTOR
            if other.id in self._stories and bridged:
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

    def expire(self, now: datetime) -> None:
        """Forget stories (and merge aliases) not updated within ``story_ttl_days``."""
        cutoff = _epoch(now) - self.settings.story_ttl_days * 86400.0
        for story in [s for s in self._stories.values() if s.last_seen < cutoff]:
            self._drop(story)
        if len(self._stories) > MAX_STORIES:
            excess = len(self._stories) - MAX_STORIES
            for story in heapq.nsmallest(excess, self._stories.values(), key=_last_seen):
                self._drop(story)
        live = set(self._stories)
        self._aliases = {k: v for k, v in self._aliases.items() if self.resolve(v) in live}

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
        return orjson.dumps(
            {
                "version": STATE_VERSION,
                "df": self._df.to_dict(),
                "stories": [s.to_dict() for s in self._stories.values()],
                "aliases": self._aliases,
                "latest": self._latest,
            }
        )

    @classmethod
    def load(cls, data: bytes, settings: DedupSettings) -> StoryClusterer:
        try:
            state = orjson.loads(data)
            if state.get("version") != STATE_VERSION:
                raise ValueError(f"unknown story state version {state.get('version')!r}")
            clusterer = cls(settings)
            clusterer._df = DocumentFrequencies.from_dict(state["df"])
            for raw in state["stories"]:
                clusterer._index(_Story.from_dict(raw))
            clusterer._aliases = dict(state["aliases"])
            clusterer._latest = float(state["latest"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise DedupError(f"cannot load story state: {exc}", reason="state_error") from exc
        return clusterer

    # --- features -----------------------------------------------------------
    def _features(self, article_id: str, article: Article, when: datetime) -> _Doc:
        tf = _term_frequencies(article.title, article.body)
        vector = weigh(tf, self._df, ARTICLE_TERMS)
        heading = set(text.content_words(article.title))
        names = text.entity_words(article.title + "\n" + article.body[:ENTITY_CHARS])
        return _Doc(
            article_id=article_id,
            vector=vector,
            profile={t: x / self._df.idf(t) for t, x in vector.items()},
            title=normalized({t: self._df.idf(t) for t in heading}),
            title_terms={t: 1.0 / len(heading) for t in heading},
            numbered=text.numbered_words(article.title),
            entities=frozenset(names),
            portal=_outlet(article),
            time=_epoch(when),
            terms=tuple(tf),
        )

    # --- scoring ------------------------------------------------------------
    def _rank(self, doc: _Doc) -> list[tuple[float, _Story]]:
        overlap: dict[str, float] = {}
        for term, weight in heaviest(doc.vector, PREFILTER_TERMS).items():
            for story_id in self._postings.get(term, ()):
                overlap[story_id] = overlap.get(story_id, 0.0) + weight
        if not overlap:
            return []
        weights = _Memo(lambda t: self._df.idf(t) * self._spread(t))
        idf = _Memo(self._df.idf)
        spread = _Memo(self._spread)
        probe = _Probe(doc, {t: x * spread(t) for t, x in doc.vector.items()}, weights, idf)
        scored = []
        for story_id in heapq.nlargest(SHORTLIST, overlap, key=overlap.__getitem__):
            story = self._stories[story_id]
            score = self._score(probe, story)
            if score is not None:
                scored.append((score, story))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return scored[:CANDIDATES]

    def _score(self, probe: _Probe, story: _Story) -> float | None:
        doc = probe.doc
        gap = _gap(doc.time, story)
        if gap > self.settings.story_ttl_days * 86400.0:
            return None
        if doc.entities and story.entities and doc.entities.isdisjoint(story.entities):
            return None  # entity guard: one event involves at least one same name
        s = self.settings
        weight, idf = probe.weight, probe.idf
        score = cosine(probe.vector, {t: x * weight(t) for t, x in story.centroid.items()})
        titles = {t: x * idf(t) for t, x in story.titles.items()}
        score += s.story_title_weight * cosine(doc.title, titles)
        if set(story.outlets) == {doc.portal}:
            score -= s.story_outlet_penalty
        if _conflicting(doc.numbered, story.numbered):
            score -= NUMBER_CONFLICT_PENALTY
        window = s.story_window_hours * 3600.0
        if gap > window:
            score -= s.story_late_penalty * min(1.0, (gap - window) / window)
        return score

    def _story_similarity(self, a: _Story, b: _Story) -> float:
        s = self.settings
        score = cosine(self._live(a.centroid), self._live(b.centroid))
        score += s.story_title_weight * cosine(self._live(a.titles), self._live(b.titles))
        if len(a.outlets) == 1 and set(a.outlets) == set(b.outlets):
            score -= s.story_outlet_penalty
        return score

    # --- story bookkeeping --------------------------------------------------
    def _create(self, doc: _Doc, article: Article) -> _Story:
        language = article.language or detect_language(article.title + "\n" + article.body)
        story_id = "st_" + hashlib.sha1(doc.article_id.encode()).hexdigest()[:20]
        title = article.title.strip() or " ".join(article.body.split()[:TITLE_FALLBACK_WORDS])
        story = _Story(story_id, title, language, doc.time, doc.time)
        self._add(story, doc)
        return story

    def _add(self, story: _Story, doc: _Doc) -> None:
        self._unindex(story)
        story.member_count += 1
        story.member_ids = [*story.member_ids, doc.article_id][-MAX_MEMBER_IDS:]
        story.outlets[doc.portal] = story.outlets.get(doc.portal, 0) + 1
        story.first_seen = min(story.first_seen, doc.time)
        story.last_seen = max(story.last_seen, doc.time)
        add_into(story.centroid, doc.profile)
        story.centroid = self._pruned(story.centroid)
        add_into(story.titles, doc.title_terms)
        _add_numbered(story.numbered, doc.numbered)
        add_into(story.entities, dict.fromkeys(doc.entities, 1.0))
        story.entities = heaviest(story.entities, STORY_ENTITIES)
        self._index(story)

    def _merge(self, keep: _Story, other: _Story) -> _Story:
        """Merge two stories; the larger (then the older) survives."""
        if (other.member_count, -other.first_seen) > (keep.member_count, -keep.first_seen):
            keep, other = other, keep
        self._drop(other)
        self._unindex(keep)
        keep.member_count += other.member_count
        keep.member_ids = [*keep.member_ids, *other.member_ids][-MAX_MEMBER_IDS:]
        for outlet, count in other.outlets.items():
            keep.outlets[outlet] = keep.outlets.get(outlet, 0) + count
        keep.first_seen = min(keep.first_seen, other.first_seen)
        keep.last_seen = max(keep.last_seen, other.last_seen)
        add_into(keep.centroid, other.centroid)
        keep.centroid = self._pruned(keep.centroid)
        add_into(keep.titles, other.titles)
        _add_numbered(keep.numbered, other.numbered)
        add_into(keep.entities, other.entities)
        keep.entities = heaviest(keep.entities, STORY_ENTITIES)
        self._index(keep)
        self._aliases[other.id] = keep.id
        return keep

    def _spread(self, term: str) -> float:
        """How few stories use ``term``: topical words shared by many stories weigh less."""
        stories = len(self._postings.get(term, ()))
        return math.log((len(self._stories) + SPREAD_PRIOR) / (stories + 1.0))

    def _live(self, profile: SparseVector) -> SparseVector:
        """A story profile weighted by the current IDF."""
        idf = self._df.idf
        return {t: x * idf(t) for t, x in profile.items()}

    def _pruned(self, profile: SparseVector) -> SparseVector:
        if len(profile) <= CENTROID_TERMS:
            return profile
        live = heaviest(self._live(profile), CENTROID_TERMS)
        return {t: profile[t] for t in live}

    def _index(self, story: _Story) -> None:
        self._stories[story.id] = story
        for term in story.centroid:
            self._postings.setdefault(term, set()).add(story.id)

    def _unindex(self, story: _Story) -> None:
        for term in story.centroid:
            ids = self._postings.get(term)
            if ids is not None:
                ids.discard(story.id)
                if not ids:
                    del self._postings[term]

    def _drop(self, story: _Story) -> None:
        self._unindex(story)
        self._stories.pop(story.id, None)

    def _event(
        self, kind: str, story: _Story, doc: _Doc, merged_from: list[str] | None = None
    ) -> dict[str, Any]:
        event_id = hashlib.sha1(
            f"{story.id}|{kind}|{story.member_count}|{doc.article_id}".encode()
        ).hexdigest()[:32]
        event: dict[str, Any] = {
            "id": event_id,
            "type": kind,
            "story_id": story.id,
            "article_id": doc.article_id,
            "title": story.title,
            "language": story.language,
            "first_seen": _iso(story.first_seen),
            "last_seen": _iso(story.last_seen),
            "member_count": story.member_count,
            "member_ids": list(story.member_ids),
            "outlets": sorted(story.outlets),
            "keywords": list(heaviest(self._live(story.centroid), 10)),
        }
        if merged_from:
            event["merged_from"] = merged_from
        return event


def _term_frequencies(title: str, body: str) -> dict[str, float]:
    tf: dict[str, float] = {}
    words = text.content_words(body)[:BODY_WORDS]
    for i, word in enumerate(words):
        tf[word] = tf.get(word, 0.0) + (LEAD_BOOST if i < LEAD_WORDS else 1.0)
    for a, b in itertools.pairwise(words):
        tf[f"{a} {b}"] = tf.get(f"{a} {b}", 0.0) + BIGRAM_WEIGHT
    heading = text.content_words(title)
    for word in heading:
        tf[word] = tf.get(word, 0.0) + TITLE_BOOST
    for a, b in itertools.pairwise(heading):
        tf[f"{a} {b}"] = tf.get(f"{a} {b}", 0.0) + BIGRAM_WEIGHT * TITLE_BOOST
    return tf


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


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _last_seen(story: _Story) -> float:
    return story.last_seen
