"""Approvals: bound to run/tool/args/targets, used once per target, four-eyes, timeouts, durable across processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from guardrails_helpers import WORKFLOW, devices, request

from guardrails.approval_store import SqliteApprovalStore
from guardrails.approvals import Approvals
from guardrails.decision import ApprovalNeed
from guardrails.errors import ApprovalError
from guardrails.policy import ApprovalPolicy
from guardrails.request import ResolvedRequest

T0 = 1_800_000_000.0
POLICY = ApprovalPolicy(approvers=["alice", "bob"], warn_before_minutes=5)
NEED = ApprovalNeed("rule.vlan-deploy-approval", "needs a sign-off", 30.0, "abort", True)


class Events:
    """Collects emitted approval events (a real callable; the gateway passes the audit log's)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, payload: dict[str, Any], run_id: str | None, actor: str) -> None:
        self.seen.append((kind, payload))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.seen]


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def approvals(tmp_path: Path, events: Events) -> Approvals:
    return Approvals(SqliteApprovalStore(tmp_path / "guardrails.db"), emit=events)


def ask(approvals: Approvals, req: ResolvedRequest | None = None, need: ApprovalNeed = NEED, now: float = T0) -> str:
    return approvals.request(req or request(targets=devices("b-acc", 3)), need, "sha256:p", POLICY, now).id


def test_grant_then_redeem_once(approvals: Approvals, events: Events) -> None:
    req = request(targets=devices("b-acc", 3))
    aid = ask(approvals, req)
    granted = approvals.approve(aid, approver="alice", policy=POLICY, now=T0 + 60, comment="go")
    assert (granted.status, granted.decided_by, granted.comment) == ("approved", "alice", "go")
    used, refusal = approvals.redeem(aid, req, NEED, T0 + 120)
    assert refusal == "" and used is not None and used.status == "consumed"
    # A replayed approval is refused: single use.
    _, refusal = approvals.redeem(aid, req, NEED, T0 + 130)
    assert "was already used" in refusal and "single use" in refusal
    assert events.kinds() == ["approval.requested", "approval.approved", "approval.consumed", "approval.refused"]


def test_asking_twice_for_the_same_call_returns_the_same_request(approvals: Approvals) -> None:
    req = request(targets=devices("b-acc", 3))
    assert ask(approvals, req) == ask(approvals, req, now=T0 + 5)
    other = request(targets=devices("b-acc", 4))
    assert ask(approvals, other) != ask(approvals, req)


def test_approval_does_not_apply_to_other_arguments_targets_runs_or_tools(approvals: Approvals) -> None:
    req = request(targets=devices("b-acc", 3))
    aid = ask(approvals, req)
    approvals.approve(aid, approver="alice", policy=POLICY, now=T0)
    other_args = request(targets=devices("b-acc", 3), template="vlan_remove")
    assert "was granted for other arguments" in approvals.redeem(aid, other_args, NEED, T0)[1]
    wider = ResolvedRequest(**{**req.__dict__, "targets": devices("b-acc", 5)})
    refusal = approvals.redeem(aid, wider, NEED, T0)[1]
    assert "covers 3 devices; this call also targets 2 more (b-acc-04, b-acc-05)" in refusal
    other_run = ResolvedRequest(**{**req.__dict__, "run_id": "run-2"})
    assert "belongs to run 'run-1', not 'run-2'" in approvals.redeem(aid, other_run, NEED, T0)[1]
    other_tool = ResolvedRequest(**{**req.__dict__, "tool": "cancel_job"})
    assert "was granted for tool 'launch_job'" in approvals.redeem(aid, other_tool, NEED, T0)[1]
    # None of the refusals used it up.
    assert approvals.redeem(aid, req, NEED, T0)[1] == ""


def test_pending_and_rejected_and_unknown(approvals: Approvals) -> None:
    req = request(targets=devices("b-acc", 1))
    aid = ask(approvals, req)
    assert approvals.redeem(aid, req, NEED, T0)[1].startswith("pending:")
    approvals.reject(aid, approver="bob", policy=POLICY, now=T0, comment="not today")
    assert approvals.redeem(aid, req, NEED, T0)[1] == f"approval '{aid}' is rejected by bob"
    assert approvals.redeem("apr-nope", req, NEED, T0)[1] == "unknown approval 'apr-nope'"
    with pytest.raises(ApprovalError, match="is already rejected by bob"):
        approvals.approve(aid, approver="alice", policy=POLICY, now=T0)


