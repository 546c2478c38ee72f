"""The local news site ``kabar bench e2e`` crawls: many distinct article pages
built from real page templates, served from a child process.

Templates are the portal pages of ``../shared/corpus/idn`` when that folder is
there (read at run time, never copied), else pages generated here. Each article
``i`` is its template with every word of the visible text, the ``<meta
content>`` values and the scripts replaced word for word through a mapping
drawn for that article (crc32, so the same on every run): the markup, the
clutter and the size stay real while every article is a distinct text, so
dedup and stories see new articles, not copies. Function words (the stopword
lists) stay as they are, as they would in any real article: the language then
shows as plainly as on a real page, not as a stream of unknown words. A share of the articles have
further pages (``?page=2``...) linked from a pagination block, as portals do.

The server is a small HTTP/1.1 keep-alive loop in its own process (it must not
take the GIL from what it serves) with every page rendered (and compressed)
before it reports its port, so serving costs no more than writing bytes. As
portals do, it compresses pages for a client that accepts it: by default half the
templates' pages with gzip, half with brotli (``SiteSpec.encoding``), so the
client pays for decompression as it would on the real sites.
"""

from __future__ import annotations

import asyncio
import csv
import re
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import brotli
import numpy as np
import numpy.typing as npt

from kabar.bench.child import serve_in_child

