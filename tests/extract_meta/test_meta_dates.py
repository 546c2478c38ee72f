"""Date parsing: Indonesian and English formats, WIB/WITA/WIT, feeds and ISO 8601."""

from __future__ import annotations

import pytest

from kabar.extract import dates
from kabar.extract.dates import date_near, find_date_in_text, find_dates, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO 8601 with and without offsets
        ("2024-06-20T13:45:00+07:00", "2024-06-20T06:45:00Z"),
        ("2024-06-20T06:45:00Z", "2024-06-20T06:45:00Z"),
        ("2024-06-20T06:45:00.123Z", "2024-06-20T06:45:00Z"),
        ("2024-06-20T13:45:00+0700", "2024-06-20T06:45:00Z"),
        ("2024-06-20T08:45:00-02:00", "2024-06-20T10:45:00Z"),
        ("2024-06-20 13:45:10", "2024-06-20T06:45:10Z"),
        ("2024-06-20 T13:45:10Z", "2024-06-20T13:45:10Z"),
        ("2024-06-20", "2024-06-19T17:00:00Z"),
        # RFC 822 as in feeds
        ("Thu, 20 Jun 2024 13:45:00 +0700", "2024-06-20T06:45:00Z"),
        ("Thu, 20 Jun 2024 06:45:00 GMT", "2024-06-20T06:45:00Z"),
        # Indonesian portal styles
        ("Kamis, 20 Juni 2024 - 13:45 WIB", "2024-06-20T06:45:00Z"),
        ("19 Juni 2024 13:40", "2024-06-19T06:40:00Z"),
        ("Selasa (18/6/2024)", "2024-06-17T17:00:00Z"),
        ("18/06/2024 14:05 WIB", "2024-06-18T07:05:00Z"),
        ("20 Jun 2024, 13:45 WITA", "2024-06-20T05:45:00Z"),
        ("20 Jun 2024, 13:45 WIT", "2024-06-20T04:45:00Z"),
        ("Kamis, 20 Juni 2024 pukul 13.45 WIB", "2024-06-20T06:45:00Z"),
        ("Senin, 1 Juli 2024, 07.05 WITA", "2024-06-30T23:05:00Z"),
        ("Rabu, 3 Januari 2024 | 09:30 WIB", "2024-01-03T02:30:00Z"),
        ("20 Juni 2024 13:45 (WIT)", "2024-06-20T04:45:00Z"),
        ("20.06.2024 13.45", "2024-06-20T06:45:00Z"),
        ("5-8-24 10:00", "2024-08-05T03:00:00Z"),
        ("on 16 Feb 2016 at 09:10 WIB", "2016-02-16T02:10:00Z"),
        # English month names
        ("June 20, 2024 1:45 pm", "2024-06-20T06:45:00Z"),
        ("20 December 2023 12:00 am UTC", "2023-12-20T00:00:00Z"),
        ("Sep 3, 2023", "2023-09-02T17:00:00Z"),
    ],
)
def test_parse_date_formats(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("month", "number"),
    [
        ("Januari", 1), ("Jan", 1), ("Februari", 2), ("Feb", 2), ("Peb", 2), ("Maret", 3),
        ("Mar", 3), ("April", 4), ("Apr", 4), ("Mei", 5), ("Juni", 6), ("Jun", 6),
        ("Juli", 7), ("Jul", 7), ("Agustus", 8), ("Agu", 8), ("Agt", 8), ("Ags", 8),
        ("September", 9), ("Sep", 9), ("Sept", 9), ("Oktober", 10), ("Okt", 10),
        ("November", 11), ("Nov", 11), ("Nop", 11), ("Desember", 12), ("Des", 12),
    ],
)  # fmt: skip
def test_indonesian_month_names_and_abbreviations(month: str, number: int) -> None:
    assert parse_date(f"12 {month} 2023 10:00 UTC") == f"2023-{number:02d}-12T10:00:00Z"
    assert parse_date(f"12 {month.upper()}. 2023 10:00 UTC") == f"2023-{number:02d}-12T10:00:00Z"


def test_default_zone_is_configurable() -> None:
    assert parse_date("20 Juni 2024 13:45", default_tz="WITA") == "2024-06-20T05:45:00Z"
    assert parse_date("20 Juni 2024 13:45", default_tz="UTC") == "2024-06-20T13:45:00Z"
    assert parse_date("20 Juni 2024 13:45 WIB", default_tz="UTC") == "2024-06-20T06:45:00Z"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2 jam yang lalu",
        "Kemarin sore",
        "31 Juni 2024",  # no such day
        "2024-13-01",
        "12 Desa 2024",  # a word, not a month
        "versi 3.1.12 dirilis",
        "Rp 1.250.000 per bulan",
        "30 Februari 2024 10:00",
        "20 Juni 1890",  # outside the plausible range
    ],
)
def test_parse_date_rejects_non_dates(text: str) -> None:
    assert parse_date(text) is None


