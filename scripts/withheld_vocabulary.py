"""Leave-vocabulary-out check (issue 12): the recent hold-out sets' pages extracted with
the clutter line vocabulary added since BASE withheld, counting pages that keep a line the
gold lacks. It measures how many first-sight misses a structural rule catches without the
wording that fixed them. Usage:

    .venv/bin/python scripts/withheld_vocabulary.py [--base COMMIT] [--full] [--dom] [--show]

``--full`` runs with the whole vocabulary instead (nothing withheld)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOML = "services/kabar/extract/clutter.toml"
#: The commit before session 12's changes: the late_s14 sets were written after it.
BASE = "245b710"
SETS = (
    "tuned_s14", "late_s14", "late_s14b", "late_s14c", "late_s14d", "late_s15", "late_s15b",
    "tuned_s16e", "late_s16e", "late_s16eb", "late_s16ec", "late_s16ed", "late_s16ee",
    "late_s16ef",
)


def _key(entry: Any) -> str:
    return entry["pattern"] if isinstance(entry, dict) else str(entry)


def withheld_data(base: str, dom: bool) -> tuple[dict[str, Any], int]:
    """The current vocabulary without the [lines] entries BASE lacked, and their count."""
    old = tomllib.loads(
        subprocess.run(
            ["git", "show", f"{base}:{TOML}"], cwd=REPO, check=True, capture_output=True,
            text=True,
        ).stdout
    )
    new = tomllib.loads((REPO / TOML).read_text("utf-8"))
    dropped = 0
    for name, entries in new["lines"].items():
        if not isinstance(entries, list) or name == "end_notes":
            continue  # (end_notes: an old entry reworded, not a new wording)
        before = {_key(e) for e in old["lines"].get(name, [])}
        kept = [e for e in entries if _key(e) in before]
        dropped += len(entries) - len(kept)
        # A list left empty would compile to an empty alternation, which matches "".
        strings = bool(entries) and isinstance(entries[0], str)
        new["lines"][name] = kept if kept or not strings else ["(?!)"]
    if dom:
        before = set(old["dom"]["class_words"])
        words = new["dom"]["class_words"]
        new["dom"]["class_words"] = [w for w in words if w in before]
        dropped += len(words) - len(new["dom"]["class_words"])
    return new, dropped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--dom", action="store_true", help="withhold new class words too")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from kabar.extract import clutter

    if not args.full:
        data, dropped = withheld_data(args.base, args.dom)
        clutter._data.cache_clear()
        clutter._data = lambda: data  # type: ignore[assignment]
        print(f"withheld {dropped} [lines] entries added since {args.base}")
    from kabar.extract import extract
    from kabar.extract.evaluate import load_pages, word_scores

    folder = REPO / "tests" / "fixtures" / "recent_layouts"
    pages = keeping = 0
    f1s: list[float] = []
    for name in SETS:
        for page in load_pages(folder / name):
            article = extract(page.html, page.url)
            gold = page.gold.casefold()
            kept = [p for p in article.paragraphs if p.casefold() not in gold]
            f1s.append(word_scores(article.body, page.gold)[2])
            pages += 1
            keeping += bool(kept)
            lost = [g for g in page.gold.splitlines() if g.strip() and g not in article.body]
            if lost and args.show:
                print(f"{name}/{page.name} loses")
                for line in lost:
                    print("  -", line[:200])
            if kept and args.show:
                print(f"{name}/{page.name} F1 {f1s[-1]:.3f}")
                for line in kept:
                    print("   ", line[:200])
    print(f"pages {pages}, keeping a line {keeping}, mean F1 {sum(f1s) / len(f1s):.4f}")


if __name__ == "__main__":
    main()
