"""Fixtures for the story-clustering tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kabar.settings import DedupSettings
from tests.support import schema_validator


@pytest.fixture
def settings() -> DedupSettings:
    return DedupSettings(store="memory")


@pytest.fixture(scope="session")
def story_schema() -> Draft202012Validator:
    return schema_validator("story.v1.json")


@pytest.fixture(scope="session")
def shared_idn_bodies(shared: Path) -> list[str]:
    return [p.read_text("utf-8") for p in sorted((shared / "corpus" / "idn").glob("*.txt"))]
