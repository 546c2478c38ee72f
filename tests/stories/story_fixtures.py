"""Invented Indonesian news items (written for these tests): three events, two
outlets each, plus two press releases of one company (a hard negative)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kabar.models import Article

T0 = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Sample:
    key: str
    event: str
    article: Article
    when: datetime


def _sample(key: str, event: str, portal: str, hours: float, title: str, body: str) -> Sample:
    paragraphs = tuple(p.strip() for p in body.strip().split("\n") if p.strip())
    article = Article(
        url=f"https://{portal}.example/berita/{key}",
        title=title,
        paragraphs=paragraphs,
        portal=portal,
    )
    return Sample(key, event, article, T0 + timedelta(hours=hours))


FLOOD_A = _sample(
    "banjir-a",
    "flood",
    "warta",
    0,
    "Banjir Bandang Terjang Tiga Desa di Lembah Hijau, 1.200 Warga Mengungsi",
    """
    Banjir bandang menerjang tiga desa di Kabupaten Lembah Hijau pada Senin dini hari setelah
    Sungai Cibening meluap akibat hujan deras sejak Minggu sore. Sebanyak 1.200 warga Desa
    Sukamaju, Desa Cempaka dan Desa Karangsari mengungsi ke balai desa dan masjid terdekat.
    Kepala BPBD Lembah Hijau, Rudi Hartono, mengatakan air setinggi dua meter merendam ratusan
    rumah dan merusak jembatan gantung penghubung desa. Tim SAR gabungan mengevakuasi warga
    lanjut usia dan anak-anak menggunakan perahu karet.
    Belum ada laporan korban jiwa, namun dua warga dilaporkan luka ringan tertimpa material
    longsor. Pemerintah kabupaten menetapkan status tanggap darurat selama tujuh hari.
    """,
)
FLOOD_B = _sample(
    "banjir-b",
    "flood",
    "kabarkita",
    3,
    "Sungai Cibening Meluap, Ratusan Rumah di Lembah Hijau Terendam",
    """
    Ratusan rumah di Kabupaten Lembah Hijau terendam setelah Sungai Cibening meluap pada Senin
    (10/3/2025) dini hari. Luapan air disertai lumpur dan batang kayu menghantam permukiman di
    Desa Sukamaju, Cempaka dan Karangsari.
    Rudi Hartono dari BPBD Lembah Hijau menyebut sekitar 1.200 jiwa kini bertahan di pengungsian.
    Jembatan gantung di Desa Cempaka putus sehingga bantuan logistik dikirim memakai perahu karet.
    Bupati menetapkan masa tanggap darurat banjir bandang selama sepekan dan meminta dapur umum
    didirikan di setiap titik pengungsian.
    """,
)
SATELLITE_A = _sample(
    "satelit-a",
    "satellite",
    "warta",
    30,
    "Satelit Garuda Biru Milik PT Langit Digital Meluncur dari Florida",
    """
    Satelit telekomunikasi Garuda Biru milik PT Langit Digital berhasil meluncur dari Cape
    Canaveral, Florida, Amerika Serikat, pada Selasa pagi waktu Indonesia. Satelit seberat 4,5
    ton itu dibawa roket Falcon 9 dan akan menempati slot orbit 113 derajat Bujur Timur.
    Direktur Utama PT Langit Digital, Maya Kusumawati, mengatakan Garuda Biru akan melayani
    internet sekolah dan puskesmas di wilayah timur Indonesia mulai akhir tahun. Kapasitas
    satelit mencapai 80 Gbps, dua kali lipat satelit generasi sebelumnya.
    """,
)
SATELLITE_B = _sample(
    "satelit-b",
    "satellite",
    "kabarkita",
    33,
    "Roket Falcon 9 Bawa Garuda Biru ke Orbit, Internet Sekolah Timur Indonesia Diperkuat",
    """
    Roket Falcon 9 membawa satelit Garuda Biru ke orbit dari Cape Canaveral, Florida, Selasa.
    Satelit buatan PT Langit Digital itu berkapasitas 80 Gbps dan ditempatkan di 113 derajat
    Bujur Timur.
    Maya Kusumawati, direktur utama perusahaan, menyebut sinyal pertama dari Garuda Biru sudah
    diterima stasiun bumi di Cikarang. Layanan internet untuk sekolah, puskesmas dan kantor desa
    di kawasan timur Indonesia ditargetkan berjalan sebelum akhir tahun.
    """,
)
FINAL_A = _sample(
    "final-a",
    "final",
    "warta",
    52,
    "Persita Raya Juara Piala Kota Usai Tekuk Bintang Timur 2-1",
    """
    Persita Raya menjuarai Piala Kota setelah menundukkan Bintang Timur 2-1 dalam laga final
    di Stadion Gelora Pantai, Rabu malam. Dua gol Persita Raya dicetak Andi Saputra pada menit
    ke-23 dan ke-71, sedangkan Bintang Timur sempat menyamakan kedudukan lewat sundulan Yohanes
    Wenda.
    Pelatih Persita Raya, Bambang Sulistyo, memuji mental pemainnya yang tampil dengan sepuluh
    orang sejak menit ke-80. Sekitar 25.000 suporter memadati stadion.
    """,
)
FINAL_B = _sample(
    "final-b",
    "final",
    "kabarkita",
    53,
    "Dwigol Andi Saputra Antar Persita Raya Angkat Trofi Piala Kota",
    """
    Andi Saputra menjadi bintang kemenangan Persita Raya atas Bintang Timur pada final Piala
    Kota di Stadion Gelora Pantai. Penyerang berusia 24 tahun itu mencetak dua gol dalam
    kemenangan 2-1.
    Bintang Timur membalas melalui Yohanes Wenda, tetapi Persita Raya bertahan meski bermain
    dengan sepuluh pemain. Bambang Sulistyo menyebut gelar ini hadiah bagi 25.000 suporter yang
    hadir di Gelora Pantai.
    """,
)
RELEASE_A = _sample(
    "rilis-a",
    "release-factory",
    "rilispers",
    10,
    "PT Sari Rasa Nusantara Resmikan Pabrik Mi Instan Baru di Kendal",
    """
    PT Sari Rasa Nusantara Tbk meresmikan pabrik mi instan baru di Kawasan Industri Kendal,
    Jawa Tengah. Pabrik senilai Rp1,2 triliun itu berkapasitas 600 juta bungkus per tahun dan
    menyerap 1.500 tenaga kerja lokal.
    Presiden Direktur PT Sari Rasa Nusantara, Hendra Wijaya, mengatakan pabrik Kendal akan
    memasok pasar Jawa Tengah dan ekspor ke Filipina. PT Sari Rasa Nusantara kini mengoperasikan
    tujuh pabrik di Indonesia.
    """,
)
RELEASE_B = _sample(
    "rilis-b",
    "release-earnings",
    "rilispers",
    40,
    "Laba PT Sari Rasa Nusantara Naik 18 Persen pada Kuartal Pertama",
    """
    PT Sari Rasa Nusantara Tbk membukukan laba bersih Rp410 miliar pada kuartal pertama, naik
    18 persen dibanding periode yang sama tahun lalu. Penjualan bersih tumbuh 9 persen menjadi
    Rp5,3 triliun, ditopang segmen minuman kemasan.
    Hendra Wijaya, Presiden Direktur PT Sari Rasa Nusantara, menyebut kenaikan harga gandum
    masih menekan margin, tetapi efisiensi distribusi membantu menjaga profitabilitas. Perseroan
    menyiapkan belanja modal Rp900 miliar tahun ini.
    """,
)

SAMPLES = (FLOOD_A, RELEASE_A, FLOOD_B, SATELLITE_A, SATELLITE_B, RELEASE_B, FINAL_A, FINAL_B)
