"""Mechanisms behind the misses of tuned_s16 (measured once on 9afe9f4): a live report's
entry times standing alone ("13.40 WIB") are stamps, not story text, and a note that part
of the story ran on another outlet ("Sebagian artikel ini telah tayang di ...") is a
syndication note like the whole-story one. Then late_s16's (measured once on c4a61b7): a
column's closing line about its writer in Indonesian ("Name dosen ... di ...", "*) Penulis
adalah ..."), a sponsored story's partnership note ("Konten ini merupakan kerja sama ...")
and a sponsored page's "Adv" credit, which names no writer. Then late_s16b's (measured
once on dae0c8d): a block named by its ``data-e2e`` hook where the classes are hashed (a
podcast promo), an older page's "Oleh X" byline opening the text, and a government press
desk ("Humas Pemprov") beside the writer. Then late_s16c's (measured once on f9da1c4):
an older page telling its story in one block under a floated picture and its credit (no
caption run that long), and a match report's line-ups. Then late_s16d's (measured once
on 1e901a3): a reader's name over a comment ("comment-author") is no byline, a link to the
writer's archive ("/author/name/") is one, and a title whose part before the site's name
is printed alone on a page with no ``<h1>`` is that part. Then late_s16g's (measured once
on 0fabef8): a one-word co-writer printed with a town in brackets, and an older portal's
prompt to read it on a phone. Then late_s16f's (measured once on 97476c2): "*Penulis
adalah Dosen ..." with the role in capitals, and a print edition's web copy signing the
story off in lower case after its last sentence ("... dua pekan. ichsan amin"), and a
photo page's "Fotografer: X" naming its author where nothing names a writer."""

from __future__ import annotations

from kabar.extract import extract
from kabar.extract.bylines import names_beside, normalize_authors
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


COLUMN = [
    "Di banyak kota, pasar yang baru direvitalisasi justru ditinggalkan pedagangnya, dan "
    "los di lantai atas kosong berdebu meski bangunannya megah.",
    "Pembeli pasar datang untuk berbelanja cepat, dan mereka enggan naik ke lantai dua bila "
    "tangganya sempit dan penerangannya redup.",
    "Pelajarannya sederhana: pasar adalah ruang kebiasaan, bukan sekadar proyek fisik yang "
    "selesai ketika bangunannya diresmikan.",
]


def _column(closing: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in COLUMN) + closing
    return (
        "<html><body><article><h1>Pasar dan Los yang Kosong</h1>"
        f"<div class='content'>{body}</div></article></body></html>"
    )


def test_a_columns_closing_line_about_its_writer_goes() -> None:
    for bio in (
        "<p><em>Rahmat Hidayat dosen ilmu pemerintahan di sebuah universitas di Makassar</em></p>",
        "<p><em>*) Penulis adalah peneliti kebijakan publik di sebuah lembaga kajian</em></p>",
    ):
        assert list(extract(_column(bio), URL).paragraphs) == COLUMN, bio
    # a story's last sentence naming someone by role, set off by commas, stays
    quoted = (
        "Budi Santoso, dosen ekonomi di sebuah universitas negeri, menilai pedagang perlu "
        "dilibatkan sejak perencanaan."
    )
    assert extract(_column(f"<p>{quoted}</p>"), URL).paragraphs[-1] == quoted


def test_a_sponsored_storys_partnership_note_is_clutter() -> None:
    assert is_clutter_line("Konten ini merupakan kerja sama Kompas.com dengan Bank Sejahtera.")
    assert is_clutter_line("Artikel ini merupakan hasil kolaborasi Harian Kota dan PT Kopi Jaya.")
    assert not is_clutter_line(
        "Kerja sama ini merupakan yang pertama antara koperasi dan eksportir di Kerinci."
    )


def test_a_sponsored_pages_adv_credit_names_no_writer() -> None:
    assert normalize_authors(["Adv"]) == ()
    assert normalize_authors(["Advertorial"]) == ()


def test_a_block_named_by_its_e2e_hook_is_read_like_a_class() -> None:
    promo = (
        "<section class='bbc-1mbs3qc' data-e2e='podcast-promo'><strong>Podcast</strong>"
        "<h2>Dunia Pagi Ini</h2><p>Kabar terbaru dari Indonesia dan dunia, setiap pagi.</p>"
        "<p>Akhir dari Podcast</p></section>"
    )
    body = "".join(f"<p class='bbc-hhl7in'>{p}</p>" for p in COLUMN[:2]) + promo
    body += f"<p class='bbc-hhl7in'>{COLUMN[2]}</p>"
    html = (
        "<html><body><main><h1>Pasar dan Los yang Kosong</h1>"
        f"<div class='bbc-19j92fr'>{body}</div></main></body></html>"
    )
    assert list(extract(html, URL).paragraphs) == COLUMN


def test_an_older_pages_byline_opening_the_text_goes() -> None:
    kept = extract(_column("").replace("<p>", "<p><b>Oleh Dedi Kurniawan</b></p><p>", 1), URL)
    assert list(kept.paragraphs) == COLUMN
    # a subheading on souvenirs ("oleh-oleh") opening the text stays
    souvenirs = _column("").replace("<p>", "<h2>Oleh-oleh Khas Pasar Lama</h2><p>", 1)
    assert extract(souvenirs, URL).paragraphs[0] == "Oleh-oleh Khas Pasar Lama"


def test_a_government_press_desk_beside_the_writer_is_no_writer() -> None:
    assert normalize_authors(["Rosalia Nuraini, Humas Pemprov"]) == ("Rosalia Nuraini",)
    assert normalize_authors(["Diskominfo Kabupaten"]) == ()