#: A <meta> tag (its content is text), any other tag (kept), or a word (replaced).
_TOKEN = re.compile(r"(<meta\b[^>]*>)|(<[^>]*>)|([^\W\d_]{4,})")
_CONTENT = re.compile(r'(content\s*=\s*")([^"]*)(")', re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{4,}")
_SYLLABLES = (
    "ba",
    "da",
    "ka",
    "la",
    "ma",
    "na",
    "pa",
    "ra",
    "sa",
    "ta",
    "wi",
    "ju",
    "ke",
    "ngan",
    "kan",
    "lah",
    "pur",
    "sen",
    "to",
    "ri",
    "bu",
    "an",
    "in",
    "mer",
)
GENERATED_PORTAL = "bench.generated"


@dataclass(frozen=True, slots=True)
class Template:
    """One page cut into literal parts and word slots: ``parts[where[k]]`` holds the
    word ``words[which[k]]`` (a word and its capitalized form are two words)."""

    name: str
    portal: str
    parts: tuple[str, ...]
    #: crc32 of each distinct word (lower-cased), and whether it was capitalized.
    keys: npt.NDArray[np.uint64]
    upper: npt.NDArray[np.bool_]
    where: npt.NDArray[np.intp]
    which: npt.NDArray[np.intp]
    #: Pages the template itself links as this article's (a real multi-page article).
    own_pages: int = 1

    def render(self, seed: int, vocabulary: Vocabulary, extra: str = "") -> bytes:
        # A multiplicative mix of the word's and the article's numbers: every article
        # maps each word to its own replacement, the same one everywhere in the page.
        mixed = (
            self.keys * np.uint64(2654435761)
            + np.uint64(seed) * np.uint64(40503)
            + np.uint64(seed * seed % 65521)
        ) % np.uint64(2**32)
        picked = (mixed % np.uint64(len(vocabulary.lower))).astype(np.intp)
        chosen = np.where(self.upper, vocabulary.capital[picked], vocabulary.lower[picked])
        parts = np.array(self.parts, dtype=object)
        parts[self.where] = chosen[self.which]
        html = "".join(parts.tolist())
        if extra:
            at = html.rfind("</body>")
            html = html[:at] + extra + html[at:] if at >= 0 else html + extra
        return html.encode("utf-8")


def cut(name: str, portal: str, html: str) -> Template:
    """Split ``html`` into literal parts and the words that ``render`` replaces."""
    parts: list[str] = []
    slots: list[tuple[int, str]] = []
    last = 0
    for match in _TOKEN.finditer(html):
        parts.append(html[last : match.start()])
        meta, tag, word = match.groups()
        if word and word.lower() in _kept():
            parts.append(word)
        elif word:
            slots.append((len(parts), word))
            parts.append(word)
        elif meta:
            _cut_meta(meta, parts, slots)
        else:
            parts.append(tag)
        last = match.end()
    parts.append(html[last:])
    index: dict[str, int] = {}
    which = [index.setdefault(word, len(index)) for _, word in slots]
    keys = np.array([zlib.crc32(w.lower().encode()) for w in index], dtype=np.uint64)
    upper = np.array([w[0].isupper() for w in index], dtype=np.bool_)
    where = np.array([at for at, _ in slots], dtype=np.intp)
    return Template(name, portal, tuple(parts), keys, upper, where, np.array(which, dtype=np.intp))


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The replacement words, lower-case and capitalized."""

    lower: npt.NDArray[np.object_]
    capital: npt.NDArray[np.object_]

    @classmethod
    def of(cls, words: tuple[str, ...]) -> Vocabulary:
        return cls(
            np.array(words, dtype=object), np.array([w.capitalize() for w in words], dtype=object)
        )


def _cut_meta(tag: str, parts: list[str], slots: list[tuple[int, str]]) -> None:
    found = _CONTENT.search(tag)
    if found is None:
        parts.append(tag)
        return
    parts.append(tag[: found.start(2)])
    value, last = found.group(2), 0
    for word in _WORD.finditer(value):
        if word.group().lower() in _kept():
            continue  # stays in the literal text around it
        parts.append(value[last : word.start()])
        slots.append((len(parts), word.group()))
        parts.append(word.group())
        last = word.end()
    parts.append(value[last:] + tag[found.end(2) :])


@cache
def _kept() -> frozenset[str]:
    """Words every article keeps: the function words of the stopword lists."""
    from kabar.dedup.text import stopwords

    return stopwords()


def corpus_templates(folder: Path) -> tuple[list[Template], tuple[str, ...]]:
    """The corpus pages as templates, and the words of their gold texts as vocabulary."""
    portals = _portals(folder / "PROVENANCE.tsv")
    templates: list[Template] = []
    words: set[str] = set()
    for path in sorted(folder.glob("*.html")):
        html = path.read_bytes().decode("utf-8", "replace")
        templates.append(cut(path.stem, portals.get(path.name, path.stem.split("_")[0]), html))
        gold = path.with_suffix(".txt")
        if gold.exists():
            words.update(w.lower() for w in _WORD.findall(gold.read_text("utf-8", "replace")))
    return templates, tuple(sorted(words - _kept()))


def _portals(provenance: Path) -> dict[str, str]:
    if not provenance.exists():
        return {}
    with provenance.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["file"]: (row.get("portal") or "").split(" ")[0] for row in rows}


def generated_templates(count: int = 4) -> tuple[list[Template], tuple[str, ...]]:
    """Pages of our own: a portal-like page (menus, related links, scripts, ~100 kB)."""
    vocabulary = tuple(
        sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:8]})
    )
    templates = []
    for n in range(count):
        words = [vocabulary[(n * 7919 + k * 104729) % len(vocabulary)] for k in range(3000)]
        body = "".join(
            f"<p>{' '.join(words[k : k + 30]).capitalize()}.</p>" for k in range(0, 900, 30)
        )
        menu = "".join(f'<li><a href="/kanal/{w}">{w}</a></li>' for w in words[900:1000])
        related = "".join(
            f'<li><a href="/baca/{k}">{" ".join(words[k : k + 9])}</a></li>'
            for k in range(1000, 2400, 9)
        )
        script = (
            "<script>var iklan = {"
            + ",".join(f'"{w}": "{words[k + 1]}"' for k, w in enumerate(words[2400:2990]))
            + "};</script>"
        )
        html = (
            '<!doctype html><html lang="id"><head><meta charset="utf-8">'
            f"<title>{' '.join(words[:8])}</title>"
            f'<meta property="og:title" content="{" ".join(words[:8])}">'
            f'<meta name="description" content="{" ".join(words[8:30])}">{script}</head>'
            f'<body><header><ul class="menu">{menu}</ul></header><main><article>'
            f'<h1>{" ".join(words[:8])}</h1><div class="detail-text">{body}</div></article>'
            f'<aside><ul class="terkait">{related}</ul></aside></main>'
            "<footer>Hak cipta redaksi</footer></body></html>"
        )
        # A portal each, as the corpus's templates mostly are: crawl processes share
        # the work out by portal.
        templates.append(cut(f"generated_{n}", f"{GENERATED_PORTAL}{n}", html))
    return templates, vocabulary


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """Which articles the site holds; the same spec gives the same pages anywhere."""

    articles: int
    multi_page_share: float = 0.2
    pages_per_article: int = 3
    corpus: str = ""  # folder of templates ("": generated pages)
    #: Content-Encoding served to a client accepting it: "mixed" (gzip for every other
    #: template, brotli for the rest), "gzip", "br" or "identity".
    encoding: str = "mixed"

    def pages_of(self, i: int, template: Template) -> int:
        step = round(1 / self.multi_page_share) if self.multi_page_share > 0 else 0
        chosen = self.pages_per_article if step and i % step == step - 1 else 1
        return max(chosen, template.own_pages)


def load_templates(spec: SiteSpec) -> tuple[list[Template], tuple[str, ...]]:
    templates, words = _load_templates(spec)
    return [_with_own_pages(t, words) for t in templates], words


def _with_own_pages(template: Template, words: tuple[str, ...]) -> Template:
    """Count the pages a template links itself (as Kabar will find them), so the site
    serves them too."""
    from selectolax.lexbor import LexborHTMLParser

    from kabar.extract.pagination import find_next_pages

    path = article_path(template, 0)
    html = template.render(0, Vocabulary.of(words))
    found = find_next_pages(LexborHTMLParser(html), "http://site.invalid" + path)
    return replace(template, own_pages=1 + len(found)) if found else template


def _load_templates(spec: SiteSpec) -> tuple[list[Template], tuple[str, ...]]:
    folder = Path(spec.corpus) if spec.corpus else None
    if folder is not None and folder.is_dir() and any(folder.glob("*.html")):
        templates, vocabulary = corpus_templates(folder)
        if len(vocabulary) >= 500:
            return templates, vocabulary
        return templates, generated_templates(1)[1]
    return generated_templates()


def article_path(template: Template, i: int) -> str:
    return f"/{template.name}/berita/{i}/kabar-nomor-{i}-hari-ini"


def page_urls(spec: SiteSpec, templates: list[Template], base: str) -> list[list[str]]:
    """Per article, the URLs of its pages (first page first)."""
    out = []
    for i in range(spec.articles):
        path = base + article_path(templates[i % len(templates)], i)
        out.append(
            [path]
            + [
                f"{path}?page={k}"
                for k in range(2, spec.pages_of(i, templates[i % len(templates)]) + 1)
            ]
        )
    return out


def _pager(path: str, pages: int) -> str:
    links = "".join(
        f'<a href="{path}?page={k}">{k}</a> ' if k > 1 else f'<a href="{path}">1</a> '
        for k in range(1, pages + 1)
    )
    return f'<div class="pagination">Halaman: {links}</div>'


def render_site(spec: SiteSpec) -> dict[str, bytes]:
    """Every page of the site by path (with query)."""
    templates, words = load_templates(spec)
    vocabulary = Vocabulary.of(words)
    pages: dict[str, bytes] = {}
    for i in range(spec.articles):
        template = templates[i % len(templates)]
        path, count = article_path(template, i), spec.pages_of(i, templates[i % len(templates)])
        pager = _pager(path, count) if count > 1 else ""
        pages[path] = template.render(i * 64, vocabulary, pager)
        for k in range(2, count + 1):
            pages[f"{path}?page={k}"] = template.render(i * 64 + k, vocabulary, pager)
    return pages


def site_templates(spec: SiteSpec) -> list[Template]:
    return load_templates(spec)[0]


ENCODINGS = ("mixed", "gzip", "br", "identity")


def coding_of(spec: SiteSpec, template_index: int) -> str:
    """The Content-Encoding the site gives a template's pages (when accepted)."""
    if spec.encoding == "mixed":
        return "gzip" if template_index % 2 == 0 else "br"
    return spec.encoding


def compress(page: bytes, coding: str) -> bytes:
    """``page`` as a portal's server sends it: gzip level 6, brotli quality 5 (common
    on-the-fly settings), or as it is."""
    if coding == "gzip":
        packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return packer.compress(page) + packer.flush()
    if coding == "br":
        return bytes(brotli.compress(page, quality=5))
    return page


@dataclass(frozen=True, slots=True)
class SitePage:
    plain: bytes
    #: The page compressed with ``coding`` ("identity": the same bytes).
    packed: bytes
    coding: str


def packed_site(spec: SiteSpec) -> dict[str, SitePage]:
    """Every page of the site by path, with its compressed form."""
    index = {t.name: k for k, t in enumerate(site_templates(spec))}
    out = {}
    for path, page in render_site(spec).items():
        coding = coding_of(spec, index[path.split("/", 2)[1]])
        out[path] = SitePage(page, compress(page, coding), coding)
    return out


# --- the server (in a child process) ------------------------------------------------------


def _accepts(head: bytes, coding: str) -> bool:
    """Whether the request's Accept-Encoding names ``coding`` (a bench client's header:
    a plain list, no q-values of zero)."""
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"accept-encoding:"):
            names = {n.split(b";")[0].strip() for n in line[16:].split(b",")}
            return coding.encode("ascii") in names
    return False


