"""Small immutable value objects passed between the pipeline stages.

``Article`` is what extraction produces from one page; ``ArticleEvent`` is what
is published (an ``Article`` plus identity, fetch time and dedup verdict).
``to_event_dict`` is the single place that turns them into the JSON shape of
``schemas/article.v2.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DedupVerdict = Literal["new", "duplicate", "near_duplicate", "revision", "unchanged"]
EventType = Literal["article.created", "article.updated"]


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One URL to fetch, with where it came from."""

    url: str
    portal: str
    source: str = "urls"  # feed | sitemap | section | urls | pagination | demo
    attempt: int = 1
    #: Hints from the source (feed/sitemap) that extraction may lack.
    published_hint: str | None = None
    title_hint: str | None = None
    #: Set when a source announces that a known article was updated.
    revisit: bool = False


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A fetched HTML page, already decoded to text."""

    request: FetchRequest
    final_url: str
    status: int
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html"
    charset: str = "utf-8"
    size_bytes: int = 0
    elapsed_s: float = 0.0
    fetched_at: str = ""  # ISO 8601 UTC
    #: The page's bytes when they are UTF-8 (the fetcher checked them while decoding):
    #: extraction parses them as they are, with no second decode or re-encode.
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Article:
    """The clean article extracted from one page (or stitched from several)."""

    url: str
    title: str
    paragraphs: tuple[str, ...]
    canonical_url: str | None = None
    portal: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # ISO 8601, UTC
    updated_at: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    image: str | None = None
    description: str | None = None
    language: str | None = None
    #: Absolute URLs of the article's further pages, in order (multi-page articles).
    next_pages: tuple[str, ...] = ()
    #: How many clutter blocks/lines the extractor removed (a drift signal).
    clutter_removed: int = 0
    #: "rules:<portal>" or "generic" — which extractor produced the body.
    extractor: str = "generic"
    #: Kinds of portal-rule selectors ("body", "clutter") that matched nothing on the
    #: page: a drift signal counted in metrics, not published.
    rule_misses: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass(frozen=True, slots=True)
class DedupResult:
    """What the dedup stage decided about one article."""

    verdict: DedupVerdict
    story_id: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    revision: int = 1
    previous_content_hash: str | None = None
    #: Id to use for the event; for revisions, the id of the original article.
    article_id: str | None = None
    #: The body's content hash, as dedup computed it (so it is computed once).
    content_hash: str | None = None
    #: Paragraphs ``kept[0]:kept[1]`` are published: template lines the portal repeats
    #: were trimmed off the head or tail (``dedup.templatelines``); None: all of them.
    kept: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ArticleEvent:
    """An article as published on ``kabar.articles.v1``."""

    id: str
    type: EventType
    article: Article
    canonical_url: str
    portal: str
    fetched_at: str
    content_hash: str
    dedup: DedupResult
    pages: int = 1

    def to_dict(self) -> dict[str, Any]:
        a = self.article
        return {
            "id": self.id,
            "type": self.type,
            "url": a.url,
            "canonical_url": self.canonical_url,
            "portal": self.portal,
            "title": a.title,
            "paragraphs": list(a.paragraphs),
            "authors": list(a.authors),
            "published_at": a.published_at,
            "updated_at": a.updated_at,
            "fetched_at": self.fetched_at,
            "language": a.language,
            "word_count": a.word_count,
            "content_hash": self.content_hash,
            "section": a.section,
            "tags": list(a.tags),
            "image": a.image,
            "description": a.description,
            "pages": self.pages,
            "extractor": a.extractor,
            "story_id": self.dedup.story_id,
            "duplicate_of": self.dedup.duplicate_of,
            "similarity": self.dedup.similarity,
            "revision": self.dedup.revision,
            "previous_content_hash": self.dedup.previous_content_hash,
            "dedup": self.dedup.verdict,
        }


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """A failure, as published on the dead-letter topic ``kabar.errors.v1``."""

    url: str
    stage: str
    reason: str
    detail: str
    attempt: int
    time: str
    portal: str | None = None
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "stage": self.stage,
            "reason": self.reason,
            "detail": self.detail,
            "attempt": self.attempt,
            "time": self.time,
            "portal": self.portal,
            "status": self.status,
        }
