"""The session-5 and session-6 hold-outs of recent portal layouts (own words; see the
README there): word F1 against the gold body, and no page keeping a line the gold lacks
(clutter judged by the gold, not by the vocabulary that decides it). The sealed sets are
never tuned on: only their F1 is held here, their kept lines are counted in reports, not
fixed. The late set was measured once after the tuning; its one kept line is a pull
quote, which the scrapinghub gold counts as story text. Every layouts page names its
printed headline and its writers: the title must be the headline and the authors the
writers (never the editor) on nearly every page."""

from __future__ import annotations

import orjson
import pytest

from kabar.extract import extract
from kabar.extract.evaluate import load_pages, word_scores
from tests.extract.extract_support import REPO

LAYOUTS = REPO / "tests" / "fixtures" / "recent_layouts"
SETS = (
    "holdout_s5", "sealed_s5", "late_s5", "tuned_s6", "sealed_s6", "late_s6", "tuned_s7",
    "sealed_s7", "late_s7", "late_s7b", "late_s7c", "late_s7d", "late_s7e", "late_s7f",
    "tuned_s8", "sealed_s8", "late_s8", "late_s8b", "tuned_s9",
    "sealed_s9", "late_s9", "tuned_old", "sealed_old", "tuned_s10", "tuned_s10b",
    "late_s10", "sealed_s11", "tuned_s12c", "tuned_s12", "tuned_s12b", "late_s12", "late_s12b",
    "sealed_s13", "tuned_s14", "sealed_s14", "late_s14", "late_s14b", "late_s14c", "late_s14d",
    "late_s15", "late_s15b",
    "tuned_s16e", "sealed_s16e", "late_s16e", "late_s16eb", "late_s16ec", "late_s16ed",
    "late_s16ee", "late_s16ef", "tuned_s16", "sealed_s16", "late_s16", "late_s16b",
    "late_s16c", "late_s16d", "late_s16g", "late_s16f",
    "tuned_s17e", "sealed_s17e", "late_s17e", "late_s17eb", "late_s17ec",
    "tuned_s17", "sealed_s17", "late_s17", "late_s17b", "late_s17c", "late_s17d", "late_s17f",
    "late_s17g",
    "tuned_s18", "sealed_s18", "late_s18", "late_s18b", "late_s18c", "late_s18d", "late_s18f",
    "late_s18g", "late_s18h",
    "tuned_s18e", "sealed_s18e", "late_s18e", "late_s18eb", "late_s18ec", "late_s18ed",
    "late_s18ee", "late_s18ef",
    "tuned_s19e", "sealed_s19e", "late_s19e", "late_s19eb", "late_s19ec",
    "tuned_s20e", "sealed_s20e", "late_s20e", "late_s20eb", "late_s20ec", "late_s20ed",
    "late_s20ee", "late_s20ef", "late_s20eg", "late_s20eh", "late_s20ei",
    "late_s20ej", "late_s20ek", "late_s20el",
    "late_s20em", "late_s20en", "late_s20eo",
    "tuned_s19", "sealed_s19", "late_s19", "late_s19b", "late_s19c", "late_s19d", "late_s19j",
    "late_s19f", "late_s19g", "late_s19h", "late_s19i",
    "tuned_s20", "sealed_s20", "late_s20", "late_s20b", "late_s20c", "late_s20d",
    "late_s20f", "late_s20g", "late_s20h", "late_s20i", "late_s20j", "late_s20k",
)  # fmt: skip
#: Sets on which a kept foreign line fails the test (the sealed ones are only scored).
STRICT = frozenset(
    {"holdout_s5", "tuned_s6", "late_s6", "tuned_s7", "late_s7b", "late_s7c", "late_s7d",
     "late_s7e", "late_s7f", "tuned_s8", "late_s8", "late_s8b", "tuned_s9",
     "late_s9", "tuned_old", "tuned_s10", "late_s10", "tuned_s10b", "tuned_s12",
     "tuned_s12b", "late_s12", "late_s12b", "tuned_s14", "late_s14", "late_s14b", "late_s14c",
     "late_s14d", "late_s15", "late_s15b",
     "tuned_s16e", "late_s16e", "late_s16eb", "late_s16ec", "late_s16ed", "late_s16ee",
     "late_s16ef", "tuned_s16", "late_s16", "late_s16b", "late_s16c", "late_s16d",
     "late_s16g", "late_s16f",
     "tuned_s17e", "late_s17e", "late_s17eb", "late_s17ec",
     "tuned_s17", "late_s17", "late_s17b", "late_s17c", "late_s17d", "late_s17f", "late_s17g",
     "tuned_s18", "late_s18", "late_s18b", "late_s18c", "late_s18d", "late_s18f",
     "late_s18g", "late_s18h",
     "tuned_s18e", "late_s18e", "late_s18eb", "late_s18ec", "late_s18ed", "late_s18ee",
     "late_s19e", "late_s19eb", "late_s19ec",
     "tuned_s20e", "late_s20e", "late_s20eb", "late_s20ed", "late_s20ee", "late_s20ef",
     "late_s20eg", "late_s20eh", "late_s20ei", "late_s20ej",
     "late_s20ek", "late_s20el", "late_s20em", "late_s20en", "late_s20eo",
     "tuned_s19", "late_s19", "late_s19b", "late_s19c", "late_s19d", "late_s19j", "late_s19f",
     "late_s19g", "late_s19h", "late_s19i",
     "tuned_s20", "late_s20", "late_s20b", "late_s20c", "late_s20d", "late_s20f", "late_s20g",
     "late_s20h", "late_s20i", "late_s20j", "late_s20k"}
)
ALL_SETS = ("seen", "holdout", *SETS)
#: Shares of all layouts pages whose title is the printed headline, whose authors are
#: the printed writers.
TITLE_SHARE = 0.95
WRITER_SHARE = 0.9
MEAN_F1 = 0.97
PAGE_F1 = 0.9
#: Sealed sets holding a page under PAGE_F1 at their first measure, or whose page scores
#: were never read (sealed_s16e, sealed_s17e, sealed_s18, sealed_s18e, sealed_s19e): only
#: their mean is held (which page it is stays unread, so that it is not tuned on).
PAGE_FLOOR = {
    "sealed_s8": 0.0, "sealed_s9": 0.0, "sealed_old": 0.0, "sealed_s16e": 0.0, "sealed_s17e": 0.0,
    "sealed_s18": 0.0, "sealed_s18e": 0.0, "sealed_s19e": 0.0, "sealed_s20e": 0.0,
}  # fmt: skip
#: Sealed sets whose mean was under MEAN_F1 at their first measure: held at that mean.
MEAN_FLOOR = {
    "sealed_s16e": 0.95, "sealed_s17e": 0.85, "sealed_s18": 0.95, "sealed_s18e": 0.95,
    "sealed_s19e": 0.95, "sealed_s20e": 0.95,
}  # fmt: skip


