"""Mechanisms behind the misses of tuned_s16 (measured once on 9afe9f4): a live report's
entry times standing alone ("13.40 WIB") are stamps, not story text, and a note that part
of the story ran on another outlet ("Sebagian artikel ini telah tayang di ...") is a
syndication note like the whole-story one."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_line

URL = "https://www.kabarkota.example.id/read/2024/04/14/arus-balik-hari-pertama"
INTRO = (
    "Arus balik Lebaran mulai terlihat di ruas tol menuju Jakarta pada Minggu pagi, dan "
    "polisi menyiapkan rekayasa lalu lintas bila volume kendaraan terus naik."
)
ENTRIES = [
    ("Satu arah diberlakukan", "Polisi memberlakukan sistem satu arah dari Km 72 hingga Km "
     "47, sementara kendaraan dari Jakarta dialihkan ke jalur arteri."),
    ("Rest area ditutup sementara", "Rest area Km 57 ditutup buka-tutup karena parkirnya "
     "penuh, dan pengendara diminta beristirahat di rest area berikutnya."),
    ("Volume kendaraan naik", "Pengelola tol mencatat 58.000 kendaraan melintas sejak "
     "tengah malam, naik sekitar 40 persen dibanding akhir pekan biasa."),
]  # fmt: skip


def _live_page(times: list[str]) -> str:
    items = "".join(
        f"<div class='entry'><span class='entry__time'>{t}</span><h3>{h}</h3><p>{p}</p></div>"
        for t, (h, p) in zip(times, ENTRIES, strict=True)
    )
    return (
        "<html><head><title>Live: arus balik</title></head><body><article>"
        "<h1>Live: Hari Pertama Arus Balik di Jalan Tol</h1>"
        f"<div class='content'><p>{INTRO}</p>{items}</div></article></body></html>"
    )


def test_a_live_reports_entry_times_are_stamps() -> None:
    paragraphs = extract(_live_page(["13.40 WIB", "11.15 WITA", "Pukul 09:30 WIT"]), URL).paragraphs
    expected = [INTRO]
    for heading, text in ENTRIES:
        expected += [heading, text]
    assert list(paragraphs) == expected


def test_a_clock_time_in_a_sentence_or_a_schedule_stays() -> None:
    assert not is_clutter_line("Pukul 13.40 WIB, hujan deras kembali mengguyur kawasan itu.")
    schedule = (
        "<html><body><article><h1>Jadwal Kereta Tambahan</h1><div class='content'>"
        f"<p>{INTRO}</p><p>Kereta tambahan berangkat dari stasiun pada jam berikut:</p>"
        "<ul><li>05.30 WIB</li><li>08.15 WIB</li><li>13.40 WIB</li></ul>"
        f"<p>{ENTRIES[2][1]}</p></div></article></body></html>"
    )
    assert "13.40 WIB" in extract(schedule, URL).paragraphs


def test_a_note_that_part_of_the_story_ran_elsewhere_is_clutter() -> None:
    assert is_clutter_line(
        'Sebagian artikel ini telah tayang di Kompas.com dengan judul "Cara Agar Anak Mau '
        'Makan Sayur Menurut Ahli Gizi".'
    )
    assert not is_clutter_line(
        "Sebagian warga telah pindah ke rumah kerabat sejak air naik pada Sabtu malam."
    )
