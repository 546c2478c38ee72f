"""A generated local news site for the delivery benchmark and tests: several
portals, each on its own host name (pinned to 127.0.0.1 with
``fetch.static_hosts``), each with an RSS feed and a few hundred article pages
whose bodies differ from each other (so dedup keeps them apart) and are
rebuilt identically on every run (the words come from a hash of the numbers).
"""

from __future__ import annotations

import hashlib
import itertools
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from kabar.demo.server import Page, SiteServer

_TEXT = (
    "banjir warga desa pemerintah jalan pasar harga beras sekolah guru murid rumah sakit "
    "dokter pasien kota kabupaten gubernur bupati camat polisi kebakaran gedung kantor "
    "petani sawah panen hujan sungai jembatan listrik air bersih nelayan laut pelabuhan "
    "kapal bandara pesawat kereta stasiun bus terminal mudik lebaran festival budaya tari "
    "musik lomba sepak bola stadion pemain pelatih juara turnamen ekonomi investasi pabrik "
    "buruh upah koperasi usaha kecil ekspor impor kopi teh sawit karet tambang hutan satwa "
    "gunung letusan gempa tsunami relawan bantuan logistik posko pengungsi anggaran proyek"
)
_WORDS: tuple[str, ...] = tuple(_TEXT.split())


def _words(seed: str, count: int) -> list[str]:
    out: list[str] = []
    counter = 0
    while len(out) < count:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(_WORDS[b % len(_WORDS)] for b in digest)
        counter += 1
    return out[:count]


def article_path(portal: str, number: int) -> str:
    return f"/{portal}/berita/{number}"


def _values(settings: dict[str, object]) -> str:
    return "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in settings.items())


def _article_html(portal: str, number: int, when: datetime) -> bytes:
    title = " ".join(_words(f"{portal}-{number}-t", 7)).capitalize()
    paragraphs = [
        " ".join(_words(f"{portal}-{number}-p{p}", 45)).capitalize() + "."
        for p in range(4)
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>{title}</title>"
        f"<meta property=\"article:published_time\" content=\"{when.isoformat()}\">"
        f"</head><body><header><nav><a href=\"/\">Beranda</a></nav></header>"
        f"<article><h1>{title}</h1><div class=\"content\">{body}</div></article>"
        f"<footer>Hak cipta {portal}</footer></body></html>"
    ).encode()


def _feed(base: str, portal: str, numbers: range, now: datetime) -> bytes:
    items = "".join(
        f"<item><title>{portal} {n}</title><link>{base}{article_path(portal, n)}</link>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=n))}</pubDate></item>"
        for n in numbers
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


def build(portals: int, per_portal: int, port: int, now: datetime | None = None,
          delay_s: float = 0.0) -> tuple[dict[str, Page], dict[str, str]]:
    """Routes for one server and, per portal, its host's base URL."""
    now = now or datetime.now(UTC)
    routes: dict[str, Page] = {"/robots.txt": Page(b"User-agent: *\nAllow: /\n", "text/plain")}
    bases: dict[str, str] = {}
    for p in range(portals):
        portal = f"warta{p}"
        base = bases[portal] = f"http://{portal}.test:{port}"
        for n in range(per_portal):
            routes[article_path(portal, n)] = Page(
                _article_html(portal, n, now - timedelta(minutes=n)), delay_s=delay_s)
        routes[f"/{portal}/rss.xml"] = Page(_feed(base, portal, range(per_portal), now),
                                            "application/rss+xml; charset=utf-8")
    return routes, bases


class TimedSite(SiteServer):
    """A ``SiteServer`` that also keeps when each GET started and ended, so two
    fetches of one page at the same time can be told from a fetch repeated later."""

    def __init__(self) -> None:
        super().__init__()
        self.intervals: list[tuple[str, float, float]] = []
        site = self
        base: Any = self._httpd.RequestHandlerClass

        class Timed(base):  # type: ignore[misc]
            def do_GET(self) -> None:
                started = time.monotonic()
                try:
                    super().do_GET()
                finally:
                    site.intervals.append((self.path, started, time.monotonic()))

        self._httpd.RequestHandlerClass = Timed


def concurrent_fetches(intervals: list[tuple[str, float, float]], marker: str) -> int:
    """Pages (paths containing ``marker``) fetched twice at overlapping times."""
    by_path: dict[str, list[tuple[float, float]]] = {}
    for path, start, end in intervals:
        if marker in path:
            by_path.setdefault(path, []).append((start, end))
    overlapping = 0
    for spans in by_path.values():
        spans.sort()
        if any(b[0] < a[1] for a, b in itertools.pairwise(spans)):
            overlapping += 1
    return overlapping


def serve(portals: int, per_portal: int, delay_s: float = 0.0
          ) -> tuple[TimedSite, dict[str, str]]:
    server = TimedSite()
    server.start()
    port = int(server.base_url.rsplit(":", 1)[1])
    routes, bases = build(portals, per_portal, port, delay_s=delay_s)
    server.routes.update(routes)
    return server, bases


def write_config(
    path: Path,
    bases: dict[str, str],
    bootstrap: str,
    *,
    topics: str,
    state_dir: Path,
    redis_prefix: str,
    rate: float = 50.0,
    cluster: dict[str, object] | None = None,
    fetch: dict[str, object] | None = None,
    pipeline: dict[str, object] | None = None,
) -> Path:
    """A ``kabar run`` config for the site: its own topics, state and Redis keys."""
    portals = "".join(
        f'[[portals]]\nname = "{name}"\nfeeds = ["{base}/{name}/rss.xml"]\n'
        for name, base in bases.items()
    )
    hosts = ", ".join(f'"{name}.test=127.0.0.1"' for name in bases)
    path.write_text(f"""
[broker]
bootstrap_servers = "{bootstrap}"
articles_topic = "{topics}.articles"
stories_topic = "{topics}.stories"
errors_topic = "{topics}.errors"
[cluster]
frontier_topic = "{topics}.frontier"
extracted_topic = "{topics}.extracted"
crawl_group = "{topics}-crawl"
stories_group = "{topics}-stories"
status_prefix = "{redis_prefix}"
{_values(cluster or {})}[fetch]
allow_private_addresses = true
static_hosts = [{hosts}]
{_values({"per_host_rate": rate, "per_host_burst": 10, "retries": 1, **(fetch or {})})}[discovery]
seen_path = "{state_dir / 'seen.sqlite3'}"
max_new_per_poll = 100000
poll_interval_s = 2.0
min_poll_interval_s = 1.0
max_poll_interval_s = 4.0
[dedup]
store = "sqlite"
state_path = "{state_dir / 'state.sqlite3'}"
[metrics]
enabled = false
[pipeline]
spool_path = "{state_dir / 'spool.jsonl'}"
progress_interval_s = 0
{_values(pipeline or {})}{portals}""")
    return path
