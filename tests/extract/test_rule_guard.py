"""A portal rule's body selector that matches a stub does not hide the real story."""

from __future__ import annotations

from kabar.extract import extract
from tests.extract.extract_support import STORY

URL = "https://news.detik.com/berita/d-7000001/contoh"
#: A portal whose rules are not verified against real pages (tribunnews.com).
UNVERIFIED_URL = "https://www.tribunnews.com/regional/2025/03/03/contoh"
MORE = [
    "Relawan dari sejumlah kampus ikut membantu dapur umum yang setiap hari menyiapkan "
    "lebih dari dua ribu porsi makanan bagi pengungsi di tiga kecamatan.",
    "Dinas kesehatan menurunkan tim medis keliling karena mulai banyak warga yang mengeluh "
    "gatal-gatal, demam dan diare setelah beberapa hari tinggal di tenda.",
    "Pemerintah daerah berjanji mendata rumah yang rusak berat agar pemiliknya segera "
    "mendapat bantuan perbaikan sebelum musim hujan berikutnya tiba.",
]


def _page(rule_block: str, elsewhere: str) -> str:
    return (
        "<html lang='id'><head><title>Judul Berita Contoh</title></head><body>"
        "<nav><a href='/'>Beranda</a> <a href='/berita'>Berita</a></nav>"
        f"<aside class='promo-box'>{rule_block}</aside>"
        f"<main><h1>Judul Berita Contoh</h1>{elsewhere}</main>"
        "<footer>Hak cipta dilindungi undang-undang.</footer></body></html>"
    )


def test_unverified_rule_matching_a_stub_falls_back_to_the_story() -> None:
    # The tribunnews selector (not checked on real pages) matches a one-line promo; the
    # article sits in a container the rule does not know.
    stub = "<div class='txt-article'><p>Saksikan siaran langsung malam ini.</p></div>"
    story = "<div class='isi-lama'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div>"
    article = extract(_page(stub, story), UNVERIFIED_URL)
    assert article.extractor == "generic"
    assert list(article.paragraphs) == STORY


def test_verified_rule_keeps_its_short_body() -> None:
    # A verified rule's short body is the caption of a photo page, not a wrong match.
    caption = "<div class='detail__body-text'><p>Saksikan siaran langsung malam ini.</p></div>"
    story = "<div class='isi-lama'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div>"
    article = extract(_page(caption, story), URL)
    assert article.extractor == "rules:detik.com"
    assert article.paragraphs == ("Saksikan siaran langsung malam ini.",)


def test_short_rule_body_stays_when_nothing_fuller_exists() -> None:
    caption = (
        "<div class='txt-article'><p>Warga membersihkan lumpur di halaman rumah "
        "mereka setelah banjir surut, Senin pagi.</p></div>"
    )
    teasers = (
        "<ul>"
        + "".join(
            f"<li><a href='/b/{i}'>Judul berita lain nomor {i} yang cukup panjang</a></li>"
            for i in range(6)
        )
        + "</ul>"
    )
    article = extract(_page("", caption + teasers), UNVERIFIED_URL)
    assert article.extractor == "rules:tribunnews.com"
    assert article.paragraphs == (
        "Warga membersihkan lumpur di halaman rumah mereka setelah banjir surut, Senin pagi.",
    )


def test_rule_matching_a_cut_off_summary_falls_back_to_the_story() -> None:
    # Longer than a stub, but one paragraph cut off with "...": a teaser, not the story.
    lead = " ".join(STORY)[:460].rsplit(" ", 1)[0] + "..."
    summary = f"<div class='detail__body-text'><p>{lead}</p></div>"
    story = "<div class='isi-lama'>" + "".join(f"<p>{p}</p>" for p in [*STORY, *MORE]) + "</div>"
    article = extract(_page(summary, story), URL)
    assert article.extractor == "generic"
    assert list(article.paragraphs) == [*STORY, *MORE]
