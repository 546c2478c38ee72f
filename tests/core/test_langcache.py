"""The decoded language model kept between processes (kabar.langcache)."""

from __future__ import annotations

from pathlib import Path

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from kabar import langcache

SAMPLES = (
    "Warga desa memperbaiki jalan yang rusak setelah banjir surut kemarin sore.",
    "Kula badhe tindak dhateng peken kaliyan simbah mbenjang enjing.",
    "The council voted to rebuild the bridge before the rainy season.",
    "Saya nak pergi ke kedai sekarang sebab barang dapur dah habis.",
)


def _labels(identifier: LanguageIdentifier) -> list[tuple[str, float]]:
    identifier.set_languages(["id", "ms", "jv", "en", "nl"])
    return [identifier.classify(text) for text in SAMPLES]


@pytest.fixture(scope="module")
def reference() -> list[tuple[str, float]]:
    return _labels(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))


def test_the_decoded_copy_classifies_as_the_shipped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: list[tuple[str, float]]
) -> None:
    monkeypatch.setenv(langcache.CACHE_ENV, str(tmp_path))
    first = langcache.identifier(MODEL_FILE, norm_probs=True)  # decodes, writes the copy
    [copy] = tmp_path.glob("langid-*.npz")
    again = langcache.identifier(MODEL_FILE, norm_probs=True)  # reads the copy
    assert _labels(first) == reference
    assert _labels(again) == reference
    assert list(tmp_path.glob("langid-*.npz")) == [copy]
    assert not list(tmp_path.glob(".langid-*"))  # no temporary file left behind


def test_a_torn_copy_means_the_slow_load_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: list[tuple[str, float]]
) -> None:
    monkeypatch.setenv(langcache.CACHE_ENV, str(tmp_path))
    langcache.identifier(MODEL_FILE)
    [copy] = tmp_path.glob("langid-*.npz")
    copy.write_bytes(copy.read_bytes()[:1000])
    assert _labels(langcache.identifier(MODEL_FILE, norm_probs=True)) == reference
    assert copy.stat().st_size > 1000  # written whole again


def test_an_empty_setting_keeps_no_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(langcache.CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert langcache.cache_folder() is None
    langcache.identifier(MODEL_FILE)
    assert not list(tmp_path.rglob("*"))
