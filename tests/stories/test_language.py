"""Language detection for the languages Indonesian portals publish in."""

from __future__ import annotations

import pytest

from kabar.dedup.language import detect_language


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "Pemerintah kota akan membangun jembatan baru di atas sungai itu tahun depan "
            "agar warga tidak lagi memutar jauh ketika berangkat ke pasar.",
            "id",
        ),
        (
            "Kerajaan akan memberi bantuan kepada mangsa banjir di negeri Kelantan, "
            "kata menteri itu semasa lawatan ke pusat pemindahan sementara.",
            "ms",
        ),
        ("Aku arep lunga menyang pasar karo ibu sesuk esuk, amarga kudu tuku beras.", "jv"),
        ("Abdi bade angkat ka pasar sareng indung enjing-enjing, teu acan dahar.", "su"),
        (
            "The Doobie Brothers will tour North America next year with Michael McDonald.",
            "en",
        ),
    ],
)
def test_detects_regional_languages(sample: str, expected: str) -> None:
    assert detect_language(sample) == expected


@pytest.mark.parametrize("sample", ["", "   ", "halo", "Rp 5.000", "OK ya"])
def test_too_short_text_has_no_language(sample: str) -> None:
    assert detect_language(sample) is None


def test_indonesian_corpus_bodies_are_indonesian(shared_idn_bodies: list[str]) -> None:
    labels = [detect_language(body) for body in shared_idn_bodies]
    assert labels.count("id") >= len(labels) - 1, labels
