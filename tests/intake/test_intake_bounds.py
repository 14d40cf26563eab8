"""Every intake parser refuses hostile JSON with a PayloadError (a 4xx), never a RecursionError or a guess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.intake import PayloadError, parse_alertmanager
from orchestrator.intake.itsm import parse_itsm
from orchestrator.intake.jsonbody import depth_violation, load_json
from orchestrator.intake.requests import parse_start_request

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"
PARSERS = {
    "alertmanager": parse_alertmanager,
    "itsm": parse_itsm,
    "start": lambda body: parse_start_request(body, what="queue message"),
}


def firing(**alert: Any) -> dict[str, Any]:
    """The captured firing payload with fields of its one alert replaced."""
    data: dict[str, Any] = json.loads((FIXTURES / "sample_firing.json").read_text())
    data["alerts"][0].update(alert)
    return data


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize(
    "body",
    [b"[" * 50_000, b'{"a":' * 50_000, b'{"version":"4","alerts":' + b"[" * 50_000 + b"]" * 50_000 + b"}"],
    ids=["arrays", "objects", "inside-a-payload"],
)
def test_deep_nesting_is_refused_before_parsing(parser: str, body: bytes) -> None:
    with pytest.raises(PayloadError, match=r"nested deeper than 32 levels \(at byte \d+\)"):
        PARSERS[parser](body)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert depth_violation(json.dumps({"summary": "[" * 5000 + '\\"{' * 100}).encode(), 4) is None
    assert load_json(json.dumps({"a": [[["x"]]]}).encode(), what="t", max_depth=4) == {"a": [[["x"]]]}
    with pytest.raises(PayloadError, match="nested deeper than 3 levels"):
        load_json(json.dumps({"a": [[["x"]]]}).encode(), what="t", max_depth=3)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1e999}', "number 1e999 is out of range"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b'{"a": "\\ud800"}', "lone UTF-16 surrogate"),
        (b'{"a": "\xff"}', r"is not UTF-8: byte 7"),
        (b'\xef\xbb\xbf{"a": 1}', "is not JSON"),
        (b'{"a": ' + b"9" * 5000 + b"}", "is not JSON"),
        (b"", "is not JSON"),
    ],
)
def test_non_interoperable_json_is_refused_naming_the_problem(body: bytes, problem: str) -> None:
    with pytest.raises(PayloadError, match=problem):
        load_json(body, what="ITSM payload")


def test_size_is_bounded_before_parsing() -> None:
    with pytest.raises(PayloadError, match="ITSM payload of 2049 bytes is over the 2048-byte limit"):
        parse_itsm(b" " * 2049, max_bytes=2048)


@pytest.mark.parametrize(
    ("starts_at", "problem"),
    [
        ("2026-11-28T13:02:23.731", "has no UTC offset"),
        ("2026-11-28T13:02:23", "has no UTC offset"),
        ("2026-11-28 13:02", "has no UTC offset"),
        (1_795_000_000, "not int"),
        ("2026-11-28", "is not RFC 3339"),
        ("28/11/2026 13:02:23Z", "is not RFC 3339"),
    ],
)
def test_a_timestamp_without_an_offset_is_refused_naming_the_field(starts_at: Any, problem: str) -> None:
    body = json.dumps(firing(startsAt=starts_at)).encode()
    with pytest.raises(PayloadError) as refused:
        parse_alertmanager(body)
    message = str(refused.value)
    assert message.startswith("invalid Alertmanager payload: alerts.0.startsAt=")
    assert problem in message and "RFC 3339 timestamp with an offset" in message


def test_ends_at_needs_an_offset_too() -> None:
    with pytest.raises(PayloadError, match=r"alerts\.0\.endsAt=.*has no UTC offset"):
        parse_alertmanager(json.dumps(firing(endsAt="2026-11-28T13:05:00")).encode())


@pytest.mark.parametrize(
    ("starts_at", "key"),
    [
        ("2026-11-28T13:02:23.731Z", "669336a1f64ca8b0@2026-11-28T13:02:23.731Z"),
        ("2026-11-28T14:02:23.731+01:00", "669336a1f64ca8b0@2026-11-28T13:02:23.731Z"),
        ("2026-11-28T13:02:23.731123456Z", "669336a1f64ca8b0@2026-11-28T13:02:23.731Z"),  # Go's nanoseconds
        ("2026-11-28t13:02:23.731z", "669336a1f64ca8b0@2026-11-28T13:02:23.731Z"),
    ],
)
def test_rfc3339_spellings_of_one_instant_are_one_occurrence(starts_at: str, key: str) -> None:
    _, batch = parse_alertmanager(json.dumps(firing(startsAt=starts_at)).encode())
    assert [item.dedup_key for item in batch.items] == [key]
