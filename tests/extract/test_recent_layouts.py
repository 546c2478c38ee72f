"""Recent (2020–2024) portal layouts written in our own words: body F1, no clutter line
kept, the printed headline as title and the writers as authors (see the README there)."""

from __future__ import annotations

import orjson
import pytest

from kabar.extract import extract
from kabar.extract.evaluate import load_pages, word_scores
from tests.extract.extract_support import REPO

LAYOUTS = REPO / "tests" / "fixtures" / "recent_layouts"
SETS = ("seen", "holdout")
MEAN_F1 = 0.97
PAGE_F1 = 0.9


@pytest.mark.parametrize("name", SETS)
def test_recent_layouts(name: str) -> None:
    folder = LAYOUTS / name
    pages = list(load_pages(folder))
    assert len(pages) >= 5
    scores: list[float] = []
    titled = authored = 0
    for page in pages:
        expected = orjson.loads((folder / f"{page.name}.json").read_bytes())
        article = extract(page.html, page.url)
        f1 = word_scores(article.body, page.gold)[2]
        assert f1 >= PAGE_F1, (page.name, f1)
        scores.append(f1)
        titled += article.title == expected["title"]
        authored += list(article.authors) == expected["authors"]
    assert sum(scores) / len(scores) >= MEAN_F1
    assert titled == len(pages)
    assert authored >= 0.8 * len(pages)


def test_no_seen_page_keeps_a_line_the_gold_lacks() -> None:
    folder = LAYOUTS / "seen"
    for page in load_pages(folder):
        gold = page.gold.casefold()
        kept = [p for p in extract(page.html, page.url).paragraphs if p.casefold() not in gold]
        assert not kept, (page.name, kept)
