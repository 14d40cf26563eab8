"""Through the gateway: a granted approval is redeemed by the same caller's identical call (once, until it
expires), and a caller that only asked a question has every write held for its own yes."""

from __future__ import annotations

from typing import Any

import pytest

from guardrails.caller import Caller
from guardrails.errors import ApprovalError
from guardrails.policy import ApprovalPolicy

ANYONE = ApprovalPolicy(approvers=["*"])
DANA = Caller("dana", "operator")
CORE = {"template": "vlan_deploy", "limit": ["core-01"], "extra_vars": {"vid": 310}}


async def test_the_identical_call_after_the_grant_redeems_it_once(make_gateway: Any, clock: Any, audit: Any) -> None:
    gateway = make_gateway()
    asked = await gateway.call("launch_job", CORE, caller=DANA)
    assert (asked.error_code, asked.decision.rule) == ("approval_required", "protected.core")
    assert "make the identical call again" in (asked.error or "")
    again = await gateway.call("launch_job", CORE, caller=DANA)
    assert (again.error_code, again.approval_id) == ("approval_required", asked.approval_id)  # still pending
    gateway.approvals.approve(asked.approval_id, approver="bob", policy=ANYONE, now=clock())
    # Someone else's identical call does not get dana's approval.
    erin = await gateway.call("launch_job", CORE, caller=Caller("erin", "operator"))
    assert erin.error_code == "approval_required" and erin.approval_id != asked.approval_id
    # Other arguments do not either.
    other = await gateway.call("launch_job", {**CORE, "extra_vars": {"vid": 311}}, caller=DANA)
    assert other.error_code == "approval_required" and other.approval_id != asked.approval_id
    used = await gateway.call("launch_job", CORE, caller=DANA)
    assert used.ok, used.error
    assert (used.decision.rule, used.approval_id) == ("approval.granted", asked.approval_id)
    assert gateway.approvals.store.get(asked.approval_id).status == "consumed"
    # Single use: the next identical call asks anew.
    next_one = await gateway.call("launch_job", CORE, caller=DANA)
    assert next_one.error_code == "approval_required" and next_one.approval_id not in (None, asked.approval_id)
    consumed = [r for r in audit.records(kind="approval.consumed") if r.payload["approval_id"] == asked.approval_id]
    assert [r.actor for r in consumed] == ["dana"]


async def test_a_grant_not_used_in_time_expires_and_the_call_asks_again(make_gateway: Any, clock: Any) -> None:
    gateway = make_gateway()
    asked = await gateway.call("launch_job", CORE, caller=DANA)
    gateway.approvals.approve(asked.approval_id, approver="bob", policy=ANYONE, now=clock())
    clock.advance(31 * 60)  # the default policy's 30 minutes
    late = await gateway.call("launch_job", CORE, caller=DANA)
    assert late.error_code == "approval_required" and late.approval_id != asked.approval_id
    assert gateway.approvals.store.get(asked.approval_id).status == "expired"


async def test_a_question_holds_an_allowed_write_for_the_askers_own_yes(make_gateway: Any, clock: Any) -> None:
    gateway = make_gateway()
    args = {"template": "clear_err_disable", "limit": ["b-acc-01"], "extra_vars": {"interface": "Gi1/0/1"}}
    fix = {**args, "limit": ["b-acc-02"]}  # another device: a launched job holds its device's lock
    free = await gateway.call("launch_job", fix, caller=Caller("incident-agent", "agent"), run_id="r-fix")
    assert free.decision.rule != "confirm.writes"  # the same write, asked for as a fix, is not held
    asker = Caller("incident-agent", "agent", on_behalf_of="alice", confirm_writes=True)
    held = await gateway.call("launch_job", args, caller=asker, run_id="r-q")
    assert (held.error_code, held.decision.rule) == ("approval_required", "confirm.writes")
    assert held.decision.need is not None and not held.decision.need.four_eyes
    approval = gateway.approvals.store.get(held.approval_id)
    assert (approval.requester, approval.confirm) == ("alice", True)
    gateway.approvals.approve(held.approval_id, approver="alice", policy=ApprovalPolicy(approvers=["bob"]), now=clock())
    done = await gateway.call("launch_job", args, caller=asker, run_id="r-q", approval_id=held.approval_id)
    assert done.ok, done.error
    reads = await gateway.call("get_device", {"name": "b-acc-01"}, caller=asker, run_id="r-q")
    assert reads.ok  # reading is never held


async def test_a_question_touching_a_protected_device_needs_someone_else(make_gateway: Any, clock: Any) -> None:
    gateway = make_gateway("""
        version: 1
        tools: {write: [launch_job]}
        protected: [{id: core, roles: [core], action: approval}]
        approvals: {approvers: ["*"]}
    """)
    asker = Caller("incident-agent", "agent", on_behalf_of="alice", confirm_writes=True)
    held = await gateway.call("launch_job", CORE, caller=asker, run_id="r-core")
    assert held.decision.rule == "protected.core+confirm.writes"
    assert held.decision.need is not None and held.decision.need.four_eyes and not held.decision.need.confirm
    with pytest.raises(ApprovalError, match="four-eyes: 'alice' requested"):
        gateway.approvals.approve(held.approval_id, approver="alice", policy=ANYONE, now=clock())
