"""Mechanisms behind the misses of the session-19 Indonesian hold-out (tuned_s19, measured
once on 951e72f): a syndicated copy's note set as a label before its source ("Disadur
dari: Bola.com (Penulis: A, Editor: B). Published ...") is clutter, as the sentence form
("Artikel ini disadur dari ...") already was. Then late_s19's (measured once on dcbba11):
a box opening the story's block on a summary's label ("Poin Penting" over its points), its
class names hashed and its box drawn by style alone, is the template's dek over a
datelined lead, as a box classed as a summary is; a dateline naming the place and then the
outlet in title case ("Jakarta, Lintas Kini - ...") is one; and as vocabulary, a prompt to
join the outlet's channel closing a call of its own ("Dapatkan kabar terkini ... Gabung
kanal WhatsApp X sekarang!") and the outlet inviting its readers' writing ("Redaksi X
menerima tulisan opini ... Naskah dikirim ke email ..."). Then late_s19b's (measured once
on 31da164), as vocabulary: a reproduction ban under the story ("Dilarang mengambil
dan/atau menayangkan ulang ... artikel di atas ... tanpa seizin redaksi.") and a reaction
widget's question addressing the reader by "-mu" ("Bagaimana perasaanmu setelah membaca
berita ini?") as the one by "Anda" already was. Then late_s19c's (measured once on
7f02928): a box drawn apart under the story, one of whose lines goes as clutter, goes whole
(a suicide-prevention note over the hotline line the vocabulary has no words for), so
long as it holds a few short lines and no line of the story; and as vocabulary, that
note, an offer to advertise naming its contact, and a TikTok post's sound credit left by
an embed the template did not class. Then late_s19d's (measured once on ac4b25d): a table
of contents' block ("ez-toc-container") and its label, a reader poll's question and vote
count in a box with hashed classes, and a podcast promo. Then late_s19j's (measured once on
2f5364e), as vocabulary: an update note under the story ("Catatan redaksi: Artikel ini
telah mengalami pembaruan pada ...") and a broadcaster's listening prompt naming its
frequency ("Dengarkan RRI Ambon di 99.1 FM atau streaming ..."). Then late_s19f's
(measured once on bf00963): a first paragraph printed apart (wholly in emphasis) that is
the page's description, over a story with no dateline to tell the dek by, is the dek.
Then late_s19h's (measured once on 1e1170e), as vocabulary: a lazy widget's placeholder
("Memuat..."), a sponsor's label over the story, and an embedded post's fallback text
left when the template strips the embed's class. Then late_s19i's (measured once on
345ee65): a source label naming what it credits ("Sumber artikel: ...")."""

from __future__ import annotations

import pytest

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_line, is_dateline


@pytest.mark.parametrize(
    "line",
    [
        "Disadur dari: Bola.com (Penulis: Ikhwan Yanuar, Editor: Rizki Hidayat). Published "
        "30/9/2023",
        "Diterjemahkan dari: The Straits Ledger",
        "Disarikan dari : laporan tahunan Dinas Perikanan 2023",
    ],
)
def test_a_syndication_label_is_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        # the verb in a sentence of the story, no label's colon after "dari"
        "Bahan baku sabun itu diolah dari minyak jelantah yang dikumpulkan warga.",
        "Naskah drama tersebut disadur dari cerita rakyat Minangkabau.",
    ],
)
def test_story_lines_with_the_verb_stay(line: str) -> None:
    assert not is_clutter_line(line)


URL = "https://www.lintaskini.example.id/ekonomi/kereta-cepat-tambah-jadwal-akhir-pekan"
LEAD = (
    "Jakarta, Lintas Kini - Operator kereta cepat menambah 12 perjalanan setiap akhir pekan "
    "mulai bulan depan karena okupansi Sabtu dan Minggu hampir penuh."
)
STORY = [
    "Juru bicara operator mengatakan penambahan jadwal dilakukan pada jam sibuk pagi dan "
    "sore, ketika penumpang dari Jakarta paling banyak berangkat.",
    "Tiket promo kelas ekonomi premium dijual lebih murah untuk dua keberangkatan pertama "
    "setiap Sabtu, sementara harga kelas lain tidak berubah.",
    "Penumpang dapat membeli tiket melalui aplikasi, situs web, dan loket di empat stasiun "
    "yang dilayani kereta tersebut.",
]
POINTS = (
    "<div class='sc-k8l9m0-0 uIoPaS' style='background:#f3f6fb;padding:12px'>"
    "<p class='sc-k8l9m0-1'><strong>Poin Penting</strong></p>"
    "<p class='sc-k8l9m0-2'>• Operator menambah 12 perjalanan setiap akhir pekan.</p>"
    "<p class='sc-k8l9m0-2'>• Tiket promo dijual untuk keberangkatan pagi.</p></div>"
)


