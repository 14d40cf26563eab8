"""Policy files: the built-in and example policies load; every kind of mistake is one clear line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from guardrails.errors import PolicyError
from guardrails.policy_loader import check_policy_file, default_policy, load_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "guardrails" / "policy.example.yaml"


def test_default_policy_is_safe_for_the_lab() -> None:
    policy = default_policy()
    assert policy.source == "built-in"
    assert policy.content_hash.startswith("sha256:")
    assert policy.blast_radius.max_devices_per_call.agent == 50
    assert policy.blast_radius.max_devices_per_call.workflow == 1000
    assert policy.access("agent").template_allowed("clear_err_disable")
    assert not policy.access("agent").template_allowed("vlan_deploy")
    assert policy.approvals.on_timeout == "abort" and policy.approvals.timeout_minutes == 30
    assert [p.id for p in policy.protected] == ["core"]


def test_example_policy_is_valid_and_hash_is_the_file_sha256() -> None:
    assert check_policy_file(EXAMPLE) == []
    policy = load_policy(EXAMPLE)
    assert policy.content_hash == "sha256:" + hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert policy.source == str(EXAMPLE)


def test_no_path_means_the_built_in_policy() -> None:
    assert load_policy(None).source == "built-in"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("blast_radius:\n  max_devices_per_cal: {agent: 5}\n", "unknown key 'blast_radius.max_devices_per_cal'"),
        ("blast_radius:\n  max_devices_per_call: {agent: many}\n", "blast_radius.max_devices_per_call.agent='many'"),
        ("schedule:\n  timezone: Mars/Olympus\n", "unknown timezone 'Mars/Olympus'"),
        ("schedule:\n  windows: [{name: n, start: '25:00'}]\n", "time '25:00' is not HH:MM"),
        ("approvals: {on_timeout: maybe}\n", "approvals.on_timeout='maybe'"),
        ("rules: [{id: a, action: deny}, {id: a, action: approval}]\n", "duplicate rule id 'a'"),
        ("protected: [{id: p}]\n", "protected 'p' selects nothing"),
        ("rate_limits: [{per_second: 1}]\n", "exactly one of 'tool' or 'backend'"),
        ("rules: [{id: r}]\n", "missing key 'rules[0].action'"),
        ("blast_radius: [1, 2\n", "not valid YAML at line"),
        ("- just\n- a list\n", "must be a mapping of sections, not list"),
    ],
)
def test_each_mistake_is_named(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    problems = check_policy_file(path)
    assert any(problem in p for p in problems), problems
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_check_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("nme: x\napprovals: {timeout_minutes: -1}\n")
    problems = check_policy_file(path)
    assert len(problems) == 2
    with pytest.raises(PolicyError, match=r"\(\+1 more\)"):
        load_policy(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy file '.*nope\.yaml' not found"):
        load_policy(tmp_path / "nope.yaml")
    assert check_policy_file(tmp_path / "nope.yaml") == [f"policy file '{tmp_path / 'nope.yaml'}' not found"]
