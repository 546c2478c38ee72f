"""`kabar extract`: extract articles from saved HTML files and print one JSON
object per file (the article event fields), or an error line per failure.
Gzipped pages (``.html.gz`` files, gzip on stdin), as crawl archives keep them, are
told by their magic bytes and unpacked, up to the extractor's page size limit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kabar.models import Article

HELP = "extract the article from HTML files (one JSON line per file)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="HTML file (or .html.gz), or - for stdin"
    )
    parser.add_argument("--url", default=None, help="page URL (selects portal rules)")
    parser.add_argument("--portal", default=None,
                        help="force the rules of this portal (`kabar portals` lists them)")
    parser.add_argument("--fetch", metavar="URL", action="append", default=[],
                        help="fetch this live URL politely and extract it (repeatable)")
    parser.add_argument("--config", "-c", help="TOML config ([fetch] settings, portals)")


def article_fields(article: Article) -> dict[str, Any]:
    """The article event fields of an extracted article."""
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "portal": article.portal,
        "title": article.title,
        "body": article.body,
        "paragraphs": list(article.paragraphs),
        "authors": list(article.authors),
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "language": article.language,
        "word_count": article.word_count,
        "section": article.section,
        "tags": list(article.tags),
        "image": article.image,
        "description": article.description,
        "next_pages": list(article.next_pages),
        "extractor": article.extractor,
        "rule_misses": list(article.rule_misses),
    }


GZIP_MAGIC = b"\x1f\x8b"


def _read(name: str) -> bytes:
    data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    return _gunzip(data) if data.startswith(GZIP_MAGIC) else data


def _gunzip(data: bytes) -> bytes:
    """The unpacked page, whatever the file is called; a page over the size limit is cut
    one byte past it (the extractor then refuses it as too large, without unpacking a
    gzip bomb). Concatenated members are read in turn, as gzip does."""
    import zlib

    from kabar.extract import MAX_HTML_BYTES

    out: list[bytes] = []
    size = 0
    while data and size <= MAX_HTML_BYTES:
        unpacker = zlib.decompressobj(wbits=31)
        try:
            chunk = unpacker.decompress(data, MAX_HTML_BYTES + 1 - size)
        except zlib.error as exc:
            raise OSError(f"bad gzip data: {exc}") from exc
        out.append(chunk)
        size += len(chunk)
        if not unpacker.eof:
            if unpacker.unconsumed_tail:
                break  # over the limit
            raise OSError("truncated gzip data")
        data = unpacker.unused_data
    return b"".join(out)


def main(args: argparse.Namespace) -> int:
    import orjson

    from kabar.commands.extract_inputs import check_inputs, fetch_lines, settle_fields
    from kabar.errors import ExtractError
    from kabar.extract import extract

    portal, code = check_inputs(args)
    if code is not None:
        return code
    failed = False
    out = sys.stdout.buffer
    if args.fetch:
        failed = fetch_lines(args, portal, out)
    for name in args.files:
        try:
            data = _read(name)
            article = extract(data, args.url, portal=portal)
            line = orjson.dumps(settle_fields(article_fields(article), args.url, name, data))
        except ExtractError as exc:
            failed = True
            line = orjson.dumps({"file": name, "error": exc.reason, "detail": exc.detail})
        except OSError as exc:
            failed = True
            line = orjson.dumps({"file": name, "error": "unreadable", "detail": str(exc)})
        out.write(line + b"\n")
        out.flush()
    return 1 if failed else 0
