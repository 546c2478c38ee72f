"""`kabar run --processes 2` keeps to a host's politeness as one run, not as three
processes side by side: a real HTTP server on 127.0.0.1 serves generated articles
under two host names, tells which process sent each request (by its connection), and
answers the first article request to one host 429 with a Retry-After. No process of
the run may send to that host until the pause ends, and each host's robots.txt is
read once for the run (the discovery process and both crawl processes need it). With
feeds on the articles' host, discovery and the crawl processes together keep to the
host's rate, by the server's clock."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import orjson
import pytest

from kabar.bench.e2e_site import SiteSpec, render_site
from kabar.broker import EmbeddedBroker
from tests.fetch.server import LocalServer, Reply, Seen

PAUSED, CALM, BUSY = "paused.test", "calm.test", "busy.test"
RETRY_AFTER_S = 3
#: A request another process had already let go when the pause was written to the
#: run's board may still reach the server this long after the line was written (the
#: board is read before each request). Counted from the line itself, not from the 429
#: (0.5 s from it failed on a loaded machine, 18-24 on 2 cores, where the pausing
#: process may take that long to hear the 429 and write the line). A process deaf to
#: the board sends 2 requests/s of the host through the rest of the pause.
GRACE_S = 1.0
ROBOTS = b"User-agent: *\nAllow: /\n"
#: Each host's requests/s (burst 2, two at a time), and the window the run's rate is
#: counted over by the server's clock.
RATE = 4.0
WINDOW_S = 4.0
#: Discovery reads them for FEEDS / 2 seconds: long enough for the crawl processes to
#: start fetching while it does, on a loaded machine too (18-24 on 2 cores), where a
#: crawl process may take most of the 20 s of 40 feeds to start.
FEEDS = 60
#: Discovery's two slots of the host take a second a feed: 2 feeds/s of the host's 4.
FEED_DELAY_S = 1.0
#: The host's slots (per_host_concurrency), and how long an article holds one.
SLOTS = 2
PAGE_DELAY_S = 0.3


class _Site(LocalServer):
    """Every generated article (and ``feeds``) under any host name; the first article
    request to ``PAUSED`` is answered 429. Each request is kept with its sender's pid."""

    def __init__(self, pages: dict[str, bytes], feeds: dict[str, bytes] | None = None) -> None:
        super().__init__()
        self.pages = pages
        self.feeds = feeds or {}
        self.run_pid = 0
        self.paused_at: float | None = None
        self.senders: list[tuple[Seen, int]] = []
        #: Seconds an article takes to answer, and when each answer was done.
        self.page_delay_s = 0.0
        self.answered: list[float] = []
        #: The run's host board (``kabar.fetch.hostboard``) as last read during the run.
        self.board = b""

    def _reply_for(self, seen: Seen) -> Reply:
        pid = _pid_of(seen.peer[1], self.port, self.run_pid)
        with self._lock:
            self.senders.append((seen, pid))
            if seen.path == "/robots.txt":
                return Reply(200, ROBOTS, {"Content-Type": "text/plain"})
            feed = self.feeds.get(seen.path)
            page = self.pages.get(seen.path)
            if feed is None and page is None:
                return Reply(404, b"not found", {"Content-Type": "text/plain"})
            if _host(seen) == PAUSED and self.paused_at is None:
                self.paused_at = seen.time
                self.answered.append(time.monotonic())
                return Reply(429, b"slow down", {"Content-Type": "text/plain",
                                                 "Retry-After": str(RETRY_AFTER_S)})
        # Slow to answer; the answer counts from before it is written, so a request is
        # in flight here only while its sender holds its slot.
        time.sleep(FEED_DELAY_S if feed is not None else self.page_delay_s)
        with self._lock:
            self.answered.append(time.monotonic())
        if feed is not None:
            return Reply(200, feed, {"Content-Type": "application/rss+xml"})
        return Reply(200, page or b"", {"Content-Type": "text/html; charset=utf-8"})

    def most_in_flight(self) -> int:
        """The most feeds and articles the server held at once (arrived, not yet
        answered)."""
        with self._lock:
            events = sorted([(seen.time, 1) for seen, _ in self.senders
                             if seen.path in self.pages or seen.path in self.feeds]
                            + [(t, -1) for t in self.answered])
        held = most = 0
        for _, step in events:  # at a tie an answer goes first (-1 sorts before 1)
            held += step
            most = max(most, held)
        return most

    def by_sender(self) -> list[tuple[Seen, int]]:
        with self._lock:
            return list(self.senders)


