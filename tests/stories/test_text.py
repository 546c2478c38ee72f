"""Content words, stopwords and entity candidates."""

from __future__ import annotations

from kabar.dedup import text


def test_stopword_lists_cover_function_words_and_boilerplate() -> None:
    stop = text.stopwords()
    for word in ("yang", "dan", "kata", "ujar", "menurut", "tahun", "senin", "juni"):
        assert word in stop
    for word in ("the", "said", "monday", "according", "beliau", "kerana", "khamis"):
        assert word in stop
    assert "banjir" not in stop and "putin" not in stop


def test_content_words_drop_stopwords_numbers_and_clitics() -> None:
    words = text.content_words(
        "Menurut Kepala BPBD, banjirnya merendam 300 rumah pada Senin, ujar dia."
    )
    assert words == ["kepala", "bpbd", "banjir", "merendam", "rumah"]


def test_english_plural_and_possessive_are_folded() -> None:
    assert text.content_words("Putin's talks with the leaders") == ["putin", "talk", "leader"]
    assert text.stem("business") == "business"


def test_entities_find_multiword_names_not_sentence_initial_words() -> None:
    body = (
        "Presiden Rusia Vladimir Putin tiba di Pyongyang pada Rabu. "
        "Dia disambut pemimpin Korea Utara Kim Jong Un di bandara. "
        "Kunjungan itu yang pertama sejak 2000."
    )
    found = text.entities(body)
    assert "presiden rusia vladimir putin" in found
    assert "pyongyang" in found
    assert "korea utara kim jong un" in found
    assert "kunjungan" not in found  # a lone capitalised word opening a sentence
    assert {"putin", "pyongyang", "kim", "jong"} <= set(text.entity_words(body))


def test_entity_runs_stop_at_punctuation() -> None:
    found = text.entities("Pertemuan di Korea Utara (Korut), Rusia dan Ukraina.")
    assert "korea utara" in found
    assert "korut" in found
    assert not any("utara korut" in name for name in found)


def test_quantities_keep_units_and_currencies() -> None:
    found = text.quantities("Laba naik 18 persen menjadi Rp5,3 triliun; revenue $27.2 billion")
    assert "18 persen" in found
    assert "rp5.3 triliun" in found
    assert "$27.2 billion" in found


def test_numbered_words_name_which_instance() -> None:
    assert text.numbered_words("13-Inch MacBook Pro, a 55-year-old hunter") == {
        "inch": frozenset({"13"}),
        "year": frozenset({"55"}),
    }
    assert text.numbered_words("Pencarian Hari ke-3, Liga Kota Pekan ke 12") == {
        "hari": frozenset({"3"}),
        "pekan": frozenset({"12"}),
    }
    assert text.numbered_words("Harga naik 10 persen") == {}


def _regex_content_words(sample: str) -> list[str]:
    """content_words as the plain regex tokenizer defines it (the reference)."""
    stop = text.stopwords()
    out = []
    for word in text.words(sample):
        if len(word) < 3 or word in stop or word.isdigit():
            continue
        word = text.stem(word)
        if word not in stop:
            out.append(word)
    return out


def test_fast_tokenizing_agrees_with_the_regex_words() -> None:
    samples = [
        "Menurut Kepala BPBD, banjirnya (sekitar 300 rumah) merendam desa_timur; 'katanya' ...",
        "Putin's talks — with “the leaders” — ended: 'isn't' dead_yet, U.S. said.",
        "Président Macron à Jakarta: kerja sama senilai Rp5,3 triliun dengan PT Kereta Cepat.",
        "",
    ]
    for sample in samples:
        assert text.content_words(sample) == _regex_content_words(sample), sample


def test_entity_words_are_the_words_of_the_entities() -> None:
    body = (
        "JAKARTA - Menteri Keuangan Sri Mulyani bertemu Gubernur Bank Indonesia di Jakarta. "
        'Dia berkata: "Kita siap." Inflasi naik 3 persen.\n'
        "Pertemuan itu dihadiri Wakil Presiden (Wapres) dan para bupati."
    )
    stop = text.stopwords()
    expected = {
        w
        for name in text.entities(body)
        if not name[:1].isdigit()
        for w in name.split()
        if len(w) >= 3 and w not in stop
    }
    listed = text.entity_words(body)
    found = set(listed)
    assert found == expected and len(listed) == len(found)
    assert {"sri", "mulyani", "bank", "indonesia"} <= found
    assert "pertemuan" not in found and "kita" not in found
