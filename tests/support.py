"""Helpers shared by the test modules: ../shared location and schema checks."""

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