def test_only_approvers_and_never_the_requester(approvals: Approvals) -> None:
    aid = ask(approvals)
    with pytest.raises(ApprovalError, match="'mallory' is not an approver"):
        approvals.approve(aid, approver="mallory", policy=POLICY, now=T0)
    with pytest.raises(ApprovalError, match="four-eyes: 'vlan_deploy' requested"):
        approvals.approve(aid, approver=WORKFLOW.id, policy=ApprovalPolicy(approvers=["*"]), now=T0)
    by_role = approvals.approve(aid, approver="carol", roles=frozenset({"approver"}), policy=POLICY, now=T0)
    assert by_role.decided_by == "carol"
    with pytest.raises(ApprovalError, match="unknown approval 'apr-x'"):
        approvals.approve("apr-x", approver="alice", policy=POLICY, now=T0)


def test_four_eyes_off_lets_the_requester_approve(approvals: Approvals) -> None:
    aid = ask(approvals, need=ApprovalNeed("r", "x", 30.0, "abort", four_eyes=False))
    assert (
        approvals.approve(aid, approver=WORKFLOW.id, policy=ApprovalPolicy(approvers=["*"]), now=T0).status
        == "approved"
    )


def test_emergency_override_needs_a_named_approver_and_is_recorded(approvals: Approvals, events: Events) -> None:
    need = ApprovalNeed("change_window", "outside every change window", 30.0, "abort", True, emergency=True)
    req = request(targets=devices("b-acc", 1))
    aid = ask(approvals, req, need)
    with pytest.raises(ApprovalError, match="needs an emergency override"):
        approvals.approve(aid, approver="alice", policy=POLICY, now=T0)
    anyone = ApprovalPolicy(approvers=["*"])
    with pytest.raises(ApprovalError, match="emergency override needs the approver role; 'zed'"):
        approvals.approve(aid, approver="zed", policy=anyone, now=T0, emergency=True)
    granted = approvals.approve(aid, approver="alice", policy=POLICY, now=T0, emergency=True)
    assert granted.emergency
    assert "approval.emergency_override" in events.kinds()
    assert approvals.redeem(aid, req, need, T0)[1] == ""


def test_a_plain_approval_does_not_satisfy_an_emergency_need(approvals: Approvals) -> None:
    req = request(targets=devices("b-acc", 1))
    aid = ask(approvals, req)
    approvals.approve(aid, approver="alice", policy=POLICY, now=T0)
    emergency = ApprovalNeed("freeze.x", "freeze", 30.0, "abort", True, emergency=True)
    assert "is not an emergency override" in approvals.redeem(aid, req, emergency, T0)[1]


def test_timeout_abort_warns_first_then_expires(approvals: Approvals, events: Events) -> None:
    req = request(targets=devices("b-acc", 1))
    aid = ask(approvals, req)
    assert approvals.expire_due(T0 + 24 * 60) == []  # 24 min: nothing yet
    approvals.expire_due(T0 + 26 * 60)  # 26 min: inside the 5-minute warning
    approvals.expire_due(T0 + 27 * 60)  # warned once only
    assert events.kinds().count("approval.expiring") == 1
    expired = approvals.expire_due(T0 + 30 * 60)
    assert [a.status for a in expired] == ["expired"]
    assert "is expired by timeout" in approvals.redeem(aid, req, NEED, T0 + 31 * 60)[1]
    with pytest.raises(ApprovalError, match="already expired"):
        approvals.approve(aid, approver="alice", policy=POLICY, now=T0 + 31 * 60)


def test_timeout_proceed_is_logged_and_then_usable(approvals: Approvals, events: Events) -> None:
    need = ApprovalNeed("rule.vlan", "sign-off", 30.0, "proceed", True)
    req = request(targets=devices("b-acc", 1))
    aid = ask(approvals, req, need)
    used, refusal = approvals.redeem(aid, req, need, T0 + 31 * 60)  # check-on-read applies the timeout
    assert refusal == "" and used is not None and used.decided_by == "timeout"
    assert "approval.timeout_proceed" in events.kinds()


