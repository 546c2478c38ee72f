"""Template lines trimmed off the head and tail of a published article.

A portal's footer or prompt ("Follow us on ...", "Simak breaking news ... di
WhatsApp channel", a copyright line) that the extractor let through recurs
across that portal's pages. The stories stage already counts such lines
(``BoilerplateLines``); an article whose first or last lines were already
counted as boilerplate before it came is published without them. Only runs at
the head or tail go (a repeated line in the middle may be a quote, or text
that merely repeats), and never the whole body. Dedup identity (content hash,
fingerprint) still reads the body as extracted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from kabar.models import Article, DedupResult


def trimmed_span(boilerplate: Callable[[int], bool], count: int) -> tuple[int, int]:
    """``(start, end)``: lines ``start:end`` of ``count`` kept once the run of
    boilerplate lines at the head and the one at the tail are cut
    (``boilerplate(i)``: line ``i`` is). All boilerplate: all kept. Asks about
    the lines of the two runs and one more on each side, not the whole body."""
    start = 0
    while start < count and boilerplate(start):
        start += 1
    if start == count:
        return 0, count
    end = count
    while boilerplate(end - 1):  # stops at ``start`` at the latest: it is not boilerplate
        end -= 1
    return start, end


def paragraph_span(
    paragraphs: Sequence[str], lines: Sequence[bytes], span: tuple[int, int]
) -> tuple[int, int]:
    """The span of ``lines`` (the non-empty normalized paragraphs) as a span of
    ``paragraphs``: paragraphs with no words next to a cut run go with it."""
    if len(lines) == len(paragraphs):
        return span
    # Here, not at the top: the pipeline imports this module in crawl processes too,
    # which never cut and must not load the fingerprints' NumPy at start.
    from kabar.dedup.fingerprint import normalized_line

    numbers = [i for i, paragraph in enumerate(paragraphs) if normalized_line(paragraph)]
    start, end = span
    return numbers[start], numbers[end - 1] + 1


def published(article: Article, result: DedupResult) -> Article:
    """``article`` as published: without the template lines dedup found at its
    head or tail (``DedupResult.kept``)."""
    if result.kept is None:
        return article
    start, end = result.kept
    return replace(article, paragraphs=article.paragraphs[start:end])
