"""A crawl process stitches multi-page articles without importing the extractor: its
extraction runs in worker processes, and importing ``kabar.extract`` (rules, the
language model) at the first multi-page article stalled its event loop mid-crawl."""

from __future__ import annotations

import subprocess
import sys

from kabar.assembly import stitch
from kabar.models import Article

_CRAWL_SIDE = """
import sys
from kabar.models import Article
from kabar.roles import CrawlPipeline  # the crawl role's own modules
from kabar.service import _stitch  # what a crawl pipeline stitches with

first = Article("https://x.invalid/a", "Judul", ("Satu.", "Dua."))
more = [Article("https://x.invalid/a?page=2", "Judul", ("dua.", "Tiga."))]
article = _stitch(first, more)
assert article.paragraphs == ("Satu.", "Dua.", "Tiga."), article.paragraphs
print("kabar.extract" in sys.modules)
"""


def test_the_crawl_side_stitches_without_importing_the_extractor() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CRAWL_SIDE], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "False"


def test_the_extractor_offers_the_same_stitch() -> None:
    import kabar.extract

    assert kabar.extract.stitch is stitch


def test_stitching_keeps_first_page_metadata_and_new_paragraphs_in_order() -> None:
    first = Article(
        "https://x.invalid/a",
        "Judul",
        ("Satu.", "Dua."),
        clutter_removed=2,
        next_pages=("https://x.invalid/a?page=2",),
    )
    second = Article("https://x.invalid/a?page=2", "Lain", ("DUA.", "Tiga."), clutter_removed=1)
    third = Article("https://x.invalid/a?page=3", "Lain", ("Empat.", "tiga."))
    article = stitch(first, [second, third])
    assert article.paragraphs == ("Satu.", "Dua.", "Tiga.", "Empat.")
    assert (article.title, article.url, article.clutter_removed) == ("Judul", first.url, 3)