def test_a_story_told_in_one_block_under_a_picture_and_its_credit_stays() -> None:
    text = "<br><br>".join(COLUMN)
    html = (
        "<html><body><div id='left'><h1>Pasar dan Los yang Kosong</h1>"
        "<div class='newsdetail'><img src='/a.jpg' align='left'>"
        f"<span>Foto: Harian Kota/Bambang</span><br>{text}<br><br><b>(hk/bee)</b></div>"
        "</div></body></html>"
    )
    assert list(extract(html, URL).paragraphs) == COLUMN
    # a picture's caption and credit in its own block still go
    caption = (
        "<p><img src='/b.jpg'><br>Los kosong di lantai dua pasar<br>Foto: Harian Kota/Bambang</p>"
    )
    page = html.replace("<div class='newsdetail'>", f"{caption}<div class='newsdetail'>")
    assert list(extract(page, URL).paragraphs) == COLUMN


def test_a_match_reports_line_ups_are_clutter() -> None:
    assert is_clutter_line(
        "Dewa United (4-3-3): Sonny Stevens; Alfeandra Dewangga, Jaimerson, Rangga Muslim, "
        "Edo Febriansyah; Ricky Kambuaya, Theo Fillo, Egy Maulana; Septian Bagaskara, Alex "
        "Martins, Taisei Marukawa"
    )
    # a team's record in a roundup, with its scorers, is story
    assert not is_clutter_line(
        "Palm Bay (1-0-2): Noah Jackson 1 goal, 1 assist. Sheldon Bryan 1 goal. Neil Auguste "
        "1 save."
    )


def _blog(meta: str, after: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in COLUMN)
    return (
        "<html><head><title>Harian Kota: Pasar dan Los yang Kosong</title></head><body>"
        f"<h1>Harian Kota</h1><h3>Pasar dan Los yang Kosong</h3><div class='post'>{meta}"
        f"<div class='post-body'>{body}</div></div>{after}</body></html>"
    )


def test_a_comments_author_is_no_byline_and_an_archive_link_is_one() -> None:
    comments = (
        "<div class='comments'><dl><dt class='comment-author'>Anonim mengatakan...</dt>"
        "<dd><p>Setuju sekali.</p></dd></dl></div>"
    )
    assert extract(_blog("", comments), URL).authors == ()
    dated = (
        "<div class='post-info'>19 Februari 2013 | <a href='/author/ahmad-baihaqi'>Ahmad "
        "Baihaqi</a> | Dibaca 108 kali</div>"
    )
    assert extract(_blog(dated, ""), URL).authors == ("Ahmad Baihaqi",)


def test_a_title_printed_without_its_sites_name_and_no_h1_is_the_headline() -> None:
    body = "".join(f"<p>{p}</p>" for p in COLUMN)
    html = (
        "<html><head><title>Pasar dan Los yang Kosong - Kabar Kota Online</title></head>"
        "<body><table class='contentpaneopen'><tr><td class='contentheading'>Pasar dan Los "
        f"yang Kosong</td></tr><tr><td>{body}</td></tr></table></body></html>"
    )
    assert extract(html, "https://www.contoh.example.net/index.php?id=1").title == (
        "Pasar dan Los yang Kosong"
    )


def test_a_one_word_co_writer_printed_with_a_town_is_a_writer() -> None:
    byline = "Hadi Suprapto\n,\nSiswanto\n(Surabaya)\nCalon penumpang antre di stasiun"
    assert names_beside("Hadi Suprapto", byline) == ("Hadi Suprapto", "Siswanto")
    # a town after a comma, unbracketed, is no writer
    assert names_beside("Hadi Suprapto", "Hadi Suprapto\n,\nSurabaya\nRabu") == ()


def test_an_older_portals_mobile_site_prompt_is_clutter() -> None:
    assert is_clutter_line(
        "Akses Tribunpekanbaru.com lewat perangkat mobile anda melalui alamat "
        "pekanbaru.tribunnews.com/m"
    )
    assert not is_clutter_line(
        "Akses internet lewat ponsel di desa itu baru tersedia sejak tahun lalu, kata kepala desa."
    )


def test_a_writers_note_with_a_capitalised_role_goes_but_an_official_title_stays() -> None:
    note = "<p><em>*Penulis adalah Dosen Fakultas Pertanian di sebuah universitas negeri</em></p>"
    assert list(extract(_column(note), URL).paragraphs) == COLUMN
    official = "Ketua Ikatan Guru Indonesia Jawa Barat menilai program itu perlu dievaluasi."
    assert extract(_column(f"<p>{official}</p>"), URL).paragraphs[-1] == official


def test_a_lower_case_signature_after_the_last_sentence_is_the_writer() -> None:
    signed = _column("").replace("diresmikan.</p>", "diresmikan. <strong>ichsan amin</strong></p>")
    article = extract(signed, URL)
    assert list(article.paragraphs) == COLUMN
    assert article.authors == ("Ichsan Amin",)


def _photo_page(meta: str) -> str:
    return (
        "<html><head><title>Pasar Apung</title></head><body><div class='photo-detail'>"
        "<img src='/big.jpg'><h1>Pasar Apung di Sungai Martapura</h1>"
        f"<div class='photo-caption'><p>{COLUMN[0]}</p></div>{meta}</div></body></html>"
    )


def test_a_photo_pages_labelled_photographer_is_its_author() -> None:
    meta = "<div class='photo-meta'>Fotografer: Herry Murdy Hermawan | Dilihat 842 kali</div>"
    assert extract(_photo_page(meta), URL).authors == ("Herry Murdy Hermawan",)
    # a writer named beside the photographer is the author
    both = f"<div class='byline'>Penulis: Rina Widiastuti</div>{meta}"
    assert extract(_photo_page(both), URL).authors == ("Rina Widiastuti",)
