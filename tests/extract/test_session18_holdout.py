"""Mechanisms behind the misses of the session-18 Indonesian hold-out (tuned_s18, measured
once on 6d4c04f): a summary box of several lines (an AI summary's label, sentences and
note) opening the body right over its datelined lead is the template's dek, as a summary
paragraph is; a box the template lets the reader skip (a "Skip X" link standing alone,
pointing at an anchor that closes the box) is not the story; a teaser card in the story's
block (a picture linked to another page beside a heading, its only text) is another
story's; a photo page whose slides' caption blocks hold more text than its short
description tells its story in them (each caption's bracketed credit cut off); and as
vocabulary, an AI summary's note, a campaign note naming the campaign first, an
Indonesian wire credit, a prompt to follow the coverage at the outlet's site, and a desk
code with its number in the closing initials ("[ARS/N-6]"). Then late_s18b's (measured
once on 0e1e085): a labelled list box opening the story's block may be labelled by a
short paragraph rather than a heading ("<p>Intinya Sih...</p><ul>...</ul>"), and a
premium upsell box's lines ("Konten Premium", "Nikmati Konten Premium ...") are clutter.
Then late_s18c's (measured once on 46983d6): a wire agency named as the source closing
the story's last paragraph ("... Laut Sulawesi. (Sumber: Antara)") is cut off it, not
taken for a caption's credit that drops the whole paragraph; and a radio newsroom's
"Laporan: A | Editor: B" names its writer. Then late_s18d's (measured once on 1de8542): a
date line set wholly in bold over the plain line it heads, past the story's first
paragraph, is a schedule's day ("Senin, 9 Desember 2024" over "Indonesia vs Myanmar,
pukul 19.30 WIB"), read like a list item's date, not a stamp. Then late_s18f's (measured
once on 455033b): a bare "BACA JUGA" label opening a line before its link takes the
lowercase words closing it ("... dan tulisan X lainnya."), as a label in its own element
does; a desk in the
metadata ("Tim tvOne") gives way to the writer a credit block prints; and as vocabulary,
an Indonesian paper's print-edition note and a longer "Jangan lupa subscribe ..." prompt.
Then late_s18g's (measured once on 8aaabbe): a health article's reference list under its
"Referensi" heading ends the story; a writer's bracketed signature run on after the last
sentence ("... bersama. ( Yuli Santoso / CN26 )") names the writer of a page naming none;
a medical reviewer ("Ditinjau secara medis oleh dr. B", in the metadata) is no writer
beside "Ditulis oleh A"; and as vocabulary, a health site's disclaimer, a pointer to the
fuller telling in a video, a note that the story was adapted from elsewhere. Then
late_s18h's (measured once on 80c165b): a follow prompt naming the outlet by a name with
a dot in it ("Ikuti saluran AKURAT.CO di WhatsApp ...") is still a prompt."""

from __future__ import annotations

import pytest

from kabar.extract import extract
from kabar.extract.clutter import is_clutter_line

URL = "https://www.kabardata.example.id/berita/2024/07/22/bank-sampah-olah-jelantah"
LEAD = (
    "BEKASI, KABARDATA - Sebuah bank sampah di Bekasi mengumpulkan sekitar 1.200 liter minyak "
    "jelantah dari warga setiap bulan untuk diolah menjadi sabun cuci."
)
STORY = [
    "Ketua bank sampah tersebut mengatakan warga menukar jelantah dengan poin tabungan yang "
    "bisa dicairkan atau ditukar dengan kebutuhan pokok di koperasi.",
    "Sabun hasil olahan dijual ke warung dan kantor di sekitar Bekasi, dan sebagian hasilnya "
    "dipakai untuk membayar enam pekerja dari kalangan ibu rumah tangga.",
    "Bank sampah itu kini menjajaki kerja sama dengan produsen biodiesel agar jelantah yang "
    "tidak terpakai bisa dijual dengan harga lebih baik.",
]


def _page(before: str, story: list[str], after: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in story)
    return (
        "<html><body><article><h1>Bank Sampah Olah Jelantah Jadi Sabun</h1>"
        f"<div class='detail-body'>{before}{body}{after}</div></article></body></html>"
    )


SUMMARY = (
    "<div class='ai-summary'><div class='ai-summary__head'><span>Ringkasan AI</span></div>"
    "<p>Bank sampah di Bekasi mengolah jelantah warga menjadi sabun cuci.</p>"
    "<p>Penjualan sabun menghasilkan omzet belasan juta rupiah per bulan.</p></div>"
)


def test_a_summary_box_over_the_datelined_lead_goes() -> None:
    article = extract(_page(SUMMARY, [LEAD, *STORY]), URL)
    assert list(article.paragraphs) == [LEAD, *STORY]


