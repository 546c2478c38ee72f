"""Everyday commands a newcomer reaches for: extract | dedup without the shared-URL
trap, kabar portals, kabar config show|check, extract --fetch, the Python API."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from kabar.demo.server import Page, SiteServer

WORDS = ["sungai", "jembatan", "pasar", "warga", "kota", "dinas", "anggaran", "pedagang",
         "pagi", "subuh", "panjang", "biaya", "tahun", "waktu", "tempuh", "kerusakan",
         "kebersihan"]


def article_html(topic: str, seed: int, canonical: str = "") -> str:
    """A plain article page of three long paragraphs about ``topic``."""
    paragraphs = []
    for p in range(3):
        words = [WORDS[(seed * 7 + p * 3 + i) % len(WORDS)] for i in range(30)]
        paragraphs.append(f"<p>{topic} {' '.join(words)}.</p>")
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<html><head><title>{topic}</title>{link}</head><body><article><h1>{topic}</h1>"
            f"{''.join(paragraphs)}</article></body></html>")


def kabar(*args: str, cwd: Path, stdin: bytes | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KABAR_")}
    return subprocess.run([sys.executable, "-m", "kabar", *args], capture_output=True,
                          timeout=120, cwd=cwd, input=stdin, env=base | (env or {}))


def test_extract_without_url_then_dedup_keeps_pages_apart(tmp_path: Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    a.write_text(article_html("Jembatan baru", 1))
    b.write_text(article_html("Pasar lama direnovasi", 5))
    extracted = kabar("extract", str(a), str(b), "-", cwd=tmp_path, stdin=a.read_bytes())
    assert extracted.returncode == 0, extracted.stderr
    lines = [orjson.loads(x) for x in extracted.stdout.splitlines()]
    assert lines[0]["url"] == a.resolve().as_uri() and lines[1]["url"] == b.resolve().as_uri()
    assert lines[2]["url"].startswith("urn:kabar:page:")
    deduped = kabar("dedup", cwd=tmp_path, stdin=extracted.stdout[: extracted.stdout.index(
        b"\n", extracted.stdout.index(b"\n") + 1) + 1])
    verdicts = [orjson.loads(x)["dedup"] for x in deduped.stdout.splitlines()]
    assert verdicts == ["new", "new"]  # not a "revision" of one shared empty URL


def test_extract_uses_the_declared_canonical_url(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(article_html("Banjir", 2, "https://www.kompas.com/read/2026/12/06/banjir"))
    out = kabar("extract", "--portal", "KOMPAS.com", str(page), cwd=tmp_path)
    fields = orjson.loads(out.stdout)
    assert fields["url"] == "https://www.kompas.com/read/2026/12/06/banjir"
    assert fields["portal"] == "kompas"  # the config's spelling, not "kompas.com"


def test_dedup_keeps_the_callers_id(tmp_path: Path) -> None:
    line = {"id": "my-own-42", "url": "https://contoh.id/a", "title": "Jembatan",
            "paragraphs": ["Jembatan baru diresmikan wali kota pada Senin pagi."]}
    out = kabar("dedup", cwd=tmp_path, stdin=orjson.dumps(line) + b"\n")
    fields = orjson.loads(out.stdout)
    assert fields["id"] == "my-own-42"
    assert fields["article_id"].startswith("art_") and fields["dedup"] == "new"
    nourl = kabar("dedup", cwd=tmp_path, stdin=b'{"title": "x", "paragraphs": ["y"]}\n')
    assert orjson.loads(nourl.stdout)["error"] == "missing_url"


def test_portals_lists_rules_and_config(tmp_path: Path) -> None:
    out = kabar("portals", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in map(orjson.loads, out.stdout.splitlines())}
    assert rows["kompas"]["rules"] == "kompas.com" and rows["kompas"]["configured"]
    assert rows["kompas.tv"]["rules"] == "kompas.tv"
    rules_dir = Path(__file__).resolve().parents[2] / "services/kabar/extract/rules"
    for path in rules_dir.glob("*.toml"):
        rules = tomllib.loads(path.read_text("utf-8"))
        listed = [r for r in rows.values() if r["rules"] == rules["name"]]
        assert len(listed) == 1 and listed[0]["verified"] == bool(rules.get("verified"))
    text = kabar("portals", cwd=tmp_path)
    assert "kompas" in text.stdout.decode() and "verified" in text.stdout.decode()


def test_config_show_round_trips_and_masks_secrets(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    config = tmp_path / "k.toml"
    config.write_text(f"[broker]\nbootstrap_servers = 'k:9093'\nsecurity_protocol = 'SASL_SSL'\n"
                      f"sasl_username = 'u'\nssl_cafile = '{ca}'\n")
    env = {"KABAR_BROKER__SASL_PASSWORD": "rahasia", "KABAR_FETCH__WORKERS": "3"}
    shown = kabar("config", "show", "--config", str(config), cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    assert b"rahasia" not in shown.stdout
    effective = tomllib.loads(shown.stdout.decode())
    assert effective["fetch"]["workers"] == 3
    assert effective["broker"]["sasl_password"] == "********"
    again = tmp_path / "shown.toml"
    again.write_bytes(shown.stdout)
    check = kabar("config", "check", "--config", str(again), cwd=tmp_path, env=env)
    assert check.returncode == 0 and b"config ok" in check.stdout
    bad = kabar("config", "check", cwd=tmp_path, env={"KABAR_DEDUP__STORE": "mongo"})
    assert bad.returncode == 2 and bad.stderr.startswith(b"kabar config: dedup.store")


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        server.routes["/read/1"] = Page(article_html("Gempa kecil", 3).encode())
        yield server


def test_extract_fetch_reads_a_live_page(site: SiteServer, tmp_path: Path) -> None:
    url = f"{site.base_url}/read/1"
    allowed = {"KABAR_FETCH__ALLOW_PRIVATE_ADDRESSES": "true"}
    out = kabar("extract", "--fetch", url, cwd=tmp_path, env=allowed)
    assert out.returncode == 0, out.stderr
    fields = orjson.loads(out.stdout)
    assert fields["title"] == "Gempa kecil" and fields["url"] == url
    refused = kabar("extract", "--fetch", url, cwd=tmp_path)  # the guard is on by default
    assert refused.returncode == 1
    assert orjson.loads(refused.stdout)["error"] == "private_address"


def test_python_api() -> None:
    import kabar
    from kabar import extract
    from kabar.extract import extract as extract_function

    html = article_html("Jembatan baru", 1)
    assert extract(html).paragraphs == extract_function(html).paragraphs
    assert callable(kabar.extract)
    from kabar.api import page_id

    assert page_id("-", b"a") == page_id("-", b"a") != page_id("-", b"b")
