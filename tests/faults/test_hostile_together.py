"""Every hostile case at once, beside a healthy portal, in the long-running mode:
``kabar run`` against one local server playing both portals (the short variant of
``kabar bench faults --faults hostile``; see ``kabar.bench.hostile``)."""

from __future__ import annotations

from kabar.bench.hostile import RSS_LIMIT_MB, run_hostile

EXPECTED = {
    "/berita/1": "published", "/berita/2": "published",
    "/berita/49": "published",  # listed by the gzip-in-gzip sitemap
    "/judul": "published",  # a 1 MB title, cut to the title limit
    "/besar": "too_large", "/biner": "not_html", "/bom": "decompression_bomb",
    "/charset": "bad_charset", "/dalam": "html_too_deep", "/kanal-dalam": "html_too_deep",
    "/diam/1": "timeout", "/diam/2": "timeout", "/lambat/1": "too_slow",
    "/lambat/2": "too_slow", "/nanti": "http_5xx", "/putar": "redirect_loop",
    "/putus": "read_error", "/raksasa": "event_too_large", "/peta-dalam.xml": "xml_too_deep",
    "/rss-dtd": "xml_dtd_refused", "/rss-tawa": "xml_dtd_refused",
    "/rss-xxe": "xml_dtd_refused",
}  # fmt: skip


def test_every_hostile_case_together_beside_a_healthy_portal() -> None:
    outcome = run_hostile(30, short=True)
    print("\n".join(outcome.lines()))
    alone, beside = outcome.alone, outcome.beside
    assert alone.published == beside.published == 30, outcome.lines()
    # Every hostile URL ends published or dead-lettered with the reason it deserves.
    assert beside.hostile == EXPECTED
    assert outcome.ratio <= 2.0, outcome.lines()
    assert beside.probes > 0 and beside.missed == 0 and alone.missed == 0, outcome.lines()
    assert 0 < beside.peak_rss_mb < RSS_LIMIT_MB, outcome.lines()
    assert beside.silent_drops == 0 and outcome.lost == 0