def test_a_summary_box_over_undated_story_stays() -> None:
    # No dateline under it: the block may be the story's own opening.
    article = extract(_page(SUMMARY, STORY), URL)
    assert article.paragraphs[1].startswith("Bank sampah di Bekasi mengolah")
    assert list(article.paragraphs[3:]) == STORY


PROMO = (
    "<section class='bbc-1xrg9tg'><h2>Podcast</h2><div><a href='/podcasts/p1'>Dunia Pagi Ini</a>"
    "<p>Kabar pilihan setiap pagi, dalam sepuluh menit.</p><p>Episode</p></div>"
    "<a href='#end-of-podcast'>Akhir dari Podcast</a><span id='end-of-podcast'></span></section>"
)


def test_a_box_the_reader_may_skip_goes() -> None:
    page = _page("", [LEAD, STORY[0]], PROMO + "".join(f"<p>{p}</p>" for p in STORY[1:]))
    assert list(extract(page, URL).paragraphs) == [LEAD, *STORY]


def test_an_in_text_link_to_an_anchor_keeps_its_box() -> None:
    # A link among words pointing at the next heading is a story's cross-reference.
    inner = (
        "<div class='note'><p>Warga juga menyetor plastik, seperti dijelaskan pada "
        "<a href='#plastik'>bagian berikut</a> tentang tabungan sampah.</p></div>"
        "<h2 id='plastik'>Tabungan Plastik</h2>"
    )
    page = _page("", [LEAD], inner + "".join(f"<p>{p}</p>" for p in STORY))
    paragraphs = extract(page, URL).paragraphs
    assert "Tabungan Plastik" in paragraphs
    assert any(p.startswith("Warga juga menyetor plastik") for p in paragraphs)


CARD = (
    "<div class='wsw__embed'><div class='media-block'><a href='/a/7801001.html'>"
    "<img src='/th.jpg' alt=''></a><div class='media-block__content'><span class='ico'></span>"
    "<h4>Rob Kian Parah, Warga Pantura Tinggalkan Kampung</h4></div></div></div>"
)


def test_a_teaser_card_in_the_story_goes() -> None:
    page = _page("", [LEAD, STORY[0]], CARD + "".join(f"<p>{p}</p>" for p in STORY[1:]))
    assert list(extract(page, URL).paragraphs) == [LEAD, *STORY]


def test_a_subheading_beside_its_own_picture_stays() -> None:
    # The picture links to its own file, full size: a section's heading, not a card.
    section = (
        "<div class='section'><a href='/foto/jelantah-besar.jpg'><img src='/foto/jelantah.jpg'>"
        "</a><h3>Dari Dapur ke Pabrik</h3></div>"
    )
    page = _page("", [LEAD, STORY[0]], section + "".join(f"<p>{p}</p>" for p in STORY[1:]))
    assert "Dari Dapur ke Pabrik" in extract(page, URL).paragraphs


CAPTIONS = [
    "Puluhan pendayung memacu jalur di tepian sungai, Sabtu (24/8/2024). Festival digelar "
    "setiap Agustus untuk memperingati hari kemerdekaan.",
    "Satu jalur, perahu panjang dari sebatang kayu utuh, bisa diisi 40 hingga 60 pendayung.",
    "Seorang anak berdiri di haluan jalur sebagai tukang tari, tanda jalur itu memimpin.",
]
DESCRIPTION = "Festival pacu jalur kembali digelar di Sungai Kuantan pada akhir Agustus."


def _photo_page(slides: str) -> str:
    return (
        "<html><body><h1>FOTO: Tradisi Pacu Jalur</h1>"
        f"<div class='slide-foto'>{slides}</div>"
        f"<div class='detail-text'><p>{DESCRIPTION}</p></div>"
        "<div class='tags'><a href='/tag/riau'>riau</a></div></body></html>"
    )


def test_a_photo_pages_slide_captions_are_its_story() -> None:
    slides = "".join(
        f"<div class='slide-foto__item'><div class='counter'>{i} / 3</div><img src='/{i}.jpg'>"
        f"<div class='slide-foto__caption'>{c} (Kabar Data/Bimo Aditya)</div></div>"
        for i, c in enumerate(CAPTIONS, 1)
    )
    article = extract(_photo_page(slides), "https://www.kabardata.example.id/foto/pacu-jalur")
    assert list(article.paragraphs) == [*CAPTIONS, DESCRIPTION]


def test_short_captions_leave_a_thin_body_as_it_is() -> None:
    # Captions holding less text than the body are the pictures' own, not the story.
    slides = "".join(
        f"<div class='slide'><img src='/{i}.jpg'>"
        f"<div class='caption'>Pendayung di jalur {i}, Riau</div></div>"
        for i in range(1, 3)
    )
    article = extract(_photo_page(slides), "https://www.kabardata.example.id/foto/pacu-jalur")
    assert list(article.paragraphs) == [DESCRIPTION]


