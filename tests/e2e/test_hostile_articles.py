"""Hostile article pages against `kabar run` (issue 16 item 7, the article half):
a page nested so deep that parsing it would take minutes, and a multi-page
article whose next page never answers. Neither holds the service: the other
articles are published, the deep page is refused before parsing
(``html_too_deep``; the worker's time limit is the second line, tested in
tests/core/test_extract_pool.py),
the slow article goes out with the page that came (``page_timeout`` for the
other), and ``/healthz`` answers all along."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from kabar.broker import EmbeddedBroker, free_port
from kabar.commands.demo import read_topic
from kabar.demo.server import Page, SiteServer

SENTENCE = ("Petugas pemadam kebakaran berjaga di sekitar pasar sampai api benar-benar padam, "
            "sementara pedagang menghitung kerugian yang mereka alami sejak dini hari.")
TOPIC = "hostile.articles.v1"
#: The next page that never answers: far longer than the run may take however loaded the
#: machine (the run is given RUN_LIMIT_S), so a run that waited for it fails.
SLOW_PAGE_S = 900.0
RUN_LIMIT_S = 300.0
#: A /healthz answer slower than this is a held event loop. What these pages could hold
#: it for is minutes (a parse of the deep page) or SLOW_PAGE_S; a loaded machine (18-24
#: on 2 cores) has kept a sound loop from answering within 2 s.
HEALTHZ_WAIT_S = 10.0


def article(n: int, extra: str = "") -> bytes:
    body = "".join(f"<p>{SENTENCE} Catatan {k} dari laporan {n}.</p>" for k in range(8))
    return (f'<html lang="id"><head><meta charset="utf-8"><title>Laporan pasar {n}</title>'
            f"</head><body><article><h1>Laporan pasar {n}</h1>{body}{extra}</article>"
            "</body></html>").encode()


def nested(depth: int) -> bytes:
    return (b"<html><head><title>Bersarang</title></head><body>" + b"<div>" * depth
            + b"<p>isi</p>" + b"</div>" * depth + b"</body></html>")


def routes(base: str) -> dict[str, Page]:
    multi = "/berita/9/pasar-terbakar"
    pager = f'<div class="paging"><a href="{base}{multi}?page=2">2</a></div>'
    pages = {f"/berita/{n}/laporan-pasar": Page(article(n)) for n in range(6)}
    pages["/berita/7/bersarang"] = Page(nested(150_000))
    pages[multi] = Page(article(9, pager))
    pages[f"{multi}?page=2"] = Page(article(92), delay_s=SLOW_PAGE_S)  # never in time
    return pages


def config(tmp: Path, base: str, bootstrap: str, port: int, urls: list[str]) -> Path:
    path = tmp / "kabar.toml"
    path.write_text(f"""
[broker]
bootstrap_servers = "{bootstrap}"
articles_topic = "{TOPIC}"
errors_topic = "{TOPIC}.errors"
stories_topic = "{TOPIC}.stories"
[fetch]
allow_private_addresses = true
per_host_rate = 100.0
per_host_burst = 20
per_host_concurrency = 4
read_timeout_s = 30.0
total_timeout_s = 40.0
retries = 1
[discovery]
seen_path = ""
[dedup]
store = "memory"
[metrics]
port = {port}
[pipeline]
spool_path = "{tmp / 'spool.jsonl'}"
progress_interval_s = 0
extract_processes = "2"
# The guard refuses the deep page (html_too_deep). The limit is wall time: 1 s, a loaded
# machine may spend on the guard's scan of the 1.6 MB page, or on an ordinary page. Were
# the guard to let the page through, it would time out instead (parse_timeout).
extract_timeout_s = 30.0
pages_timeout_s = 3.0
[[portals]]
name = "pasar"
urls = {urls!r}
""".replace("'", '"'))
    return path


def watch_healthz(port: int, stop: threading.Event, misses: list[str]) -> None:
    answered = 0
    while not stop.is_set():
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=HEALTHZ_WAIT_S) as resp:
                answered += resp.status == 200
        except OSError as exc:
            # Refused or reset: not listening yet, or closing (the run is over). A server
            # that accepts but does not answer in time is a stalled event loop.
            if "timed out" in str(exc).lower() or isinstance(exc, TimeoutError):
                misses.append(f"{type(exc).__name__}: {exc}")
        stop.wait(0.2)
    if not answered:
        misses.append("/healthz never answered")


def test_hostile_articles_hold_nothing(broker: EmbeddedBroker, tmp_path: Path) -> None:
    port = free_port()
    with SiteServer() as site:
        site.routes.update(routes(site.base_url))
        urls = [site.base_url + path for path in site.routes if "page=" not in path]
        cfg = config(tmp_path, site.base_url, broker.bootstrap, port, urls)
        stop, misses = threading.Event(), []
        watcher = threading.Thread(target=watch_healthz, args=(port, stop, misses))
        watcher.start()
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "kabar", "run", "--once", "--config", str(cfg)],
                capture_output=True, text=True, timeout=RUN_LIMIT_S, cwd=tmp_path,
            )
        finally:
            stop.set()
            watcher.join()
        took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert misses == []
    assert took < SLOW_PAGE_S  # the next page was not waited for
    articles = asyncio.run(read_topic(broker.bootstrap, TOPIC, 7))
    titles = sorted(str(a["title"]) for a in articles)
    assert titles == sorted([f"Laporan pasar {n}" for n in range(6)] + ["Laporan pasar 9"])
    [slow] = [a for a in articles if a["title"] == "Laporan pasar 9"]
    assert slow["pages"] == 1
    errors = asyncio.run(read_topic(broker.bootstrap, f"{TOPIC}.errors", 2))
    reasons = sorted((str(e["url"]).removeprefix(site.base_url), e["reason"]) for e in errors)
    assert reasons == [("/berita/7/bersarang", "html_too_deep"),
                       ("/berita/9/pasar-terbakar?page=2", "page_timeout")]
