"""The look before parsing answers alike for a page's UTF-8 bytes and its text."""

from __future__ import annotations

import pytest

from kabar.htmlguard import HtmlLimits, html_refusal

LIMITS = HtmlLimits(max_depth=40, max_options=30)


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("<div>" * 41, "html_too_deep"),
        ("<div>" * 40, None),  # at the limit, not over it
        ("<section><p>" * 45 + "</section>" * 45, "html_too_deep"),
        ("<ul>" + "<li>kota</li>" * 200 + "</ul>", None),  # flat elements do not nest
        ("<select>" + "<option>pilih" * 31 + "</select>", "html_too_complex"),
        ("<select>" + "<option>a" * 20 + "</select><select>" + "<option>b" * 20, None),
        ("</div>" * 60 + "<span>" * 41, "html_too_deep"),  # stray closings first
        ("<p>Kafe \u201cTepi\u201d</p>" * 50 + "<div>" * 41 + "<abcdefghij", "html_too_deep"),
    ],
)
def test_bytes_and_text_are_refused_alike(page: str, reason: str | None) -> None:
    for given in (page, page.encode("utf-8")):
        refusal = html_refusal(given, LIMITS)
        assert (refusal.reason if refusal else None) == reason
