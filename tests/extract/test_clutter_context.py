"""Clutter judged in context: app prompts that are how-to steps, mid-body footers and
recommendation boxes that do not end the story, and the shared label vocabulary."""

from __future__ import annotations

import pytest

from kabar.extract import extract
from kabar.extract.clutter import Line, clean_lines, is_clutter_line, vocabulary
from tests.extract.extract_support import STORY, page, story_html

MORE_STORY = [
    "Menjelang sore, relawan dari kampus setempat datang membawa perahu karet untuk "
    "mengevakuasi warga lanjut usia yang masih bertahan di lantai dua rumahnya.",
    "Pemerintah daerah berjanji menyalurkan bantuan tunai bagi keluarga yang rumahnya rusak "
    "berat setelah pendataan selesai pada akhir pekan ini.",
]
SIX = [*STORY, *MORE_STORY]


def _six_with(block: str) -> str:
    """Six story paragraphs with ``block`` after the fourth (past the middle)."""
    return (
        "".join(f"<p>{text}</p>" for text in SIX[:4])
        + block
        + "".join(f"<p>{text}</p>" for text in SIX[4:])
    )


# --- 1. app prompts: a how-to step of the story is kept, a promotion is dropped


STEPS = [
    "Unduh aplikasi layanan warga Pemkot Kendari lalu masuk dengan nomor induk kependudukan.",
    "Pilih menu pengaduan dan isi formulir sesuai jenis keluhan.",
    "Lampirkan foto lokasi, kemudian tekan tombol kirim.",
]


def test_app_step_in_a_story_list_is_kept() -> None:
    steps = "".join(f"<li>{step}</li>" for step in STEPS)
    body = f"<p>{STORY[0]}</p><ol>{steps}</ol><p>{STORY[1]}</p>"
    html = page(f"<div class='entry-content'>{body}</div>")
    article = extract(html, "https://tuturpedia.com/x")
    assert article.extractor == "rules:tuturpedia.com"
    assert list(article.paragraphs) == [STORY[0], *STEPS, STORY[1]]
    assert list(extract(html).paragraphs) == [STORY[0], *STEPS, STORY[1]]


def test_short_app_step_in_a_list_is_kept_but_promotional_item_is_not() -> None:
    steps = "<li>Pasang aplikasi Jaga Desa.</li><li>Daftarkan nomor ponsel Anda.</li>"
    promo = "<li>Download aplikasi Kabarkita untuk berita terkini</li>"
    article = extract(page(f"<p>{STORY[0]}</p><ul>{steps}{promo}</ul><p>{STORY[1]}</p>"))
    assert list(article.paragraphs) == [
        STORY[0],
        "Pasang aplikasi Jaga Desa.",
        "Daftarkan nomor ponsel Anda.",
        STORY[1],
    ]


def test_long_app_instruction_paragraph_is_story() -> None:
    line = (
        "Unduh aplikasi pemantau banjir milik BPBD agar peringatan dini diterima "
        "warga bantaran sungai sebelum air naik."
    )
    assert not is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Download aplikasi Kabarkita untuk berita terkini",
        "Install app kami di ponsel Anda",
        "Unduh aplikasi di sini",
        "Pasang aplikasi Kabarkita, gratis di Play Store dan App Store",
    ],
)
def test_promotional_app_prompts_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


def test_linky_app_prompt_in_a_list_is_clutter() -> None:
    vocab = vocabulary()
    lines = [
        Line(STORY[0]),
        Line("Unduh aplikasi Kabarkita lewat tautan toko aplikasi di bawah", "li", 0.9),
        Line("Ikuti akun media sosial redaksi", "li", 1.0),
        Line(STORY[1]),
    ]
    assert [x.text for x in clean_lines(lines, None, vocab).lines] == STORY[:2]


# --- 2. an end-of-article marker mid-body drops its line only


def test_photo_credit_past_the_middle_does_not_end_the_story() -> None:
    html = _six_with("<div class='pc'>\u00a92024 Kabarkita.com/Rudi Hartono</div>")
    article = extract(page(html))
    assert list(article.paragraphs) == SIX
    assert article.clutter_removed >= 1


