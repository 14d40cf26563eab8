"""Canonical JSON (RFC 8785 rules) and the fast payload path that must produce the same bytes."""

from __future__ import annotations

import json
import random

import pytest

from audit.canonical import NotJson, canonical_bytes, canonical_json, format_float
from audit.errors import InvalidEntry
from audit.payload import prepare_payload
from audit.redact import Redactor

# ECMAScript Number.prototype.toString results, as RFC 8785 §3.2.2.3 requires.
NUMBERS = [
    (0.0, "0"),
    (-0.0, "0"),
    (1.0, "1"),
    (4.5, "4.5"),
    (0.002, "0.002"),
    (1e-6, "0.000001"),
    (1e-7, "1e-7"),
    (-1.5e-10, "-1.5e-10"),
    (1e20, "100000000000000000000"),
    (1e21, "1e+21"),
    (1.2345678901234568e20, "123456789012345680000"),
    (333333333.3333333, "333333333.3333333"),
    (9007199254740992.0, "9007199254740992"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
]


@pytest.mark.parametrize(("value", "text"), NUMBERS)
def test_floats_use_the_ecmascript_form(value: float, text: str) -> None:
    assert format_float(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(value: float) -> None:
    with pytest.raises(NotJson, match="not a JSON number"):
        canonical_json({"x": value})


def test_objects_sort_by_utf16_code_units_without_whitespace() -> None:
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 (code-point order says the opposite).
    text = canonical_json({"b": [1, 2.0, True, None], "a": "é\u2028\x01", "\ue000": 1, "\U0001f600": 2})
    assert text == '{"a":"\u00e9\u2028\\u0001","b":[1,2,true,null],"\U0001f600":2,"\ue000":1}'


def test_big_integers_stay_exact() -> None:
    assert canonical_json({"n": 2**70}) == '{"n":1180591620717411303424}'


def test_bad_values_are_named_by_path() -> None:
    with pytest.raises(NotJson) as caught:
        canonical_json({"devices": [{"name": "a"}, {"when": object()}]})
    assert caught.value.where() == "payload.devices[1].when"
    with pytest.raises(NotJson, match="key 3 is int"):
        canonical_json({3: "x"})


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(NotJson, match="lone surrogate"):
        canonical_bytes({"x": "\ud800"})


def _random_value(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return rng.choice([None, True, False])
    if choice == 1:
        return rng.randrange(-(10**20), 10**20)
    if choice == 2:
        return rng.choice([0.5, 1e-7, 1e21, 3.0, -2.5e-5, 1.1e16, 123.456, 1e-4, 9.999e15])
    if choice in (3, 4, 5):
        return "".join(rng.choice(["a", "é", '"', "\\", "\n", "\x07", "😀", "\ue000", " "]) for _ in range(5))
    if choice in (6, 7):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["a", "B", "é", "😀", "\ue000", "key_id", "n"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def test_the_fast_payload_path_gives_exactly_the_reference_bytes() -> None:
    rng = random.Random(7)
    redactor = Redactor(defaults=False)
    for _ in range(500):
        payload = {"v": _random_value(rng)}
        clean, text = prepare_payload(payload, redactor)
        assert text == canonical_json(clean)
        assert canonical_json(json.loads(text)) == text  # parse and re-encode: same bytes


def test_payload_must_be_an_object_and_json() -> None:
    redactor = Redactor()
    with pytest.raises(InvalidEntry, match="payload must be a JSON object"):
        prepare_payload(["a"], redactor)
    with pytest.raises(InvalidEntry, match=r"payload\.when cannot be stored: datetime is not a JSON value"):
        import datetime

        prepare_payload({"when": datetime.datetime(2026, 1, 1)}, redactor)
    assert prepare_payload(None, redactor) == ({}, "{}")
