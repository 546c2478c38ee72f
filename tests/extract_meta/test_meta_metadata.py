"""Metadata from self-written sample pages: JSON-LD, OpenGraph, meta tags, page text."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from kabar.extract.bylines import printed_credits
from kabar.extract.metadata import Metadata, authors_from_lines, clean_title, extract_metadata

URL = "https://warta.contoh.co.id/nasional/read/2024/06/20/1345/banjir-rob-genangi-pesisir"


def meta_of(html: str, url: str | None = URL) -> Metadata:
    return extract_metadata(LexborHTMLParser(html), url)


JSONLD_PAGE = """<!doctype html><html lang="id-ID"><head>
<title>Banjir Rob Genangi Pesisir Utara - Warta Contoh</title>
<meta property="og:title" content="Judul OG yang kalah">
<meta property="og:site_name" content="Warta Contoh">
<meta property="article:published_time" content="2024-06-01T00:00:00+07:00">
<link rel="canonical" href="/nasional/read/2024/06/20/1345/banjir-rob-genangi-pesisir">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Banjir Rob Genangi Pesisir Utara",
 "datePublished": "2024-06-20T13:45:00+07:00", "dateModified": "2024-06-20T15:00:00+07:00",
 "author": [{"@type": "Person", "name": "Sri Wahyuni"},
            {"@type": "Person", "name": "Budi Hartono"}],
 "articleSection": "Nasional", "keywords": ["banjir rob", "pesisir", "cuaca"],
 "image": {"@type": "ImageObject", "url": "/foto/rob.jpg"},
 "description": "Air laut pasang merendam permukiman warga.",
 "publisher": {"@type": "Organization", "name": "Warta Contoh"}}
