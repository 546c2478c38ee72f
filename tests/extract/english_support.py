"""The English test story the session hold-out tests wrap their clutter around (a ferry
timetable cut, invented), its page head, and what an extraction keeps beyond it."""

from __future__ import annotations

from kabar.extract import extract

STORY = [
    "The ferry service to Gull Island will stop running on weekdays from March, the county "
    "said on Tuesday, after two years of falling passenger numbers.",
    "Weekend crossings will continue at the same fares, and islanders will be able to book "
    "a water taxi on weekdays for the price of a ferry ticket.",
    "“We have kept the boat running for a dozen passengers a day, and we cannot go on doing "
    "that,” said the county's transport chair, Edith Marlowe.",
    "The county will review the timetable again next winter, when the new pier is finished.",
]
URL = "https://www.coastgazette.example.com/news/gull-island-ferry-weekdays/"
HEADLINE = "Gull Island ferry to stop weekday runs"
HEAD = f"<html><head><title>{HEADLINE}</title></head><body>"


def story_with(inside: str) -> str:
    """The story's paragraphs with ``inside`` between the second and the third."""
    return (
        "".join(f"<p>{p}</p>" for p in STORY[:2])
        + inside
        + "".join(f"<p>{p}</p>" for p in STORY[2:])
    )


def kept(html: str) -> list[str]:
    """The paragraphs extracted from ``html`` that are not the story's."""
    return [p for p in extract(html, URL).paragraphs if p not in STORY]
