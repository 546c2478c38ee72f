"""A candidate link is split once for both readings of it (where it sits among the article's
pages, and whether it is this very page), and a link with no query skips query parsing: the
readings must stay those of the URL split on its own."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kabar.extract.pagination import _comparable, _compile, _locate

URLS = [
    "https://www.contoh.com/berita/judul-panjang-2",
    "https://www.contoh.com/berita/judul-panjang?page=3",
    "https://www.contoh.com/berita/judul-panjang?",
    "https://contoh.com/berita/judul-panjang/all",
    "https://www.contoh.com/berita/judul-panjang.html?page=all&x=1",
    "https://www.contoh.com/berita/judul-panjang?b=2&a=1#atas",
    "https://www.contoh.com/read/2024/06/12/judul/halaman/4",
]


def _reference_comparable(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    host = (parts.hostname or "").lower().removeprefix("www.")
    return urlunsplit(("", host, parts.path.rstrip("/"), query, ""))


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("pattern", [None, r"/halaman/(?P<page>\d+)"])
def test_presplit_link_reads_as_the_url(url: str, pattern: str | None) -> None:
    hint = _compile(pattern)
    parts = urlsplit(url)
    assert _locate(url, hint, parts) == _locate(url, hint)
    assert _comparable(url, parts) == _comparable(url) == _reference_comparable(url)


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(
        r"https?://(www\.)?[a-z]{1,8}\.com(/[a-z0-9.-]{0,12}){0,3}(\?[a-z=&0-9]{0,12})?",
        fullmatch=True,  # (not a URL with stray text around it, which urlsplit may refuse)
    )
)
def test_comparable_without_query_parsing(url: str) -> None:
    assert _comparable(url, urlsplit(url)) == _reference_comparable(url)
