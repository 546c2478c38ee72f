"""Listicle pages whose numbered entries each sit in their own box beside the intro: the
run of same-shaped entry boxes (a heading and prose each, few links) is read with the
intro, while a card grid or related rail beside them stays out."""

from __future__ import annotations

from kabar.extract import extract

_EN_ITEMS = (
    ("1. Keep a spare key with a neighbour",
     "A neighbour who can let you in saves a locksmith call, and it costs you nothing but a "
     "plate of biscuits now and then."),
    ("2. Label the fuse box",
     "When the lights go out, a labelled fuse box turns a guessing game into a two-minute "
     "job, even for a guest."),
    ("3. Photograph the meter readings",
     "A dated photo of each meter settles most billing arguments before they start, and "
     "takes seconds on the first of the month."),
    ("4. Write down the water valve spot",
     "Knowing where the main valve is, and having turned it once, keeps a burst pipe from "
     "becoming a flooded kitchen."),
)  # fmt: skip

_EN_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    "<title>Four Small Habits That Save Homeowners Money</title></head><body>"
    "<header><nav><a href='/'>Home</a><a href='/living'>Living</a></nav></header>"
    "<main><article class='piece'><h1>Four Small Habits That Save Homeowners Money</h1>"
    "<p class='standfirst'>Little things, done once, that pay for themselves.</p>"
    "<div class='byline'><a href='/staff/ines'>Ines Marlow</a><span>Homewise Staff</span>"
    "<time>Posted on May 3, 2024, at 9:00 a.m. ET</time></div>"
    "<div class='post-text'><p>None of these take a weekend, a tool belt or a budget. They "
    "are small habits, and each one has saved a reader of ours real money, time and "
    "temper over the years.</p><p>We asked around, tried them ourselves, and kept the ones "
    "that stuck.</p></div>"
    + "".join(
        f"<div class='step'><h2>{head}</h2><figure><img src='/p{i}.jpg'>"
        f"<figcaption>Ines Marlow / Homewise Photo Desk</figcaption></figure><p>{text}</p></div>"
        for i, (head, text) in enumerate(_EN_ITEMS)
    )
    + "<div class='more-reads'><h3>More to read</h3><ul>"
    "<li><a href='/a'>The best garden hoses we tested this spring</a></li>"
    "<li><a href='/b'>How to pick a ladder you will actually use</a></li>"
    "<li><a href='/c'>Quiz: which houseplant matches your schedule?</a></li></ul></div>"
    "</article></main><footer><p>Copyright 2024 Homewise</p></footer></body></html>"
)

_ID_ITEMS = (
    ("1. Buat daftar belanja sebelum berangkat",
     "Daftar yang ditulis di rumah membuat kita tidak tergoda membeli barang yang tidak "
     "perlu, apalagi saat ada potongan harga di lorong depan."),
    ("2. Bandingkan harga per satuan",
     "Kemasan besar belum tentu lebih murah. Lihat harga per gram atau per liter yang "
     "biasanya tertulis kecil di label rak."),
    ("3. Belanja setelah makan",
     "Perut yang kenyang membuat kita lebih tenang memilih, sehingga camilan tidak ikut "
     "masuk keranjang tanpa rencana."),
    ("4. Manfaatkan merek toko",
     "Produk merek toko sering dibuat pabrik yang sama dengan merek terkenal, tetapi "
     "harganya bisa lebih hemat hingga seperlima."),
    ("5. Simpan struk dan catat pengeluaran",
     "Dengan mencatat setiap struk, kita tahu pos mana yang paling boros dan bisa "
     "menyesuaikan anggaran bulan berikutnya."),
)  # fmt: skip

_ID_CARDS = (
    "Resep sayur lodeh sederhana untuk makan siang keluarga",
    "Tips memilih kulkas hemat listrik untuk rumah kecil",
    "Cara menyimpan sayuran agar tetap segar selama sepekan",
    "Daftar menu sarapan praktis untuk anak sekolah",
)

_ID_PAGE = (
    '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">'
    "<title>5 Cara Hemat Belanja Bulanan di Supermarket</title></head><body>"
    "<header><nav><a href='/'>Beranda</a><a href='/keluarga'>Keluarga</a></nav></header>"
    "<main><div class='page-inner'><h1>5 Cara Hemat Belanja Bulanan di Supermarket</h1>"
    "<div class='detail-author'>Penulis: Rara Anindya | Editor: Dimas Prakoso</div>"
    "<div class='detail-text'><p>Belanja bulanan sering membuat dompet menipis lebih cepat "
    "dari rencana. Berikut lima cara sederhana agar belanja tetap hemat, tanpa harus "
    "mengurangi kebutuhan keluarga.</p><p>Cara-cara ini bisa dicoba mulai akhir pekan ini, "
    "di supermarket mana pun, dengan anggaran berapa pun.</p></div>"
    + "".join(
        f"<section class='tip-section'><h3>{head}</h3><figure><img src='/t{i}.jpg'>"
        "<figcaption>Ilustrasi belanja (unsplash.com/contoh-foto)</figcaption></figure>"
        f"<p>{text}</p></section>" + ("<div class='ad-slot'>Iklan</div>" if i == 1 else "")
        for i, (head, text) in enumerate(_ID_ITEMS)
    )
    + "".join(
        f"<div class='tile'><a href='/r{i}'><img src='/r{i}.jpg'></a>"
        f"<h3><a href='/r{i}'>{title}</a></h3><p>Baca selengkapnya</p></div>"
        for i, title in enumerate(_ID_CARDS)
    )
    + "</div></main><footer><p>Hak cipta 2024 Contoh Media</p></footer></body></html>"
)


def test_english_listicle_keeps_every_item_box_and_not_the_rail() -> None:
    article = extract(_EN_PAGE.encode(), "https://www.homewise.example.com/living/habits")
    text = "\n".join(article.paragraphs)
    assert article.paragraphs[0].startswith("None of these take a weekend")
    for head, body in _EN_ITEMS:
        assert head in article.paragraphs
        assert body in article.paragraphs
    assert "garden hoses" not in text
    assert "More to read" not in text


def test_indonesian_numbered_tips_keep_sections_but_not_the_cards_grid() -> None:
    article = extract(_ID_PAGE.encode(), "https://www.contoh.example.com/keluarga/hemat-belanja")
    text = "\n".join(article.paragraphs)
    assert article.paragraphs[0].startswith("Belanja bulanan sering")
    for head, body in _ID_ITEMS:
        assert head in article.paragraphs
        assert body in article.paragraphs
    for title in _ID_CARDS:
        assert title not in text
    assert "Baca selengkapnya" not in text
    assert "Iklan" not in article.paragraphs
