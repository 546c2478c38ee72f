"""``header_map``: a response's header fields as ``dict(httpx.Headers)`` gives them
(lower-case names, a repeated field's values joined with ", "), in one pass."""

from __future__ import annotations

import httpx

from kabar.fetch.client import header_map


def test_header_fields_read_as_dict_of_httpx_headers() -> None:
    headers = httpx.Headers([
        (b"Content-Type", b"text/html; charset=utf-8"),
        (b"Set-Cookie", b"a=1"),
        (b"content-length", b"120"),
        (b"SET-COOKIE", b"b=2"),
        (b"X-Empty", b""),
    ])
    fields = header_map(headers)
    assert fields == dict(headers)
    assert fields == {"content-type": "text/html; charset=utf-8", "set-cookie": "a=1, b=2",
                      "content-length": "120", "x-empty": ""}
    assert list(fields) == list(dict(headers))