def test_copyright_footer_still_ends_the_article() -> None:
    lines = [
        *(Line(t) for t in SIX),
        Line("\u00a9 2024 Kabarkita. All rights reserved"),
        Line("Tentang kami"),
        Line("Pedoman media siber", "p", 1.0),
    ]
    result = clean_lines(lines, None, vocabulary())
    assert [x.text for x in result.lines] == SIX
    assert result.removed == 3


# --- 3. a recommendation box mid-body drops its own block


def test_recommendation_box_past_the_middle_drops_only_its_block() -> None:
    box = (
        "<div class='reco'><h4>Rekomendasi</h4><ul>"
        "<li><a href='/a'>Harga cabai melonjak jelang hari raya</a></li>"
        "<li><a href='/b'>Jalan tol baru dibuka untuk mudik</a></li></ul></div>"
    )
    article = extract(page(_six_with(box)))
    assert list(article.paragraphs) == SIX
    assert article.clutter_removed >= 3


def test_story_subheading_after_a_mid_body_box_is_kept() -> None:
    box = (
        "<div class='reco'><h4>Terkait</h4>"
        "<h3><a href='/a'>Harga cabai melonjak jelang hari raya</a></h3></div>"
        "<h3>Bantuan Mulai Disalurkan</h3>"
    )
    article = extract(page(_six_with(box)))
    assert list(article.paragraphs) == [*SIX[:4], "Bantuan Mulai Disalurkan", *SIX[4:]]


def test_comment_prompt_still_ends_the_article() -> None:
    comment = (
        "Semoga pemerintah cepat tanggap dan bantuan sampai ke semua warga yang "
        "membutuhkan di desa terpencil."
    )
    reply = "Setuju sekali, tahun lalu bantuan di kampung kami datang terlambat hampir sebulan."
    lines = [*(Line(t) for t in SIX), Line("Tulis Komentar"), Line(comment), Line(reply)]
    result = clean_lines(lines, None, vocabulary())
    assert [x.text for x in result.lines] == SIX
    assert result.removed == 3


def test_heading_followed_by_teasers_still_cuts_the_tail() -> None:
    teaser = (
        "Ribuan penonton memadati alun-alun kota untuk menyaksikan pesta kembang api yang "
        "digelar pemerintah daerah..."
    )
    lines = [
        *(Line(t) for t in SIX),
        Line("Terkait", "h3"),
        Line("Festival budaya kembali digelar", "p", 1.0),
        Line(teaser),
        Line(teaser.replace("Ribuan", "Ratusan")),
    ]
    result = clean_lines(lines, None, vocabulary())
    assert [x.text for x in result.lines] == SIX
    assert result.removed == 4


def test_heading_in_the_first_half_is_dropped_as_a_line() -> None:
    lines = [Line(STORY[0]), Line("Kamu Sudah Baca?", "h4"), *(Line(t) for t in SIX[1:])]
    assert [x.text for x in clean_lines(lines, None, vocabulary()).lines] == SIX


# --- 4. shared vocabulary for labels portal rules used to catch alone


@pytest.mark.parametrize(
    "line",
    [
        "Baca: Harga Beras Naik di Tiga Provinsi",
        "Kamu Sudah Baca?",
        "Sudah baca artikel ini?",
        "Jangan Lewatkan Video Terbaru:",
        "Jangan lewatkan berita pilihan hari ini:",
        "Terkait",
        "Terkait:",
        "Rep: Fauzan Rahmat",
        "Red: Sinta Maharani",
        "Rep: Fauzan Rahmat Red: Sinta Maharani",
        "Telusuri berita otomotif lainnya",
        "Temukan artikel kesehatan menarik di Kabarkita",
        "#ElevateWomen",
        "#Elevate Women",
        "#BanjirJakarta #PeduliSesama",
    ],
)
def test_shared_vocabulary_recognises_label(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Jangan lewatkan kesempatan emas itu, kata menteri kepada peserta.",
        "Warga yang sudah membaca pengumuman itu segera mendaftar.",
        "Telusuri jejak sejarah kota tua bersama pemandu lokal.",
        "Red Sparks kembali menang di kandang lawan.",
        "#1 dalam daftar penjualan mobil listrik tahun ini adalah merek lokal.",
        "Tagar #ElevateWomen ramai dibicarakan warganet sepanjang pekan.",
    ],
)
def test_story_lines_near_the_new_labels_are_kept(line: str) -> None:
    assert not is_clutter_line(line)


