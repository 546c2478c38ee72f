"""Loaders for the ../shared story-clustering targets (seeds, idn and scrapinghub)."""

from __future__ import annotations

import gzip
import itertools
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from kabar.models import Article

GROUPS_FILE = Path(__file__).with_name("scrapinghub_groups.json")
WEEK_START = datetime(2024, 6, 17, tzinfo=UTC)
MAX_HEADLINE_WORDS = 20
_TITLE_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ")


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    article: Article
    when: datetime


def html_title(raw: str) -> str:
    """og:title, else <title> without a trailing site name."""
    tree = HTMLParser(raw)
    node = tree.css_first('meta[property="og:title"]')
    title = (node.attributes.get("content") or "") if node else ""
    if not title.strip():
        node = tree.css_first("title")
        title = node.text() if node else ""
    title = " ".join(title.split())
    for sep in _TITLE_SEPARATORS:
        if sep in title:
            title = max(title.split(sep), key=len)
    return title.strip()


def _article(key: str, url: str, title: str, body: str, portal: str) -> Article:
    paragraphs = tuple(p.strip() for p in body.splitlines() if p.strip())
    return Article(url=url, title=title, paragraphs=paragraphs, portal=portal)


def seed_items(shared: Path) -> list[Item]:
    """The five one-story seed bodies, published 17-20 June 2024."""
    files = sorted((shared / "seeds" / "clean").glob("*.txt"))
    items = []
    for i, path in enumerate(files):
        when = WEEK_START + timedelta(days=min(i, 3), hours=8 + i)
        url = f"https://seed{i}.example/{path.stem}"
        body = path.read_text("utf-8")
        items.append(Item(f"seed:{path.stem}", _article("", url, "", body, f"seed{i}"), when))
    return items


def titled_seed_items(shared: Path) -> list[Item]:
    """The five seed reports as published: a headline on the first line (one
    of them has none and opens with its body), published 17-20 June 2024."""
    files = sorted(shared.joinpath("seeds").glob("*.txt"))
    items = []
    for i, path in enumerate(files):
        first, _, rest = path.read_text("utf-8").partition("\n")
        headline = len(first.split()) <= MAX_HEADLINE_WORDS and not first.rstrip().endswith(".")
        title, body = (first.strip(), rest) if headline else ("", first + "\n" + rest)
        when = WEEK_START + timedelta(days=min(i, 3), hours=8 + i)
        url = f"https://seed{i}.example/{path.stem}"
        items.append(Item(f"seed:{path.stem}", _article("", url, title, body, f"seed{i}"), when))
    return items


def idn_items(shared: Path) -> list[Item]:
    items = []
    for path in sorted((shared / "corpus" / "idn").glob("*.txt")):
        html = path.with_suffix(".html")
        title = html_title(html.read_text("utf-8", "replace")) if html.exists() else ""
        portal = path.stem.rsplit("_", 1)[0]
        url = f"https://{portal}.example/{path.stem}"
        article = _article("", url, title, path.read_text("utf-8"), portal)
        items.append(Item(f"idn:{path.stem}", article, WEEK_START))
    return items


def scrapinghub_items(shared: Path) -> list[Item]:
    root = shared / "corpus" / "scrapinghub"
    truth = json.loads((root / "ground-truth.json").read_text("utf-8"))
    items = []
    for key, entry in sorted(truth.items()):
        page = root / "html" / f"{key}.html.gz"
        title = html_title(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"))
        url = entry["url"]
        portal = url.split("/")[2].removeprefix("www.")
        items.append(Item(key, _article(key, url, title, entry["articleBody"], portal), WEEK_START))
    return items


def spread_over_week(items: list[Item], seed: int = 7) -> list[Item]:
    """Shuffle with a fixed seed and give increasing times over one week."""
    rng = random.Random(seed)
    shuffled = list(items)
    rng.shuffle(shuffled)
    step = timedelta(days=7) / max(len(shuffled), 1)
    return [Item(it.key, it.article, WEEK_START + step * i) for i, it in enumerate(shuffled)]


def labelled_groups() -> tuple[list[list[str]], set[str]]:
    data = json.loads(GROUPS_FILE.read_text("utf-8"))
    ambiguous = {key for group in data["ambiguous"].values() for key in group}
    return [list(g) for g in data["groups"].values()], ambiguous


def pairwise_scores(
    assigned: dict[str, str], groups: Iterable[list[str]], ignore: set[str]
) -> tuple[float, float]:
    """Pairwise precision and recall of a story assignment against gold groups."""
    gold_of = {key: i for i, group in enumerate(groups) for key in group}
    keys = sorted(k for k in assigned if k not in ignore)
    tp = fp = fn = 0
    for a, b in itertools.combinations(keys, 2):
        same_pred = assigned[a] == assigned[b]
        same_gold = a in gold_of and gold_of.get(a) == gold_of.get(b)
        tp += same_pred and same_gold
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall
