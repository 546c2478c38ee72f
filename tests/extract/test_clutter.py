"""Clutter lines and blocks are dropped, story lines are kept."""

from __future__ import annotations

import re

import pytest

from kabar.extract import extract
from kabar.extract.clutter import (
    _UNBOUNDED,
    Line,
    _longest,
    clean_lines,
    is_clutter_line,
    is_dateline,
    vocabulary,
)
from tests.extract.extract_support import STORY, page, story_html

CLUTTER_LINES = [
    # inline read-also links
    "BACA JUGA: Harga Beras Naik di Tiga Provinsi",
    "Baca juga: Harga Beras Naik di Tiga Provinsi",
    "Baca Juga : Harga Beras Naik di Tiga Provinsi",
    "Simak juga: Video Detik-detik Banjir Bandang",
    "Lihat Juga :",
    # block headings
    "Berita Terkait",
    "Artikel Terkait",
    "Rekomendasi",
    "Terpopuler",
    "BERITA TERPOPULER",
    "Terkini",
    "Berita Terbaru",
    "Video Pilihan",
    "Video Rekomendasi",
    # related-link rows
    "DUNIA | 1 hari yang lalu",
    "5 bulan yang lalu",
    "OLAHRAGA | 2 jam yang lalu",
    # captions and credits
    "Foto/AP",
    "Presiden meninjau lokasi banjir di Bekasi. Foto/Antara",
    "Warga mengungsi ke masjid, Selasa (4/6/2024). (Sumber: Dokumentasi BPBD)",
    "©MGM",
    # bylines, editor, source
    "Penulis: Andi Pratama",
    "Editor: Rina Wulandari",
    "Redaktur: Irwina Istiqomah",
    "Reporter: Budi",
    "Sumber: The Independent",
    "Penulis : Haryo Jati Editor : Deni-Muliya",
    # pagination
    "Halaman :",
    "Halaman 1 2 3 Selanjutnya",
    # share, comment, newsletter, app prompts
    "Bagikan artikel ini",
    "tulis komentar anda",
    "Follow",
    "Dapatkan berita terkini dan kejutan menarik dari SINDOnews.com, Klik Disini!",
    "Silakan baca konten menarik lainnya dari GenPI.co di Google News",
    "Download aplikasi kami sekarang juga",
    "ADVERTISEMENT",
    "SCROLL TO CONTINUE WITH CONTENT",
    # copyright and date lines
    "Copyright © 2024 by GenPI.co",
    "Kamis, 20 Juni 2024 - 13:45 WIB",
    "Kompas dunia | 17 Juni 2024, 20:49 WIB",
    "> >",
    # network syndication, tags, embeds, prompts
    "Laporan Wartawan Tribunnews.com, Ilham Pratama",
    "Artikel ini telah tayang di Kompas.com dengan judul Banjir Rendam Ribuan Rumah",
    "[Gambas:Video CNN]",
    "Tags: banjir, jakarta, bpbd",
    "Pilihan Editor: Lima Fakta Banjir Jakarta",
    "Share this article",
    "12 Komentar",
    "Follow us on Instagram",
    "Sign up for our morning newsletter",
    "Scroll down untuk melanjutkan membaca",
    "Jangan Lewatkan",
    "Simak berita dan artikel lainnya di WhatsApp Channel kami",
    "Get the latest updates right in your inbox. Subscribe to our newsletters.",
    "Have a tip? Our reporter may be reached at redaksi@example.com.",
    # gallery labels and topic prompts
    "More Photos",
    "Other stories:",
    "Ikuti perkembangan berita ini dalam topik:",
    "Pantau terus kabar terbaru seputar pemilu",
    # series and partnership notes
    "This story is part of our series on small farms after the drought. Read the rest here.",
    "Artikel ini merupakan bagian dari seri liputan Jejak Rempah di Maluku.",
    "This article was produced in partnership with the Coastal Reporting Project.",
]

KEPT_LINES = [
    "Liputan6.com, Jakarta - Harga minyak goreng kembali naik pekan ini.",
    "PYONGYANG, KOMPAS.TV - Presiden Rusia tiba di Korea Utara pada Selasa malam.",
    "BeritaNasional.com - Presiden berterima kasih atas dukungan negara sahabat.",
    "Hubungan Saling Menguntungkan Antar Kedua Negara",
    "1. Korut Memberikan Dukungan Penuh kepada Rusia",
    "\u201cKami sangat mengapresiasi dukungan itu,\u201d kata Putin.",
    "Sumber daya alam di wilayah itu masih melimpah, kata peneliti.",
    "Pertandingan digelar pada 20 Juni 2024 di stadion utama.",
    "Share prices fell sharply on Monday.",
    "Follow-up talks are planned for next week, officials said.",
    "Komentar Presiden itu memicu perdebatan di parlemen.",
    "Ikuti aturan lalu lintas selama mudik, kata polisi.",
    "More photos of the flood were shared online by residents.",
    "This story is one the mayor has told many times before, residents said.",
    "Artikel ini menjadi bahan diskusi di sekolah, kata guru.",
]


@pytest.mark.parametrize("line", CLUTTER_LINES)
def test_clutter_line_is_recognised(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize("line", KEPT_LINES)
def test_story_line_is_not_clutter(line: str) -> None:
    assert not is_clutter_line(line)


@pytest.mark.parametrize(
    "text",
    ["JAKARTA, KOMPAS.com - Isi berita.", "Liputan6.com, Jakarta - Isi.", "GenPI.co - Isi."],
)
def test_datelines(text: str) -> None:
    assert is_dateline(text)


@pytest.mark.parametrize(
    "text",
    ["SURABAYA, 3 Maret 2025 (Antara/Wire) --", "MEDAN, KOMPAS.com -", "DENPASAR, Suara.com —"],
)
def test_dateline_standing_alone_is_kept(text: str) -> None:
    lines = [Line(text), Line("Wali kota meresmikan pasar ikan baru yang dibangun di tepi sungai.")]
    assert clean_lines(lines, None, vocabulary()).lines[0].text == text


@pytest.mark.parametrize(
    "text", ["Senin, 3 Maret 2025 - 10:15 WIB", "Surabaya, 3 Maret 2025 -", "Foto: Dok. Humas -"]
)
def test_date_stamps_ending_in_a_dash_are_still_clutter(text: str) -> None:
    assert is_clutter_line(text)


def test_plain_sentence_is_no_dateline() -> None:
    assert not is_dateline("Presiden tiba di Jakarta - tanpa pengawalan - pada pagi hari.")


def _lines(*texts: str) -> list[Line]:
    return [Line(t) for t in texts]


def test_tail_after_related_heading_is_cut_and_counted() -> None:
    lines = _lines(*STORY, "Berita Terkait", "Judul lain yang bukan berita ini", "Judul kedua")
    result = clean_lines(lines, "Judul", vocabulary())
    assert [x.text for x in result.lines] == STORY
    assert result.removed == 3


def test_box_about_the_writer_or_desk_under_the_story_goes() -> None:
    blurb = "Warta Contoh adalah media terverifikasi dewan pers yang terbit sejak 2010 di Medan."
    result = clean_lines(_lines(*STORY, "Tentang Cek Fakta", blurb), "Judul", vocabulary())
    assert [x.text for x in result.lines] == STORY
    bio = "Nina covers the courts for us."
    result = clean_lines(_lines(*STORY, "About the author", bio), None, vocabulary())
    assert [x.text for x in result.lines] == STORY


def test_a_subheading_on_a_topic_is_no_about_box() -> None:
    lines = _lines(*STORY, "Tentang Kesepakatan Itu", STORY[0], STORY[1])
    kept = [x.text for x in clean_lines(lines, "Judul", vocabulary()).lines]
    assert "Tentang Kesepakatan Itu" in kept


def test_header_lines_before_dateline_are_dropped() -> None:
    lines = _lines("Judul Yang Diulang", "Presiden meninjau lokasi. Foto/AP", *STORY)
    result = clean_lines(lines, None, vocabulary())
    assert result.lines[0].text == STORY[0]


def test_short_story_opening_is_not_taken_for_a_header() -> None:
    opening = "Komisi antirasuah kembali memeriksa saksi kasus suap."
    lines = _lines(opening, "KPK - lembaga antirasuah - menyebut pemeriksaan berlanjut.", *STORY)
    assert clean_lines(lines, None, vocabulary()).lines[0].text == opening


def test_repeated_headline_dropped_but_long_dateline_headline_kept() -> None:
    title = "Banjir Rendam Ribuan Rumah"
    result = clean_lines(_lines(title, *STORY), title, vocabulary())
    assert [x.text for x in result.lines] == STORY
    long_title = STORY[0]
    kept = clean_lines([Line(long_title, "h1"), *_lines(*STORY[1:])], long_title, vocabulary())
    assert kept.lines[0].text == long_title


def test_labels_above_a_repeated_headline_are_dropped() -> None:
    title = "Gardu Listrik Baru Mulai Beroperasi"
    lines = [Line("FotoBisnis", "h2"), Line(title, "h1"), *_lines(*STORY[1:])]
    assert [x.text for x in clean_lines(lines, title, vocabulary()).lines] == STORY[1:]


def test_sentence_above_the_headline_is_kept() -> None:
    title = "Gardu Listrik Baru Mulai Beroperasi"
    lead = "Warga kini menikmati listrik tanpa pemadaman bergilir."
    lines = [Line(lead), Line(title, "h1"), *_lines(*STORY[1:])]
    assert [x.text for x in clean_lines(lines, title, vocabulary()).lines] == [lead, *STORY[1:]]


def test_link_only_short_lines_are_related_links() -> None:
    result = clean_lines([*_lines(*STORY), Line("Judul berita lain", "p", 1.0)], None, vocabulary())
    assert [x.text for x in result.lines] == STORY


def test_long_duplicate_paragraph_is_dropped_short_repeats_kept() -> None:
    long_paragraph = STORY[0] + " " + STORY[1]
    lines = _lines(long_paragraph, "Niat sholat:", STORY[2], "Niat sholat:", long_paragraph)
    result = clean_lines(lines, None, vocabulary())
    assert [x.text for x in result.lines] == [
        long_paragraph,
        "Niat sholat:",
        STORY[2],
        "Niat sholat:",
    ]


@pytest.mark.parametrize(
    "block",
    [
        '<div class="baca-juga"><a href="/1">Berita lain yang ditautkan</a></div>',
        "<p><strong>BACA JUGA:</strong> <a href='/2'>Judul berita lain di portal</a></p>",
        '<figure><img src="a.jpg"><figcaption>Warga di posko pengungsian. (Foto: Antara)'
        "</figcaption></figure>",
        '<div class="share-buttons"><a href="#">Facebook</a><a href="#">Twitter</a></div>',
        '<div class="tags"><a href="/t/1">Banjir</a><a href="/t/2">Jakarta</a></div>',
        '<div class="related-posts"><ul><li><a href="/3">Judul terkait satu</a></li>'
        '<li><a href="/4">Judul terkait dua</a></li></ul></div>',
        '<div class="newsletter">Langganan newsletter kami setiap pagi</div>',
        '<div class="ads">ADVERTISEMENT</div><p>SCROLL TO CONTINUE WITH CONTENT</p>',
        "<p>Penulis: Andi Pratama</p><p>Editor: Rina Wulandari</p>",
        "<p>Halaman : 1 2 3</p>",
        '<div class="comments"><p>Komentar pembaca yang panjang dan tidak relevan.</p></div>',
        "<p>Dapatkan berita terkini di WhatsApp kami, klik di sini</p>",
    ],
)
def test_clutter_blocks_are_removed_from_the_body(block: str) -> None:
    article = extract(page(story_html(block)))
    assert list(article.paragraphs) == STORY
    assert article.clutter_removed >= 1


def test_story_subheadings_lists_and_quotes_are_kept() -> None:
    body = (
        story_html()
        + "<h2>Langkah Pemulihan</h2><ul><li>Perbaikan tanggul di tiga titik rawan.</li>"
        "<li>Pembersihan saluran air di permukiman.</li></ul>"
        "<blockquote>\u201cKami bekerja siang dan malam,\u201d kata petugas.</blockquote>"
    )
    article = extract(page(body))
    assert article.paragraphs[-4:] == (
        "Langkah Pemulihan",
        "Perbaikan tanggul di tiga titik rawan.",
        "Pembersihan saluran air di permukiman.",
        "\u201cKami bekerja siang dan malam,\u201d kata petugas.",
    )


def test_inline_read_also_inside_a_story_paragraph() -> None:
    inline = (
        f"<p>{STORY[1]} <strong>Baca juga:</strong> <a href='/x'>Judul berita lain</a></p>"
        f"<p>{STORY[2]} <b><a href='/y'>Baca Juga: Judul lain lagi</a></b></p>"
    )
    html = page(f"<p>{STORY[0]}</p>{inline}<p>{STORY[3]}</p>")
    assert list(extract(html).paragraphs) == STORY


@pytest.mark.parametrize(
    ("ending", "last"),
    [
        ("<p>(rka/hnd)</p>", STORY[-1]),
        ("<br><strong>(TMS)</strong>", STORY[-1]),
        ("<p>[rka/hnd]</p><p>(rka)</p>", STORY[-1]),
        ("", STORY[-1]),
    ],
)
def test_desk_initials_closing_the_story_are_dropped(ending: str, last: str) -> None:
    article = extract(page(story_html() + ending))
    assert list(article.paragraphs) == STORY
    assert article.paragraphs[-1] == last


def test_desk_initials_trailing_the_last_sentence_are_cut_off_it() -> None:
    body = story_html().replace("tiga hari.</p>", "tiga hari. (rka/hnd)</p>")
    assert list(extract(page(body)).paragraphs) == STORY


def test_parenthesis_that_is_part_of_the_sentence_is_kept() -> None:
    ending = "<p>Rapat itu juga dihadiri perwakilan Organisasi Kesehatan Dunia (WHO)</p>"
    paragraphs = extract(page(story_html() + ending)).paragraphs
    assert paragraphs[-1] == "Rapat itu juga dihadiri perwakilan Organisasi Kesehatan Dunia (WHO)"


@pytest.mark.parametrize(
    "line",
    [
        "Artikel ini telah naik di detikJatim. Baca artikel selengkapnya di sini.",
        "Artikel ini sudah dimuat di SerambiNews dengan judul Hujan Es di Aceh Tengah",
        "Baca berita selengkapnya di portal mitra kami",
    ],
)
def test_syndication_notes_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Lanjutkan membaca artikel di bawah",
        "LANJUTKAN MEMBACA \u2193",
        "Iklan - Scroll untuk Melanjutkan",
        "Scroll untuk melanjutkan membaca",
        "Perbesar",
        "Lihat Foto",
        "3 dari 5 halaman",
        "Foto 2/7",
        "Editor\u2019s Picks",
        "Pilihan Redaksi",
        "Unsplash/Budi Hartono",
        "instagram.com/kebunteh.lembang",
        "Petani memetik teh di lereng Tangkuban Parahu (Kabar Times/Rina Ayu)",
        "Kiper menepis bola sundulan lawan. Mandatory Credit: Action Images via Reuters/John Doe",
        "Anak bermain di taman kota. (Photo by Unsplash)",
        "Disclaimer: Tulisan ini sepenuhnya tanggung jawab penulis.",
    ],
)
def test_caption_credit_and_prompt_labels_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Warga Jakarta/Bekasi",
        "Harga cabai rawit naik menjadi Rp60.000/kg di pasar induk.",
        "Rapat digelar di balai kota pada Senin (12/6/2023)",
        "Kebijakan itu diputuskan dalam rapat bersama Kemenkeu (Ditjen Pajak/Fiskal) pekan lalu.",
        "Ia menyebut rasio utang terhadap PDB masih 39 dari 100 negara pembanding.",
        "Lanjutkan membaca kisah perjalanan kami di paragraf berikut, kata penulisnya bercanda.",
    ],
)
def test_story_lines_near_caption_vocabulary_are_kept(line: str) -> None:
    assert not is_clutter_line(line)


def test_template_blocks_between_story_paragraphs_are_dropped() -> None:
    picks = (
        "<div class='editors-pick'><div class='title'><span>Lanjutkan membaca artikel di "
        "bawah</span></div><h3>Editor's picks</h3><ul><li><a href='/1'>Festival Kopi Digelar "
        "di Alun-Alun</a></li><li><a href='/2'>Cara Menyeduh Kopi Tubruk</a></li></ul></div>"
    )
    figure = (
        "<div class='embed-image'><img src='/a.jpg'><span class='main-source'>Relawan menata "
        "logistik di posko (Kabar Times/Rina Ayu)</span></div><p>Perbesar</p>"
    )
    prompt = "<p class='text-center'>Iklan - Scroll untuk Melanjutkan</p>"
    post = (
        "<blockquote class='twitter-tweet'><p>Banjir lagi di depan rumah, air sudah selutut "
        "dan belum surut sejak subuh</p>&mdash; Warga Kota (@wargakota)</blockquote>"
        "<blockquote class='instagram-media'><p>Sebuah kiriman dibagikan oleh Posko "
        "(@posko)</p></blockquote>"
    )
    body = story_html(picks + figure + prompt + post)
    assert list(extract(page(body)).paragraphs) == STORY


def test_unknown_header_over_a_box_of_links_goes_with_the_links() -> None:
    box = (
        "<div class='box-x'><p>Jangan Terlewat Hari Ini</p><h4>Sorotan Kami</h4><ul>"
        "<li><a href='/1'>Warga Gotong Royong Bersihkan Sungai Usai Banjir</a></li>"
        "<li><a href='/2'>Sekolah Kembali Dibuka Setelah Sepekan Libur</a></li></ul></div>"
    )
    assert list(extract(page(story_html(box))).paragraphs) == STORY


