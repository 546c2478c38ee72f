"""`kabar bench dedup`: dedup throughput with a filled index, and memory at scale.

Throughput: ``--indexed`` synthetic articles (default 100k) go into the
index first; then a measured stream of ``--measure`` articles (new stories,
exact copies, edited copies, re-seen and revised URLs) runs through
``Deduper.process`` on one core, with and without story clustering, and a
smaller ``--dense-measure`` stream with the optional dense signal on (one
embedding thread; off by default because it is far below the target).
Memory: ``--fingerprints`` (default 1M) articles' state is put into a
memory store; tracemalloc (numpy allocations included) and the process RSS
growth are reported. Articles are generated from a made-up Indonesian-like
vocabulary, so the figures do not depend on ../shared.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import os
import random
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from kabar.models import Article
from kabar.settings import DedupSettings

if TYPE_CHECKING:
    from kabar.dedup.deduper import Clusterer, Deduper

TARGET_ARTICLES_PER_S = 2000.0  # the project's floor: dedup with stories, per core
TARGET_MB_AT_1M = 500.0

_COMMON = (
    "yang", "di", "dan", "ini", "itu", "dengan", "untuk", "dari", "dalam", "tidak", "akan",
    "pada", "juga", "ke", "karena", "ada", "oleh", "sudah", "saat", "kata", "para", "telah",
    "bisa", "lebih", "menjadi", "tersebut", "masih", "mereka", "kami", "atau", "namun", "hari",
    "tahun", "pemerintah", "warga", "kota", "provinsi", "presiden", "menteri", "polisi",
    "jalan", "rumah", "sakit", "harga", "pasar", "rupiah", "persen", "banjir", "gempa",
    "pemilu", "partai", "sekolah", "bandara", "kereta",
)  # fmt: skip
_ONSETS = ("b", "d", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "w", "ny", "ng")
_VOWELS = ("a", "i", "u", "e", "o")
_CODAS = ("", "", "", "n", "ng", "r", "s", "t", "k", "h")


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Common function words plus made-up words of two to four syllables."""
    words = list(_COMMON)
    seen = set(words)
    while len(words) < size:
        syllables = rng.randint(2, 4)
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class ArticleFactory:
    """Synthetic articles with a Zipf-like word distribution."""

    def __init__(self, seed: int = 7, vocab_size: int = 20_000) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(vocab_size, self.rng)
        self.cumulative = list(
            itertools.accumulate(1.0 / (rank + 1) for rank in range(len(self.words)))
        )
        self.serial = 0

    def paragraph(self) -> str:
        count = self.rng.randint(25, 55)
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=count)
        return " ".join(words).capitalize() + "."

    def article(self, portal: str = "contoh") -> Article:
        self.serial += 1
        paragraphs = tuple(self.paragraph() for _ in range(self.rng.randint(5, 10)))
        return Article(
            url=f"https://www.{portal}.co.id/berita/{self.serial}/judul-artikel",
            title=" ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=8)).title(),
            paragraphs=paragraphs,
            portal=portal,
            published_at="2026-01-01T00:00:00Z",
            # As the pipeline hands articles to dedup: extraction has named the language.
            language="id",
        )

    def edited(self, article: Article, share: float = 0.05) -> Article:
        """Another portal's copy: some words replaced, a paragraph dropped."""
        self.serial += 1
        paragraphs = list(article.paragraphs)
        if len(paragraphs) > 4:
            paragraphs.pop(self.rng.randrange(len(paragraphs)))
        out = []
        for paragraph in paragraphs:
            words = paragraph.split()
            for i in range(len(words)):
                if self.rng.random() < share:
                    words[i] = self.rng.choice(self.words)
            out.append(" ".join(words))
        url = f"https://www.salinan.com/read/{self.serial}"
        return dataclasses.replace(article, url=url, paragraphs=tuple(out), portal="salinan")


