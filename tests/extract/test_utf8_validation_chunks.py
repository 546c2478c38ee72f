"""UTF-8 validation stretch by stretch: the verdict is that of decoding the page whole,
wherever a multi-byte sequence (whole, cut off, or broken) falls against the stretches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kabar.extract.decode import VALIDATE_CHUNK, _valid_utf8

_PIECES = [b"\xe2\x80\x9c", b"\xc3\xa9", b"\xf0\x9f\x93\xb0", b"\xe2\x80", b"\x80", b"\xff", b"a"]


def _whole(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=-4, max_value=4),
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4),
    st.integers(min_value=0, max_value=2 * VALIDATE_CHUNK),
)
def test_same_verdict_as_decoding_whole(
    stretches: int, shift: int, pieces: list[bytes], tail: int
) -> None:
    # The pieces sit across the boundary after ``stretches`` stretches, give or take.
    data = b"x" * (stretches * VALIDATE_CHUNK + shift) + b"".join(pieces) + b"y" * tail
    assert _valid_utf8(data) == _whole(data)

