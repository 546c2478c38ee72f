"""Article links on section pages: the generic heuristic and portal URL patterns."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kabar.discovery import sections
from kabar.discovery.sections import article_links, looks_like_article, registrable_domain

SECTION = """<html><body>
<nav>
  <a href="/">Beranda</a>
  <a href="/nasional">Nasional</a>
  <a href="/tag/banjir">#banjir</a>
  <a href="/indeks">Indeks</a>
  <a href="https://www.contoh.co.id/penulis/budi-santoso-wartawan-senior">Budi</a>
  <a href="/video/2026/05/01/901/cuplikan-banjir">Video</a>
  <a href="/search?q=banjir">Cari</a>
</nav>
<main>
  <article><a href="/read/2026/05/01/1201/warga-mengungsi-akibat-banjir#komentar">
    <img src="/foto.jpg" alt=""> Warga mengungsi akibat banjir bandang</a></article>
  <article><a href="https://daerah.contoh.co.id/berita/d-7712345/jembatan-putus">
    Jembatan putus, desa terisolasi</a></article>
  <article><a href="/nasional/pemerintah-umumkan-libur-nasional-tambahan-tahun-ini">
    Pemerintah umumkan libur tambahan</a></article>
  <article><a href="/read/2026/05/01/1201/warga-mengungsi-akibat-banjir">duplikat</a></article>
  <a href="https://lain.example.com/read/2026/05/01/55555/bukan-portal-ini">Situs lain</a>
  <a href="/nasional?page=2">Berikutnya</a>
  <a href="/page/2">2</a>
  <a href="mailto:redaksi@contoh.co.id">Surel</a>
  <a href="/berkas/laporan-tahunan-2025.pdf">PDF</a>
</main></body></html>"""


def test_section_page_yields_article_links_only() -> None:
    links = article_links(SECTION, "https://www.contoh.co.id/nasional")
    assert [link.url for link in links] == [
        "https://www.contoh.co.id/read/2026/05/01/1201/warga-mengungsi-akibat-banjir",
        "https://daerah.contoh.co.id/berita/d-7712345/jembatan-putus",
        "https://www.contoh.co.id/nasional/pemerintah-umumkan-libur-nasional-tambahan-tahun-ini",
    ]
    assert links[0].title == "Warga mengungsi akibat banjir bandang"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.contoh.co.id/read/1865432/banjir",
        "https://www.contoh.co.id/news/read/5581234/judul",
        "https://www.contoh.co.id/nasional/20260501123456-20-1234567/judul",
        "https://www.contoh.co.id/nasional/2026/05/01/judul-singkat",
        "https://www.contoh.co.id/berita/s1abcd123/gubernur-resmikan-pasar-rakyat",
        "https://www.contoh.co.id/berita/nasional/1712345-judul",
        "https://www.contoh.co.id/read.php?id=40213",
    ],
)
def test_article_shapes(url: str) -> None:
    assert looks_like_article(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.contoh.co.id/",
        "https://www.contoh.co.id/nasional",
        "https://www.contoh.co.id/news/politik",
        "https://www.contoh.co.id/tag/pemilihan-umum-kepala-daerah-2026",
        "https://www.contoh.co.id/topik/12345/banjir",
        "https://www.contoh.co.id/kategori/ekonomi-dan-bisnis-terbaru-hari-ini",
        "https://www.contoh.co.id/foto/2026/05/01/galeri-banjir-bandang-di-kota",
        "https://www.contoh.co.id/indeks/20260501",
        "https://www.contoh.co.id/gambar/2026/05/01/12345.jpg",
    ],
)
def test_non_article_shapes(url: str) -> None:
    assert not looks_like_article(url)


def test_registrable_domains() -> None:
    assert registrable_domain("news.contoh.com") == "contoh.com"
    assert registrable_domain("www.contoh.co.id") == "contoh.co.id"
    assert registrable_domain("contoh.id") == "contoh.id"


@dataclass(frozen=True)
class _Rules:
    hosts: tuple[str, ...]
    article_url_pattern: str


def test_portal_pattern_overrides_the_heuristic(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = _Rules(("contoh.co.id", "cdn-contoh.net"), r"/artikel/\d+")
    monkeypatch.setattr(sections, "_rules_finder", lambda: lambda url: rules)
    html = """<a href="/artikel/77">pendek</a>
      <a href="/read/2026/05/01/1201/warga-mengungsi-akibat-banjir">heuristik</a>
      <a href="https://m.cdn-contoh.net/artikel/78">host lain milik portal</a>"""
    urls = [link.url for link in article_links(html, "https://www.contoh.co.id/")]
    assert urls == ["https://www.contoh.co.id/artikel/77", "https://m.cdn-contoh.net/artikel/78"]