def _host(seen: Seen) -> str:
    return seen.headers.get("host", "").split(":", 1)[0]


def _pid_of(client_port: int, server_port: int, root: int) -> int:
    """The process of ``root``'s tree holding the client end of a connection (0: none)."""
    inode = ""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]
            if int(local, 16) == client_port and int(remote, 16) == server_port:
                inode = fields[9]
    if not inode or not root:
        return 0
    for pid in _tree(root):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return 0


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo += [int(p) for p in task.read_text().split()]
            except OSError:
                continue
    return found


def _config(tmp: Path, bootstrap: str, portals: str) -> Path:
    tag = uuid.uuid4().hex[:8]
    hosts = orjson.dumps([f"{h}=127.0.0.1" for h in (PAUSED, CALM, BUSY)]).decode()
    path = tmp / "kabar.toml"
    path.write_text(f"""
[data]
dir = "{tmp / "data"}"
archive = "never"
[broker]
bootstrap_servers = "{bootstrap}"
articles_topic = "polite.{tag}.articles"
stories_topic = "polite.{tag}.stories"
errors_topic = "polite.{tag}.errors"
[fetch]
workers = 4
allow_private_addresses = true
static_hosts = {hosts}
per_host_rate = {RATE}
per_host_burst = 2
per_host_concurrency = {SLOTS}
[discovery]
seen_path = ""
[dedup]
state_path = "{tmp / "state.sqlite3"}"
[metrics]
port = 0
[pipeline]
spool_path = "{tmp / "spool.jsonl"}"
progress_interval_s = 0
[cluster]
frontier_topic = "polite.{tag}.frontier"
extracted_topic = "polite.{tag}.extracted"
crawl_group = "polite.{tag}.crawl"
stories_group = "polite.{tag}.stories"
{portals}""", "utf-8")
    return path


def _run(site: _Site, config: Path, until: int = 0) -> tuple[int, str]:
    """``kabar run --processes 2``: ``--once``, or (``until`` > 0) polling until the
    site was asked for that many articles, then stopped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    # The run's shared folder (and the board in it) under a folder of this test's own.
    env["TMPDIR"] = str(config.parent / "tmp")
    Path(env["TMPDIR"]).mkdir(exist_ok=True)
    once = [] if until else ["--once"]
    proc = subprocess.Popen([sys.executable, "-m", "kabar", "run", *once, "--config",
                             str(config), "--processes", "2"],
                            stderr=subprocess.PIPE, text=True, env=env)
    site.run_pid = proc.pid
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")),
                              daemon=True)  # drained all along: a full pipe would block it
    reader.start()
    watcher = threading.Thread(target=_watch_board, args=(site, Path(env["TMPDIR"]), proc),
                               daemon=True)
    watcher.start()
    try:
        deadline = time.monotonic() + 240
        while until and proc.poll() is None and time.monotonic() < deadline:
            if sum(seen.path in site.pages for seen, _ in site.by_sender()) >= until:
                proc.send_signal(signal.SIGTERM)
                break
            time.sleep(0.1)
        proc.wait(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        watcher.join(timeout=10)
    return proc.returncode, "".join(lines)


def _watch_board(site: _Site, tmp: Path, proc: subprocess.Popen[str]) -> None:
    """Keep the run's host board as it grows (the run deletes it at its end)."""
    while proc.poll() is None:
        for board in tmp.glob("kabar-crawl-*/share/hosts.board"):
            with contextlib.suppress(OSError):
                site.board = max(site.board, board.read_bytes(), key=len)
        time.sleep(0.05)


def _pause_on_board(site: _Site) -> tuple[float, float]:
    """When the run's pause of ``PAUSED`` was written to its board and when it ends, by
    this process's ``time.monotonic`` (the server's clock); the line holds the end in
    epoch seconds, ``RETRY_AFTER_S`` after it was written."""
    shift = time.time() - time.monotonic()
    words = []
    for line in site.board.splitlines():
        with contextlib.suppress(orjson.JSONDecodeError):  # (a line being written)
            words.append(orjson.loads(line))
    ends = [float(word["until"]) for word in words
            if str(word.get("host", "")).split(":")[0] == PAUSED and word.get("until")]
    assert ends, f"no pause of {PAUSED} on the run's board: {site.board[:500]!r}"
    end = min(ends) - shift
    return end - RETRY_AFTER_S, end


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory, broker: EmbeddedBroker) -> _Site:
    pages = render_site(SiteSpec(articles=16, multi_page_share=0, corpus=""))
    with _Site(pages) as site:
        portals = "".join(
            f'[[portals]]\nname = "{name}"\nurls = '
            f'{orjson.dumps([f"http://{host}:{site.port}{p}" for p in sorted(pages)]).decode()}\n'
            for name, host in (("paused", PAUSED), ("calm", CALM)))
        code, log = _run(site, _config(tmp_path_factory.mktemp("polite"), broker.bootstrap,
                                       portals))
        assert code == 0, log[-3000:]
        return site


