"""Fuzz every operation of the published OpenAPI with schemathesis: no input may cause a 5xx.

Deterministic by default (CI); API_FUZZ_RANDOM=1 API_FUZZ_EXAMPLES=300 explores new inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_harness import build_door, running, secured_settings
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from orchestrator.config import ApiToken

FUZZ_TOKEN = "tok-fuzz-0123456789"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[str]:
    """A secured server whose fuzz token holds every role, so requests get past auth."""
    settings = secured_settings(tmp_path / "home")
    settings.api.tokens.append(
        ApiToken(name="fuzz", token=FUZZ_TOKEN, roles=["operator", "approver", "auditor", "webhook"])
    )
    door, _ = build_door(settings)
    with running(settings, door, sse_poll_seconds=0.01) as url:
        yield url


def _fuzz(url: str, examples: int) -> dict[str, int]:
    """Run hypothesis over every operation; returns how many cases each one got."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    counts: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        counts[label] = 0

        def make(label: str, operation: Any) -> Any:
            @given(case=operation.as_strategy())
            @settings(
                max_examples=examples,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=os.environ.get("API_FUZZ_RANDOM") is None,
            )
            def check(case: Any) -> None:
                counts[label] += 1
                response = case.call(headers={"Authorization": f"Bearer {FUZZ_TOKEN}"}, timeout=10)
                case.validate_response(response, checks=[not_a_server_error])

            return check

        make(label, operation)()
    return counts


@pytest.mark.slow
def test_no_input_causes_a_server_error(live: str) -> None:
    counts = _fuzz(live, examples=int(os.environ.get("API_FUZZ_EXAMPLES", "25")))
    assert len(counts) >= 12 and all(n > 0 for n in counts.values()), counts