def test_inline_baca_label_and_its_link_are_dropped_from_a_paragraph() -> None:
    inline = f"<p>{STORY[1]} <strong>Baca:</strong> <a href='/x'>Judul berita lain</a></p>"
    html = page(f"<p>{STORY[0]}</p>{inline}<p>{STORY[2]}</p><p>{STORY[3]}</p>")
    assert list(extract(html).paragraphs) == STORY


# --- next-page teasers at the end of a split article's page

TEASER = "Warga yang rumahnya terendam kini menunggu kabar dari posko, namun sebagian..."


def _cleaned(lines: list[Line]) -> list[str]:
    return [line.text for line in clean_lines(lines, None, vocabulary()).lines]


def test_next_page_teaser_at_the_end_goes_with_its_marker() -> None:
    story = [Line(text) for text in SIX]
    for tail in (
        [Line("Halaman Selanjutnya"), Line(TEASER), Line("Selanjutnya", link_ratio=1.0)],
        [Line(TEASER), Line("Lanjut ke halaman berikutnya", link_ratio=1.0)],
        [Line(TEASER), Line("Bersambung ke halaman 2")],
        [Line("1 dari 3 halaman"), Line(TEASER)],
    ):
        assert _cleaned([*story, *tail]) == SIX, tail


def test_cut_paragraph_without_a_next_page_marker_stays() -> None:
    lines = [*(Line(text) for text in SIX), Line(TEASER)]
    assert _cleaned(lines) == [*SIX, TEASER]


def test_marker_with_story_after_it_cuts_nothing() -> None:
    lines = [Line(text) for text in SIX[:4]] + [Line("Halaman Selanjutnya")]
    lines += [Line(text) for text in SIX[4:]]
    assert _cleaned(lines) == SIX


def test_a_short_body_is_not_eaten_by_its_teaser() -> None:
    # Two cut-off paragraphs carry most of the words: a teaser page, not a teaser tail.
    second = TEASER.replace("Warga", "Relawan")
    lines = [Line(SIX[0]), Line(TEASER), Line(second), Line("Berikutnya")]
    assert len(_cleaned(lines)) == 3


# --- session 5 hold-out: schedules, credits with initials, tip prompts, closing teasers


SCHEDULE = [
    "Pengumuman pendaftaran: 25 September 2024",
    "Penerimaan berkas: 2 Oktober 2024",
    "Pelantikan: 6 November 2024",
]


def test_dates_among_list_items_are_a_schedule_not_stamps() -> None:
    items = "".join(f"<li>{item}</li>" for item in SCHEDULE)
    article = extract(page(_six_with(f"<p>Jadwalnya sebagai berikut:</p><ul>{items}</ul>")))
    assert [p for p in article.paragraphs if p in SCHEDULE] == SCHEDULE


def test_a_date_stamp_alone_and_a_linked_dated_item_are_still_clutter() -> None:
    vocab = vocabulary()
    stamp = Line("Kamis, 20 Juni 2024 - 13:45 WIB")
    rows = [Line("Harga cabai naik 17 Juni 2024", "li", 0.8), Line("Rabu, 19 Juni 2024", "li", 0.5)]
    lines = [*(Line(t) for t in SIX[:3]), stamp, *rows]
    kept = [line.text for line in clean_lines(lines, None, vocab).lines]
    assert kept == SIX[:3]


