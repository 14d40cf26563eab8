"""Target extraction and resolution, argument rewriting, and forged-approval stripping."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from guardrails.request import DeviceInfo
from guardrails.sanitize import strip_forged
from guardrails.targets import TargetSpec, extract_targets, resolve_targets, rewrite_targets

INVENTORY = [
    {"name": n, "role": r, "location": loc}
    for n, r, loc in [
        ("b-acc-01", "access", "building-b"),
        ("b-acc-02", "access", "building-b"),
        ("b-dist-1", "distribution", "building-b"),
        ("c-acc-01", "access", "building-c"),
        ("core-1", "core", "campus-core"),
    ]
]


async def list_devices(filters: dict[str, Any]) -> list[dict[str, Any]]:
    """A tiny SoT with list_devices semantics (exact filters, shell-style name_pattern)."""
    out = INVENTORY
    for key, value in filters.items():
        if key == "name_pattern":
            out = [d for d in out if fnmatch.fnmatchcase(d["name"], value)]
        elif key == "names":
            out = [d for d in out if d["name"] in value]
        else:
            out = [d for d in out if d[key] == value]
    return out


def test_extract_names_patterns_and_scopes() -> None:
    spec = extract_targets(
        {"limit": ["b-acc-02", "b-acc-*", "b-acc-02"], "extra_vars": {"scope": {"location": "building-c"}}}
    )
    assert spec == TargetSpec(names=("b-acc-02",), patterns=("b-acc-*",), selectors=({"location": "building-c"},))
    assert extract_targets({"job_id": 3}).empty
    assert extract_targets({"device": "core-1"}).names == ("core-1",)
    assert extract_targets({"scope": "c-*"}).patterns == ("c-*",)


async def test_resolve_wildcards_and_selectors_to_concrete_devices() -> None:
    spec = TargetSpec(patterns=("b-acc-*",), selectors=({"location": "building-c", "role": "access"},))
    targets, unknown = await resolve_targets(spec, list_devices)
    assert [t.name for t in targets] == ["b-acc-01", "b-acc-02", "c-acc-01"]
    assert unknown == ()


async def test_unknown_names_and_empty_scopes_are_reported() -> None:
    spec = TargetSpec(names=("b-acc-99", "core-1"), patterns=("z-*",), selectors=({"location": "mars"},))
    targets, unknown = await resolve_targets(spec, list_devices)
    assert targets == (DeviceInfo("core-1", "core", "campus-core"),)
    assert unknown == ("b-acc-99", "z-*", "scope{location=mars}")


def test_rewrite_replaces_scopes_by_the_sorted_device_list() -> None:
    args = {"template": "t", "limit": ["b-acc-*"], "extra_vars": {"vid": 10, "scope": {"role": "access"}}, "scope": "x"}
    sent = rewrite_targets("launch_job", args, (DeviceInfo("b2"), DeviceInfo("b1")))
    assert sent == {"template": "t", "limit": ["b2", "b1"], "extra_vars": {"vid": 10}}
    assert args["extra_vars"]["scope"] == {"role": "access"}  # the caller's arguments are untouched
    assert rewrite_targets("other", args, ()) is args


@pytest.mark.parametrize(
    ("arguments", "paths"),
    [
        ({"approved": True, "limit": ["a"]}, ("approved",)),
        ({"extra_vars": {"Approval": {"id": "x"}, "vid": 5}}, ("extra_vars.Approval",)),
        ({"items": [{"override": 1}, {"approval_granted": "yes"}]}, ("items[0].override", "items[1].approval_granted")),
        ({"limit": ["approved"]}, ()),
    ],
)
def test_forged_approval_fields_are_stripped_at_any_depth(arguments: dict[str, Any], paths: tuple[str, ...]) -> None:
    clean, found = strip_forged(arguments)
    assert found == paths
    text = repr(clean).lower()
    for key in ("'approved'", "'approval'", "'override'", "'approval_granted'"):
        assert f"{key}:" not in text


async def test_named_targets_are_looked_up_by_name_never_by_listing_the_inventory() -> None:
    seen: list[dict[str, Any]] = []

    async def recording(filters: dict[str, Any]) -> list[dict[str, Any]]:
        seen.append(filters)
        return await list_devices(filters)

    names = tuple(sorted(["core-1", "b-acc-01", *(f"x-{i:04d}" for i in range(1200))]))
    targets, unknown = await resolve_targets(TargetSpec(names=names, patterns=("c-*",)), recording)
    assert [t.name for t in targets] == ["b-acc-01", "c-acc-01", "core-1"]
    assert len(unknown) == 1200 and unknown[-1] == "x-1199"
    assert all(f for f in seen), "an unfiltered listing of the whole inventory was requested"
    assert [len(f["names"]) for f in seen if "names" in f] == [500, 500, 202]
    assert {"name_pattern": "c-*"} in seen
