"""Small builders shared by the guardrails tests (real objects, no mocks)."""

from __future__ import annotations

import textwrap
from typing import Any

from guardrails.caller import Caller
from guardrails.policy import Policy
from guardrails.policy_loader import parse_policy
from guardrails.request import Access, DeviceInfo, ResolvedRequest, args_hash

AGENT = Caller("incident-agent", "agent")
WORKFLOW = Caller("vlan_deploy", "workflow")
OPERATOR = Caller("alice", "operator")


def policy(text: str = "") -> Policy:
    """A policy from YAML text (dedented); empty text gives an all-defaults policy."""
    return parse_policy(textwrap.dedent(text), "test-policy")


def devices(prefix: str, count: int, role: str = "access", location: str = "building-b") -> tuple[DeviceInfo, ...]:
    """``count`` devices named ``prefix-01`` and up."""
    return tuple(DeviceInfo(f"{prefix}-{i:02d}", role, location) for i in range(1, count + 1))


def request(
    *,
    tool: str = "launch_job",
    access: Access = "write",
    caller: Caller = WORKFLOW,
    template: str | None = "vlan_create",
    targets: tuple[DeviceInfo, ...] = (),
    unknown: tuple[str, ...] = (),
    run_id: str | None = "run-1",
    arguments: dict[str, Any] | None = None,
    dry_run: bool = False,
    dry_run_supported: bool = True,
) -> ResolvedRequest:
    """A resolved request as the gateway would build it."""
    args = arguments if arguments is not None else {"template": template, "limit": [d.name for d in targets]}
    return ResolvedRequest(
        tool=tool,
        access=access,
        caller=caller,
        arguments=args,
        args_hash=args_hash(args),
        run_id=run_id,
        block="executor",
        template=template,
        targets=targets,
        unknown=unknown,
        dry_run=dry_run,
        dry_run_supported=dry_run_supported,
    )