def _page(story: list[str], before: str = POINTS) -> str:
    body = "".join(f"<p class='sc-r5t6y7-1'>{p}</p>" for p in story)
    return (
        "<html><body><main><h1>Kereta Cepat Tambah Jadwal Akhir Pekan</h1>"
        f"<div class='sc-r5t6y7-0 qWeRtY'>{before}{body}</div></main></body></html>"
    )


def test_a_box_opening_on_a_summary_label_over_the_datelined_lead_goes() -> None:
    article = extract(_page([LEAD, *STORY]), URL)
    assert list(article.paragraphs) == [LEAD, *STORY]


def test_a_box_under_another_label_stays() -> None:
    # Not a summary's label: the box may be the story's own opening.
    box = POINTS.replace("Poin Penting", "Jadwal Tambahan")
    article = extract(_page([LEAD, *STORY], box), URL)
    assert "Jadwal Tambahan" in article.paragraphs


def test_a_summary_box_over_undated_story_stays() -> None:
    article = extract(_page(STORY), URL)
    assert article.paragraphs[0] == "Poin Penting"


@pytest.mark.parametrize(
    "text",
    ["Jakarta, Lintas Kini - Operator kereta cepat", "Tabanan, Kabar Bali - Petani subak"],
)
def test_a_place_and_the_outlets_name_make_a_dateline(text: str) -> None:
    assert is_dateline(text)


@pytest.mark.parametrize(
    "text",
    ["Menurut dia - dan ini penting - jadwal bertambah", "Presiden Joko Widodo - yang hadir"],
)
def test_story_openings_are_no_new_datelines(text: str) -> None:
    # No comma after a place opening the line: a sentence with a dash in it
    assert not is_dateline(text)


@pytest.mark.parametrize(
    "line",
    [
        "Dapatkan kabar terkini langsung di genggaman. Gabung kanal WhatsApp Lintas Kini sekarang!",
        "Tetap terhubung dengan kami. Yuk, gabung saluran WhatsApp Kabar Pesisir.",
        "Redaksi Ranah Minang Post menerima tulisan opini, cerpen, dan rilis kegiatan dari "
        "pembaca. Naskah dikirim ke email redaksi@ranahminang.example.id disertai identitas "
        "penulis.",
        "Kirimkan tulisan Anda ke redaksi@kabarpesisir.example.id beserta foto diri.",
    ],
)
def test_channel_and_submission_prompts_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Warga bisa bergabung ke saluran WhatsApp Pemkot untuk mendapat info banjir.",
        "Redaksi Tempo menerima surat keberatan dari kuasa hukum perusahaan tersebut.",
        "Ia lalu mengirimkan tulisan itu ke sebuah lomba esai tingkat nasional.",
    ],
)
def test_story_lines_about_channels_and_submissions_stay(line: str) -> None:
    assert not is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Dilarang mengambil dan/atau menayangkan ulang sebagian atau keseluruhan artikel di atas "
        "untuk konten akun media sosial komersil tanpa seizin redaksi.",
        "Dilarang keras mengutip konten situs ini tanpa izin tertulis dari redaksi.",
        "Bagaimana perasaanmu setelah membaca berita ini?",
        "Bagaimana tanggapanmu soal artikel ini?",
    ],
)
def test_reproduction_bans_and_reaction_questions_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        # a ban the story reports: no article or content named as what is taken
        "Dilarang mengambil pasir di sungai tanpa izin dari dinas lingkungan hidup.",
        "Bagaimana perasaan warga setelah banjir surut masih menjadi pertanyaan relawan.",
    ],
)
def test_bans_and_questions_the_story_tells_stay(line: str) -> None:
    assert not is_clutter_line(line)