@pytest.mark.parametrize(
    "line",
    [
        "ANTARA FOTO/Anindira Kintara/rwa.",
        "Reuters/Willy Kurniawan/File Photo",
        "Got a story? Email news@example.co.uk or message us on Facebook.",
        "Have a news tip for us? Send it to the newsroom.",
        "Punya cerita menarik? Kirim ke redaksi lewat WhatsApp.",
        "Follow Daniel Whitcomb on Twitter at https://twitter.com/dwhitcombAP",
        "Ikuti Kabarin di Instagram @kabarin.id",
        "Berita ini telah tayang di SerambiNews.com dengan judul Hujan Deras",
        "This story was originally published by the Texas Tribune.",
        "Warga antre solar di SPBN. (Dok. Humas Pemkot)",
        "Ilustrasi (Freepik)",
        "- Advertisement -",
        "You might also like",
        "Baca Lainnya",
        "Kirim ke teman",
        "Bagaimana reaksi Anda tentang artikel ini?",
        "Download Apps Kabarin Sekarang https://apps.kabarin.id/",
        "Jurnalis: Rizky Adha Mahendra",
        "Ayo bergabung dengan grup Telegram",
        "Yuk, dukung jurnalisme berkualitas dengan berlangganan",
        "Bagikan:",
        "Artikel Selanjutnya",
        "Next Article",
        "Belum ada komentar",
        "Jadilah yang pertama berkomentar",
        "ADVERTORIAL",
        "Foto ilustrasi",
        "Tangkapan layar Instagram @infojakarta",
        "Dok. Pribadi/Nama",
        "Getty Images",
        "AP Photo/Achmad Ibrahim",
        "Tag Terkait",
        "Support local journalism",
    ],
)
def test_credit_and_tip_prompt_lines_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Warga diminta mengikuti imbauan di Twitter resmi BMKG.",
        "Kata Arif kepada wartawan (dokter spesialis gizi)",
        "Pemerintah meningkatkan kualitas SDM (sumber daya manusia)",
        "Bagaimana reaksi pasar terhadap kebijakan ini? Analis menilai investor masih menunggu.",
        "Tangkapan layar itu kemudian viral di media sosial.",
        "Mari dukung program pemerintah, kata dia.",
        "Ayo, ikuti langkah berikut untuk mendaftar:",
        "Dokumentasi acara tersebut akan dibagikan kepada seluruh peserta.",
        "Berita selanjutnya akan kami sampaikan setelah rapat selesai.",
        "Istimewa rasanya bisa bertemu Presiden, ujarnya.",
    ],
)
def test_story_lines_near_the_new_patterns_are_kept(line: str) -> None:
    assert not is_clutter_line(line)


def test_linked_teaser_closing_the_body_goes_but_a_linked_sentence_stays() -> None:
    teaser = (
        "<div><span>Artikel Berikutnya</span>"
        "<a href='/x'>Cara Menulis Surat Resign yang Profesional dan Tetap Sopan</a></div>"
    )
    article = extract(page(_six_with("") + teaser))
    assert list(article.paragraphs) == SIX
    closing = "<p>Data lengkap tersedia di <a href='/d'>laman resmi dinas sosial provinsi</a>.</p>"
    assert list(extract(page(_six_with("") + closing)).paragraphs)[-1].startswith("Data")


def test_clutter_classed_sibling_of_the_body_stays_out() -> None:
    box = (
        "<div class='newsletter-box'><h3>Jangan ketinggalan berita penting</h3>"
        "<p>Daftarkan email kamu dan dapatkan ringkasan berita pilihan redaksi setiap pagi.</p>"
        "</div>"
    )
    body = "".join(f"<p>{text}</p>" for text in SIX)
    html = (
        "<html><head><title>Judul</title></head><body><main><h1>Judul</h1>"
        f"<div class='story-body'>{body}</div>{box}</main></body></html>"
    )
    assert list(extract(html).paragraphs) == SIX


# --- pictures: captions and credits whatever their markup; boxes of teaser cards

CAPTION = "Petugas memeriksa kendaraan di Gerbang Tol Cikampek, Senin (1/4/2024)."


@pytest.mark.parametrize(
    "block",
    [
        f"<figure><img src='a.jpg'><p>{CAPTION}</p><p>Dok. Jasa Marga</p></figure>",
        f"<div class='pic'><img src='a.jpg'><p>{CAPTION}</p></div>",
        f"<p><img src='a.jpg'><br>{CAPTION}<br>Foto: Dok. Jasa Marga</p>",
        f"<div><img src='a.jpg'><span>{CAPTION}</span> <span>KOMPAS.com/NAMA ORANG</span></div>",
        "<div class='infografis'><img src='i.jpg'><p>Infografis: Sebaran Titik Banjir</p></div>",
    ],
)
def test_picture_captions_and_credits_go(block: str) -> None:
    assert list(extract(page(_six_with(block))).paragraphs) == SIX