def made_up_word(number: int, syllables: int = 3) -> str:
    """A pronounceable word unique to ``number`` (names that occur in one event only:
    the long tail of a real vocabulary)."""
    parts = []
    for _ in range(syllables):
        number, choice = divmod(number, len(_ONSETS) * len(_VOWELS))
        parts.append(_ONSETS[choice // len(_VOWELS)] + _VOWELS[choice % len(_VOWELS)])
    while number:
        number, choice = divmod(number - 1, len(_ONSETS) * len(_VOWELS))
        parts.append(_ONSETS[choice // len(_VOWELS)] + _VOWELS[choice % len(_VOWELS)])
    return "".join(parts)


@dataclasses.dataclass(frozen=True, slots=True)
class _Event:
    number: int
    words: tuple[str, ...]
    names: tuple[str, ...]


class StoryStream:
    """Synthetic articles reporting events: each event has its own words and two
    names of its own (new to the vocabulary), retold by several outlets in their
    own words (a different draw each time, so reports are not near-duplicates of
    each other). Event time advances ``per_day`` articles a day. Deterministic."""

    PORTALS = ("alpha", "beta", "gamma", "delta", "epsilon")

    def __init__(
        self, seed: int = 3, per_day: int = 40_000, new_share: float = 0.35, recent: int = 400
    ) -> None:
        self.factory = ArticleFactory(seed)
        self.rng = self.factory.rng
        self.per_day = per_day
        self.new_share = new_share
        self.recent = recent
        self.start = datetime(2026, 1, 1, tzinfo=UTC)
        self._events: list[_Event] = []
        self.events_made = 0
        self.serial = 0
        #: The event of the last article (for checking the clustering).
        self.last_event = -1

    def _event(self) -> _Event:
        rng, words = self.rng, self.factory.words
        if not self._events or rng.random() < self.new_share:
            number = self.events_made
            self.events_made += 1
            event = _Event(
                number,
                tuple(rng.sample(words[500:], 25)),
                (made_up_word(2 * number + 7).title(), made_up_word(2 * number + 8).title()),
            )
            self._events.append(event)
            if len(self._events) > self.recent:
                self._events.pop(0)
            return event
        # Recent events are retold more: the newest of a random pair of draws.
        pick = max(rng.randrange(len(self._events)), rng.randrange(len(self._events)))
        return self._events[pick]

    def _sentence(self, event: _Event, count: int) -> str:
        rng, factory = self.rng, self.factory
        out = []
        for _ in range(count):
            roll = rng.random()
            if roll < 0.4:
                out.append(rng.choice(event.words))
            elif roll < 0.47:
                out.append(rng.choice(event.names))
            else:
                out.append(rng.choices(factory.words, cum_weights=factory.cumulative)[0])
        return " ".join(out).capitalize() + "."

    def next(self) -> tuple[Article, datetime]:
        """The next article and its event time."""
        self.serial += 1
        event = self._event()
        self.last_event = event.number
        portal = self.PORTALS[self.rng.randrange(len(self.PORTALS))]
        paragraphs = tuple(self._sentence(event, self.rng.randint(25, 45)) for _ in range(5))
        title_words = [*self.rng.sample(event.words, 5), event.names[0]]
        self.rng.shuffle(title_words)
        when = self.start + timedelta(seconds=self.serial * 86_400.0 / self.per_day)
        article = Article(
            url=f"https://www.{portal}.co.id/berita/{self.serial}/laporan",
            title=" ".join(title_words).capitalize() + f" {event.names[1]}",
            paragraphs=paragraphs,
            portal=portal,
            published_at=when.isoformat().replace("+00:00", "Z"),
            # Named, as extraction names every article it hands on (see ArticleFactory).
            language="id",
        )
        return article, when


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--indexed", type=int, default=100_000, help="articles indexed first")
    parser.add_argument("--measure", type=int, default=5_000, help="articles timed")
    parser.add_argument(
        "--fingerprints", type=int, default=1_000_000, help="fingerprints for the memory figure"
    )
    parser.add_argument(
        "--dense-measure", type=int, default=200, help="articles timed with dense on (0: skip)"
    )
    parser.add_argument("--skip-memory", action="store_true", help="throughput only")
    parser.add_argument("--skip-throughput", action="store_true", help="memory only")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace allocations (slow fill)"
    )
    parser.add_argument("--index", type=int, default=0,
                        help="instead: grow the story index to N clustered articles (cost per"
                             " article vs at 10k, RSS, checkpoints, reopen)")
    parser.add_argument("--per-day", type=int, default=40_000,
                        help="with --index: articles per day of event time (stories expire)")
    parser.add_argument("--checkpoint-every", type=int, default=2_000,
                        help="with --index: articles between state checkpoints")
    parser.add_argument("--window", type=int, default=5_000,
                        help="with --index: articles timed at each index size")
    parser.add_argument("--dir", help="with --index: where the state goes (default: temporary)")


def main(args: argparse.Namespace) -> int:
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {cores} cores, load average {load:.1f} (rates are CPU time of this process)")
    below: list[str] = []
    if args.index:
        from kabar.bench import storyindex

        below = storyindex.run(args.index, args.per_day, args.checkpoint_every, args.window,
                               args.dir)
        print(verdict_line(below))
        return 1 if below else 0
    if not args.skip_throughput:
        rate = _throughput(args.indexed, args.measure, args.dense_measure)
        if rate is not None and rate < TARGET_ARTICLES_PER_S:
            below.append(f"dedup + stories {rate:,.0f}/s < {TARGET_ARTICLES_PER_S:,.0f}/s")
    if not args.skip_memory:
        used = _memory(args.fingerprints, args.tracemalloc)
        if used is not None and used > TARGET_MB_AT_1M:
            below.append(f"memory at 1M fingerprints {used:,.0f} MB > {TARGET_MB_AT_1M:,.0f} MB")
    print(verdict_line(below))
    return 1 if below else 0


def verdict_line(below: list[str]) -> str:
    """The closing line: ``ok``, or ``BELOW TARGET`` with what missed (the exit status
    follows it, so a script can tell)."""
    return "BELOW TARGET: " + "; ".join(below) if below else "ok: every measured target met"


def _stream(factory: ArticleFactory, count: int, pool: list[Article]) -> Iterator[Article]:
    """What a crawler sees: mostly new stories, some copies, re-seen and revised pages."""
    rng = factory.rng
    for _ in range(count):
        roll = rng.random()
        if roll < 0.70 or not pool:
            article = factory.article(rng.choice(("alpha", "beta", "gamma")))
            pool.append(article)
        elif roll < 0.80:
            article = factory.edited(rng.choice(pool))
        elif roll < 0.88:
            factory.serial += 1
            article = dataclasses.replace(
                rng.choice(pool), url=f"https://www.cermin.id/{factory.serial}"
            )
        elif roll < 0.96:
            article = rng.choice(pool)
        else:
            original = rng.choice(pool)
            article = dataclasses.replace(
                original, paragraphs=(*original.paragraphs, factory.paragraph())
            )
        yield article


def _throughput(indexed: int, measure: int, dense_measure: int = 0) -> float | None:
    """The with-stories rate (articles/s of CPU time), None when it was not measured."""
    from kabar.dedup import Deduper
    from kabar.dedup.store import MemoryStore

    settings = DedupSettings(store="memory")
    factory = ArticleFactory()
    deduper = Deduper(settings, store=MemoryStore(30 * 86400.0), clustering=False)
    clock = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    pool: list[Article] = []
    for i, article in enumerate(_stream(factory, 10 * indexed, pool)):
        if deduper.store.count() >= indexed:
            break
        deduper.process(article, when=clock + timedelta(seconds=i))
    fill_s = time.perf_counter() - started
    print(f"indexed {deduper.store.count():,} articles in {fill_s:.1f} s")
    # Only the latest articles are copied from; the rest would be the bench's
    # own garbage-collector load (a real ingest holds no articles).
    recent = pool[-5000:]
    del pool
    batch = list(_stream(factory, measure * 2, recent))
    base = clock + timedelta(seconds=indexed)
    core_rate, verdicts = _timed(deduper, batch[:measure], base)
    print(_rate_line("dedup core only (no story clustering)", core_rate, verdicts))
    deduper.clusterer = _clusterer(settings)
    if deduper.clusterer is None:
        print("dedup + story clustering: skipped (kabar.dedup.stories not importable)")
        return None
    warm = [factory.article() for _ in range(min(measure, 5000))]
    _timed(deduper, warm, base + timedelta(hours=1))
    rate, verdicts = _timed(deduper, batch[measure:], base + timedelta(hours=2))
    print(_rate_line("dedup + story clustering (as `kabar dedup` runs)", rate, verdicts))
    clustering_us = 1e6 / rate - 1e6 / core_rate
    print(f"  story clustering adds {clustering_us:,.0f} us/article on this stream")
    if dense_measure > 0:
        dense_batch = list(_stream(factory, dense_measure, recent))
        _dense(deduper, settings, dense_batch, base + timedelta(hours=3))
    return rate


def _dense(deduper: Deduper, settings: DedupSettings, batch: list[Article], at: datetime) -> None:
    """The same clusterer state, reloaded with the dense signal on (one thread)."""
    from kabar.dedup.stories import StoryClusterer
    from kabar.errors import DedupError

    assert deduper.clusterer is not None
    dense = dataclasses.replace(settings, dense=True, dense_threads=1)
    try:
        deduper.clusterer = StoryClusterer.load(deduper.clusterer.dump(), dense)
    except DedupError as exc:
        print(f"dedup + story clustering + dense: skipped ({exc.detail})")
        return
    rate, verdicts = _timed(deduper, batch, at)
    verdict = "off by default: below target" if rate < TARGET_ARTICLES_PER_S else "meets target"
    print(_rate_line(f"dedup + stories + dense, {len(batch)} articles ({verdict})", rate, verdicts))
    print(f"  dense: {rate / TARGET_ARTICLES_PER_S:.4f}x the target (an embedding per new article)")


def _clusterer(settings: DedupSettings) -> Clusterer | None:
    try:
        from kabar.dedup.stories import StoryClusterer
    except ImportError:
        return None
    return StoryClusterer(settings)


def _timed(deduper: object, batch: list[Article], base: datetime) -> tuple[float, dict[str, int]]:
    process = deduper.process  # type: ignore[attr-defined]
    verdicts: dict[str, int] = {}
    gc.collect()
    started = time.process_time()
    for i, article in enumerate(batch):
        result, _ = process(article, when=base + timedelta(milliseconds=i))
        verdicts[result.verdict] = verdicts.get(result.verdict, 0) + 1
    elapsed = time.process_time() - started
    return len(batch) / max(elapsed, 1e-9), verdicts


def _rate_line(label: str, rate: float, verdicts: dict[str, int]) -> str:
    mix = ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
    ratio = rate / TARGET_ARTICLES_PER_S
    return (
        f"{label}: {rate:,.0f} articles/s, {1e6 / max(rate, 1e-9):,.0f} us/article "
        f"(CPU time, one core) — target {TARGET_ARTICLES_PER_S:,.0f}: {ratio:.2f}x  [{mix}]"
    )


def _rss_mb(field: str = "VmRSS") -> float:
    """Resident size (VmRSS) or its peak so far (VmHWM), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _memory(count: int, trace: bool) -> float | None:
    """State for ``count`` articles with fingerprints, as the deduper stores them."""
    import numpy as np

    from kabar.dedup.fingerprint import PERMUTATIONS, Fingerprint, bands_for
    from kabar.dedup.store import ArticleRecord, MemoryStore
    from kabar.events import article_id

    bands = bands_for(DedupSettings().near_duplicate_threshold)
    rng = np.random.default_rng(11)
    gc.collect()
    rss_before = _rss_mb()
    if trace:
        tracemalloc.start()
    store = MemoryStore(30 * 86400.0)
    now = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    started = time.perf_counter()
    block = 10_000
    for first in range(0, count, block):
        n = min(block, count - first)
        sigs = rng.integers(0, 256, (n, PERMUTATIONS), dtype=np.uint8)
        keys = rng.integers(0, 2**27, (n, bands), dtype=np.uint64) << np.uint64(5)
        keys |= np.arange(bands, dtype=np.uint64)
        hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
        for j in range(n):
            i = first + j
            ident = article_id(f"https://www.contoh.co.id/berita/{i}")
            record = ArticleRecord(ident, hashes[j].tobytes().hex(), 1, now, f"st_{i:020x}")
            fp = Fingerprint(sigs[j].tobytes(), 300, tuple(keys[j].tolist()))
            store.put(record, now=now + i, fingerprint=fp, index_hash=True)
    fill_s = time.perf_counter() - started
    gc.collect()
    rss_mb = _rss_mb() - rss_before
    traced = ""
    if trace:
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        traced = f"tracemalloc {current / 2**20:,.0f} MB (peak {peak / 2**20:,.0f} MB), "
    arrays_mb = store.nbytes() / 2**20
    print(
        f"memory at {count:,} fingerprints ({bands} LSH bands, {PERMUTATIONS}-bin signatures): "
        f"{traced}numpy state {arrays_mb:,.0f} MB, RSS growth {rss_mb:,.0f} MB "
        f"(process peak RSS {_rss_mb('VmHWM'):,.0f} MB; filled in {fill_s:.0f} s)"
    )
    parts = ", ".join(f"{name} {size / count:,.1f}" for name, size in store.components().items())
    print(f"  bytes an article: {parts}; RSS growth {rss_mb * 2**20 / count:,.0f}")
    if count < 1_000_000:
        print("(the 500 MB target is for 1,000,000 fingerprints: run with --fingerprints 1000000)")
        return None
    used = max(rss_mb, arrays_mb)
    print(
        f"at {count:,} fingerprints: {used:,.0f} MB — target {TARGET_MB_AT_1M:,.0f} MB: "
        f"{TARGET_MB_AT_1M / max(used, 1e-9):.2f}x headroom"
    )
    return used
