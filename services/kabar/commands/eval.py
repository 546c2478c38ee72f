"""`kabar eval DIR`: score the extractor against a gold corpus (word-level
precision/recall/F1 per page and overall, plus clutter lines kept).

`kabar eval stories FILE.jsonl...`: score story clustering on labelled streams
(``gold_story`` per line): pairwise and B-cubed P/R/F1 and the number of
stories, on each article's final story after all merges (``kabar.dedup.storyscore``);
``--baseline`` also scores the plain TF-IDF centroid reference."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kabar.extract.evaluate import Report

HELP = (
    "score extraction against gold text (DIR/<name>.html + .txt, seeds, scrapinghub), "
    "or story clustering on labelled streams (stories FILE.jsonl...)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR|stories")
    parser.add_argument(
        "files", type=Path, nargs="*", metavar="FILE.jsonl", help="labelled streams (stories)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--min-f1",
        type=float,
        default=None,
        help="exit 1 when the mean F1 (stories: every file's pairwise F1) is below this",
    )
    parser.add_argument(
        "--baseline", action="store_true", help="stories: also score the TF-IDF centroid reference"
    )
    parser.add_argument("--config", metavar="TOML", help="stories: settings file ([dedup])")


def _extract_body(html: bytes, url: str | None) -> str:
    from kabar.extract import extract

    return extract(html, url).body


def main(args: argparse.Namespace) -> int:
    import orjson

    from kabar.extract.evaluate import evaluate

    if str(args.directory) == "stories" and args.files:
        return _stories(args)
    if not args.directory.is_dir():
        print(f"kabar eval: not a directory: {args.directory}", file=sys.stderr)
        return 2
    report = evaluate(args.directory, _extract_body)
    if not report.pages:
        print(f"kabar eval: no scorable pages in {args.directory}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(_as_dict(report), option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _print_table(report)
    if args.min_f1 is not None and report.mean_f1 < args.min_f1:
        print(f"kabar eval: mean F1 {report.mean_f1:.3f} is below --min-f1 {args.min_f1:g} "
              f"({len(report.pages)} pages; the table shows the weakest)", file=sys.stderr)
        return 1
    return 0


def _as_dict(report: Report) -> dict[str, object]:
    return {
        "pages": [
            {
                "name": p.name,
                "precision": round(p.precision, 4),
                "recall": round(p.recall, 4),
                "f1": round(p.f1, 4),
                "clutter_lines": list(p.clutter_lines),
                "error": p.error,
            }
            for p in report.pages
        ],
        "mean_precision": round(report.mean_precision, 4),
        "mean_recall": round(report.mean_recall, 4),
        "mean_f1": round(report.mean_f1, 4),
        "pages_with_clutter": list(report.pages_with_clutter),
    }


def _print_table(report: Report) -> None:
    width = max(len(p.name) for p in report.pages)
    print(f"{'page':<{width}}  {'P':>6} {'R':>6} {'F1':>6}  notes")
    for p in report.pages:
        notes = p.error or ("clutter: " + " | ".join(p.clutter_lines) if p.clutter_lines else "")
        print(f"{p.name:<{width}}  {p.precision:6.3f} {p.recall:6.3f} {p.f1:6.3f}  {notes[:80]}")
    print(
        f"{'MEAN':<{width}}  {report.mean_precision:6.3f} {report.mean_recall:6.3f} "
        f"{report.mean_f1:6.3f}  pages={len(report.pages)} "
        f"with_clutter={len(report.pages_with_clutter)}"
    )


def _stories(args: argparse.Namespace) -> int:
    import orjson

    from kabar.dedup import Deduper
    from kabar.dedup.storyscore import baseline_stories, kabar_stories, read_labelled, score
    from kabar.errors import KabarError
    from kabar.settings import load_settings

    report: dict[str, object] = {}
    below = False
    for path in args.files:
        try:
            records = read_labelled(path)
        except (OSError, KabarError) as exc:
            print(f"kabar eval: {exc}", file=sys.stderr)
            return 2
        gold = [str(r["gold_story"]) for r in records]
        settings = load_settings(args.config, use_default_portals=False).dedup
        settings.store = "memory"
        deduper = Deduper(settings)
        try:
            scores = score(kabar_stories(records, deduper), gold)
        finally:
            deduper.close()
        entry: dict[str, object] = {"kabar": scores.as_dict()}
        if not args.json:
            print(scores.line(f"{path.name}  kabar     "))
        if args.baseline:
            reference = score(baseline_stories(records), gold)
            entry["baseline"] = reference.as_dict()
            if not args.json:
                print(reference.line(f"{path.name}  baseline  "))
        report[str(path)] = entry
        below = below or (args.min_f1 is not None and scores.pair_f1 < args.min_f1)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    return 1 if below else 0
