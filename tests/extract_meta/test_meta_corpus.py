"""Metadata over the real portal pages in ../shared/corpus/idn (skipped when absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from kabar.extract.metadata import Metadata, extract_metadata
from kabar.extract.pagination import find_next_pages

pytestmark = pytest.mark.shared

#: Share of pages that must yield a published date (some old pages print none).
MIN_DATED_SHARE = 0.9
MIN_AUTHORED_SHARE = 0.6


Row = tuple[str, str | None, Metadata, tuple[str, ...]]


@pytest.fixture(scope="module")
def corpus(shared: Path) -> list[Row]:
    folder = shared / "corpus" / "idn"
    if not folder.is_dir():
        pytest.skip(f"../shared not found: {folder}")
    with (folder / "PROVENANCE.tsv").open(encoding="utf-8") as handle:
        urls = {row["file"]: row["url"] for row in csv.DictReader(handle, delimiter="\t")}
    results = []
    for path in sorted(folder.glob("*.html")):
        tree = LexborHTMLParser(path.read_bytes())
        url = urls.get(path.name)
        results.append((path.name, url, extract_metadata(tree, url), find_next_pages(tree, url)))
    return results


def test_every_page_has_a_title_and_most_a_date(corpus: list[Row]) -> None:
    results = corpus
    assert results
    for name, _, meta, _ in results:
        assert meta.title, name
        assert len(meta.title) >= 15, (name, meta.title)
        assert " | " not in meta.title and not meta.title.lower().endswith(".com"), name
    dated = [meta.published_at for _, _, meta, _ in results if meta.published_at]
    assert len(dated) >= MIN_DATED_SHARE * len(results)
    assert all(d.endswith("Z") and "2010" < d < "2030" for d in dated)


def test_most_pages_name_a_person_as_author(corpus: list[Row]) -> None:
    results = corpus
    authored = [meta.authors for _, _, meta, _ in results if meta.authors]
    assert len(authored) >= MIN_AUTHORED_SHARE * len(results)
    for names in authored:
        for name in names:
            assert "." not in name.split()[-1] or len(name.split()[-1]) <= 3, name
            assert not name.lower().startswith(("tim ", "redaksi")), name


def test_published_date_agrees_with_the_date_in_the_url(corpus: list[Row]) -> None:
    """Portals put the local publication day in many URLs (/read/2015/11/05/...)."""
    for name, url, meta, _ in corpus:
        parts = (url or "").split("/")
        years = [i for i, p in enumerate(parts) if p.isdigit() and len(p) == 4 and p > "2000"]
        if not years or not meta.published_at or len(parts) < years[0] + 3:
            continue
        y, m, d = parts[years[0] : years[0] + 3]
        if not (m.isdigit() and d.isdigit()):
            continue
        local_day = f"{y}-{m}-{d}"
        utc_day = meta.published_at[:10]
        assert utc_day == local_day or (utc_day < local_day and meta.published_at[11:13] >= "17"), (
            name,
            meta.published_at,
        )


def test_next_pages_stay_on_the_same_article(corpus: list[Row]) -> None:
    for name, url, _, next_pages in corpus:
        for page in next_pages:
            assert page.startswith("http"), name
            assert page != url, name
            stem = (url or "").split("//", 1)[-1].split("?")[0].rsplit(".", 1)[0]
            assert stem.removeprefix("www.") in page, (name, page)
