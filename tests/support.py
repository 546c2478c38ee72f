"""Helpers shared by the test modules: ../shared location, schema checks, a stories role
built around a deduper alone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator, FormatChecker

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """../shared beside the repo (or $KABAR_SHARED_DIR); None when absent."""
    path = Path(os.environ.get("KABAR_SHARED_DIR", REPO.parent / "shared"))
    return path if path.is_dir() else None


def schema_validator(name: str) -> Draft202012Validator:
    schema = orjson.loads((REPO / "schemas" / name).read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def assert_valid(validator: Draft202012Validator, event: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(event), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def stories_role(deduper: Any) -> Any:
    """A ``StoriesStage`` holding only ``deduper`` (no fetcher, sources or sender): for
    tests of what the role does with its state and its consumer."""
    from kabar.dedup import content_hash
    from kabar.pipeline import Components
    from kabar.roles import StoriesStage
    from kabar.settings import Settings

    unused: Any = None
    parts = Components(
        fetcher=unused,
        sources=unused,
        sender=unused,
        extract=unused,
        stitch=unused,
        content_hash=content_hash,
        deduper=deduper,
    )
    return StoriesStage(Settings(), parts, "127.0.0.1:1")
