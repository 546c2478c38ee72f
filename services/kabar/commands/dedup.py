"""`kabar dedup`: read article JSON lines (as `kabar extract` prints them) on
stdin and print them back, in order, with the dedup verdict, article id,
story id, duplicate_of, similarity, revision and previous_content_hash added.
Stories run on the stream's own clock (``published_at``, else ``fetched_at``),
so a replay gives the same stories whenever it is run. A story id is the one
the article got on arrival; stories merge later, and ``--resolve-merges``
buffers the input and prints every line with its final story id instead.

The portal's learned template lines at the head or tail of a body are cut
from paragraphs, body and word_count, as the stories stage publishes them
(``dedup.templatelines``; ``trim_template_lines = false`` in ``[dedup]`` keeps them).
Lines that are not articles (extract's error lines) pass through unchanged.
With ``--state`` the verdicts remember earlier runs (SQLite file).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "annotate article JSON lines (stdin) with dedup verdicts and story ids"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", metavar="PATH", help="SQLite state file (implies --store sqlite)"
    )
    parser.add_argument(
        "--store", choices=("memory", "sqlite", "redis"), help="state store (default: memory)"
    )
    parser.add_argument("--redis-url", help="Redis URL for --store redis")
    parser.add_argument("--config", metavar="TOML", help="settings file ([dedup] section)")
    parser.add_argument("--no-stories", action="store_true", help="skip story clustering")
    parser.add_argument(
        "--resolve-merges",
        action="store_true",
        help="buffer the input and print every line with its final story_id (after all merges)",
    )


def main(args: argparse.Namespace) -> int:
    import orjson

    from kabar.dedup import Deduper
    from kabar.errors import KabarError

    settings = _settings(args)
    try:
        deduper = Deduper(settings, clustering=not args.no_stories)
    except KabarError as exc:
        print(f"kabar dedup: {exc.detail}", file=sys.stderr)
        return 2
    failed = False
    out = sys.stdout.buffer
    held: list[Any] = []  # --resolve-merges: every line, printed once the input ends
    try:
        for raw in sys.stdin.buffer:
            if not raw.strip():
                continue
            try:
                fields = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                failed = True
                fields = {"error": "bad_json", "detail": str(exc)}
            else:
                if isinstance(fields, dict) and "error" not in fields:
                    fields = annotate(deduper, fields)
            if args.resolve_merges:
                held.append(fields)
                continue
            out.write(orjson.dumps(fields) + b"\n")
            out.flush()
        for fields in held:
            out.write(orjson.dumps(resolved(deduper, fields)) + b"\n")
    finally:
        deduper.close()
    return 1 if failed else 0


def resolved(deduper: Any, fields: Any) -> Any:
    """The line with its story id forwarded to the story that survived all merges."""
    if isinstance(fields, dict) and fields.get("story_id") and deduper.clusterer is not None:
        fields["story_id"] = deduper.clusterer.resolve(fields["story_id"])
    return fields


def _settings(args: argparse.Namespace) -> Any:
    from kabar.settings import load_settings

    dedup = load_settings(args.config, use_default_portals=False).dedup
    dedup.store = args.store or ("sqlite" if args.state else "memory")
    if args.state:
        dedup.state_path = args.state
    if args.redis_url:
        dedup.redis_url = args.redis_url
    return dedup


def annotate(deduper: Any, fields: dict[str, Any]) -> dict[str, Any]:
    from kabar.dedup import content_hash
    from kabar.dedup.eventtime import event_time
    from kabar.models import Article

    paragraphs = fields.get("paragraphs")
    if not isinstance(paragraphs, list):
        paragraphs = str(fields.get("body") or "").split("\n")
    url = str(fields.get("url") or fields.get("canonical_url") or "")
    if not url:  # pages without one would all be "revisions" of the same empty URL
        return {**fields, "error": "missing_url",
                "detail": "each article needs a url (kabar extract gives one per file)"}
    article = Article(
        url=url,
        title=str(fields.get("title") or ""),
        paragraphs=tuple(str(p) for p in paragraphs),
        canonical_url=fields.get("canonical_url") or None,
        portal=fields.get("portal") or None,
        published_at=fields.get("published_at") or None,
        language=fields.get("language") or None,
    )
    # The stream's own clock: published_at (not after fetched_at), else fetched_at.
    when = event_time(fields.get("published_at"), fields.get("fetched_at"))
    result, _events = deduper.process(article, when=when)
    fields.setdefault("id", result.article_id)  # the caller's own id is kept
    if result.kept is not None:  # as the stories stage publishes it (``templatelines``)
        fields.update(_trimmed_fields(fields, article, result))
    fields.update(
        {
            "article_id": result.article_id,
            "content_hash": content_hash(article.paragraphs),
            "story_id": result.story_id,
            "duplicate_of": result.duplicate_of,
            "similarity": result.similarity,
            "revision": result.revision,
            "previous_content_hash": result.previous_content_hash,
            "dedup": result.verdict,
        }
    )
    return fields


def _trimmed_fields(fields: dict[str, Any], article: Any, result: Any) -> dict[str, Any]:
    """The line's body fields (paragraphs, and body and word_count when it has
    them) without the article's template lines, each in step with the others."""
    from kabar.dedup.templatelines import published

    trimmed = published(article, result)
    changed: dict[str, Any] = {"paragraphs": list(trimmed.paragraphs)}
    if "body" in fields:
        changed["body"] = trimmed.body
    if "word_count" in fields:
        changed["word_count"] = trimmed.word_count
    return changed
