"""The session-5 hold-out of recent portal layouts (own words; see the README there):
word F1 against the gold body, and no page keeping a line the gold lacks (clutter judged
by the gold, not by the vocabulary that decides it). The sealed set is never tuned on:
only its F1 is held here, its kept lines are counted in reports, not fixed. The late set
was measured once after the tuning; its one kept line is a pull quote, which the
scrapinghub gold counts as story text."""

from __future__ import annotations

import pytest

from kabar.extract import extract
from kabar.extract.evaluate import load_pages, word_scores
from tests.extract.extract_support import REPO

LAYOUTS = REPO / "tests" / "fixtures" / "recent_layouts"
SETS = ("holdout_s5", "sealed_s5", "late_s5")
#: Sets on which a kept foreign line fails the test (the sealed one is only scored).
STRICT = frozenset({"holdout_s5"})
MEAN_F1 = 0.97
PAGE_F1 = 0.9


@pytest.mark.parametrize("name", SETS)
def test_holdout_layouts_score_and_keep_no_foreign_line(name: str) -> None:
    pages = list(load_pages(LAYOUTS / name))
    assert len(pages) >= 4
    scores: list[float] = []
    for page in pages:
        article = extract(page.html, page.url)
        f1 = word_scores(article.body, page.gold)[2]
        assert f1 >= PAGE_F1, (page.name, f1)
        scores.append(f1)
        gold = page.gold.casefold()
        kept = [p for p in article.paragraphs if p.casefold() not in gold]
        assert name not in STRICT or not kept, (page.name, kept)
    assert sum(scores) / len(scores) >= MEAN_F1