def test_invalid_clock_is_rejected() -> None:
    assert parse_date("20 Juni 2024 25:61 WIB") is None


def test_find_date_in_text_takes_the_first_plausible_one() -> None:
    text = (
        "Dibaca 1.204 kali. Jakarta - Pemerintah kota meresmikan taman baru pada "
        "Sabtu (22/6/2024). Acara berikutnya dijadwalkan 1 Juli 2024 pukul 09.00 WIB."
    )
    assert find_date_in_text(text) == "2024-06-21T17:00:00Z"


def test_find_date_in_text_skips_impossible_candidates() -> None:
    text = "Edisi 31/02/2024 batal. Terbit ulang Senin, 4 Maret 2024 10:15 WIB."
    assert find_date_in_text(text) == "2024-03-04T03:15:00Z"


def test_find_dates_reports_positions_and_times() -> None:
    text = "Kamis, 20 Juni 2024 | diperbarui 21/06/2024 08:00 WIB"
    found = find_dates(text)
    assert [(f.value, f.has_time) for f in found] == [
        ("2024-06-19T17:00:00Z", False),
        ("2024-06-21T01:00:00Z", True),
    ]
    assert found[0].start < found[1].start


def _stretch(*parts: str) -> str:
    # Long enough (over 200 characters) that only the stretches around years are read.
    return " ".join(parts)


FILLER = "Warga berkumpul di balai desa untuk mendengar pengumuman dari kepala desa. " * 3


def test_date_near_prefers_the_first_timed_date_after_the_headline() -> None:
    headline = "JUDUL BERITA"
    text = _stretch(
        "Terpopuler: 1 Mei 2024 09:00 WIB", FILLER, headline, "Senin, 3 Juni 2024",
        "pukul 10.30 WIB", FILLER, "Berita lain 4 Juni 2024 11:00 WIB",
    )  # fmt: skip
    assert date_near(text, text.index(headline)) == "2024-06-03T03:30:00Z"


def test_date_near_falls_back_to_the_nearest_timed_date_before_then_untimed() -> None:
    headline = "JUDUL BERITA"
    before = _stretch("Arsip 1 Mei 2024 09:00 WIB", FILLER, "Jumat, 2 Mei 2024 08:15 WIB")
    text = _stretch(before, FILLER, headline, "Sabtu, 3 Mei 2024", FILLER)
    assert date_near(text, text.index(headline)) == "2024-05-02T01:15:00Z"
    plain = _stretch(FILLER, "Rabu, 1 Mei 2024", FILLER, headline, "Kamis, 2 Mei 2024", FILLER)
    assert date_near(plain, plain.index(headline)) == "2024-05-01T17:00:00Z"
    assert date_near(FILLER + headline + FILLER, len(FILLER)) is None


def test_dates_in_text_with_other_scripts_read_as_in_plain_ascii() -> None:
    # Text that is not all ASCII has only its ASCII letters lowered for the patterns;
    # capitals of other scripts around the date change nothing.
    assert find_date_in_text("ÉDITION SPÉCIALE • Kamis, 20 JUNI 2024 13:45 WIB") == (
        "2024-06-20T06:45:00Z"
    )
    # The Kelvin sign lowers to an ASCII "k" ("O\u212aT" reads as "okt"), as it does for
    # ``str.lower``: a month abbreviation written with it still names October.
    assert find_date_in_text("Jakarta\u00a0— 5 O\u212aT 2024 10:00 WIB") == "2024-10-05T03:00:00Z"
    # A dotted capital I lengthens the text when lowered: the case-blind patterns run.
    assert find_date_in_text("İSTANBUL, 3 MEI 2024 08:00 WIB") == "2024-05-03T01:00:00Z"


@pytest.mark.parametrize(
    "text",
    [
        "20192021 x 2019 1920",
        "201920 1999",
        "21212121",
        "1919 2020 2121",
        "19 20 21",
        "\u0661\u0669 2\u0660\u0661\u0662",
    ],
)
def test_year_scan_finds_what_the_year_pattern_finds(text: str) -> None:
    # The two literal-led patterns stand for ``_YEAR``: same spans, from any offset,
    # overlapping candidates ("201920": 2019, then nothing) included.
    for start in range(len(text) + 1):
        expected = [m.span() for m in dates._YEAR.finditer(text, start)]
        assert list(dates._year_spans(text, start)) == expected


def test_date_near_in_long_text_among_year_like_numbers() -> None:
    headline = "JUDUL BERITA"
    text = _stretch(
        "Nomor 20192021 dan 1920", FILLER, headline, "Kode 201920, Senin, 3 Juni 2024",
        "pukul 10.30 WIB", FILLER,
    )  # fmt: skip
    assert date_near(text, text.index(headline)) == "2024-06-03T03:30:00Z"
