"""The raw-page scan for a page-number query ("?page=", "?hal=", ...) that decides whether
pagination walks the DOM: its one-byte pre-check must keep every decision of the plain scan,
which is kept here as the reference."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kabar.extract.pagination import (
    _QUERY_KEY_FIRST,
    _QUERY_PAGE_KEYS,
    MAX_QUERY_MARKS,
    _has_page_query,
)


def _reference(raw: bytes) -> bool:
    """The scan before the pre-check: try every key after every "?"."""
    at = raw.find(b"?")
    for _ in range(MAX_QUERY_MARKS):
        if at < 0:
            return False
        if raw.startswith(_QUERY_PAGE_KEYS, at + 1):
            return True
        at = raw.find(b"?", at + 1)
    return True


# Pieces that build near misses: keys cut short, other keys with the same first byte,
# upper case, a "?" at the very end, "??page=".
PIECES = st.sampled_from(
    [b"?", b"??", b"page=", b"pag", b"hal=", b"ha", b"halaman=", b"paging=", b"single=",
     b"showall=", b"show", b"s", b"p", b"h", b"PAGE=", b"Hal=", b"=", b"&", b"v=3", b"utm_x=1",
     b"<a href=\"/x", b"\">", b" ", b"\xc3\xa9", b"id=7"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=40))
def test_same_decision_as_plain_scan(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    assert _has_page_query(raw) is _reference(raw)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_same_decision_on_any_bytes(raw: bytes) -> None:
    assert _has_page_query(raw) is _reference(raw)


def test_pre_check_bytes_are_the_keys_first_bytes() -> None:
    assert {chr(b) for b in _QUERY_KEY_FIRST} == {"p", "h", "s"}


def test_edges() -> None:
    assert _has_page_query(b'<a href="/berita?page=2">2</a>')
    assert _has_page_query(b"?showall=1")
    assert not _has_page_query(b'<a href="/berita?PAGE=2">')  # keys are matched as written
    assert not _has_page_query(b"tanya?")  # "?" as the last byte
    assert not _has_page_query(b"?pag")
    assert not _has_page_query(b"?sort=new&page=2")  # only a key right after "?" counts


def test_too_many_marks_open_the_walk() -> None:
    crowded = b"?x" * MAX_QUERY_MARKS
    assert _has_page_query(crowded) and _reference(crowded)
    assert not _has_page_query(b"?x" * (MAX_QUERY_MARKS - 1))
