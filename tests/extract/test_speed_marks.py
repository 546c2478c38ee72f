"""The page's first <h1> elements and its JSON-LD blocks are read in one walk of the
tree: each is still found wherever it sits (head or body, any case of the type, before
or after the other), in page order, up to its cap."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from kabar.extract.metadata import MAX_H1, MAX_LD_BLOCKS, extract_metadata


def _ld(headline: str, kind: str = "application/ld+json") -> str:
    return f'<script type="{kind}">{{"@type": "NewsArticle", "headline": "{headline}"}}</script>'


def test_headings_and_linked_data_are_both_read_wherever_they_sit() -> None:
    html = (
        "<html><head><title>Banjir Rob Genangi Pesisir Utara Jakarta - Contoh</title>"
        '<script type="application/ld+json">{"@type": "WebSite", "name": "Contoh"}</script>'
        "</head><body>"
        "<h1>Banjir Rob Genangi Pesisir Utara Jakarta</h1>"
        '<script type="Application/LD+JSON; charset=utf-8">'
        '{"@type": "NewsArticle", "headline": "Banjir Rob Genangi Pesisir Utara Jakarta",'
        ' "datePublished": "2024-03-05T08:00:00+07:00",'
        ' "author": {"@type": "Person", "name": "Rina Wulandari"}}</script>'
        "<p>Air laut naik sejak pagi.</p></body></html>"
    )
    meta = extract_metadata(LexborHTMLParser(html), "https://contoh.co.id/a/1")
    assert meta.title == "Banjir Rob Genangi Pesisir Utara Jakarta"
    assert meta.published_at == "2024-03-05T01:00:00Z"
    assert meta.authors == ("Rina Wulandari",)


def test_a_heading_after_many_linked_data_blocks_is_still_the_headline() -> None:
    crumb = '<script type="application/ld+json">{"@type": "BreadcrumbList"}</script>'
    blocks = crumb * MAX_LD_BLOCKS + _ld("Judul Blok Terlambat")
    headings = "".join(f"<h1>Judul Lain Nomor {n}</h1>" for n in range(MAX_H1 + 2))
    html = (
        "<html><head><title>Harga Cabai Rawit Turun di Pasar Induk</title>"
        '<meta property="og:title" content="Harga Cabai Rawit Turun di Pasar Induk">'
        f"</head><body>{blocks}<h1>Harga Cabai Rawit Turun di Pasar Induk</h1>{headings}"
        "<p>Pedagang menyebut pasokan dari Jawa Tengah kembali lancar.</p></body></html>"
    )
    meta = extract_metadata(LexborHTMLParser(html), "https://contoh.co.id/b/2")
    # The block past the cap is not read: its headline would have been the title.
    assert meta.title == "Harga Cabai Rawit Turun di Pasar Induk"


def test_only_the_first_headings_are_weighed() -> None:
    # The headline printed as the fourth <h1> is past the cap: the declared title stands.
    others = "".join(f"<h1>Menu Rubrik {n}</h1>" for n in range(MAX_H1))
    html = (
        "<html><head><title>Kereta Cepat Tambah Jadwal | Contoh</title></head><body>"
        f"{others}<h1>Kereta Cepat Tambah Jadwal Akhir Pekan Ini</h1>"
        "<p>Operator menambah perjalanan.</p></body></html>"
    )
    meta = extract_metadata(LexborHTMLParser(html), "https://contoh.co.id/c/3")
    assert meta.title == "Kereta Cepat Tambah Jadwal"
