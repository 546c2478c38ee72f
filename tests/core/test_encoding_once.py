"""One encoding pass per page: the fetcher's decode is the only one for a UTF-8
page (its bytes go to the parser as they are), the size check does not
re-encode, and the content hash comes from dedup rather than a second pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from kabar.dedup import Deduper, content_hash
from kabar.demo.server import Page, SiteServer
from kabar.errors import BadInputError
from kabar.extract import extract
from kabar.fetch import Fetcher
from kabar.models import Article, FetchRequest, FetchResult
from kabar.pipeline import Components, Pipeline
from kabar.settings import DedupSettings, FetchSettings, Settings
from kabar.spool import Spool
from tests.core.test_pipeline import Sender, Sources, fake_stitch

TEXT = ("Harga cabai di pasar tradisional naik tajam menjelang hari raya, "
        "kata pedagang yang ditemui pada Senin pagi — “kenaikan ini wajar”, ujarnya.")
URL = "https://warta.example.id/berita/2/harga-cabai"


def page_text(n: int = 1) -> str:
    body = "".join(f"<p>{TEXT} Catatan {k}/{n}.</p>" for k in range(6))
    return (f'<html><head><meta charset="utf-8"><title>Harga cabai {n}</title></head>'
            f"<body><article><h1>Harga cabai {n}</h1>{body}</article></body></html>")


def test_trusted_utf8_bytes_give_the_same_article_as_text() -> None:
    html = page_text()
    assert extract(html.encode("utf-8"), URL, utf8=True) == extract(html, URL)


def test_trusted_bytes_are_still_refused_when_binary() -> None:
    with pytest.raises(BadInputError) as caught:
        extract(b"\x01\x02\x03\x04" * 2000, URL, utf8=True)
    assert caught.value.reason == "binary_input"


def test_size_limit_counts_bytes_of_text_without_a_doubt_zone_error() -> None:
    wide = "\U0001f600" * 3_000_000  # 3 M characters, 12 MB in UTF-8: over the 10 MB cap
    with pytest.raises(BadInputError) as caught:
        extract(wide, URL)
    assert caught.value.reason == "too_large"


async def test_fetcher_keeps_the_bytes_of_a_utf8_page_only() -> None:
    latin = page_text(2).replace('charset="utf-8"', 'charset="windows-1252"')
    routes = {
        "/utf8": Page(page_text().encode("utf-8")),
        "/latin": Page(latin.encode("cp1252", "replace"), "text/html; charset=windows-1252"),
    }
    settings = FetchSettings(allow_private_addresses=True, respect_robots=False, retries=0)
    with SiteServer(routes) as site:
        async with Fetcher(settings) as fetcher:
            utf8 = await fetcher.fetch(FetchRequest(site.base_url + "/utf8", "warta"))
            legacy = await fetcher.fetch(FetchRequest(site.base_url + "/latin", "warta"))
    assert utf8.body == page_text().encode("utf-8") and utf8.html == page_text()
    assert legacy.body == b"" and "Harga cabai 2" in legacy.html


def test_dedup_hands_back_the_content_hash_it_computed(tmp_path: Path) -> None:
    deduper = Deduper(DedupSettings(store="memory", state_path=str(tmp_path / "s")),
                      clustering=False)
    article = extract(page_text(), URL)
    verdict, _ = deduper.process(article)
    assert verdict.content_hash == content_hash(article.paragraphs)
    deduper.close()


class RecordingPool:
    size = 1

    def __init__(self) -> None:
        self.pages: list[bytes | str] = []

    async def extract(
        self, page: bytes | str, url: str, portal: str, *, urgent: bool = False
    ) -> Article:
        self.pages.append(page)
        return extract(page, url, portal=portal, utf8=isinstance(page, bytes))


class BytesFetcher:
    async def fetch(self, request: FetchRequest) -> FetchResult:
        html = page_text()
        return FetchResult(request=request, final_url=request.url, status=200, html=html,
                           fetched_at="2026-01-01T00:00:00Z", body=html.encode("utf-8"))


def _hash_twice(paragraphs: object) -> str:
    raise AssertionError("dedup computed the hash already")


async def test_pipeline_hands_the_pool_bytes_and_reuses_dedups_hash(tmp_path: Path) -> None:
    pool = RecordingPool()
    sender = Sender()
    deduper = Deduper(DedupSettings(store="memory", state_path=str(tmp_path / "s")),
                      clustering=False)
    parts = Components(
        fetcher=BytesFetcher(), sources=Sources([FetchRequest(URL, "warta")]), sender=sender,
        extract=lambda h, u, p: extract(h, u, portal=p), stitch=fake_stitch,
        content_hash=_hash_twice, deduper=deduper, detect_language=lambda text: "id",
        extract_pool=pool,
    )
    settings = Settings()
    await Pipeline(settings, parts, Spool(str(tmp_path / "spool.jsonl"))).run(once=True)
    deduper.close()
    assert pool.pages == [page_text().encode("utf-8")]
    [event] = sender.values(settings.broker.articles_topic)
    assert event["content_hash"] == content_hash(extract(page_text(), URL).paragraphs)
