"""Renders the demo portals (``articles.toml``) into pages with the clutter real
Indonesian portals wrap around articles, plus an RSS feed per portal and a few
broken links so the demo shows dead-letter events too.
"""

from __future__ import annotations

import html
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from importlib import resources
from typing import Any

from kabar.demo.server import Page

WIB = timezone(timedelta(hours=7))
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember"]


def load_articles() -> list[dict[str, Any]]:
    text = resources.files("kabar.demo").joinpath("articles.toml").read_text("utf-8")
    return list(tomllib.loads(text)["article"])


def indonesian_date(when: datetime) -> str:
    local = when.astimezone(WIB)
    return (f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year} - "
            f"{local:%H:%M} WIB")


def build_site(base_url: str, now: datetime | None = None) -> dict[str, Page]:
    """All routes of the demo site for a server reachable at ``base_url``."""
    now = now or datetime.now(UTC)
    routes: dict[str, Page] = {}
    by_portal: dict[str, list[tuple[dict[str, Any], datetime]]] = {}
    for article in load_articles():
        when = now - timedelta(hours=float(article["hours_ago"]))
        by_portal.setdefault(article["portal"], []).append((article, when))
        routes.update(_article_pages(article, when, base_url))
    for portal, items in by_portal.items():
        routes[f"/{portal}/rss.xml"] = Page(
            _feed(portal, items, base_url).encode("utf-8"), "application/rss+xml; charset=utf-8"
        )
    routes["/kabarkota/laporan-tahunan.pdf"] = Page(b"%PDF-1.4\n%demo\n", "application/pdf")
    routes["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", "text/plain")
    return routes


def _article_pages(article: dict[str, Any], when: datetime, base: str) -> dict[str, Page]:
    path = f"/{article['portal']}/read/{article['slug']}"
    texts = [article["paragraphs"], *article.get("more_pages", [])]
    pages = {}
    for number, paras in enumerate(texts, start=1):
        route = path if number == 1 else f"{path}?page={number}"
        pages[route] = Page(_render(article, when, base, paras, number).encode("utf-8"))
    return pages


def _render(article: dict[str, Any], when: datetime, base: str, paras: list[str], page: int) -> str:
    e = html.escape
    url = f"{base}/{article['portal']}/read/{article['slug']}"
    body = [f"<p><strong>{e(article['dateline'])}</strong> {e(paras[0])}</p>"] if page == 1 else [
        f"<p>{e(paras[0])}</p>"]
    for i, para in enumerate(paras[1:], start=1):
        body.append(f"<p>{e(para)}</p>")
        if i == 1:
            first = article["related"][0]
            body.append(f'<p><strong>BACA JUGA:</strong> <a href="{base}/x/{i}">{e(first)}</a></p>')
    pager = _pager(url, 1 + len(article.get("more_pages", [])), page)
    related = "".join(f'<li><a href="{base}/{article["portal"]}/read/r{i}">{e(t)}</a>'
                      f"<span>{e(article['section'].upper())} | {i + 1} jam yang lalu</span></li>"
                      for i, t in enumerate(article["related"]))
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8">
<title>{e(article['title'])} - {e(article['portal'].capitalize())}</title>
<link rel="canonical" href="{url}{f'?page={page}' if page > 1 else ''}">
<meta property="og:title" content="{e(article['title'])}">
<meta property="article:published_time" content="{when.isoformat()}">
<meta name="author" content="{e(article['author'])}">
</head><body>
<header><nav><a href="{base}/">Beranda</a> <a href="{base}/news">Berita</a>
<a href="{base}/ekonomi">Ekonomi</a> <a href="{base}/olahraga">Olahraga</a></nav></header>
<main><article>
<h1>{e(article['title'])}</h1>
<div class="byline">Penulis: {e(article['author'])} | Editor: {e(article['editor'])}</div>
<div class="date">{indonesian_date(when)}</div>
<figure><img src="{base}/img/{article['slug']}.jpg" alt="">
<figcaption>{e(article['caption'])}</figcaption></figure>
<div class="article-body">
{''.join(body)}
<p>ADVERTISEMENT</p>
</div>
{pager}
<div class="share">Bagikan: Facebook Twitter WhatsApp</div>
<p class="promo">Dapatkan berita terkini dan pilihan setiap hari di kanal WhatsApp kami.</p>
</article>
<aside><h3>Berita Terkait</h3><ul>{related}</ul></aside>
</main>
<footer>Copyright &copy; 2026 {e(article['portal'].capitalize())}. All rights reserved.</footer>
</body></html>
"""


def _pager(url: str, count: int, page: int) -> str:
    """Numbered page links and a "next" link, as portals print under long articles."""
    if count < 2:
        return ""
    hrefs = [url] + [f"{url}?page={n}" for n in range(2, count + 1)]
    links = [f'<a href="{href}">{n}</a>' for n, href in enumerate(hrefs, start=1)]
    if page < count:
        links.append(f'<a href="{url}?page={page + 1}" rel="next">Selanjutnya</a>')
    return f'<div class="paging">Halaman: {" ".join(links)}</div>'


def _feed(portal: str, items: list[tuple[dict[str, Any], datetime]], base: str) -> str:
    e = html.escape
    entries = [
        f"<item><title>{e(a['title'])}</title><link>{base}/{portal}/read/{a['slug']}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for a, when in items
    ]
    now = datetime.now(UTC)
    if portal == "kabarkota":  # broken entries: the demo shows dead letters too
        entries.append(f"<item><title>Halaman hilang</title><link>{base}/{portal}/read/hilang"
                       f"</link><pubDate>{format_datetime(now)}</pubDate></item>")
        entries.append(f"<item><title>Laporan tahunan</title><link>{base}/{portal}/"
                       f"laporan-tahunan.pdf</link><pubDate>{format_datetime(now)}</pubDate></item>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{e(portal)}</title><link>{base}/{portal}</link>"
            + "".join(entries) + "</channel></rss>")
