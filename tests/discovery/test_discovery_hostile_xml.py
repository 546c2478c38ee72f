"""Hostile feeds and sitemaps: no DTD gets through, entries and trees are bounded,
and no input takes a process past the memory goal."""

from __future__ import annotations

import pytest

from kabar.discovery.feeds import parse_feed
from kabar.discovery.safexml import XmlLimits, refuse_declarations
from kabar.discovery.sitemaps import parse_sitemap
from kabar.errors import ContentError
from tests.fetch.hostile import (
    RSS_LIMIT_MB,
    attribute_flood_feed,
    deep_xml,
    many_url_sitemap,
    peak_rss_mb,
)

BASE = "https://h.example.id/"
ITEM = "<item><title>Banjir surut</title><link>https://h.example.id/b/1</link></item>"


@pytest.mark.parametrize(
    "text",
    [
        "\x01<!DOCTYPE rss [<!ENTITY a 'b'>]><rss/>",  # control byte the repair removes
        "<!DOC\x01TYPE rss [<!ENTITY a 'b'>]><rss/>",  # a declaration the repair assembles
        "<?xml version='1.0'?><!-- berita --><!DOCTYPE rss><rss/>",
        "<?pi <!-- ?><!DOCTYPE rss [<!ENTITY x 'y'>]><rss>--></rss>",  # PI hides no comment
        "<!ENTITY a 'b'><rss/>",
        "<rss><channel><!ATTLIST item pad CDATA 'x'></channel></rss>",
        "<rss><!doctype rss></rss>",
    ],
)
def test_declarations_are_refused_wherever_they_are(text: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_feed(text, BASE)
    assert info.value.reason == "xml_dtd_refused"


def test_attribute_flood_is_refused_before_parsing() -> None:
    with pytest.raises(ContentError) as info:
        parse_sitemap(attribute_flood_feed(items=3, attribute_bytes=1024), BASE)
    assert info.value.reason == "xml_dtd_refused"


def test_declarations_inside_cdata_and_comments_are_text() -> None:
    feed = (
        "<rss><channel><!-- <!DOCTYPE x> -->"
        "<item><title>Banjir surut</title><link>https://h.example.id/b/1</link>"
        "<description><![CDATA[<!DOCTYPE html><p>isi</p>]]></description></item>"
        "</channel></rss>"
    )
    (link,) = parse_feed(feed, BASE)
    assert link.url == "https://h.example.id/b/1"
    refuse_declarations(feed)  # does not raise


def test_too_many_entries_is_refused_with_a_reason() -> None:
    limits = XmlLimits(max_entries=10)
    assert len(parse_sitemap(many_url_sitemap(10), BASE, limits).links) == 10
    with pytest.raises(ContentError) as info:
        parse_sitemap(many_url_sitemap(11), BASE, limits)
    assert info.value.reason == "too_many_entries"
    with pytest.raises(ContentError) as info:
        parse_feed("<rss><channel>" + ITEM * 11 + "</channel></rss>", BASE, limits)
    assert info.value.reason == "too_many_entries"
    text_sitemap = "\n".join(f"https://h.example.id/a/{i}" for i in range(11))
    with pytest.raises(ContentError) as info:
        parse_sitemap(text_sitemap, BASE, limits)
    assert info.value.reason == "too_many_entries"


def test_tree_depth_and_size_are_bounded() -> None:
    with pytest.raises(ContentError) as info:
        parse_sitemap(deep_xml(200), BASE, XmlLimits(max_depth=100))
    assert info.value.reason == "xml_too_deep"
    filler = "<x/>" * 500
    with pytest.raises(ContentError) as info:
        parse_sitemap(f"<urlset>{filler}</urlset>", BASE, XmlLimits(max_elements=100))
    assert info.value.reason == "xml_too_large"
    fat_entry = "<url><loc>https://h.example.id/a</loc>" + "<x/>" * 2000 + "</url>"
    with pytest.raises(ContentError) as info:
        parse_sitemap(f"<urlset>{fat_entry}</urlset>", BASE)
    assert info.value.reason == "xml_too_large"


def test_entries_are_read_at_any_depth_and_outside_entries_nothing_is_kept() -> None:
    # Filler between entries is dropped as it ends (the tree never holds it all).
    feed = "<rss><channel>" + ("<junk><a/><b/></junk>" + ITEM) * 3 + "</channel></rss>"
    assert [link.title for link in parse_feed(feed, BASE)] == ["Banjir surut"] * 3


def test_a_binary_or_empty_handed_sitemap_is_an_error_not_zero_links() -> None:
    with pytest.raises(ContentError) as info:
        parse_sitemap("\x1f\u2039\x08\x00binary", BASE)  # gzip magic read as cp1252
    assert info.value.reason == "not_sitemap"
    with pytest.raises(ContentError) as info:
        parse_sitemap("tidak ada tautan di sini", BASE)
    assert info.value.reason == "not_sitemap"


_SETUP = """
from kabar.discovery.feeds import parse_feed
from kabar.discovery.sitemaps import parse_sitemap
from tests.fetch.hostile import attribute_flood_feed, deep_xml, many_url_sitemap
"""


@pytest.mark.parametrize(
    ("work", "reason"),
    [
        # 1.4 MB: with its DTD applied this took a process to 4 GB.
        ("result = parse_feed(attribute_flood_feed(), 'https://h.example.id/')",
         "xml_dtd_refused"),
        # About 45 MB: took 600 MB and ~10 s in one piece.
        ("result = parse_sitemap(many_url_sitemap(1_000_000), 'https://h.example.id/')",
         "too_many_entries"),
        ("result = parse_sitemap(deep_xml(2_000_000), 'https://h.example.id/')",
         "xml_too_deep"),
        ("result = len(parse_sitemap(many_url_sitemap(50_000), 'https://h.example.id/').links)",
         50_000),
    ],
)
def test_hostile_xml_stays_under_the_memory_goal(work: str, reason: object) -> None:
    outcome = peak_rss_mb(_SETUP, work)
    assert outcome["result"] == reason
    assert isinstance(outcome["peak_mb"], float)
    assert outcome["peak_mb"] < RSS_LIMIT_MB, outcome
