"""The byline vocabulary is data: bylines.toml lists the words that name no person,
the newsroom desks after "Tim", and the company words, and the readers use those lists."""

from __future__ import annotations

import tomllib
from importlib import resources

from kabar.extract import bylines
from kabar.extract.bylines import normalize_authors


def _data() -> dict[str, list[str]]:
    text = resources.files("kabar.extract").joinpath("bylines.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_vocabulary_lists_come_from_the_data_file() -> None:
    data = _data()
    assert frozenset(data["noise"]) == bylines.NOISE
    assert frozenset(data["team_desks"]) == bylines.TEAM_DESKS
    assert frozenset(data["org_words"]) == bylines.ORG_WORDS


def test_listed_words_are_no_authors() -> None:
    data = _data()
    assert "redaksi" in data["noise"] and "newsroom" in data["team_desks"]
    assert "tbk" in data["org_words"]
    raws = ["Redaksi", "Tim Newsroom", "PT Kabar Nusantara Tbk", "Budi Santoso"]
    assert normalize_authors(raws) == ("Budi Santoso",)
