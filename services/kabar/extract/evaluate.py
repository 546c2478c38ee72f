"""Score extracted bodies against gold text: word-level precision/recall/F1 over
the multiset of lowercase ``\\w+`` tokens, plus clutter lines the output keeps
that the gold lacks. Reads three corpus layouts:

* ``DIR/<name>.html`` + ``DIR/<name>.txt`` (optional ``PROVENANCE.tsv`` with a
  ``file`` and ``url`` column gives page URLs);
* seeds: ``DIR/<name>.txt`` + ``DIR/clean/<name>.txt``, each seed laid out as a
  plain page (first line as title and ``<h1>``, one ``<p>`` per further line);
* scrapinghub: ``DIR/ground-truth.json`` + ``DIR/html/<id>.html[.gz]``.
"""

from __future__ import annotations

import csv
import gzip
import html
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from kabar.errors import ExtractError
from kabar.extract.clutter import is_clutter_line, normalize

_TOKEN = re.compile(r"\w+", re.UNICODE)

Extractor = Callable[[bytes, str | None], str]


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    html: bytes
    gold: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PageScore:
    name: str
    precision: float
    recall: float
    f1: float
    clutter_lines: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    pages: tuple[PageScore, ...]

    @property
    def mean_f1(self) -> float:
        return _mean([p.f1 for p in self.pages])

    @property
    def mean_precision(self) -> float:
        return _mean([p.precision for p in self.pages])

    @property
    def mean_recall(self) -> float:
        return _mean([p.recall for p in self.pages])

    @property
    def pages_with_clutter(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pages if p.clutter_lines)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text))


def word_scores(predicted: str, gold: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predicted tokens against the gold tokens."""
    pred, ref = tokens(predicted), tokens(gold)
    if not pred and not ref:
        return 1.0, 1.0, 1.0
    common = sum((pred & ref).values())
    precision = common / sum(pred.values()) if pred else 0.0
    recall = common / sum(ref.values()) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def kept_clutter(predicted: str, gold: str) -> tuple[str, ...]:
    """Output lines that match the clutter vocabulary and do not occur in the gold."""
    gold_text = normalize(gold).casefold()
    found = []
    for line in predicted.splitlines():
        text = normalize(line)
        if text and is_clutter_line(text) and text.casefold() not in gold_text:
            found.append(text)
    return tuple(found)


def score_page(page: Page, extractor: Extractor) -> PageScore:
    try:
        predicted = extractor(page.html, page.url)
    except ExtractError as exc:
        return PageScore(page.name, 0.0, 0.0, 0.0, error=exc.reason)
    precision, recall, f1 = word_scores(predicted, page.gold)
    return PageScore(page.name, precision, recall, f1, kept_clutter(predicted, page.gold))


def evaluate(directory: Path, extractor: Extractor) -> Report:
    return Report(tuple(score_page(page, extractor) for page in load_pages(directory)))


def load_pages(directory: Path) -> Iterator[Page]:
    """The pages of a corpus directory in any supported layout, sorted by name."""
    if (directory / "ground-truth.json").is_file():
        yield from _scrapinghub_pages(directory)
    elif (directory / "clean").is_dir() and not any(directory.glob("*.html")):
        yield from _seed_pages(directory)
    else:
        yield from _html_txt_pages(directory)


def _html_txt_pages(directory: Path) -> Iterator[Page]:
    urls = _provenance_urls(directory / "PROVENANCE.tsv")
    for path in sorted(directory.glob("*.html")):
        gold = path.with_suffix(".txt")
        if gold.is_file():
            yield Page(path.stem, path.read_bytes(), gold.read_text("utf-8"), urls.get(path.name))


def _provenance_urls(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {r["file"]: r["url"] for r in rows if r.get("file") and r.get("url")}


def seed_page_html(text: str) -> str:
    """A seed laid out as a plain page: first line as title/h1, one <p> per further line."""
    lines = text.splitlines()
    title = html.escape(lines[0].strip()) if lines else ""
    body = "".join(f"<p>{html.escape(line.strip())}</p>\n" for line in lines[1:] if line.strip())
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1>\n{body}</body></html>"
    )


def _seed_pages(directory: Path) -> Iterator[Page]:
    for path in sorted(directory.glob("*.txt")):
        clean = directory / "clean" / path.name
        if clean.is_file():
            page = seed_page_html(path.read_text("utf-8")).encode("utf-8")
            yield Page(path.stem, page, clean.read_text("utf-8"))


def _scrapinghub_pages(directory: Path) -> Iterator[Page]:
    truth = orjson.loads((directory / "ground-truth.json").read_bytes())
    for key in sorted(truth):
        entry = truth[key]
        raw = _read_html(directory / "html", key)
        if raw is not None:
            yield Page(key, raw, str(entry.get("articleBody") or ""), entry.get("url"))


def _read_html(folder: Path, key: str) -> bytes | None:
    plain, packed = folder / f"{key}.html", folder / f"{key}.html.gz"
    if plain.is_file():
        return plain.read_bytes()
    if packed.is_file():
        return gzip.decompress(packed.read_bytes())
    return None
