"""Identity and four-eyes: the requester is the identity behind the call, break-glass is audited as such,
a question's writes wait for the asker's own yes, and a granted approval is redeemed by the identical call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from guardrails_helpers import devices, request

from guardrails.approval_store import SqliteApprovalStore
from guardrails.approvals import Approvals
from guardrails.caller import Caller, same_identity
from guardrails.decision import ApprovalNeed
from guardrails.errors import ApprovalError
from guardrails.policy import ApprovalPolicy

T0 = 1_800_000_000.0
ANYONE = ApprovalPolicy(approvers=["*"])
NEED = ApprovalNeed("rule.vlan-deploy-approval", "needs a sign-off", 30.0, "abort", True)
FOR_ALICE = Caller("vlan_deploy", "workflow", on_behalf_of="alice")


class Events:
    """The approval events with the actor each was audited under."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, kind: str, payload: dict[str, Any], run_id: str | None, actor: str) -> None:
        self.seen.append((kind, actor, payload))


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def approvals(tmp_path: Path, events: Events) -> Approvals:
    return Approvals(SqliteApprovalStore(tmp_path / "guardrails.db"), emit=events)


def test_the_requester_is_the_identity_behind_the_workflow_not_its_name(approvals: Approvals, events: Events) -> None:
    req = request(caller=FOR_ALICE, targets=devices("b-acc", 2))
    asked = approvals.request(req, NEED, "sha256:p", ANYONE, T0)
    assert (asked.requester, asked.requester_kind, asked.via) == ("alice", "workflow", "vlan_deploy")
    assert events.seen[0][:2] == ("approval.requested", "alice")
    with pytest.raises(ApprovalError, match=f"four-eyes: 'alice' requested approval '{asked.id}'"):
        approvals.approve(asked.id, approver="alice", policy=ANYONE, now=T0)
    # The channel's prefix does not make alice someone else.
    with pytest.raises(ApprovalError, match="four-eyes"):
        approvals.approve(asked.id, approver="chat:alice", policy=ANYONE, now=T0)
    granted = approvals.approve(asked.id, approver="bob", policy=ANYONE, now=T0)
    assert granted.decided_by == "bob"
    # Redeemed only by a call made for the same identity.
    for_carol = request(caller=Caller("vlan_deploy", "workflow", on_behalf_of="carol"), targets=devices("b-acc", 2))
    assert "was requested by 'alice' (workflow), not 'carol'" in approvals.redeem(asked.id, for_carol, NEED, T0)[1]
    assert approvals.redeem(asked.id, req, NEED, T0)[1] == ""


def test_break_glass_is_audited_as_the_actor_for_the_other_identity(approvals: Approvals, events: Events) -> None:
    asked = approvals.request(request(caller=FOR_ALICE, targets=devices("b-acc", 1)), NEED, "sha256:p", ANYONE, T0)
    with pytest.raises(ApprovalError, match="'mallory' acting as 'alice' cannot approve it"):
        approvals.approve(asked.id, approver="mallory", on_behalf_of="alice", policy=ANYONE, now=T0)
    granted = approvals.approve(asked.id, approver="mallory", on_behalf_of="carol", policy=ANYONE, now=T0)
    assert (granted.decided_by, granted.on_behalf_of) == ("mallory", "carol")
    kind, actor, payload = events.seen[-1]
    assert (kind, actor, payload["on_behalf_of"]) == ("approval.approved", "mallory", "carol")
    # The break-glass actor is no way around four-eyes either.
    mine = approvals.request(
        request(caller=Caller("vlan_deploy", "workflow", on_behalf_of="mallory"), targets=devices("c-acc", 1)),
        NEED,
        "sha256:p",
        ANYONE,
        T0,
    )
    with pytest.raises(ApprovalError, match="four-eyes: 'mallory' requested"):
        approvals.approve(mine.id, approver="mallory", on_behalf_of="carol", policy=ANYONE, now=T0)


def test_a_consent_is_given_by_the_requester_but_a_merged_policy_need_keeps_four_eyes(approvals: Approvals) -> None:
    named = ApprovalPolicy(approvers=["bob"])
    asker = Caller("incident-agent", "agent", on_behalf_of="alice", confirm_writes=True)
    consent = ApprovalNeed("confirm.writes", "asked a question", 30.0, "abort", False, confirm=True)
    own = approvals.request(request(caller=asker, targets=devices("b-acc", 1)), consent, "sha256:p", named, T0)
    with pytest.raises(ApprovalError, match="'carol' is not an approver"):
        approvals.approve(own.id, approver="carol", policy=named, now=T0)
    assert approvals.approve(own.id, approver="alice", policy=named, now=T0).status == "approved"
    both = NEED.merge(consent)
    assert (both.four_eyes, both.confirm) == (True, False)
    core = approvals.request(request(caller=asker, targets=devices("core", 1)), both, "sha256:p", named, T0)
    with pytest.raises(ApprovalError, match="'alice' is not an approver"):
        approvals.approve(core.id, approver="alice", policy=named, now=T0)
    with pytest.raises(ApprovalError, match="four-eyes: 'alice' requested"):
        approvals.approve(core.id, approver="alice", policy=ANYONE, now=T0)


def test_same_identity_strips_only_human_channel_prefixes() -> None:
    assert same_identity("chat:alice", "alice") and same_identity("ide:bob", "api:bob")
    assert not same_identity("alertmanager:alice", "alice")
    assert not same_identity(None, None) and not same_identity("alice", "bob")
