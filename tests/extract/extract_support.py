"""Helpers for the extraction tests: fixture paths and small article pages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PORTAL_FIXTURES = REPO / "tests" / "fixtures" / "portals"


def page(body: str, title: str = "Judul Berita Contoh", head: str = "") -> str:
    """A minimal article page around ``body``."""
    return (
        f'<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body><header><nav><a href='/'>Beranda</a></nav></header>"
        f"<main><article><h1>{title}</h1><div class='content'>{body}</div></article></main>"
        "<footer>Copyright © 2024 Contoh Media</footer></body></html>"
    )


STORY = [
    "JAKARTA, KOMPAS.com - Pemerintah provinsi memperpanjang masa tanggap darurat banjir "
    "selama dua pekan karena curah hujan diperkirakan masih tinggi hingga akhir bulan.",
    "Kepala dinas sosial mengatakan ribuan warga masih bertahan di posko pengungsian, "
    "sementara sebagian lainnya mulai membersihkan rumah yang terendam lumpur.",
    "\u201cKami memprioritaskan air bersih, obat-obatan dan makanan untuk anak-anak,\u201d "
    "ujarnya kepada wartawan di lokasi pengungsian, Senin siang.",
    "Petugas gabungan juga membuka jalur darurat agar truk logistik bisa menjangkau desa yang "
    "sempat terisolasi selama tiga hari.",
]


def story_html(extra: str = "") -> str:
    return (
        "".join(f"<p>{p}</p>" for p in STORY[:2])
        + extra
        + "".join(f"<p>{p}</p>" for p in STORY[2:])
    )


def story_page(
    title: str, after: str = "", *, before: str = "", story: Sequence[str] = STORY,
    outer: str = "article", body_class: str = "content",
) -> str:
    """A bare page: ``<h1>`` and the story's paragraphs in one classed block inside
    ``outer`` (a tag with its attributes), ``before``/``after`` around the paragraphs."""
    body = "".join(f"<p>{p}</p>" for p in story)
    return (
        f"<html><head><title>{title}</title></head><body><{outer}><h1>{title}</h1>"
        f"<div class='{body_class}'>{before}{body}{after}</div></{outer.split()[0]}>"
        "</body></html>"
    )
