"""Language detection for the languages Indonesian portals publish in."""

from __future__ import annotations

import pytest

from kabar.dedup.language import detect_language


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "Pemerintah kota akan membangun jembatan baru di atas sungai itu tahun depan "
            "agar warga tidak lagi memutar jauh ketika berangkat ke pasar.",
            "id",
        ),
        (
            "Kerajaan akan memberi bantuan kepada mangsa banjir di negeri Kelantan, "
            "kata menteri itu semasa lawatan ke pusat pemindahan sementara.",
            "ms",
        ),
        ("Aku arep lunga menyang pasar karo ibu sesuk esuk, amarga kudu tuku beras.", "jv"),
        ("Abdi bade angkat ka pasar sareng indung enjing-enjing, teu acan dahar.", "su"),
        (
            "The Doobie Brothers will tour North America next year with Michael McDonald.",
            "en",
        ),
    ],
)
def test_detects_regional_languages(sample: str, expected: str) -> None:
    assert detect_language(sample) == expected


@pytest.mark.parametrize("sample", ["", "   ", "halo", "Rp 5.000", "OK ya"])
def test_too_short_text_has_no_language(sample: str) -> None:
    assert detect_language(sample) is None


def test_indonesian_corpus_bodies_are_indonesian(shared_idn_bodies: list[str]) -> None:
    labels = [detect_language(body) for body in shared_idn_bodies]
    assert labels.count("id") >= len(labels) - 1, labels


def test_function_word_vote_settles_plain_indonesian_and_english() -> None:
    from kabar.dedup import language

    indonesian = (
        "Pemerintah kota akan membangun jembatan baru yang lebih lebar di atas sungai itu "
        "tahun depan, dan warga tidak lagi harus memutar jauh ketika mereka berangkat ke pasar "
        "untuk berjualan, kata wali kota yang juga hadir dalam acara tersebut."
    )
    english = (
        "The city will build a new bridge over the river next year, and residents will no "
        "longer have to take the long way around when they go to the market, the mayor said "
        "after the council approved the plan on Monday."
    )
    words = [w for w in indonesian.lower().replace(",", " ").split() if w.isalpha()]
    assert language._stopword_vote(words) == "id"
    longer = words * 2
    assert language._stopword_vote([*longer, "dina"]) == "id"  # one stray marker: a name
    assert language._stopword_vote([*longer, "dina", "jeung", "teh"]) is None
    words = [w for w in english.lower().replace(",", " ").split() if w.isalpha()]
    assert language._stopword_vote(words) == "en"


def test_vote_leaves_malay_and_short_function_words_to_the_model() -> None:
    from kabar.dedup import language

    malay = "kerajaan akan memberi bantuan kepada mangsa banjir kerana hujan lebat semasa cuti"
    assert language._stopword_vote(malay.split()) is None
    # "a" and "do" are English stopwords too, but too short to vote.
    portuguese = "a etapa de a corrida do a campeonato a a do a a a a a a a a a a"
    assert language._stopword_vote(portuguese.split()) is None


def test_vote_counts_as_a_tally_of_every_word_would() -> None:
    """The vote keeps only the words that vote: its verdict is the one a full tally of
    every word's label (None for the rest) gives, marker words and all."""
    import random

    from kabar.dedup.language import (
        MARKER_RATIO,
        VOTE_MARGIN,
        VOTE_MIN_HITS,
        VOTE_MIN_SHARE,
        _stopword_vote,
        _votes,
    )

    table = _votes()
    by_label: dict[str, list[str]] = {}
    for word, label in sorted(table.items()):
        by_label.setdefault(label, []).append(word)
    plain = ["jalan", "banjir", "kota", "river", "bridge", "warga", "x1", "pasar"]

    def tally(words: list[str]) -> str | None:
        labels = [table.get(w) for w in words]
        ids, ens, unsure = labels.count("id"), labels.count("en"), labels.count("?")
        if unsure * MARKER_RATIO >= max(ids, ens):
            return None
        for label, hits, other in (("id", ids, ens), ("en", ens, ids)):
            enough = hits >= VOTE_MIN_HITS and hits >= VOTE_MIN_SHARE * len(words)
            if enough and hits >= VOTE_MARGIN * other:
                return label
        return None

    rng = random.Random(7)
    verdicts = set()
    for _ in range(400):
        mix = [rng.randrange(30), rng.randrange(30), rng.randrange(3), rng.randrange(60)]
        words = [rng.choice(by_label["id"]) for _ in range(mix[0])]
        words += [rng.choice(by_label["en"]) for _ in range(mix[1])]
        words += [rng.choice(by_label["?"]) for _ in range(mix[2])]
        words += [rng.choice(plain) for _ in range(mix[3])]
        rng.shuffle(words)
        verdict = _stopword_vote(words)
        assert verdict == tally(words)
        verdicts.add(verdict)
    assert verdicts == {"id", "en", None}


def test_a_clear_opening_decides_a_long_sample_alone() -> None:
    """A long sample whose opening is plainly Indonesian is labelled from the opening; a
    regional marker word in the opening leaves the whole sample to the full vote."""
    from kabar.dedup import language

    sentence = (
        "Pemerintah kota akan membangun jembatan baru yang lebih lebar di atas sungai itu "
        "tahun depan, dan warga tidak lagi harus memutar jauh ketika mereka berangkat ke "
        "pasar untuk berjualan, kata wali kota yang juga hadir dalam acara tersebut. "
    )
    long_text = sentence * 6
    opening = long_text[: language.QUICK_CHARS]
    assert language._quick_vote(opening) == "id"
    assert detect_language(long_text) == "id"
    marked = "Warga karo " + opening
    assert language._quick_vote(marked[: language.QUICK_CHARS]) is None
