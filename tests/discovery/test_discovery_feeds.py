"""Feed parsing (RSS 2.0, RDF, Atom), repairs, DTD refusal and autodiscovery."""

from __future__ import annotations

import pytest

from kabar.discovery.dates import source_date
from kabar.discovery.feeds import find_feed_links, parse_feed
from kabar.errors import ContentError

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel>
  <title>Warta Lokal</title>
  <link>https://warta.example.id/</link>
  <item>
    <title>Banjir rob rendam pesisir utara</title>
    <link>https://warta.example.id/read/2026/05/01/101/banjir-rob</link>
    <pubDate>Fri, 01 May 2026 10:15:00 +0700</pubDate>
  </item>
  <item>
    <title><![CDATA[Harga cabai naik <b>lagi</b>]]></title>
    <link>/read/2026/04/30/102/harga-cabai</link>
    <dc:date>2026-04-30T08:00:00Z</dc:date>
  </item>
  <item>
    <title>Lewat FeedBurner</title>
    <link>https://feeds.example.net/~r/warta/abc</link>
    <feedburner:origLink>https://warta.example.id/read/103/asli</feedburner:origLink>
  </item>
  <item>
    <title>Hanya guid</title>
    <guid>https://warta.example.id/read/104/guid-saja</guid>
  </item>
  <item>
    <title>Guid bukan tautan</title>
    <guid isPermaLink="false">urn:warta:105</guid>
  </item>
</channel>
</rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Kabar Atom</title>
  <entry>
    <title>Pemilu kepala desa digelar serentak</title>
    <link rel="enclosure" href="https://atom.example.id/foto.jpg"/>
    <link rel="alternate" type="text/html" href="https://atom.example.id/berita/201/pilkades"/>
    <published>2026-05-01T01:00:00Z</published>
    <updated>2026-05-01T02:00:00Z</updated>
  </entry>
  <entry>
    <title>Tanpa rel</title>
    <link href="https://atom.example.id/berita/202/tanpa-rel"/>
    <updated>2026-04-29T02:00:00+07:00</updated>
  </entry>
</feed>"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.id/"><title>RDF</title></channel>
  <item rdf:about="https://rdf.example.id/artikel/301">
    <title>Panen raya di lumbung padi</title>
    <link>https://rdf.example.id/artikel/301/panen-raya</link>
    <dc:date>2026-05-01T06:30:00+07:00</dc:date>
  </item>
</rdf:RDF>"""


def test_rss_items_links_titles_and_dates() -> None:
    links = parse_feed(RSS, "https://warta.example.id/rss")
    assert [link.url for link in links] == [
        "https://warta.example.id/read/2026/05/01/101/banjir-rob",
        "https://warta.example.id/read/2026/04/30/102/harga-cabai",
        "https://warta.example.id/read/103/asli",
        "https://warta.example.id/read/104/guid-saja",
    ]
    assert links[0].title == "Banjir rob rendam pesisir utara"
    assert links[0].published == "2026-05-01T03:15:00+00:00"
    assert links[1].title == "Harga cabai naik <b>lagi</b>"
    assert links[1].published == "2026-04-30T08:00:00+00:00"
    assert links[2].published is None


def test_atom_prefers_html_alternate_and_separates_updated() -> None:
    links = parse_feed(ATOM, "https://atom.example.id/feed")
    assert [link.url for link in links] == [
        "https://atom.example.id/berita/201/pilkades",
        "https://atom.example.id/berita/202/tanpa-rel",
    ]
    assert links[0].published == "2026-05-01T01:00:00+00:00"
    assert links[0].updated == "2026-05-01T02:00:00+00:00"
    assert links[1].published is None
    assert links[1].newest_date == "2026-04-28T19:00:00+00:00"


def test_rdf_items() -> None:
    (link,) = parse_feed(RDF, "https://rdf.example.id/rss")
    assert link.url == "https://rdf.example.id/artikel/301/panen-raya"
    assert link.published == "2026-04-30T23:30:00+00:00"


def test_sloppy_feed_is_repaired() -> None:
    sloppy = (
        '<rss version="2.0"><channel><item><title>Tom &amp; Jerry&nbsp;dan R&D \x0b</title>'
        "<link>https://s.example.id/read/401?a=1&b=2</link></item></channel></rss>"
    )
    (link,) = parse_feed(sloppy, "https://s.example.id/")
    assert link.url == "https://s.example.id/read/401?a=1&b=2"
    assert link.title == "Tom & Jerry\xa0dan R&D"


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]><rss>&lol;</rss>',
        '<!-- hi --><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd"><rss/>',
    ],
)
def test_documents_with_a_dtd_are_refused(text: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_feed(text, "https://x.example.id/")
    assert caught.value.reason == "xml_dtd_refused"


def test_an_html_page_is_not_a_feed() -> None:
    with pytest.raises(ContentError) as caught:
        parse_feed("\n<!DOCTYPE html><html><body>Beranda</body></html>", "https://x.example.id/")
    assert caught.value.reason == "not_xml"


def test_garbage_is_a_content_error() -> None:
    with pytest.raises(ContentError) as caught:
        parse_feed("<rss><channel><item>", "https://x.example.id/")
    assert caught.value.reason == "malformed_xml"


def test_feed_autodiscovery_from_a_home_page() -> None:
    html = """<html><head>
      <link rel="stylesheet" href="/gaya.css">
      <link rel="alternate" type="application/rss+xml" title="Terbaru" href="/rss/terbaru">
      <link rel="Alternate" type="application/atom+xml" href="https://h.example.id/atom.xml">
      <link rel="alternate" hreflang="en" href="https://h.example.id/en">
      <link rel="alternate" type="application/rss+xml" href="/rss/terbaru">
    </head><body></body></html>"""
    assert find_feed_links(html, "https://h.example.id/") == [
        "https://h.example.id/rss/terbaru",
        "https://h.example.id/atom.xml",
    ]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("Fri, 01 May 2026 10:15:00 +0700", "2026-05-01T03:15:00+00:00"),
        ("Fri, 01 May 2026 03:15:00 GMT", "2026-05-01T03:15:00+00:00"),
        ("2026-05-01T10:15:00+07:00", "2026-05-01T03:15:00+00:00"),
        ("2026-05-01T03:15:00Z", "2026-05-01T03:15:00+00:00"),
        ("2026-05-01 10:15:00", "2026-05-01T03:15:00+00:00"),  # no zone: WIB
        ("2026-05-01", "2026-04-30T17:00:00+00:00"),
        ("", None),
        ("tidak ada", None),
    ],
)
def test_source_dates(raw: str, iso: str | None) -> None:
    assert source_date(raw) == iso
