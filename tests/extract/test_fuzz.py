"""Property tests: random and mutated HTML never crashes extraction; only typed
``ExtractError``s may be raised, and successful results are well formed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabar.errors import ExtractError
from kabar.extract import extract
from tests.extract.extract_support import page, story_html

TAGS = ["div", "p", "span", "a", "ul", "li", "h1", "h2", "br", "table", "td", "script",
        "figure", "figcaption", "article", "section", "b", "i", "noscript", "iframe"]  # fmt: skip
ATTRS = ['', ' class="content"', ' class="baca-juga"', ' id="related"', ' style="display:none"',
         ' itemprop="articleBody"', ' class="share comments"', " hidden",
         ' class="md:flex w-[50%] \'q\' \\x"', ' class="post__content wysiwyg"']  # fmt: skip
WORDS = st.sampled_from(
    ["Baca juga:", "Editor:", "JAKARTA, KOMPAS.com -", "banjir", "warga", "©", "1 hari yang lalu",
     "Presiden", "mengatakan,", "<", ">", "&amp;", "&#0;", "\x00", "\ufffd", "😀", "kata dia."]
)  # fmt: skip

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(html: bytes | str) -> None:
    try:
        article = extract(html, "https://www.kompas.com/read/2024/06/12/a")
    except ExtractError as exc:
        assert exc.reason in {"binary_input", "bad_charset", "malformed_html", "too_large",
                              "not_article", "empty_body"}  # fmt: skip
        return
    assert article.paragraphs and all(p.strip() == p and p for p in article.paragraphs)


@st.composite
def markup(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 4 and draw(st.booleans()):
            tag = draw(st.sampled_from(TAGS))
            attr = draw(st.sampled_from(ATTRS))
            inner = draw(markup(depth + 1))
            close = draw(st.sampled_from([f"</{tag}>", "", "</div>"]))
            parts.append(f"<{tag}{attr}>{inner}{close}")
        else:
            parts.append(" ".join(draw(st.lists(WORDS, max_size=12))))
    return "".join(parts)


@FUZZ
@given(markup())
def test_random_markup_never_crashes(html: str) -> None:
    _check(html)
    _check(page(html))


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.text(max_size=2000))
def test_random_text_never_crashes(text: str) -> None:
    _check(text)


BASE = page(story_html('<div class="baca-juga"><a href="/1">Judul lain</a></div>')).encode()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(BASE)), st.binary(max_size=8)), max_size=12))
def test_mutated_article_never_crashes(edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(BASE)
    for where, chunk in edits:
        data[where : where + len(chunk)] = chunk
    _check(bytes(data))


@FUZZ
@given(st.integers(1, len(BASE)))
def test_any_truncation_never_crashes(cut: int) -> None:
    _check(BASE[:cut])
