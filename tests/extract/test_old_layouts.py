"""Body mechanisms behind the misses of the older (2010–2019) templates of tuned_old:
the subtitle block ("subjudul") an older Indonesian template prints under the headline."""

from __future__ import annotations

from kabar.extract import extract
from tests.extract.extract_support import STORY

DEK = "Warga meminta pemerintah daerah segera membangun jembatan permanen."


def _old_page(header: str) -> str:
    body = "<br /><br />".join(STORY)
    return (
        "<html><head><title>Banjir</title></head><body><div id='main-content'>"
        f"<div class='article-title'>{header}</div>"
        f"<div id='article-content' class='isiberita'>{body}<br /><br /></div>"
        "</div></body></html>"
    )


def test_the_subtitle_block_under_an_old_headline_goes() -> None:
    header = (
        "<h1>Masa tanggap darurat banjir diperpanjang</h1>"
        f"<div class='subjudul'>{DEK}</div>"
        "<div class='date'>Kamis, 22 Maret 2012, 11:36 WIB</div>"
    )
    article = extract(_old_page(header), "https://nasional.example.com/news/read/1-banjir")
    assert article.paragraphs == tuple(STORY)