@pytest.mark.parametrize("name", SETS)
def test_holdout_layouts_score_and_keep_no_foreign_line(name: str) -> None:
    pages = list(load_pages(LAYOUTS / name))
    assert len(pages) >= 3
    scores: list[float] = []
    for page in pages:
        article = extract(page.html, page.url)
        f1 = word_scores(article.body, page.gold)[2]
        assert f1 >= PAGE_FLOOR.get(name, PAGE_F1), (page.name, f1)
        scores.append(f1)
        gold = page.gold.casefold()
        kept = [p for p in article.paragraphs if p.casefold() not in gold]
        assert name not in STRICT or not kept, (page.name, kept)
    assert sum(scores) / len(scores) >= MEAN_FLOOR.get(name, MEAN_F1)


def test_titles_are_printed_headlines_and_authors_the_writers() -> None:
    pages = titled = written = 0
    for name in ALL_SETS:
        folder = LAYOUTS / name
        for page in load_pages(folder):
            expected = orjson.loads((folder / f"{page.name}.json").read_bytes())
            article = extract(page.html, page.url)
            pages += 1
            titled += article.title == expected["title"]
            written += list(article.authors) == expected["authors"]
    assert pages >= 194
    assert titled >= TITLE_SHARE * pages
    assert written >= WRITER_SHARE * pages


#: Tuned sets whose writers are not all read yet: held by the shares above only
#: (late_s12b: Kaltim Post's metadata names the site, "Kaltim Post", whose host is
#: kaltimpost.jawapos.com, over the byline's "Oleh: X"; tuned_s10b's metrotvnews 2016 is
#: read since session 11; tuned_s20e's sports recap and late_s20el's state-media page credit
#: no person, and their metadata names the site ("SportsWire", "Silkroad Daily"): under a
#: real host (sportswire.com) the host tells it from a writer, under the fixture's
#: "sportswire.example.com" nothing does).
WRITER_GAPS = frozenset({"late_s12b", "tuned_s20e", "late_s20el"})


@pytest.mark.parametrize(
    "name", [s for s in ALL_SETS if not s.startswith("sealed") and s not in WRITER_GAPS]
)
def test_every_tuned_page_titles_its_headline_and_credits_its_writers(name: str) -> None:
    # The sets tuned on (and the late ones, measured after) give every page's printed
    # headline and writers; only the sealed sets are held by the shares above.
    folder = LAYOUTS / name
    for page in load_pages(folder):
        expected = orjson.loads((folder / f"{page.name}.json").read_bytes())
        article = extract(page.html, page.url)
        assert article.title == expected["title"], page.name
        assert list(article.authors) == expected["authors"], page.name