def test_timeout_escalate_then_abort(approvals: Approvals, events: Events) -> None:
    policy = ApprovalPolicy(approvers=["alice"], escalate_to="oncall", escalation_minutes=10)
    need = ApprovalNeed("rule.x", "x", 30.0, "escalate", True)
    aid = approvals.request(request(targets=devices("b-acc", 1)), need, "sha256:p", policy, T0).id
    approvals.expire_due(T0 + 30 * 60)
    escalated = approvals.store.get(aid)
    assert escalated is not None and escalated.status == "escalated" and escalated.escalate_to == "oncall"
    assert ("approval.escalated", {"approval_id": aid}) in [
        (k, {"approval_id": p["approval_id"]}) for k, p in events.seen
    ]
    approvals.expire_due(T0 + 41 * 60)
    final = approvals.store.get(aid)
    assert final is not None and final.status == "expired"


def test_escalated_request_can_still_be_approved(approvals: Approvals) -> None:
    need = ApprovalNeed("rule.x", "x", 30.0, "escalate", True)
    aid = ask(approvals, need=need)
    approvals.expire_due(T0 + 30 * 60)
    assert approvals.approve(aid, approver="bob", policy=POLICY, now=T0 + 31 * 60).status == "approved"


def test_an_unused_approval_expires_at_its_use_by_time(approvals: Approvals) -> None:
    req = request(targets=devices("b-acc", 1))
    aid = ask(approvals, req)
    approvals.approve(aid, approver="alice", policy=POLICY, now=T0)
    assert "expired" in approvals.redeem(aid, req, NEED, T0 + 31 * 60)[1]


def test_list_filters_by_status(approvals: Approvals) -> None:
    a = ask(approvals, request(targets=devices("b-acc", 1)))
    ask(approvals, request(targets=devices("b-acc", 2)))
    approvals.approve(a, approver="alice", policy=POLICY, now=T0)
    assert len(approvals.list(T0, status="pending")) == 1
    assert [x.id for x in approvals.list(T0, status="approved")] == [a]
    assert len(approvals.list(T0)) == 2


def test_approval_survives_the_process_and_is_redeemed_in_another(tmp_path: Path) -> None:
    db = tmp_path / "guardrails.db"
    req = request(targets=devices("b-acc", 2))
    aid = Approvals(SqliteApprovalStore(db)).request(req, NEED, "sha256:p", POLICY, T0).id
    approve = (
        "import sys; from guardrails.approval_store import SqliteApprovalStore; "
        "from guardrails.approvals import Approvals; from guardrails.policy import ApprovalPolicy; "
        f"a = Approvals(SqliteApprovalStore(sys.argv[1])).approve('{aid}', approver='alice', "
        f"policy=ApprovalPolicy(approvers=['alice']), now={T0 + 60}); print(a.status)"
    )
    out = subprocess.run([sys.executable, "-c", approve, str(db)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "approved"
    fresh = Approvals(SqliteApprovalStore(db))
    assert fresh.redeem(aid, req, NEED, T0 + 120)[1] == ""
    assert "already used" in Approvals(SqliteApprovalStore(db)).redeem(aid, req, NEED, T0 + 121)[1]


def test_store_swap_is_compare_and_set(tmp_path: Path) -> None:
    store_a = SqliteApprovalStore(tmp_path / "g.db")
    store_b = SqliteApprovalStore(tmp_path / "g.db")
    req = request(targets=devices("b-acc", 1))
    aid = Approvals(store_a).request(req, NEED, "sha256:p", POLICY, T0).id
    Approvals(store_a).approve(aid, approver="alice", policy=POLICY, now=T0)
    seen_a, seen_b = store_a.get(aid), store_b.get(aid)
    assert seen_a is not None and seen_b is not None
    assert store_a.swap(seen_a, seen_a.replace(status="consumed"))
    assert not store_b.swap(seen_b, seen_b.replace(status="consumed"))