@pytest.mark.parametrize(
    "line",
    [
        "Ringkasan ini dibuat dengan bantuan kecerdasan buatan dan telah diperiksa oleh redaksi.",
        "Artikel ini merupakan bagian dari Lestari KG Media, sebuah inisiatif untuk mendukung "
        "gerakan keberlanjutan yang berdampak.",
        "Sebagian bahan untuk laporan ini berasal dari kantor berita Reuters.",
        "Ikuti terus hasil pertandingan Liga Super secara live di detiksport.com dan m.detik.com!",
    ],
)
def test_notes_and_prompts_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Bahan baku sabun ini berasal dari jelantah yang dikumpulkan warga di 12 RW.",
        "Ikuti langkah-langkah berikut agar jelantah tidak mencemari saluran air di rumah.",
    ],
)
def test_story_lines_like_them_stay(line: str) -> None:
    assert not is_clutter_line(line)


def test_closing_initials_with_a_desk_code_go() -> None:
    last = "Harga diperkirakan kembali turun pada Februari setelah gula impor masuk."
    page = _page("", [LEAD, *STORY[:2], f"{last} [ARS/N-6]"])
    assert extract(page, URL).paragraphs[-1] == last
    # A desk code alone stays, as the development corpus's gold keeps "(H-4)".
    page = _page("", [LEAD, *STORY[:2], f"{last} (H-4)"])
    assert extract(page, URL).paragraphs[-1] == f"{last} (H-4)"


INTINYA = (
    "<div class='css-intinya11'><p class='css-intinya-title12'>Intinya Sih...</p><ul>"
    "<li>Bank sampah di Bekasi mengolah jelantah warga menjadi sabun cuci.</li>"
    "<li>Penjualan sabun menghasilkan omzet belasan juta rupiah per bulan.</li></ul></div>"
)


def _classed_page(before: str, story: list[str]) -> str:
    body = "".join(f"<p class='css-p13'>{p}</p>" for p in story)
    return (
        "<html><body><article><h1>Bank Sampah Olah Jelantah Jadi Sabun</h1>"
        f"<div class='css-body10'>{before}{body}</div></article></body></html>"
    )


def test_a_list_box_under_a_short_label_opening_the_story_goes() -> None:
    article = extract(_classed_page(INTINYA, [LEAD, *STORY]), URL)
    assert list(article.paragraphs) == [LEAD, *STORY]


def test_a_list_under_a_sentence_opening_the_story_stays() -> None:
    # A lead-in sentence over the list is the story's own, not a box's label.
    lead_in = INTINYA.replace("Intinya Sih...", "Warga bisa menukar jelantah di tiga tempat:")
    paragraphs = extract(_classed_page(lead_in, [LEAD, *STORY]), URL).paragraphs
    assert paragraphs[0] == "Warga bisa menukar jelantah di tiga tempat:"


@pytest.mark.parametrize(
    "line", ["Konten Premium", "Nikmati Konten Premium Untuk Informasi Yang Lebih Dalam"]
)
def test_a_premium_upsell_is_clutter(line: str) -> None:
    assert is_clutter_line(line)


def test_a_wire_source_closing_a_paragraph_is_cut_off_it() -> None:
    last = (
        "KKP mencatat sepanjang tahun ini sudah 21 kapal ikan asing ditangkap di perairan "
        "Indonesia, sebagian besar di Laut Natuna Utara."
    )
    page = _page("", [LEAD, *STORY, f"{last} (Sumber: Antara)"])
    assert list(extract(page, URL).paragraphs) == [LEAD, *STORY, last]


def test_a_reports_label_names_the_writer() -> None:
    page = (
        "<html><head><meta name='author' content='kabardata.example.id'></head><body><article>"
        "<h1>Bank Sampah Olah Jelantah Jadi Sabun</h1><div class='post-meta'><span>Laporan: "
        "<a href='/r/wildan'>Wildan Pratama</a></span> | <span>Editor: <a href='/e/rini'>Rini "
        "Hastuti</a></span></div><div class='detail-body'>"
        + "".join(f"<p>{p}</p>" for p in [LEAD, *STORY])
        + "</div></article></body></html>"
    )
    assert extract(page, URL).authors == ("Wildan Pratama",)


SCHEDULE = [
    "Berikut jadwal lengkap tim nasional di fase grup:",
    "Senin, 9 Desember 2024",
    "Indonesia vs Myanmar, pukul 19.30 WIB, Stadion Manahan, Solo",
    "Kamis, 12 Desember 2024",
    "Vietnam vs Indonesia, pukul 20.00 WIB, Stadion My Dinh, Hanoi",
]


