"""``plain_url``: a page URL whose parse by httpx would change nothing is built as the
same ``httpx.URL`` without the parse; every other URL is left for httpx to parse."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kabar.fetch.client import plain_url

#: Built directly: the parse leaves them as they are (a default port aside).
PLAIN = [
    "https://news.detik.com/berita/d-7123456/warga-desa-memperbaiki-jalan",
    "http://kompas-1.bench.invalid:43567/kompas_1/berita/12/kabar-nomor-12?page=2",
    "https://www.kompas.com/read/2026/12/07/10300011/judul?utm_source=x&a=b",
    "http://example.com:80/a",
    "https://example.com:443/",
    "https://example.com:8080/x?",
    "https://ex-ample.co.id/a;b=c/@x:y",
    "https://example.com/a?b=c?d/e",
    "https://example.com/a'b(c)*d+e,f!g$h",
]
#: Left to httpx: it would change them (case, escapes, dot segments) or check them.
PARSED = [
    "https://Example.com/a",
    "HTTPS://example.com/a",
    "https://example.com/a/./b",
    "https://example.com/a/../b",
    "https://example.com/.well-known/x",
    "https://example.com/a%20b",
    "https://example.com/a b",
    "https://example.com/a#frag",
    "https://example.com/a|b",
    "https://example.com/\u00e9",
    "https://b\u00fccher.de/a",
    "https://user@example.com/x",
    "http://[::1]/x",
    "https://1.2.3.4/x",
    "https://999.2.3.4/x",
    "https://example.com",
    "https://a..b/x",
    "https://example.com:/x",
]


@pytest.mark.parametrize("url", PLAIN)
def test_a_plain_url_is_built_as_httpx_would_parse_it(url: str) -> None:
    built = plain_url(url)
    assert isinstance(built, httpx.URL)
    parsed = httpx.URL(url)
    assert built == parsed and str(built) == str(parsed)
    assert (built.scheme, built.host, built.port, built.raw_path) == (
        parsed.scheme, parsed.host, parsed.port, parsed.raw_path)
    assert httpx.Request("GET", built).url == parsed


@pytest.mark.parametrize("url", PARSED)
def test_other_urls_are_left_to_httpx(url: str) -> None:
    assert plain_url(url) == url


_HOSTS = st.from_regex(r"[a-z0-9-]{1,8}(\.[a-z0-9-]{1,8}){0,3}", fullmatch=True)
_PARTS = st.text(alphabet="aZ09-._~!$&'()*+,;=:@/?%#|. ", max_size=24)


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https"]),
    host=_HOSTS,
    port=st.one_of(st.none(), st.integers(min_value=0, max_value=99999)),
    path=_PARTS,
)
def test_a_built_url_always_equals_httpx_own_parse(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    # Guards an httpx upgrade too: whatever plain_url builds must be what httpx makes.
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}/{path}"
    built = plain_url(url)
    if isinstance(built, str):
        assert built == url
        return
    parsed = httpx.URL(url)
    assert str(built) == str(parsed)
    assert (built.scheme, built.host, built.port, built.raw_path) == (
        parsed.scheme, parsed.host, parsed.port, parsed.raw_path)
