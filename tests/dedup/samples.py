"""Sample bodies written for these tests (invented events, our own words), the
variant generators used by the robustness tests, and ../shared loaders."""

from __future__ import annotations

import random
from pathlib import Path

from tests.support import shared_dir

OWN_BODIES: tuple[tuple[str, ...], ...] = (
    (
        "Hujan deras yang mengguyur Kota Bandarmulya sejak Senin malam membuat Sungai Cikarang "
        "meluap dan merendam ratusan rumah warga di tiga kelurahan.",
        "Kepala Badan Penanggulangan Bencana Daerah setempat, Rudi Hartanto, mengatakan "
        "ketinggian air di beberapa titik mencapai satu meter pada Selasa pagi.",
        "Sebanyak 412 jiwa terpaksa mengungsi ke balai desa dan masjid terdekat. Petugas "
        "mendirikan dapur umum untuk memenuhi kebutuhan makan para pengungsi.",
        "Menurut Rudi, tanggul di sisi timur sungai jebol sepanjang dua puluh meter sehingga "
        "air dengan cepat masuk ke permukiman yang letaknya lebih rendah.",
        "Warga berharap pemerintah kota segera memperbaiki tanggul tersebut sebelum puncak "
        "musim hujan yang diperkirakan terjadi pada bulan depan.",
        "Hingga berita ini diturunkan, tidak ada laporan korban jiwa, namun dua warga lanjut "
        "usia dirawat di puskesmas karena kelelahan saat dievakuasi.",
    ),
    (
        "Harga cabai rawit di Pasar Induk Sentosa melonjak hingga Rp95.000 per kilogram, "
        "naik hampir dua kali lipat dibandingkan awal bulan lalu.",
        "Sejumlah pedagang menyebut pasokan dari sentra produksi di dataran tinggi berkurang "
        "karena banyak tanaman rusak akibat cuaca yang tidak menentu.",
        "Siti Aminah, pedagang sayur yang sudah berjualan selama lima belas tahun, mengaku "
        "omzetnya turun karena pembeli mengurangi jumlah belanja mereka.",
        "Dinas Perdagangan berencana menggelar operasi pasar di lima kecamatan mulai pekan "
        "depan untuk menahan laju kenaikan harga kebutuhan pokok.",
        "Selain cabai, harga bawang merah juga naik sekitar dua puluh persen, sementara harga "
        "beras dan minyak goreng relatif stabil dalam sepekan terakhir.",
        "Pengamat ekonomi dari Universitas Nusantara Raya, Bambang Wiryawan, menilai lonjakan "
        "ini bersifat musiman dan akan mereda ketika panen raya tiba.",
    ),
    (
        "Tim sepak bola Persatuan Lembah Hijau memastikan satu tempat di babak final setelah "
        "menaklukkan tuan rumah dengan skor 2-1 pada laga semifinal, Minggu sore.",
        "Gol kemenangan dicetak oleh penyerang muda Arif Kurniawan pada menit ke-87 melalui "
        "sundulan yang memanfaatkan umpan silang dari sisi kanan.",
        "Pelatih kepala, Joko Santoso, memuji mental para pemainnya yang tetap tenang meski "
        "sempat tertinggal lebih dulu pada babak pertama.",
        "Sekitar dua puluh ribu penonton memadati stadion. Panitia menambah jumlah petugas "
        "keamanan setelah sempat terjadi antrean panjang di pintu masuk.",
        "Pada partai puncak pekan depan, Lembah Hijau akan menghadapi juara bertahan yang "
        "belum terkalahkan sepanjang musim ini.",
    ),
    (
        "Pemerintah Provinsi Teluk Biru meluncurkan program beasiswa bagi tiga ribu pelajar "
        "dari keluarga kurang mampu untuk tahun ajaran baru.",
        "Gubernur Ratna Dewi mengatakan beasiswa mencakup biaya sekolah, seragam, serta "
        "uang transportasi bulanan bagi siswa yang tinggal jauh dari sekolah.",
        "Pendaftaran dibuka secara daring selama tiga minggu dan seleksi dilakukan "
        "berdasarkan data kesejahteraan sosial yang dimiliki dinas terkait.",
        "Ratna menegaskan tidak ada pungutan apa pun dalam proses pendaftaran dan meminta "
        "masyarakat melapor apabila menemukan praktik percaloan.",
        "Anggaran program ini berasal dari penghematan belanja perjalanan dinas yang "
        "dipangkas hampir empat puluh persen tahun ini.",
        "Sejumlah kepala sekolah menyambut baik kebijakan tersebut dan berharap angka putus "
        "sekolah di daerah pesisir dapat ditekan secara signifikan.",
    ),
    (
        "Kereta api relasi Kota Lama menuju Pelabuhan Timur tertahan hampir tiga jam akibat "
        "gangguan persinyalan di Stasiun Sukamaju, Jumat pagi.",
        "Manajer humas perusahaan kereta, Dimas Prakoso, menyampaikan permohonan maaf kepada "
        "penumpang dan menjanjikan pengembalian bea secara penuh bagi yang membatalkan.",
        "Petugas teknis menemukan kabel sinyal yang putus diduga karena tertimpa pohon "
        "tumbang setelah angin kencang melanda kawasan tersebut semalam.",
        "Penumpang yang sudah berada di dalam kereta mendapat makanan ringan dan air "
        "minum, sementara sebagian memilih melanjutkan perjalanan dengan bus.",
        "Perjalanan kembali normal sekitar pukul sebelas setelah perbaikan selesai dan "
        "jalur dinyatakan aman untuk dilalui.",
    ),
    (
        "Sebuah gudang penyimpanan kertas di kawasan industri Cempaka terbakar hebat pada "
        "Rabu dini hari dan api baru bisa dipadamkan setelah lima jam.",
        "Sebanyak dua belas mobil pemadam kebakaran dikerahkan ke lokasi. Petugas kesulitan "
        "menjangkau titik api karena akses jalan yang sempit.",
        "Kepala Dinas Pemadam Kebakaran, Hendra Saputra, menduga api berasal dari korsleting "
        "listrik di bagian belakang gudang yang jarang diperiksa.",
        "Tidak ada korban jiwa dalam peristiwa itu, tetapi kerugian ditaksir mencapai "
        "miliaran rupiah karena seluruh stok kertas hangus.",
        "Polisi telah memasang garis batas dan memeriksa empat orang saksi, termasuk penjaga "
        "malam yang pertama kali melihat kepulan asap.",
        "Pemilik gudang berjanji akan bekerja sama dengan penyidik dan mengevaluasi sistem "
        "keamanan di seluruh gudang miliknya.",
    ),
)