def _schedule_page(days: str) -> str:
    lines = "".join(
        f"<p><strong>{line}</strong></p>" if line[:5] in {"Senin", "Kamis"} else f"<p>{line}</p>"
        for line in SCHEDULE
    )
    return (
        "<html><body><article><h1>Jadwal Tim Nasional di Piala ASEAN</h1>"
        f"<div class='detail-body'>{days}<p>{LEAD}</p>{lines}<p>{STORY[0]}</p></div>"
        "</article></body></html>"
    )


def test_a_schedules_days_in_bold_stay() -> None:
    article = extract(_schedule_page(""), URL)
    assert list(article.paragraphs) == [LEAD, *SCHEDULE, STORY[0]]


def test_a_bold_date_stamp_over_the_story_still_goes() -> None:
    # Before the story's first paragraph, a date in bold is the page's stamp.
    article = extract(_schedule_page("<p><strong>Rabu, 27 November 2024</strong></p>"), URL)
    assert list(article.paragraphs) == [LEAD, *SCHEDULE, STORY[0]]


def test_a_bare_read_also_label_takes_the_words_closing_its_line() -> None:
    line = "BACA JUGA <a href='/a'>Ring Road Utara yang Tak Pernah Sepi</a> dan tulisan X lainnya."
    page = _page("", [LEAD, STORY[0], line, *STORY[1:]])
    assert list(extract(page, URL).paragraphs) == [LEAD, *STORY]


def test_a_printed_writer_replaces_a_desk_in_the_metadata() -> None:
    page = (
        "<html><head><meta name='author' content='Tim Kabar'></head><body><article>"
        "<h1>Bank Sampah Olah Jelantah Jadi Sabun</h1><div class='meta'>Kontributor: <a "
        "href='/a/yudi'>Yudi Permana</a> | Editor: <a href='/a/aris'>Aris Munandar</a></div>"
        "<div class='detail-body'>"
        + "".join(f"<p>{p}</p>" for p in [LEAD, *STORY])
        + "</div></article></body></html>"
    )
    assert extract(page, URL).authors == ("Yudi Permana",)


@pytest.mark.parametrize(
    "line",
    [
        "Versi cetak artikel ini terbit di harian Kompas edisi 12 Februari 2024 di halaman 13 "
        'dengan judul "Sawah Pantura Terus Menyusut".',
        "Jangan lupa subscribe YouTube tvOneNews dan aktifkan lonceng notifikasi agar tidak "
        "ketinggalan berita terbaru.",
    ],
)
def test_print_notes_and_subscribe_prompts_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


def test_a_reference_list_ends_the_story() -> None:
    references = (
        "<div class='refs'><h3>Referensi</h3><ol><li>Kementerian Kesehatan RI. (2023). "
        "Mengenal Parestesia. Diakses pada 20 Mei 2024.</li></ol></div>"
    )
    assert list(extract(_page("", [LEAD, *STORY], references), URL).paragraphs) == [LEAD, *STORY]


def test_a_run_on_bracketed_signature_names_the_writer() -> None:
    last = "Kepala dinas menyatakan masih membuka dialog dengan para pedagang hingga pekan depan."
    page = _page("", [LEAD, *STORY, f"{last} ( Yuli Santoso / CN26 )"])
    article = extract(page, URL)
    assert article.paragraphs[-1] == last
    assert article.authors == ("Yuli Santoso",)


def test_a_medical_reviewer_is_no_writer() -> None:
    page = (
        "<html><head><meta name='author' content='dr. Andika Pratama'></head><body><article>"
        "<h1>Bank Sampah Olah Jelantah Jadi Sabun</h1><div class='byline'><div>Ditulis oleh "
        "<a href='/a/ratna'>Ratna Dewi Lestari</a></div><div>Ditinjau secara medis oleh "
        "<a href='/d/andika'>dr. Andika Pratama</a></div></div><div class='detail-body'>"
        + "".join(f"<p>{p}</p>" for p in [LEAD, *STORY])
        + "</div></article></body></html>"
    )
    assert extract(page, URL).authors == ("Ratna Dewi Lestari",)


@pytest.mark.parametrize(
    "line",
    [
        "Simak informasi lengkapnya di video berikut ini:",
        "Artikel ini disadur dari situs lembaga antariksa nasional dengan penyesuaian.",
        "Ikuti saluran AKURAT.CO di WhatsApp untuk mendapatkan berita terbaru setiap hari.",
    ],
)
def test_health_disclaimers_and_notes_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "note",
    [
        "Hello Sehat tidak menyediakan saran medis, diagnosis, atau pengobatan.",
        "Artikel ini hanya bersifat informatif dan tidak menggantikan saran medis dari dokter.",
    ],
)
def test_a_health_disclaimer_closing_the_story_goes(note: str) -> None:
    assert list(extract(_page("", [LEAD, *STORY, note]), URL).paragraphs) == [LEAD, *STORY]