</script></head><body><h1>Banjir Rob Genangi Pesisir Utara</h1><p>Isi.</p></body></html>"""


def test_jsonld_article_wins_over_other_sources() -> None:
    meta = meta_of(JSONLD_PAGE)
    assert meta.title == "Banjir Rob Genangi Pesisir Utara"
    assert meta.authors == ("Sri Wahyuni", "Budi Hartono")
    assert meta.published_at == "2024-06-20T06:45:00Z"
    assert meta.updated_at == "2024-06-20T08:00:00Z"
    assert meta.section == "Nasional"
    assert meta.tags == ("banjir rob", "pesisir", "cuaca")
    assert meta.image == "https://warta.contoh.co.id/foto/rob.jpg"
    assert meta.canonical_url == URL
    assert meta.language == "id"
    assert meta.description == "Air laut pasang merendam permukiman warga."
    assert meta.site_name == "Warta Contoh"


def test_jsonld_graph_with_author_reference() -> None:
    html = """<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "@id": "#site", "name": "Kabar Kampung"},
      {"@type": "Person", "@id": "#p1", "name": "Dewi Lestari Putri"},
      {"@type": ["Article", "NewsArticle"], "headline": "Pasar Tradisional Direnovasi",
       "author": {"@id": "#p1"}, "datePublished": "2024-03-05T09:00:00+08:00",
       "image": ["https://img.contoh.id/pasar.jpg", "https://img.contoh.id/pasar2.jpg"]}
    ]}</script></head><body></body></html>"""
    meta = meta_of(html)
    assert meta.title == "Pasar Tradisional Direnovasi"
    assert meta.authors == ("Dewi Lestari Putri",)
    assert meta.published_at == "2024-03-05T01:00:00Z"
    assert meta.image == "https://img.contoh.id/pasar.jpg"


def test_jsonld_top_level_list_and_string_author() -> None:
    html = """<html><head><script type="application/ld+json">
    [{"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "Beranda"},
        {"@type": "ListItem", "position": 2, "name": "Olahraga"},
        {"@type": "ListItem", "position": 3, "name": "Timnas Menang Tipis"}]},
     {"@type": "ReportageNewsArticle", "headline": "Timnas Menang Tipis",
      "author": "Agus Salim", "datePublished": "2024-06-11 20:30:00"}]
    </script></head><body></body></html>"""
    meta = meta_of(html)
    assert meta.title == "Timnas Menang Tipis"
    assert meta.authors == ("Agus Salim",)
    assert meta.published_at == "2024-06-11T13:30:00Z"
    assert meta.section == "Olahraga"


def test_broken_jsonld_is_repaired_or_salvaged() -> None:
    trailing_comma = """<script type="application/ld+json"><!--
    {"@type": "BlogPosting", "headline": "Catatan Perjalanan
    ke Flores", "author": {"name": "Rina Marlina"}, "datePublished": "2023-11-02T10:00:00Z",}
    --></script>"""
    meta = meta_of(f"<html><head>{trailing_comma}</head><body></body></html>")
    assert meta.title == "Catatan Perjalanan ke Flores"
    assert meta.authors == ("Rina Marlina",)

    hopeless = """<script type="application/ld+json">
    {"@type": "NewsArticle", "headline": "Harga Cabai Naik", "datePublished":
     "2024-02-14T07:00:00+07:00", "author": {"@type": "Person", "name": "Yusuf Kalla"},
     "articleBody": "kutipan "tanpa" escape" }}}</script>"""
    meta = meta_of(f"<html><head>{hopeless}</head><body></body></html>")
    assert meta.title == "Harga Cabai Naik"
    assert meta.published_at == "2024-02-14T00:00:00Z"
    assert meta.authors == ("Yusuf Kalla",)


def test_opengraph_and_meta_fallbacks() -> None:
    html = """<html lang="id"><head>
    <title>Pameran Batik Nusantara | Liputan Contoh</title>
    <meta property="og:title" content="Pameran Batik Nusantara | Liputan Contoh">
    <meta property="og:image" content="https://cdn.contoh.id/batik.jpg">
    <meta property="og:site_name" content="Liputan Contoh">
    <meta property="article:published_time" content="2024-05-02T10:00:00+07:00">
    <meta property="article:modified_time" content="2024-05-02T12:30:00+07:00">
    <meta property="article:section" content="Budaya">
    <meta property="article:tag" content="batik"><meta property="article:tag" content="pameran">
    <meta name="author" content="Liputan Contoh">
    <meta name="description" content="Ratusan perajin memamerkan karya.">
    </head><body><h1>Pameran Batik Nusantara</h1></body></html>"""
    meta = meta_of(html, "https://www.liputancontoh.com/budaya/pameran-batik")
    assert meta.title == "Pameran Batik Nusantara"
    assert meta.published_at == "2024-05-02T03:00:00Z"
    assert meta.updated_at == "2024-05-02T05:30:00Z"
    assert meta.section == "Budaya"
    assert meta.tags == ("batik", "pameran")
    assert meta.image == "https://cdn.contoh.id/batik.jpg"
    assert meta.authors == ()  # the site's own name is not an author
    assert meta.description == "Ratusan perajin memamerkan karya."


def test_portal_specific_meta_date_names() -> None:
    for name, value, expected in [
        ("pubdate", "2024/06/20 13:45:00", "2024-06-20T06:45:00Z"),
        ("publishdate", "2024-06-20 13:45:00", "2024-06-20T06:45:00Z"),
        ("content_PublishedDate", "2024-06-20 13:45:00", "2024-06-20T06:45:00Z"),
        ("dtk:publishdate", "2024-06-20 13:45:00", "2024-06-20T06:45:00Z"),
        ("parsely-pub-date", "2024-06-20T06:45:00Z", "2024-06-20T06:45:00Z"),
        ("dc.date.issued", "2024-06-20", "2024-06-19T17:00:00Z"),
    ]:
        html = f'<html><head><meta name="{name}" content="{value}"></head><body></body></html>'
        assert meta_of(html).published_at == expected, name


def test_section_that_names_the_site_is_ignored() -> None:
    html = """<html><head><meta property="og:site_name" content="Warta Contoh">
    <meta property="article:section" content="wartacontoh.co.id">
    <meta name="section" content="Ekonomi"></head></html>"""
    assert meta_of(html).section == "Ekonomi"


def test_keywords_and_news_keywords() -> None:
    html = """<html><head><meta name="keywords" content="umum, situs">
    <meta name="news_keywords" content="pemilu, KPU , pemilu, TPS">
    <meta name="description" content="Persiapan TPS di daerah terpencil."></head></html>"""
    assert meta_of(html).tags == ("pemilu", "KPU", "TPS")


def test_keywords_that_only_echo_the_description_are_ignored() -> None:
    html = """<html><head>
    <meta name="description" content="Warga desa gotong royong membersihkan saluran air.">
    <meta name="keywords" content="Warga, desa, gotong, royong, membersihkan, saluran">
    </head></html>"""
    assert meta_of(html).tags == ()


def test_real_keyword_before_the_echoed_description_is_kept() -> None:
    html = """<html><head>
    <meta name="description" content="Warga desa gotong royong membersihkan saluran air.">
    <meta name="keywords" content="Kerja Bakti, Warga, desa, gotong, royong, membersihkan, saluran">
    </head></html>"""
    assert meta_of(html).tags == ("Kerja Bakti",)


def test_boilerplate_keywords_and_the_headline_are_no_tags() -> None:
    html = """<html><head><title>Harga Cabai Naik Jelang Lebaran</title>
    <meta name="keywords" content="Harga Cabai Naik Jelang Lebaran, harga cabai, pasar induk,
    berita terkini, berita hari ini, portal berita, berita ekonomi, Latest News">
    </head></html>"""
    assert meta_of(html).tags == ("harga cabai", "pasar induk")


def test_labelled_jsonld_keywords_keep_the_topic() -> None:
    html = """<html><head><script type="application/ld+json">{"@type": "NewsArticle",
    "headline": "Aktor Rayakan Ulang Tahun Pernikahan",
    "keywords": ["Seleb: Gosip", "Topic: Rayhan Putra"]}</script></head></html>"""
    assert meta_of(html).tags == ("Rayhan Putra",)


def test_meta_authors_and_parsely() -> None:
    html = """<html><head><meta name="parsely-author" content="Hendra Gunawan">
    <meta property="article:author" content="https://www.facebook.com/wartacontoh">
    </head></html>"""
    assert meta_of(html).authors == ("Hendra Gunawan",)


def test_byline_in_page_text_reporter_and_editor() -> None:
    html = """<html><body><h1>Jalan Tol Baru Dibuka</h1>
    <div class="info">Reporter: Fajar Nugroho | Editor: Lina Marpaung</div>
    <div class="date">Jumat, 21 Juni 2024 - 08:15 WIB</div>
    <p>Jalan tol sepanjang 30 kilometer dibuka untuk umum oleh pemerintah daerah.</p>
    </body></html>"""
    meta = meta_of(html)
    assert meta.title == "Jalan Tol Baru Dibuka"
    assert meta.authors == ("Fajar Nugroho",)
    assert meta.published_at == "2024-06-21T01:15:00Z"


def test_byline_element_with_site_suffix_and_photo_credit() -> None:
    html = """<html><body>
    <figure class="photo"><img src="a.jpg"><span class="author">Antoni Wijaya</span></figure>
    <h1>Gempa Kecil Guncang Pantai Selatan</h1>
    <div class="author"><strong>Maria Ulfa</strong> - wartacontoh</div>
    <div class="byline-date">Sabtu, 22 Juni 2024 10:00 WITA</div></body></html>"""
    meta = meta_of(html)
    assert meta.authors == ("Maria Ulfa",)
    assert meta.published_at == "2024-06-22T02:00:00Z"


def test_oleh_line_and_several_authors() -> None:
    html = """<html><body><h1>Festival Kuliner Digelar</h1>
    <p>Oleh: Rudi Hartono, Siti Aminah dan Tim Redaksi</p>
    <p>Festival kuliner diikuti oleh lebih dari seratus pedagang.</p></body></html>"""
    assert meta_of(html).authors == ("Rudi Hartono", "Siti Aminah")


def test_kontributor_and_penulis_table() -> None:
    html = """<html><body><h1>Sawah Terendam</h1><p>Isi berita.</p>
    <table><tr><td>Penulis</td><td>: Kontributor Ngawi, Sugeng Riyadi</td></tr>
    <tr><td>Editor</td><td>: Bambang</td></tr></table></body></html>"""
    assert meta_of(html).authors == ("Sugeng Riyadi",)


def test_time_element_and_itemprop() -> None:
    html = """<html><body><h1>Judul</h1>
    <time class="terkait" datetime="2020-01-01T00:00:00Z">lama</time>
    <span itemprop="datePublished" content="2024-06-20T13:45:00+07:00">20 Juni</span>
    </body></html>"""
    assert meta_of(html).published_at == "2024-06-20T06:45:00Z"
    plain = "<html><body><h1>Judul</h1><time>Kamis, 20 Juni 2024 - 13:45 WIB</time></body></html>"
    assert meta_of(plain).published_at == "2024-06-20T06:45:00Z"


def test_date_next_to_headline_beats_dates_elsewhere() -> None:
    html = """<html><body><div class="top">Senin, 24 Juni 2024</div>
    <script>var info = {title:"Harga Beras Stabil", date:"2019-01-01 00:00:00"};</script>
    <h1>Harga Beras Stabil</h1><div>Minggu, 23 Juni 2024 | 19:20 WIB</div>
    <ul><li>Berita lain - 22 Juni 2024 10:00</li></ul></body></html>"""
    assert meta_of(html).published_at == "2024-06-23T12:20:00Z"


def test_negative_offset_sign_slip_checked_against_visible_date() -> None:
    slipped = """<html><head>
    <meta property="article:published_time" content="2024-06-20T13:45:00-07:00"></head>
    <body><h1>Pasar Murah Digelar</h1><span>20 Juni 2024 13:45</span></body></html>"""
    assert meta_of(slipped).published_at == "2024-06-20T06:45:00Z"
    honest = """<html><head>
    <meta property="article:published_time" content="2024-06-20T13:45:00-07:00"></head>
    <body><h1>County Fair Opens</h1><span>June 20, 2024</span></body></html>"""
    assert meta_of(honest).published_at == "2024-06-20T20:45:00Z"


def test_utc_label_on_wib_wall_time_checked_against_visible_date() -> None:
    slipped = """<html><head><meta name="pubdate" content="2015-11-05 T10:08:58Z"></head>
    <body><div class="date">Kamis, 05/11/2015 10:08 WIB</div><h1>Ponsel Baru Diluncurkan</h1>
    </body></html>"""
    assert meta_of(slipped).published_at == "2015-11-05T03:08:58Z"
    honest = """<html><head><meta name="pubdate" content="2015-11-05T03:08:58Z"></head>
    <body><div class="date">Kamis, 05/11/2015 10:08 WIB</div><h1>Ponsel Baru Diluncurkan</h1>
    </body></html>"""
    assert meta_of(honest).published_at == "2015-11-05T03:08:58Z"
    # Went live half an hour after the time printed on the page: still the same slip.
    later = slipped.replace("10:08:58Z", "10:40:00Z")
    assert meta_of(later).published_at == "2015-11-05T03:40:00Z"


def test_linked_copy_of_the_title_is_not_the_headline() -> None:
    # A carousel above the article links the story's own title; the stamp next to that
    # teaser (in the "latest" list) is not the story's date.
    html = """<html><head><title>Lahan Gambut Dikelola Bersama</title></head><body>
    <ul class="carousel"><li><a href="/a/1">Lahan Gambut Dikelola Bersama</a></li></ul>
    <div class="latest"><div class="tanggal">Rabu, 04 November 2015 | 19:14</div>
    <a href="/a/2">Berita lain sore ini</a></div>
    <div class="tanggal">Rabu, 04 November 2015 | 07:28 WIB</div>
    <div class="judul">Lahan Gambut Dikelola Bersama</div>
    <div class="isi"><p>Isi berita.</p></div></body></html>"""
    assert meta_of(html).published_at == "2015-11-04T00:28:00Z"


def test_language_sources() -> None:
    assert meta_of('<html lang="id-ID"><head></head></html>').language == "id"
    og = '<html><head><meta property="og:locale" content="id_ID"></head></html>'
    assert meta_of(og).language == "id"
    assert meta_of("<html><head></head></html>").language is None


def test_canonical_and_image_resolution() -> None:
    html = """<html><head><link rel="canonical" href="//warta.contoh.co.id/a/1">
    <meta property="og:image" content="http:http://broken/x.jpg">
    <meta name="twitter:image" content="/img/ok.jpg"></head></html>"""
    meta = meta_of(html)
    assert meta.canonical_url == "https://warta.contoh.co.id/a/1"
    assert meta.image == "https://warta.contoh.co.id/img/ok.jpg"
    no_url = meta_of('<html><head><link rel="canonical" href="/a/1"></head></html>', None)
    assert no_url.canonical_url is None


def test_empty_page_gives_empty_metadata() -> None:
    assert meta_of("<html><body></body></html>", None) == Metadata()


def test_clean_title_strips_site_names() -> None:
    assert clean_title("Harga BBM Turun - Kompas.com", ()) == "Harga BBM Turun"
    assert clean_title("Harga BBM Turun | Liputan6", ("liputan6",)) == "Harga BBM Turun"
    assert clean_title("Harga BBM Turun - Ekonomi :: Okezone", ("okezone",)) == (
        "Harga BBM Turun - Ekonomi"
    )
    assert clean_title("KapanLagi.com: Artis Merilis Album", ()) == "Artis Merilis Album"
    assert clean_title("Harga BBM Turun | Republika Online", ("republika",)) == "Harga BBM Turun"
    # Separators inside a headline stay when the tail is not the site.
    assert clean_title("Jokowi - Prabowo Bertemu di Istana", ("kompas",)) == (
        "Jokowi - Prabowo Bertemu di Istana"
    )
    assert clean_title("Foto: Banjir di Kota Lama", ("detik",)) == "Foto: Banjir di Kota Lama"


def test_headline_preferred_over_decorated_title() -> None:
    html = """<html><head><title>Berita Terkini | Gunung Meletus Lagi Pagi Ini</title></head>
    <body><h1>Gunung Meletus Lagi Pagi Ini</h1></body></html>"""
    assert meta_of(html).title == "Gunung Meletus Lagi Pagi Ini"


def test_authors_from_body_lines() -> None:
    lines = [
        "Jakarta - Pemerintah membuka pendaftaran beasiswa bagi mahasiswa daerah.",
        "Pendaftaran dibuka hingga akhir bulan depan melalui laman resmi.",
        "Reporter: Wulan Sari | Editor: Hadi",
    ]
    assert authors_from_lines(lines) == ("Wulan Sari",)
    assert authors_from_lines(["Penulis: Warta Contoh"], "Warta Contoh") == ()
    assert authors_from_lines(["Tidak ada nama penulis di sini."]) == ()


def _titled(head: str, body: str) -> str | None:
    html = f"<html><head>{head}</head><body>{body}<p>Isi berita.</p></body></html>"
    return extract_metadata(LexborHTMLParser(html), "https://www.contoh.co.id/a").title


def test_printed_headline_beats_a_search_engine_variant() -> None:
    head = (
        '<meta property="og:title" content="Gempa M5,2 Guncang Garut, Warga Berhamburan">'
        "<title>Gempa Guncang Garut - Contoh</title>"
    )
    body = "<h1 class='judul'>Gempa Magnitudo 5,2 Guncang Garut, Warga Berhamburan ke Jalan</h1>"
    assert _titled(head, body) == "Gempa Magnitudo 5,2 Guncang Garut, Warga Berhamburan ke Jalan"


def test_printed_headline_beats_a_cut_title() -> None:
    head = '<meta property="og:title" content="Pemkot Tambah Armada Bus Sekolah untuk Siswa di...">'
    body = "<h1>Pemkot Tambah Armada Bus Sekolah untuk Siswa di Pinggiran Kota</h1>"
    assert _titled(head, body) == "Pemkot Tambah Armada Bus Sekolah untuk Siswa di Pinggiran Kota"


def test_logo_or_motto_in_h1_is_not_the_headline() -> None:
    head = "<title>Pasar Murah Digelar Jelang Lebaran | Warta Kita Setiap Hari</title>"
    body = (
        "<h1 class='logo'><a href='/'>ContohNews</a></h1><h1>Warta Kita Setiap Hari</h1>"
        "<h2>Pasar Murah Digelar Jelang Lebaran</h2>"
    )
    assert _titled(head, body) == "Pasar Murah Digelar Jelang Lebaran"


def test_h1_printing_the_decorated_title_gives_the_bare_headline() -> None:
    head = '<meta property="og:title" content="Harga Cabai Turun di Pasar Induk">'
    body = "<h1>Contoh Harga Cabai Turun di Pasar Induk - Ekonomi :: Contoh</h1>"
    assert _titled(head, body) == "Harga Cabai Turun di Pasar Induk"


def test_h1_markup_in_a_script_string_is_no_headline() -> None:
    # Old-browser warnings written by scripts hold "<h1>" in a string: three of them would
    # use up the headlines read before the printed one.
    head = "<title>Banjir Rob Rendam Pesisir Utara - Contoh</title>"
    warning = "<script>var w = '<h1>Peringatan<' + '/h1><p>Perbarui peramban Anda</p>';</script>"
    body = warning * 3 + "<h1>Banjir Rob Rendam Pesisir Utara, Ratusan Warga Mengungsi</h1>"
    assert _titled(head, body) == "Banjir Rob Rendam Pesisir Utara, Ratusan Warga Mengungsi"


def test_svg_logo_title_in_h1_is_not_headline_text() -> None:
    head = "<title>Kereta Cepat Tambah Jadwal Akhir Pekan | Warta Contoh</title>"
    logo = "<h1 class='logo'><a href='/'><svg><title>Warta Contoh Harian</title></svg></a></h1>"
    body = logo + "<h1>Kereta Cepat Tambah Jadwal Akhir Pekan</h1>"
    assert _titled(head, body) == "Kereta Cepat Tambah Jadwal Akhir Pekan"


CREDITS = (
    "<div class='credit'><h6>Penulis <a href='/p/1'>Sari Dewi</a>, <a href='/p/2'>Lukas Tan"
    "</a></h6><h6>Editor <a href='/e/3'>Yusuf Hadi</a></h6></div>"
)


def _authored(head: str, body: str, url: str = "https://www.contoh.co.id/a") -> tuple[str, ...]:
    html = (
        f"<html><head>{head}</head><body><h1>Warga Desa Menanam Seribu Pohon Mangrove</h1>"
        f"{body}<p>Isi berita.</p></body></html>"
    )
    return extract_metadata(LexborHTMLParser(html), url).authors


def test_printed_writers_replace_the_editor_in_the_author_field() -> None:
    head = '<meta name="author" content="Yusuf Hadi">'
    assert _authored(head, CREDITS) == ("Sari Dewi", "Lukas Tan")


def test_printed_writers_complete_a_partial_author_field() -> None:
    head = '<meta name="author" content="Lukas Tan">'
    assert _authored(head, CREDITS) == ("Sari Dewi", "Lukas Tan")


def test_author_field_naming_a_printed_writer_alone_is_kept() -> None:
    head = '<meta name="author" content="Sari Dewi">'
    body = "<div>Penulis: Sari Dewi | Editor: Yusuf Hadi</div>"
    assert _authored(head, body) == ("Sari Dewi",)


def test_site_desk_is_the_author_when_no_person_is_named() -> None:
    head = '<meta name="author" content="Tim contohJatim">'
    url = "https://www.contoh.com/jatim/a"
    assert extract_metadata(
        LexborHTMLParser(f"<html><head>{head}</head><body><p>Isi.</p></body></html>"), url
    ).team == "Tim contohJatim"


def test_person_named_tim_is_no_desk() -> None:
    html = '<html><head><meta name="author" content="Tim Rowley"></head><body></body></html>'
    meta = extract_metadata(LexborHTMLParser(html), "https://www.contoh.com/a")
    assert meta.authors == ("Tim Rowley",) and meta.team is None


def test_credit_block_far_below_the_headline_names_the_writer_not_the_editor() -> None:
    # Credits printed under a long story, past the stretch read around the headline, with
    # the colon set on the name's line and the contributor's town before the name.
    story = "".join(f"<p>Paragraf nomor {i} tentang banjir di pesisir.</p>" for i in range(200))
    credits = (
        "<div class='read__credit'><div>Penulis</div><div>: Kontributor Sampang, Nur Aini</div>"
        "<div>Editor</div><div>: Bagus Prasetyo</div></div>"
    )
    html = (
        "<html><head><title>Banjir Rob Rendam Pesisir Sampang - Contoh</title></head><body>"
        f"<h1>Banjir Rob Rendam Pesisir Sampang</h1>{story}{credits}</body></html>"
    )
    meta = extract_metadata(LexborHTMLParser(html), "https://regional.contoh.com/read/1")
    assert meta.authors == ("Nur Aini",)


def test_printed_credits_read_a_colon_on_the_name_line() -> None:
    writers, editors = printed_credits("Penulis\n: Dewi Lestari\nEditor\n: Hadi Susanto")
    assert (writers, editors) == (("Dewi Lestari",), ("Hadi Susanto",))
    assert printed_credits("Penulis: Kontributor Ngawi, Rudi Hartono")[0] == ("Rudi Hartono",)


def test_site_name_in_the_author_meta_gives_way_to_the_printed_writer() -> None:
    # A regional site puts its own name ("Kabar Solo", not its og:site_name spelling) in
    # the author field beside the writer; the printed credit names only the writer.
    html = """<html><head><meta name="author" content="Kabar Solo">
    <meta name="content_author" content="Ratna Wulandari">
    <meta property="og:site_name" content="Kabarsolo.id"></head><body>
    <h1>Pasar Malam Dibuka Lagi</h1>
    <div class="credit">Penulis: <a href="/p/ratna">Ratna Wulandari</a> |
    Editor: <a>Joko Susilo</a></div>
    <p>Pasar malam di alun-alun kembali dibuka setelah renovasi selesai.</p></body></html>"""
    assert meta_of(html, "https://solo.kabarsolo.id/2024/07/01/pasar-malam").authors == (
        "Ratna Wulandari",
    )


def test_byline_links_add_the_second_writer_the_metadata_lacks() -> None:
    html = """<html><head><meta name="author" content="Sekar Ayu Lestari"></head><body>
    <h1>Jembatan Gantung Diperbaiki Warga</h1>
    <div class="byline"><a href="/p/sekar">Sekar Ayu Lestari</a>,
    <a href="/p/dimas">Dimas Prakoso</a></div>
    <div class="date">Senin, 1 Juli 2024 - 09:00 WIB</div>
    <p>Warga bergotong royong memperbaiki jembatan gantung yang rusak.</p></body></html>"""
    assert meta_of(html).authors == ("Sekar Ayu Lestari", "Dimas Prakoso")


def test_desk_prefixed_byline_gives_the_full_name_of_a_short_meta_author() -> None:
    html = """<html><head><meta name="author" content="Bisnis - Rafi, Warta Nusa">
    <meta property="og:site_name" content="Warta Nusa"></head><body>
    <h1>Harga Cabai Turun di Pasar Induk</h1>
    <div class="author">Bisnis - Rafi Ardiansyah, Warta Nusa</div>
    <p>Harga cabai rawit turun sepertiga dibandingkan pekan lalu.</p></body></html>"""
    assert meta_of(html).authors == ("Rafi Ardiansyah",)


def test_photo_page_without_byline_gets_its_photographer_from_the_body_lines() -> None:
    caption = "Penari membawakan tari piring di halaman museum saat festival budaya, Sabtu."
    lines = [caption, "WARTA FOTO/Rina Kusuma/rk.", "COPYRIGHT © WARTA 2024"]
    assert authors_from_lines(lines, "Warta", "https://www.warta.co.id/foto/1/tari") == (
        "Rina Kusuma",
    )
    assert authors_from_lines([*lines, "Pewarta: Dodi Hermawan"]) == ("Dodi Hermawan",)


def test_blog_name_in_h1_gives_way_to_the_post_title_a_lower_heading_prints() -> None:
    # The blog's name in <h1>, "Blog: Post" in <title>, no og:title: the post's own
    # heading (<h3>) printing the part after the colon makes that part the headline.
    page = (
        "<html><head><title>Kebun Kecil: Menanam tomat di pot bekas</title></head><body>"
        "<h1><a href='/'>Kebun Kecil</a></h1><h2>Senin, 4 Maret 2013</h2>"
        "<h3 class='post-title'> Menanam tomat di  pot bekas </h3>"
        "<div>Tomat tumbuh subur di pot cat bekas yang dilubangi bawahnya.</div>"
        "</body></html>"
    )
    title = extract_metadata(LexborHTMLParser(page), "http://kebunkecil.blogspot.com/p").title
    assert title == "Menanam tomat di pot bekas"


def test_a_site_name_printed_in_a_lower_heading_is_no_headline() -> None:
    page = (
        "<html><head><title>Harga beras turun | Warta Desa</title></head><body>"
        "<h1>Harga beras turun</h1><h3>Warta Desa</h3><p>Harga beras di pasar turun.</p>"
        "</body></html>"
    )
    title = extract_metadata(LexborHTMLParser(page), "http://wartadesa.com/a").title
    assert title == "Harga beras turun"
