"""``kabar bench fetch``: pages per second of Kabar's fetcher against a bare
httpx loop over the same pages in the same run, and the ratio (goal ≥ 0.8);
``--pipeline`` adds the whole pipeline (fetch → extract → dedup → publish into
the embedded broker) on the same pages, as a ratio to the same bare loop.

A small HTTP/1.1 keep-alive server runs in a *separate process* on 127.0.0.1
(so it does not compete with the fetcher for the GIL) and serves generated
Indonesian article pages. The default latency is 0 ms: what is measured is
the CPU the fetcher spends per page beside what httpx itself needs, which a
simulated network delay hides (with 50 ms per answer every client waits on
the server and looks "fast enough"; ``--latency-ms`` is there to show that).
The fetcher runs with its normal checks (address guard, robots.txt, charset
decoding) but with per-host limits opened up: it is our own server. The whole
end-to-end figure on real page templates is ``kabar bench e2e``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from kabar.bench.child import serve_in_child
from kabar.fetch import Fetcher
from kabar.models import FetchRequest
from kabar.settings import FetchSettings

_PARAGRAPHS = (
    "Pemerintah daerah menyiapkan anggaran tambahan untuk memperbaiki jalan desa yang rusak "
    "akibat banjir pada awal bulan ini.",
    "Warga berharap perbaikan selesai sebelum musim panen agar hasil bumi dapat diangkut ke "
    "pasar kecamatan tanpa hambatan.",
    "Kepala dinas pekerjaan umum mengatakan lelang proyek akan dibuka secara terbuka dan "
    "diawasi oleh inspektorat.",
    "Sejumlah pedagang mengeluhkan ongkos angkut yang naik hampir dua kali lipat selama jalan "
    "belum diperbaiki.",
)
PAGE_PATH = "/artikel/{}"


def article_page(i: int, paragraphs: int = 40) -> bytes:
    """A generated article page (40 paragraphs: about 5 kB)."""
    body = "".join(
        f"<p>{_PARAGRAPHS[(i + k) % len(_PARAGRAPHS)]} (bagian {k})</p>" for k in range(paragraphs)
    )
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        f"<title>Artikel uji nomor {i}</title></head><body><nav>Beranda | Nasional</nav>"
        f"<article><h1>Artikel uji nomor {i}</h1>{body}</article><footer>Redaksi</footer>"
        "</body></html>"
    ).encode()


# --- the server (runs in a child process) --------------------------------------------------


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, paragraphs: int, latency: float
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if latency:
                await asyncio.sleep(latency)  # stands in for the network round trip
            path = head.split(b" ", 2)[1].decode("ascii", "replace")
            prefix = PAGE_PATH.format("")
            if path.startswith(prefix) and path[len(prefix) :].isdigit():
                status, body = b"200 OK", article_page(int(path[len(prefix) :]), paragraphs)
            else:
                status, body = b"404 Not Found", b"not found"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(paragraphs: int, latency: float) -> None:
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, paragraphs, latency), "127.0.0.1", 0, backlog=512
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def serve_forever(paragraphs: int = 40, latency: float = 0.0) -> None:
    asyncio.run(_serve(paragraphs, latency))


@contextmanager
def serve_articles(paragraphs: int = 40, latency: float = 0.0) -> Iterator[str]:
    """Run the page server in a child process; yields its base URL (http://127.0.0.1:port).

    Pages are at ``base + PAGE_PATH.format(i)`` for any integer ``i``.
    """
    code = ("from kabar.bench.fetch import serve_forever; "
            f"serve_forever({int(paragraphs)}, {float(latency)!r})")
    with serve_in_child(code) as line:
        yield f"http://127.0.0.1:{int(line)}"


# --- the measurement ---------------------------------------------------------------------


def bench_settings(base: FetchSettings | None = None, workers: int = 8) -> FetchSettings:
    """Settings for benchmarking against our own local server: no per-host throttling."""
    return dataclasses.replace(
        base or FetchSettings(),
        workers=workers,
        allow_private_addresses=True,
        per_host_rate=1e9,
        per_host_burst=1_000_000,
        per_host_concurrency=workers,
        retries=0,
    )


async def fetch_only_rate(urls: list[str], settings: FetchSettings) -> float:
    """Fetch every URL with ``settings.workers`` workers; returns pages per second."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)

    async def worker(fetcher: Fetcher) -> None:
        while not queue.empty():
            await fetcher.fetch(FetchRequest(url=queue.get_nowait(), portal="bench"))

    async with Fetcher(settings) as fetcher:
        await fetcher.fetch(FetchRequest(url=urls[0], portal="bench"))  # warm-up: robots, DNS
        started = time.perf_counter()
        await asyncio.gather(*(worker(fetcher) for _ in range(max(1, settings.workers))))
        elapsed = time.perf_counter() - started
    return len(urls) / elapsed


async def bare_rate(urls: list[str], workers: int) -> float:
    """The yardstick: a bare httpx loop (no checks, no decoding) over the same URLs."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            response = await client.get(queue.get_nowait())
            response.raise_for_status()

    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:
        await client.get(urls[0])  # warm-up, as the fetcher's
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(max(1, workers))))
        elapsed = time.perf_counter() - started
    return len(urls) / elapsed


GOAL = 0.8


def compare(bare: float, measured: float, what: str = "fetcher", goal: float = GOAL) -> str:
    """One line: the bare httpx rate, the measured rate, their ratio and the verdict."""
    ratio = measured / bare if bare else 0.0
    verdict = "ok" if ratio >= goal else f"BELOW GOAL {goal}"
    return (
        f"bare httpx {bare:.0f} pages/s, {what} {measured:.0f} pages/s, "
        f"ratio {ratio:.2f} ({verdict})"
    )


async def pipeline_rate(urls: list[str], fetch: FetchSettings, bootstrap: str) -> float:
    """Run the whole pipeline once over ``urls``; returns pages per second."""
    from kabar.service import run_service
    from kabar.settings import PortalConfig, Settings

    settings = Settings(fetch=fetch)
    settings.broker.bootstrap_servers = bootstrap
    settings.dedup.store = "memory"
    settings.discovery.seen_path = ""
    settings.metrics.enabled = False
    settings.pipeline.spool_path = ""
    settings.pipeline.progress_interval_s = 0
    settings.portals = [PortalConfig(name="bench", urls=urls)]
    started: list[float] = []
    counts = await run_service(settings, once=True, say=lambda _: None,
                               on_ready=lambda *_: started.append(time.perf_counter()))
    elapsed = time.perf_counter() - started[0]
    if counts["fetched"] != len(urls):
        raise RuntimeError(f"pipeline fetched {counts['fetched']} of {len(urls)} pages")
    return len(urls) / elapsed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pages", type=int, default=2000, help="pages to fetch (default 2000)")
    parser.add_argument(
        "--workers", type=int, default=FetchSettings().workers, help="concurrent fetches"
    )
    parser.add_argument(
        "--paragraphs", type=int, default=40, help="paragraphs per page (40 ≈ 5 kB)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="server delay per response (default 0: the CPU-bound figure)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat and report the best")
    parser.add_argument("--pipeline", action="store_true",
                        help="also run the whole pipeline on the same pages")
    parser.add_argument("--goal", type=float, default=GOAL,
                        help=f"fetcher/bare ratio below which the bench fails (default {GOAL})")


def main(args: argparse.Namespace) -> int:
    from kabar.broker import EmbeddedBroker

    settings = bench_settings(workers=args.workers)
    latency = args.latency_ms / 1000
    with serve_articles(args.paragraphs, latency) as base:
        urls = [base + PAGE_PATH.format(i) for i in range(args.pages)]
        bare, ours = [], []
        for _ in range(args.rounds):  # interleaved: machine noise hits both alike
            bare.append(asyncio.run(bare_rate(urls, args.workers)))
            ours.append(asyncio.run(fetch_only_rate(urls, settings)))
        size_kb = len(article_page(0, args.paragraphs)) / 1024
        print(f"{args.pages} pages of {size_kb:.1f} kB, {args.workers} workers, one local host, "
              f"{args.latency_ms:.0f} ms latency; best of {args.rounds}")
        print(f"bare httpx: {_rates(bare)}")
        print(f"fetcher:    {_rates(ours)}")
        line = compare(max(bare), max(ours), "fetcher", args.goal)
        whole: list[float] = []
        if args.pipeline:
            with EmbeddedBroker() as broker:
                whole = [asyncio.run(pipeline_rate(urls, settings, broker.bootstrap))
                         for _ in range(args.rounds)]
            print(f"whole pipeline: {_rates(whole)}, publishing to the embedded broker")
    print(line)
    if whole:
        print(compare(max(bare), max(whole), "whole pipeline", 0.0))
    return 0 if "BELOW" not in line else 1


def _rates(rates: list[float]) -> str:
    return f"{max(rates):.0f} pages/s ({', '.join(f'{r:.0f}' for r in rates)})"
