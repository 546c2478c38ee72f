"""Multi-page articles assembled beside the extract stage, not inside it.

When a first page links further pages, the extract stage hands the article to
an ``Assembly`` and takes its next page at once: the further pages are fetched
concurrently (through the same fetcher, so the same per-host politeness
applies), extracted like any page, and the article is completed, stitched in
page order, when they have all arrived or failed. One slow next page holds only
its own article, never the stage, and ``pages_timeout_s`` caps even that: what
arrived is published, the rest dead-lettered (``page_timeout``).

The number of articles being assembled is bounded (``spawn`` waits for a free
place: back-pressure on the extract stage), and so is the number of further
pages in flight. ``join`` lets a draining pipeline wait for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kabar.errors import ExtractError, FetchError, KabarError
from kabar.models import Article


class PageTimeoutError(FetchError):
    default_reason = "page_timeout"
    retryable = True


@dataclass(frozen=True, slots=True)
class Pages:
    """What became of an article's further pages, in page order."""

    articles: tuple[Article, ...]  # the pages stitched: those before the first failure
    failures: tuple[tuple[str, KabarError], ...]


PageGetter = Callable[[str], Awaitable[Article]]


class Assembly:
    """In-flight multi-page articles, each a task of its own, at most ``limit`` at once."""

    def __init__(self, limit: int, pages_in_flight: int, timeout_s: float) -> None:
        self._places = asyncio.Semaphore(max(1, limit))
        self._pages = asyncio.Semaphore(max(1, pages_in_flight))
        self.timeout_s = timeout_s
        self.tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self.tasks)

    async def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``work`` (which completes one article) once a place is free."""
        try:
            await self._places.acquire()
        except BaseException:
            work.close()
            raise
        task = asyncio.create_task(work)
        self.tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._places.release()
        if not self.tasks:
            self._idle.set()

    async def join(self) -> None:
        """Wait until no article is being assembled."""
        await self._idle.wait()

    async def gather(self, urls: Sequence[str], get: PageGetter) -> Pages:
        """Fetch and extract ``urls`` concurrently; keep pages up to the first failure."""
        tasks = [asyncio.create_task(self._one(get, url)) for url in urls]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.timeout_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        articles: list[Article] = []
        failures: list[tuple[str, KabarError]] = []
        for url, task in zip(urls, tasks, strict=True):
            error = _failure(task, self.timeout_s, url)
            if error is not None:
                failures.append((url, error))
            elif not failures:
                articles.append(task.result())
        return Pages(tuple(articles), tuple(failures))

    async def _one(self, get: PageGetter, url: str) -> Article:
        async with self._pages:
            return await get(url)


def stitch(first: Article, more: Sequence[Article]) -> Article:
    """One article from its pages: later pages' new paragraphs appended, first page's
    metadata. Here, not in ``kabar.extract`` (which re-exports it): the process that
    assembles articles need not import the extractor, whose import (its rules, the
    language model) cost a crawl process 0.17 s of CPU at its first multi-page
    article, a stall of its event loop in the middle of the crawl."""
    seen = {p.casefold() for p in first.paragraphs}
    paragraphs = list(first.paragraphs)
    removed = first.clutter_removed
    for page in more:
        removed += page.clutter_removed
        for paragraph in page.paragraphs:
            key = paragraph.casefold()
            if key in seen:
                continue
            seen.add(key)
            paragraphs.append(paragraph)
    return replace(first, paragraphs=tuple(paragraphs), clutter_removed=removed)


def _failure(task: asyncio.Task[Article], timeout_s: float, url: str) -> KabarError | None:
    if task.cancelled():
        return PageTimeoutError(f"page not fetched and extracted within {timeout_s:g} s", url=url)
    error = task.exception()
    if error is None:
        return None
    if isinstance(error, (FetchError, ExtractError)):
        return error
    raise error
