"""A cheap look at an HTML page before lexbor parses it, to refuse the pages that
would make the parse take seconds or minutes.

lexbor's tree building is quadratic in some shapes: nesting (each start tag
walks the stack of open elements: 20,000 nested ``<div>`` take 0.5-2 s, 80,000
about 8 s, nested lists worse) and long ``<select>`` lists (20,000 options,
6 s). Real pages nest a few dozen levels and list a few hundred options.

The look is vectorised (numpy over the UTF-8 bytes, a few milliseconds for a
megabyte): every ``<name`` opens and ``</name`` closes, except void and
self-closing-in-practice elements (``br``, ``img``, ``p``, ``li``...), which
are not counted either way; the running depth is floored at zero, so stray
closing tags in front cannot hide deep nesting after them. It over-estimates
rather than under-estimates (a ``<`` in a script may look like a tag), so the
default limits sit far above real pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from kabar.errors import ContentError, KabarError

if TYPE_CHECKING:
    # Imported on the first page looked at: a crawl process imports this module for
    # ``HtmlLimits`` only (its extraction processes look at the pages), and NumPy
    # is a fifth of its start-up imports.
    import numpy as np
    import numpy.typing as npt

#: Elements that never nest in practice (void, or closed implicitly by their next sibling).
_FLAT = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "td", "th", "tr",
    "tbody", "thead", "tfoot", "colgroup", "caption", "rp", "rt",
]
_NAME_BYTES = 8
_LT = 0x3C  # "<"


@dataclass(frozen=True, slots=True)
class HtmlLimits:
    """What one HTML page may be before it is parsed (each over-limit a refusal)."""

    #: Characters of the whole page.
    max_chars: int = 10 * 1024 * 1024
    #: Estimated nesting depth (real pages: under 100; 3,000 parses in ~0.05 s).
    max_depth: int = 3000
    #: ``<option>`` elements in one ``<select>`` (lexbor is quadratic in them).
    max_options: int = 5000


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    detail: str


DEFAULT_LIMITS = HtmlLimits()


def html_refusal(html: str | bytes, limits: HtmlLimits = DEFAULT_LIMITS) -> Refusal | None:
    """Why ``html`` (text, or UTF-8 bytes as extraction gets them) should not be parsed,
    or None when it may be."""
    import numpy as np

    if len(html) > limits.max_chars:
        return Refusal("html_too_large", f"{len(html)} characters over {limits.max_chars}")
    if isinstance(html, bytes):
        # A vectorised count: bytes.count looks at one byte at a time (0.1 ms for a
        # 300 KB page, more than all the rest for most pages).
        data = np.frombuffer(html, dtype=np.uint8)
        tags = int(np.count_nonzero(data == _LT))
    else:
        tags = html.count("<")
    if tags <= min(limits.max_depth, limits.max_options):
        return None  # too few tags to be over either limit
    if not isinstance(html, bytes):
        data = np.frombuffer(html.encode("utf-8", "replace"), dtype=np.uint8)
    flat_keys, offsets, option_key, select_key = _tables()
    closing, keys = _tags(data, offsets)
    if not len(keys):
        return None
    at = np.searchsorted(flat_keys, keys)
    flat = flat_keys[np.minimum(at, len(flat_keys) - 1)] == keys
    step = np.where(closing, -1, 1).astype(np.int32)
    step[flat] = 0
    running = np.cumsum(step)
    # Depth floored at zero: a stray close before the first open does not count.
    depth = running - np.minimum(np.minimum.accumulate(running), 0)
    deepest = int(depth.max())
    if deepest > limits.max_depth:
        return Refusal("html_too_deep", f"nesting about {deepest} deep, over {limits.max_depth}")
    opening = ~closing
    options = (keys == option_key) & opening
    if np.count_nonzero(options) > limits.max_options:
        # Counted per <select> (options after a select's end count with it: harmless).
        select_of = np.cumsum((keys == select_key) & opening)[options]
        most = int(np.bincount(select_of).max())
        if most > limits.max_options:
            detail = f"{most} options in one <select>, over {limits.max_options}"
            return Refusal("html_too_complex", detail)
    return None


def check_html(
    html: str | bytes,
    limits: HtmlLimits = DEFAULT_LIMITS,
    error: type[KabarError] = ContentError,
) -> None:
    """Raise ``error`` (a ContentError by default; extraction may pass BadInputError)
    with the refusal's reason when ``html`` should not be parsed."""
    refusal = html_refusal(html, limits)
    if refusal is not None:
        raise error(refusal.detail, reason=refusal.reason)


def _tags(
    data: npt.NDArray[np.uint8], offsets: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint64]]:
    """For each ``<``-tag in order: whether it closes, and its name's first bytes as a key."""
    import numpy as np

    size = len(data)
    lt = np.flatnonzero(data[: max(0, size - 1)] == _LT)
    closing = data[lt + 1] == 0x2F
    name_at = lt + 1 + closing
    index = np.minimum(name_at[:, None] + offsets, size - 1)
    window = data[index] | 0x20  # ASCII letters lowercased (others do not matter here)
    letter = (window >= 0x61) & (window <= 0x7A)
    is_tag = letter[:, 0]
    # The name runs while letters and digits do; the rest of the window is zeroed.
    alnum = letter | ((window >= 0x30) & (window <= 0x39))
    # ``np.logical_and.accumulate(alnum, axis=1)`` a column at a time: the same running
    # "and", several times cheaper over the few columns of many rows.
    for column in range(1, _NAME_BYTES):
        alnum[:, column] &= alnum[:, column - 1]
    window *= alnum
    keys = window.view(np.uint64).ravel()
    return closing[is_tag], keys[is_tag]


def _key(name: str) -> np.uint64:
    import numpy as np

    raw = name.encode("ascii")[:_NAME_BYTES].ljust(_NAME_BYTES, b"\0")
    return np.uint64(int.from_bytes(raw, "little"))


@cache
def _tables() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp], np.uint64, np.uint64]:
    """The flat elements' keys (sorted), the name window's offsets, ``option``'s and
    ``select``'s keys: made on first use, with NumPy."""
    import numpy as np

    flat = np.sort(np.array([_key(name) for name in _FLAT], dtype=np.uint64))
    return flat, np.arange(_NAME_BYTES, dtype=np.intp), _key("option"), _key("select")
