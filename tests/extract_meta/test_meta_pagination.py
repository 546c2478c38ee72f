"""Multi-page article detection on self-written pages."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from kabar.extract.pagination import find_next_pages

BASE = "https://berita.contoh.id/read/2024/06/20/555/wisata-danau-toba-ramai"


def pages(html: str, url: str | None = BASE, pattern: str | None = None) -> tuple[str, ...]:
    return find_next_pages(LexborHTMLParser(html), url, pattern)


def test_numbered_query_links_in_order_without_current_page() -> None:
    html = """<div class="paging">Halaman 1/3
    <a href="?page=1">1</a><a href="?page=3">3</a><a href="?page=2">2</a>
    <a href="?page=2">Selanjutnya</a></div>"""
    assert pages(html) == (BASE + "?page=2", BASE + "?page=3")


def test_path_suffix_pages_seen_from_page_two() -> None:
    html = f"""<a href="{BASE}">1</a><a href="{BASE}/2">2</a><a href="{BASE}/3">3</a>
    <a href="{BASE}/3">berikutnya</a>"""
    assert pages(html, BASE + "/2") == (BASE + "/3",)


def test_dash_suffix_and_rel_next() -> None:
    base = "https://foto.contoh.id/galeri/pawai-budaya-meriah.html"
    html = """<head><link rel="next" href="/galeri/pawai-budaya-meriah-2.html"></head>
    <body><a href="/galeri/pawai-budaya-meriah-3.html">3</a></body>"""
    assert pages(html, base) == (
        "https://foto.contoh.id/galeri/pawai-budaya-meriah-2.html",
        "https://foto.contoh.id/galeri/pawai-budaya-meriah-3.html",
    )


def test_next_link_in_head_without_numbered_links() -> None:
    html = f'<head><link rel="next" href="{BASE}/lanjutan"></head><body><p>Isi</p></body>'
    assert pages(html) == (BASE + "/lanjutan",)
    other_host = '<head><link rel="next" href="https://lain.contoh.id/x"></head>'
    assert pages(other_host) == ()


def test_next_text_link_with_portal_specific_parameter() -> None:
    html = f'<a href="{BASE}?hlm=2">Berikutnya</a><a href="{BASE}?hlm=3">3</a>'
    assert pages(html, BASE, r"[?&]hlm=(\d+)") == (BASE + "?hlm=2", BASE + "?hlm=3")


def test_show_all_view_is_preferred() -> None:
    html = f"""<a href="?page=2">2</a><a href="?page=3">3</a>
    <a href="{BASE}?page=all">Tampilkan semua</a>"""
    assert pages(html) == (BASE + "?page=all",)
    single = '<a href="?page=2">2</a><a href="?single=1">Baca dalam satu halaman</a>'
    assert pages(single) == (BASE + "?single=1",)


def test_show_all_text_on_same_article() -> None:
    html = f'<a href="{BASE}?tampil=penuh">Tampilkan Semua</a><a href="?page=2">2</a>'
    assert pages(html) == (BASE + "?tampil=penuh",)
    # A different path is a different page, not this article's show-all view.
    other = f'<a href="{BASE}/full-view">Tampilkan Semua</a><a href="?page=2">2</a>'
    assert pages(other) == (BASE + "?page=2",)


def test_links_to_other_articles_and_hosts_are_ignored() -> None:
    html = """<a href="/read/2024/06/20/556/wisata-danau-toba-sepi/2">2</a>
    <a href="https://lain.contoh.id/read/2024/06/20/555/wisata-danau-toba-ramai?page=2">2</a>
    <a href="/read/2024/06/19/554/kuliner-medan">Selanjutnya</a>
    <a href="#komentar">2</a><a href="javascript:void(0)">Next</a>"""
    assert pages(html) == ()


def test_portal_pattern_hint() -> None:
    base = "https://contoh.id/artikel/rumah-adat-minang"
    html = """<a href="/artikel/rumah-adat-minang/halaman-2">2</a>
    <a href="/artikel/lain/halaman-2">x</a>"""
    assert pages(html, base, r"/halaman-(\d+)") == (base + "/halaman-2",)
    assert pages(html, base, "([") == ()  # a bad hint is ignored, not fatal


def test_deduplicated_and_fragments_dropped() -> None:
    html = '<a href="?page=2#atas">2</a><a href="?page=2">2</a><a href="?page=2">Next</a>'
    assert pages(html) == (BASE + "?page=2",)


def test_without_url_uses_canonical_or_gives_nothing() -> None:
    html = f'<head><link rel="canonical" href="{BASE}"></head><a href="?page=2">2</a>'
    assert pages(html, None) == (BASE + "?page=2",)
    assert pages('<a href="?page=2">2</a>', None) == ()


def test_single_page_article_has_no_next_pages() -> None:
    html = f'<h1>Judul</h1><a href="{BASE}">Judul</a><a href="/kanal/wisata">Wisata</a>'
    assert pages(html) == ()
