"""Fixtures of the delivery tests: a throwaway Redis (the dedup tests' own fixture)."""

from tests.dedup.conftest import redis_url

__all__ = ["redis_url"]