def test_content_beside_pictures_stays() -> None:
    table = "<figure><table><tr><td>Bekasi</td><td>12 titik</td></tr></table></figure>"
    assert "Bekasi 12 titik" in extract(page(_six_with(table))).paragraphs
    lead = f"<p><img src='ikon.png'>{CAPTION} Antrean kendaraan mengular hingga dua kilometer.</p>"
    assert any(p.startswith("Petugas") for p in extract(page(_six_with(lead))).paragraphs)
    shop = f"<p><img src='a.jpg'><br>{CAPTION}<br><a href='http://amzn.to/x'>http://amzn.to/x</a></p>"
    assert CAPTION in extract(page(_six_with(shop))).paragraphs
    decorated = "".join(f"<p>{text}</p>" for text in MORE_STORY)
    card = f"<div class='has-image'><img src='a.jpg'>{decorated}</div>"
    assert list(extract(page("".join(f"<p>{t}</p>" for t in STORY) + card)).paragraphs) == SIX


def test_box_of_teaser_cards_goes_with_its_header() -> None:
    teasers = ["Harga cabai kembali naik jelang Ramadan", "Banjir rendam tiga kecamatan"]
    cards = "".join(
        f"<div><a href='/{n}'><img src='{n}.jpg'></a><p>{text}...</p></div>"
        for n, text in enumerate(teasers)
    )
    box = f"<div class='box'><h3>Pilihan Untukmu</h3>{cards}</div>"
    before, after = ("".join(f"<p>{t}</p>" for t in part) for part in (SIX[:2], SIX[2:]))
    html = page(before + box + after)
    assert list(extract(html).paragraphs) == SIX


def test_products_between_their_links_are_no_box() -> None:
    items = [Line("Produk pilihan"), Line("Thriller (Vinile)"), Line("http://amzn.to/x", "p", 1.0)]
    items += [Line("Inception (Blu-Ray)"), Line("http://amzn.to/y", "p", 1.0)]
    lines = [*(Line(t) for t in SIX[:3]), *items, *(Line(t) for t in SIX[3:])]
    kept = [line.text for line in clean_lines(lines, None, vocabulary()).lines]
    assert "Thriller (Vinile)" in kept and "Inception (Blu-Ray)" in kept


@pytest.mark.parametrize(
    "note", ["(*)", "(***)", "(*/ant)", "[ANT]", "-- (red)", "(Antara)", "***", "(ant/dwi)"]
)
def test_closing_notes_go_on_their_own_line_and_trailing_the_last_paragraph(note: str) -> None:
    own = page("".join(f"<p>{text}</p>" for text in STORY) + f"<p>{note}</p>")
    assert list(extract(own).paragraphs) == STORY
    trailing = "".join(f"<p>{text}</p>" for text in STORY[:-1]) + f"<p>{STORY[-1]} {note}</p>"
    assert list(extract(page(trailing)).paragraphs) == STORY


def test_bare_read_also_label_and_its_link_inside_a_paragraph_go() -> None:
    joined = f"<p>{STORY[0]} Baca juga: <a href='/x'>Harga Emas Naik Lagi</a> {STORY[1]}</p>"
    article = extract(page(joined + "".join(f"<p>{text}</p>" for text in STORY[2:])))
    assert list(article.paragraphs) == [f"{STORY[0]} {STORY[1]}", *STORY[2:]]
    linked = "<p>Warga bisa membaca juga <a href='/x'>laporan lengkapnya</a> di situs dinas.</p>"
    assert "laporan lengkapnya" in extract(page(linked + story_html())).body


def test_reader_revenue_box_in_the_body_goes() -> None:
    box = (
        "<div class='support-box'><h4>Dukung jurnalisme lokal</h4><p>Wartawan kami meliput "
        "kabar yang penting bagi warga. Berlangganan mulai Rp 10.000 per bulan.</p></div>"
    )
    assert list(extract(page(_six_with(box))).paragraphs) == SIX