SAMARINDA = (
    "SAMARINDA, KABARKINI - Seorang pemuda ditemukan meninggal di rumah kontrakannya di "
    "Kecamatan Sungai Kunjang, Kamis siang, setelah tetangga mencium bau tidak sedap."
)
POLICE = [
    "Kapolsek setempat mengatakan polisi telah memeriksa lokasi dan meminta keterangan dari "
    "tiga orang saksi yang tinggal di sekitar rumah tersebut.",
    "Jenazah dibawa ke rumah sakit daerah untuk pemeriksaan, dan polisi belum menyimpulkan "
    "penyebab kematian korban hingga Kamis malam.",
    "Keluarga korban dari Balikpapan tiba di rumah sakit pada malam harinya untuk mengurus "
    "pemulangan jenazah ke kampung halaman.",
]
NOTE = (
    "Informasi di atas tidak bertujuan menginspirasi siapa pun untuk melakukan tindakan "
    "serupa. Bila Anda merasakan gejala depresi, segera hubungi layanan konseling terdekat."
)
HOTLINE = "Layanan kesehatan jiwa juga bisa diakses melalui hotline 119 ext 8."


def _noted(box: str) -> str:
    story = "".join(f"<p>{p}</p>" for p in [SAMARINDA, *POLICE])
    return (
        "<html><body><article><h1>Pemuda Ditemukan Meninggal di Rumah Kontrakan</h1>"
        f"<div class='read__content'><div class='clearfix'>{story}{box}</div></div>"
        "</article></body></html>"
    )


def test_a_note_box_under_the_story_goes_whole() -> None:
    box = f"<div class='kompas-note'><p>{NOTE}</p><p>{HOTLINE}</p></div>"
    article = extract(_noted(box), "https://regional.kabarkini.example.id/read/2023/11/02/x")
    assert list(article.paragraphs) == [SAMARINDA, *POLICE]


def test_a_long_paragraph_beside_a_dropped_line_stays() -> None:
    # More words than a note's box holds: the story's own paragraph in a box of its own.
    long = (
        "Ketua RT setempat menuturkan korban dikenal ramah dan sering membantu tetangga, "
        "bekerja sebagai pengemudi ojek daring sejak dua tahun lalu, dan tinggal sendiri di "
        "rumah kontrakan itu setelah orang tuanya pindah ke Balikpapan awal tahun ini."
    )
    box = f"<div><p>{NOTE}</p><p>{long}</p></div>"
    article = extract(_noted(box), "https://regional.kabarkini.example.id/read/2023/11/02/x")
    assert article.paragraphs[-1] == long


def test_the_storys_own_block_keeps_its_last_line_after_a_dropped_one() -> None:
    # The dropped note shares its box with the story: the box is no note's.
    article = extract(_noted(f"<p>{NOTE}</p><p>{HOTLINE}</p>"), "https://x.example.id/a")
    assert article.paragraphs[-1] == HOTLINE


@pytest.mark.parametrize(
    "line",
    [
        NOTE,
        "Redaksi Samawa Terkini menerima pemasangan iklan ucapan, advertorial, dan publikasi. "
        "Hubungi WA 0853-3712-4455",
        "Hubungi redaksi Kabar Ungaran via WhatsApp 0812-2345-6789 untuk pemasangan iklan, "
        "advertorial, dan publikasi kegiatan.",
        "@tribunjateng Bus sekolah gratis beroperasi #semarang \u266c suara asli - Tribun Jateng",
    ],
)
def test_notes_ad_offers_and_sound_credits_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Pemkot melarang pemasangan iklan rokok di jalan protokol mulai bulan depan.",
        "Polisi menyebut tindakan pelaku tidak bertujuan mencari keuntungan pribadi.",
    ],
)
def test_story_lines_about_ads_and_aims_stay(line: str) -> None:
    assert not is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Daftar Isi",
        "Table of Contents [hide]",
        "Setujukah Anda dengan usulan jam malam untuk pelajar?",
        "Apakah kamu setuju dengan kenaikan tarif parkir?",
        "1.024 suara",
        "Dengarkan juga podcast Obrolan Pakuan episode terbaru di Spotify dan YouTube.",
    ],
)
def test_contents_polls_and_podcast_promos_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Daftar isi buku itu memuat dua belas bab tentang sejarah kota.",
        "Apakah Anda setuju, tanya hakim kepada saksi. Saksi pun mengangguk.",
        "Calon itu meraih 1.024 suara di tempat pemungutan suara tersebut.",
    ],
)
def test_story_lines_about_contents_polls_and_votes_stay(line: str) -> None:
    assert not is_clutter_line(line)


