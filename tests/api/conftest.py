"""Fixtures of the API tests live in api_harness (importable by name from the tests)."""

from api_harness import server

__all__ = ["server"]