#: Lines a portal puts around every article (the extractor may leave some).
BOILERPLATE = (
    "Baca juga: Kumpulan berita pilihan hari ini dari redaksi kami",
    "Ikuti kabar terbaru kami di Google News dan kanal WhatsApp resmi redaksi",
    "Dapatkan informasi terkini dan terpercaya setiap hari langsung di ponsel Anda",
    "Editor: Tim Redaksi",
    "Hak cipta dilindungi undang-undang. Dilarang mengutip tanpa izin tertulis.",
)

CLUTTER = (
    "Baca juga: Lima tips menjaga kesehatan di musim hujan",
    "Simak video pilihan berikut ini",
    "Sumber: Antara",
    "ADVERTISEMENT",
    "Scroll untuk melanjutkan membaca",
    "Dapatkan update berita pilihan setiap hari di aplikasi kami",
)

_FILLER = (
    "kemudian", "warga", "pemerintah", "sejumlah", "menurut", "dalam", "pekan", "daerah",
    "petugas", "masyarakat", "tersebut", "kota", "laporan", "rencana", "wilayah", "baru",
)  # fmt: skip


def shared_bodies(minimum_words: int = 120) -> list[tuple[str, ...]]:
    """Gold article texts from ../shared (corpus/idn/*.txt, seeds/clean/*.txt);
    empty when ../shared is absent."""
    root = shared_dir()
    if root is None:
        return []
    files = sorted((root / "corpus" / "idn").glob("*.txt"))
    files += sorted((root / "seeds" / "clean").glob("*.txt"))
    bodies = []
    for path in files:
        paragraphs = _paragraphs(path)
        if sum(len(p.split()) for p in paragraphs) >= minimum_words and len(paragraphs) >= 3:
            bodies.append(paragraphs)
    return bodies


def _paragraphs(path: Path) -> tuple[str, ...]:
    text = path.read_text("utf-8", errors="replace")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def with_clutter(body: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """Two or three clutter lines inserted at random places."""
    out = list(body)
    for line in rng.sample(CLUTTER, rng.randint(2, 3)):
        out.insert(rng.randint(1, len(out)), line)
    return tuple(out)


def edit_words(body: tuple[str, ...], rng: random.Random, share: float = 0.05) -> tuple[str, ...]:
    """About ``share`` of the words replaced, deleted, or followed by an inserted word."""
    out = []
    for paragraph in body:
        words = paragraph.split()
        edited: list[str] = []
        for word in words:
            roll = rng.random()
            if roll < share / 3:
                edited.append(rng.choice(_FILLER))
            elif roll < 2 * share / 3:
                continue
            elif roll < share:
                edited.extend((word, rng.choice(_FILLER)))
            else:
                edited.append(word)
        out.append(" ".join(edited) or paragraph)
    return tuple(out)


def drop_paragraph(body: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """One paragraph (not the longest, so no story loses half its text) removed."""
    longest = max(range(len(body)), key=lambda i: len(body[i]))
    choices = [i for i in range(len(body)) if i != longest]
    gone = rng.choice(choices)
    return tuple(p for i, p in enumerate(body) if i != gone)


def move_paragraph(body: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    out = list(body)
    paragraph = out.pop(rng.randrange(len(out)))
    out.insert(rng.randrange(len(out) + 1), paragraph)
    return tuple(out)