def test_story_subheading_over_paragraphs_is_kept() -> None:
    body = story_html("<h3>Bantuan Terus Berdatangan</h3>")
    assert "Bantuan Terus Berdatangan" in extract(page(body)).paragraphs


def test_desk_code_with_a_digit_is_cut_off_the_last_sentence_not_the_sentence() -> None:
    body = story_html().replace("tiga hari.</p>", "tiga hari. <strong>(kor7/wrt)</strong></p>")
    assert list(extract(page(body)).paragraphs) == STORY


def test_sign_off_lines_after_the_last_sentence_are_dropped() -> None:
    ending = (
        "<p>ADI NUGROHO | REUTERS</p><p>Berita Berikutnya</p>"
        "<p>Penyunting &amp; Penulis : Adi Nugroho</p>"
    )
    assert list(extract(page(story_html() + ending)).paragraphs) == STORY


def test_short_closing_sentence_and_a_lead_in_are_kept() -> None:
    ending = "<p>Selamat mencoba!</p>"
    assert extract(page(story_html() + ending)).paragraphs[-1] == "Selamat mencoba!"
    lead_in = "<p>Isi lengkap surat edaran itu:</p>"
    assert extract(page(story_html() + lead_in)).paragraphs[-1] == "Isi lengkap surat edaran itu:"