def test_a_table_of_contents_block_goes() -> None:
    toc = (
        "<div id='ez-toc-container' class='ez-toc-v2_0_61 ez-toc-grey'><p class='ez-toc-title'>"
        "Daftar Isi</p><nav><ul><li><a href='#Syarat'>Syarat Pendaftar</a></li>"
        "<li><a href='#Jadwal'>Jadwal Seleksi</a></li></ul></nav></div>"
    )
    # after the lead, over the sections it links to
    story = "".join(f"<p>{p}</p>" for p in POLICE)
    page = (
        "<html><body><article><h1>Pemuda Ditemukan Meninggal di Rumah Kontrakan</h1>"
        f"<div class='entry-content'><p>{SAMARINDA}</p>{toc}{story}</div></article></body></html>"
    )
    assert list(extract(page, "https://x.example.id/a").paragraphs) == [SAMARINDA, *POLICE]


@pytest.mark.parametrize(
    "line",
    [
        "Catatan redaksi: Artikel ini telah mengalami pembaruan pada Selasa (28/5/2024) pukul "
        "17.10 WIB untuk menambahkan keterangan jumlah perjalanan.",
        "Berita ini telah diperbarui dengan menambahkan keterangan dari kepolisian.",
        "Dengarkan RRI Ambon di 99.1 FM atau streaming melalui aplikasi RRI Digital.",
    ],
)
def test_update_notes_and_listening_prompts_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Jadwal ini telah diperbarui oleh KAI pada Senin setelah banyak keluhan penumpang.",
        "Warga bisa mendengarkan siaran itu di 99.1 FM setiap pagi.",
    ],
)
def test_story_lines_about_updates_and_stations_stay(line: str) -> None:
    assert not is_clutter_line(line)


DEK = "Busa putih kembali muncul di aliran Sungai Citarum, warga menduga berasal dari limbah."


def _described(first: str, description: str = DEK) -> str:
    story = "".join(f"<p>{p}</p>" for p in POLICE)
    return (
        f"<html><head><meta property='og:description' content='{description}'></head><body>"
        "<article><h1>Sungai Citarum Kembali Berbusa</h1>"
        f"<div class='entry-content'>{first}{story}</div></article></body></html>"
    )


def test_the_description_printed_apart_over_the_story_is_the_dek() -> None:
    article = extract(_described(f"<p style='font-size:18px'><em>{DEK}</em></p>"), URL)
    assert list(article.paragraphs) == POLICE


def test_a_plain_lead_the_description_copies_stays() -> None:
    article = extract(_described(f"<p>{DEK}</p>"), URL)
    assert list(article.paragraphs) == [DEK, *POLICE]


def test_an_italic_opening_the_description_does_not_repeat_stays() -> None:
    other = "Hari itu warga bangun lebih pagi dari biasanya, dan sungai sudah memutih."
    article = extract(_described(f"<p><em>{other}</em></p>"), URL)
    assert list(article.paragraphs) == [other, *POLICE]


@pytest.mark.parametrize(
    "line",
    [
        "Memuat...",
        "Disponsori oleh Koperasi Kopi Gayo Lestari",
        "Lihat postingan ini di Facebook",
        "Postingan oleh Dinas Pertanian Aceh Tengah",
        "Sebuah kiriman dibagikan oleh Dinas Pariwisata Kab. Semarang (@wisata_kabsemarang)",
    ],
)
def test_placeholders_sponsor_labels_and_embed_fallbacks_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Disponsori oleh Bank Aceh, festival itu digelar selama tiga hari.",
        "Postingan oleh akun anonim itu kemudian viral di media sosial.",
        "Memuat barang ke kapal memakan waktu dua jam.",
    ],
)
def test_story_lines_about_sponsors_and_posts_stay(line: str) -> None:
    assert not is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Sumber artikel: wawancara pengurus DKM Masjid Raya Bintaro Jaya",
        "Sumber foto: Humas Pemkab",
    ],
)
def test_a_source_label_naming_what_it_credits_is_clutter(line: str) -> None:
    assert is_clutter_line(line)


def test_a_story_line_on_a_source_stays() -> None:
    assert not is_clutter_line(
        "Sumber artikel itu, kata polisi, belum bisa dipastikan kebenarannya."
    )