async def _handle(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    pages: dict[str, SitePage],
    latency: float,
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if latency:
                await asyncio.sleep(latency)  # stands in for the network round trip
            path = head.split(b" ", 2)[1].decode("ascii", "replace")
            page = pages.get(path)
            status = b"200 OK" if page is not None else b"404 Not Found"
            body, coding = b"not found", b""
            if page is not None:
                body = page.plain
                if page.coding != "identity" and _accepts(head, page.coding):
                    body = page.packed
                    coding = b"Content-Encoding: " + page.coding.encode("ascii") + b"\r\n"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
                + coding + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(spec: SiteSpec, latency: float) -> None:
    pages = packed_site(spec)
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, pages, latency), "127.0.0.1", 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    print(port, sum(len(p.plain) for p in pages.values()), len(pages),
          sum(len(p.packed) for p in pages.values()), flush=True)
    async with server:
        # Serve until the parent closes our stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def serve_forever(articles: int, share: float, per: int, corpus: str, latency: float,
                  encoding: str = "mixed") -> None:
    asyncio.run(_serve(SiteSpec(articles, share, per, corpus, encoding), latency))


@dataclass(frozen=True, slots=True)
class Served:
    base: str
    total_bytes: int
    pages: int
    #: What the pages weigh compressed as served (``SiteSpec.encoding``).
    wire_bytes: int = 0


@contextmanager
def serve_site(spec: SiteSpec, latency_s: float = 0.0) -> Iterator[Served]:
    """Run the site in a child process; yields its base URL and size."""
    code = (
        "from kabar.bench.e2e_site import serve_forever; "
        f"serve_forever({spec.articles}, {spec.multi_page_share!r}, "
        f"{spec.pages_per_article}, {spec.corpus!r}, {latency_s!r}, {spec.encoding!r})"
    )
    with serve_in_child(code) as line:
        port, size, count, wire = (int(x) for x in line.split())
        yield Served(f"http://127.0.0.1:{port}", size, count, wire)