@pytest.mark.parametrize(
    ("source", "widest"),
    [
        ("abc", 3),
        ("a{2,5}b?", 6),
        ("(?:ab|c){3}", 6),
        ("x{,4}y", 5),
        ("(?i:ab)c|d", 3),
        (r"\u00a0{2}\x41\N{BULLET}", 4),
        (r"[]a]{3}[^\]x]", 4),
        (r"(?<!x)(?=y)y{2}\b$", 2),
        (r"(a(bc))\2\1", 8),
        ("(?P<x>a|bb)-(?P=x){2}", 7),
        (r"\101\0", 2),
        ("{a}", 3),
        ("a{3}?", 3),
        (r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", 10),
        (".{0,300}?x", 301),
    ],
)
def test_a_bounded_pattern_knows_its_widest_match(source: str, widest: int) -> None:
    """A gated pattern is not tried on lines longer than its widest match."""
    assert _longest(re.compile(source)) == widest


@pytest.mark.parametrize("source", ["a*", "b+c", "(?:ab){2,}", r"\d{1,3}(\.\d{3})*", ".{0,9}x.*"])
def test_an_unbounded_pattern_is_tried_on_any_line(source: str) -> None:
    assert _longest(re.compile(source)) == _UNBOUNDED


@pytest.mark.parametrize(
    "line",
    [
        "Edited by Maria Lopez.",
        "Reporting by Will Dunham; editing by Tom Brown",
        "Disunting oleh Budi Santoso",
        "Edited by Maria Lopez and Sam Carter.",
    ],
)
def test_a_credit_line_without_a_colon_is_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "(Reporting by Will Dunham; Editing by Tom Brown)",  # the wire's credit: story text
        "Written by hand, the note was found in 1920 by a farmer near the river.",
    ],
)
def test_a_bracketed_wire_credit_or_a_sentence_is_not(line: str) -> None:
    assert not is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Redaktur & Reporter : Ridwan Abdul Malik",
        "Penulis/Editor: Budi Santoso",
    ],
)
def test_joined_credit_labels_are_clutter(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize(
    "line",
    ["He met the editor.", "The reporter who broke the story later won an award for it."],
)
def test_a_sentence_about_a_reporter_is_not(line: str) -> None:
    assert not is_clutter_line(line)


def _opening(*texts: str) -> list[str]:
    """The body cleaned from a headline, ``texts``, and the story (its dateline left out:
    lines above a dateline are header lines anyway)."""
    story = [Line(text, "p") for text in STORY[1:]]
    lines = [Line("Judul Berita Contoh", "h1"), *(Line(t, "p") for t in texts), *story]
    return [x.text for x in clean_lines(lines, "Judul Berita Contoh", vocabulary()).lines]


def test_a_name_over_the_writers_role_opening_the_body_is_a_byline() -> None:
    assert _opening("Owen Pritchard", "Transport reporter") == STORY[1:]


def test_a_name_over_a_date_stamp_opening_the_body_is_a_byline() -> None:
    assert _opening("Owen Pritchard", "3 Februari 2025 10:15 WIB") == STORY[1:]


def test_a_short_line_over_story_text_stays() -> None:
    """Without a clutter line under it, a short opening line is the story's (a kicker
    or a lead-in the gold keeps): only a name over a clutter line is taken for a byline."""
    assert _opening("Owen Pritchard") == ["Owen Pritchard", *STORY[1:]]
    assert _opening("tiga hari terakhir", "Transport reporter") == [
        "tiga hari terakhir",
        *STORY[1:],
    ]


@pytest.mark.parametrize("role", ["Environment correspondent", "Senior political reporter"])
def test_a_writers_role_under_the_byline_goes(role: str) -> None:
    assert _opening(role) == STORY[1:]


def test_a_role_like_line_further_down_is_the_storys() -> None:
    """Past the body's first lines a short line naming a role is a subheading or a
    list item of the story ("Letters to the editor")."""
    lines = [Line(t, "p") for t in STORY[1:]] * 3
    lines.insert(7, Line("Letters to the editor", "p"))
    cleaned = clean_lines(lines, "Judul Berita Contoh", vocabulary()).lines
    assert "Letters to the editor" in [x.text for x in cleaned]
