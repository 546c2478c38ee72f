"""Title and authors as the page prints them: the visible headline when the declared
titles are an SEO rewording of it, and the writer, not an editor the metadata lists too."""

from __future__ import annotations

import orjson

from kabar.extract import extract
from tests.extract.extract_support import STORY

PRINTED = "Harga Mobil Listrik Bekas Turun hingga 40 Persen, Apa Penyebabnya?"
DECLARED = "Harga Mobil Listrik Bekas Anjlok, Ini Penyebabnya"


def _page(h1: str, declared: str, head: str = "", credits: str = "", tail: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{declared} - Contoh'
        f'</title><meta property="og:title" content="{declared}">{head}</head><body>'
        f"<header><a href='/'>Contoh</a></header><article><h1>{h1}</h1>{credits}"
        f"<div class='read__content'>{body}{tail}</div></article></body></html>"
    ).encode()


def test_the_printed_headline_wins_over_a_reworded_declared_title() -> None:
    article = extract(_page(PRINTED, DECLARED), "https://otomotif.contoh.com/read/1")
    assert article.title == PRINTED


def test_an_h1_sharing_only_a_few_words_is_not_the_headline() -> None:
    """A section name or another story's headline in the first <h1> is passed over."""
    other = "Daftar Harga Mobil Baru"
    article = extract(_page(other, DECLARED), "https://otomotif.contoh.com/read/1")
    assert article.title == DECLARED


def test_the_printed_writer_replaces_an_editor_in_the_metadata() -> None:
    """The JSON-LD names the editor; the credit block under the reworded headline prints
    both: found once the printed headline anchors the region around it."""
    ld = {"@type": "NewsArticle", "headline": DECLARED, "author": {"name": "Agung Kurniawan"}}
    head = f'<script type="application/ld+json">{orjson.dumps(ld).decode()}</script>'
    credits = (
        "<div class='read__credit'><h6>Penulis <a href='/p'>Gilang Satria Wibowo</a></h6>"
        "<h6>Editor <a href='/e'>Agung Kurniawan</a></h6></div>"
    )
    article = extract(_page(PRINTED, DECLARED, head, credits), "https://otomotif.contoh.com/r/1")
    assert article.authors == ("Gilang Satria Wibowo",)


def test_an_editor_printed_under_the_story_leaves_the_metadata_authors() -> None:
    ld = {"@type": "NewsArticle", "author": [{"name": "Sam Carter"}, {"name": "Maria Lopez"}]}
    head = f'<script type="application/ld+json">{orjson.dumps(ld).decode()}</script>'
    credits = "<div class='byline'>by <a href='/a'>Sam Carter</a></div>"
    tail = "<p><em>Edited by Maria Lopez.</em></p>"
    article = extract(_page(DECLARED, DECLARED, head, credits, tail), "https://x.example/a")
    assert article.authors == ("Sam Carter",)
    assert "Edited by" not in article.body


def test_a_writer_and_an_editor_both_in_the_metadata_stay_without_a_printed_credit() -> None:
    ld = {"@type": "NewsArticle", "author": [{"name": "Sam Carter"}, {"name": "Maria Lopez"}]}
    head = f'<script type="application/ld+json">{orjson.dumps(ld).decode()}</script>'
    article = extract(_page(DECLARED, DECLARED, head), "https://x.example/a")
    assert article.authors == ("Sam Carter", "Maria Lopez")


def test_a_name_with_a_label_left_on_is_not_an_author() -> None:
    credits = "<div class='byline'>Foto: Budi Santoso</div>"
    article = extract(_page(DECLARED, DECLARED, "", credits), "https://x.example/a")
    assert "Foto: Budi Santoso" not in article.authors


def test_a_contributor_classed_byline_names_the_writer() -> None:
    """Templates that class the byline "contributor" (a hashed CSS-in-JS class around
    that word): the name under the headline is the writer."""
    ld = {"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Contoh"}}
    head = f'<script type="application/ld+json">{orjson.dumps(ld).decode()}</script>'
    credits = "<div class='ssr-68pt20-Text-TextContributorName'>Owen Pritchard</div>"
    article = extract(_page(DECLARED, DECLARED, head, credits), "https://contoh.example/a")
    assert article.authors == ("Owen Pritchard",)