def test_a_pause_one_crawl_process_gets_holds_the_host_for_the_whole_run(
    crawled: _Site,
) -> None:
    site = crawled
    sent = site.by_sender()
    assert site.paused_at is not None, "the paused host was never asked for an article"
    start = site.paused_at
    written, end = _pause_on_board(site)
    assert start <= written + 0.05  # the 429 came first (the clocks' reading: 50 ms)
    to_paused = [(seen, pid) for seen, pid in sent if _host(seen) == PAUSED]
    # The 429 went to a crawl process, and both crawl processes had the host's pages.
    pausing = next(pid for seen, pid in to_paused if seen.time == start)
    fetchers = Counter(pid for seen, pid in to_paused if seen.path != "/robots.txt")
    assert len(fetchers) == 2 and pausing in fetchers, fetchers
    during = [(seen.path, pid, round(seen.time - written, 2)) for seen, pid in to_paused
              if written + GRACE_S < seen.time < end]
    assert during == [], f"sent to the paused host before the pause ended: {during}"
    # The other host was not paused, and the paused one was asked again after the end.
    assert any(start < seen.time < end for seen, _ in sent if _host(seen) == CALM)
    assert any(seen.time >= end for seen, _ in to_paused)


def test_each_host_robots_txt_is_read_once_for_the_run(crawled: _Site) -> None:
    robots = Counter(_host(seen) for seen, _ in crawled.by_sender()
                     if seen.path == "/robots.txt")
    assert robots == {PAUSED: 1, CALM: 1}


def test_discovery_and_the_crawl_processes_together_keep_to_the_hosts_rate(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    """Sixty feeds on the articles' host, two articles each, slow to answer: discovery
    reads them (two at a time: half the host's rate) while the crawl processes fetch
    what the first ones listed. Nor have they more requests in flight together than
    the host's slots."""
    pages = render_site(SiteSpec(articles=2 * FEEDS, multi_page_share=0, corpus=""))
    paths = sorted(pages)
    with _Site(pages) as site:
        base = f"http://{BUSY}:{site.port}"
        feeds = {f"/feed/{n}.xml": _rss(base, paths[2 * n: 2 * n + 2]) for n in range(FEEDS)}
        site.feeds = feeds
        site.page_delay_s = PAGE_DELAY_S
        portal = (f'[[portals]]\nname = "busy"\nfeeds = '
                  f'{orjson.dumps([base + f for f in sorted(feeds)]).decode()}\n')
        config = _config(tmp_path, broker.bootstrap, portal)
        code, log = _run(site, config, until=len(pages))
        sent = site.by_sender()
    assert code == 0, log[-3000:]
    times = sorted(seen.time for seen, _ in sent)
    # Both kinds of request were under way at once (the test tests something).
    feed_times = [seen.time for seen, _ in sent if seen.path in feeds]
    page_times = [seen.time for seen, _ in sent if seen.path in pages]
    assert min(page_times) < max(feed_times) - WINDOW_S, "discovery was done before the crawl"
    # Per window: the host's rate and burst, and two of jitter (18 was seen);
    # discovery beside the crawl's full rate is 2 requests/s over it (25 were seen).
    most = max(sum(1 for t in times[i:] if t < start + WINDOW_S)
               for i, start in enumerate(times))
    assert most <= RATE * WINDOW_S + 2 + 2, (most, _per_second(times))
    assert site.most_in_flight() <= SLOTS


def _per_second(times: list[float]) -> list[int]:
    first = times[0]
    counts = Counter(int(t - first) for t in times)
    return [counts[s] for s in range(int(times[-1] - first) + 1)]


def _rss(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>"
                    for p in paths)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"{items}</channel></rss>").encode()
