"""Per-target redemption in the store: what the plan hash binds, key lineage, compare-and-set across processes."""

from __future__ import annotations

import json
from pathlib import Path

from guardrails_helpers import devices, request

from guardrails.approval import Approval, key_lineage, plan_hash
from guardrails.approval_store import SqliteApprovalStore
from guardrails.approvals import Approvals
from guardrails.decision import ApprovalNeed
from guardrails.policy import ApprovalPolicy
from guardrails.request import ResolvedRequest, args_hash

T0 = 1_800_000_000.0
POLICY = ApprovalPolicy(approvers=["alice"])
NEED = ApprovalNeed("rule.vlan-deploy-approval", "needs a sign-off", 30.0, "abort", True)


def call(targets: int | list[str], key: str | None = None, **args: object) -> ResolvedRequest:
    """A launch_job of vlan_deploy on some of b-acc-01..04 (an int: the first n), with an idempotency key."""
    infos = devices("b-acc", 4)
    chosen = infos[:targets] if isinstance(targets, int) else tuple(d for d in infos if d.name in targets)
    arguments = {"template": "vlan_deploy", "limit": [d.name for d in chosen], "extra_vars": {"vid": 5}, **args}
    if key is not None:
        arguments["idempotency_key"] = key
    return ResolvedRequest(**{**request(targets=chosen).__dict__, "arguments": arguments, "args_hash": "x"})


def approved(store: SqliteApprovalStore, targets: int = 4) -> str:
    approvals = Approvals(store)
    aid = approvals.request(call(targets), NEED, "sha256:p", POLICY, T0).id
    approvals.approve(aid, approver="alice", policy=POLICY, now=T0)
    return aid


def test_the_plan_hash_binds_everything_but_targets_and_keys() -> None:
    base = {"template": "vlan_deploy", "extra_vars": {"vid": 5}}
    same = [
        {**base, "limit": ["b-acc-01"], "idempotency_key": "r/execute"},
        {**base, "devices": ["x"], "device": "y", "scope": {"role": "access"}, "approval_id": "apr-1"},
        {**base, "dry_run": False, "extra_vars": {"vid": 5, "scope": {"location": "b"}}},
        {**base, "template": "vlan_deploy", "extra_vars": {"vid": 5}, "options": None},
    ]
    assert {plan_hash(a) for a in same} == {args_hash(base)}
    other = [{**base, "dry_run": True}, {**base, "template": "vlan_remove"}, {**base, "extra_vars": {"vid": 6}}]
    assert len({plan_hash(a) for a in other} | {plan_hash(base)}) == 4


def test_retry_keys_belong_to_their_step_key() -> None:
    assert key_lineage("run-1/execute/retry-2") == key_lineage("run-1/execute") == "run-1/execute"
    assert key_lineage("run-1/execute-retry-2") == "run-1/execute-retry-2"
    assert key_lineage("run-1/compensate/execute/w0/l0") == "run-1/compensate/execute/w0/l0"


def test_mixed_call_records_only_its_fresh_targets(tmp_path: Path) -> None:
    approvals = Approvals(SqliteApprovalStore(tmp_path / "g.db"))
    aid = approved(approvals.store)  # type: ignore[arg-type]
    assert approvals.redeem(aid, call(["b-acc-01"], "r/execute"), NEED, T0)[1] == ""
    used, refusal = approvals.redeem(aid, call(["b-acc-01", "b-acc-02"], "r/execute/retry-1"), NEED, T0 + 1)
    assert refusal == "" and used is not None
    assert [(r.key, r.targets) for r in used.redemptions] == [
        ("r/execute", ("b-acc-01",)),
        ("r/execute/retry-1", ("b-acc-02",)),
    ]
    # Lineage works both ways: b-acc-02 was first redeemed by the retry key; its step key re-presents it.
    assert approvals.redeem(aid, call(["b-acc-02"], "r/execute"), NEED, T0 + 2)[1] == ""
    refusal = approvals.redeem(aid, call(["b-acc-01", "b-acc-02"], "r/other"), NEED, T0 + 3)[1]
    assert refusal.endswith(
        "for 2 devices (b-acc-01, b-acc-02) under idempotency key 'r/execute', 'r/execute/retry-1', not under 'r/other'"
    )


def test_swap_compares_the_revision_not_only_the_status(tmp_path: Path) -> None:
    store_a, store_b = SqliteApprovalStore(tmp_path / "g.db"), SqliteApprovalStore(tmp_path / "g.db")
    aid = approved(store_a)
    seen_a, seen_b = store_a.get(aid), store_b.get(aid)
    assert seen_a is not None and seen_b is not None
    assert store_a.swap(seen_a, seen_a.redeem("k-a", ("b-acc-01",), T0))
    # Still "approved", but b read it before a's redemption: its write would lose a's record.
    assert not store_b.swap(seen_b, seen_b.redeem("k-b", ("b-acc-02",), T0))
    fresh = store_b.get(aid)
    assert fresh is not None and [r.key for r in fresh.redemptions] == ["k-a"]


class SecondWriterFirst(SqliteApprovalStore):
    """A real store whose first read is answered just before another process redeems the same target."""

    def __init__(self, path: Path, other: Approvals) -> None:
        super().__init__(path)
        self.other = other
        self.reads = 0

    def get(self, approval_id: str) -> Approval | None:
        seen = super().get(approval_id)
        self.reads += 1
        if self.reads == 1:
            assert self.other.redeem(approval_id, call(["b-acc-01"], "other/execute"), NEED, T0)[1] == ""
        return seen


def test_a_redemption_that_lost_the_race_decides_again_on_the_winners_record(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    aid = approved(SqliteApprovalStore(db))
    racing = SecondWriterFirst(db, Approvals(SqliteApprovalStore(db)))
    _, refusal = Approvals(racing).redeem(aid, call(["b-acc-01", "b-acc-02"], "mine/execute"), NEED, T0)
    assert racing.reads == 2  # the stale read lost the compare-and-set, the second read saw the winner
    assert "for 1 device (b-acc-01) under idempotency key 'other/execute', not under 'mine/execute'" in refusal
    final = SqliteApprovalStore(db).get(aid)
    assert final is not None and [(r.key, r.targets) for r in final.redemptions] == [("other/execute", ("b-acc-01",))]


def test_bodies_stored_before_per_target_redemption_still_work(tmp_path: Path) -> None:
    store = SqliteApprovalStore(tmp_path / "g.db")
    aid = approved(store, targets=1)
    current = store.get(aid)
    assert current is not None
    legacy = {
        k: v for k, v in json.loads(current.body_json()).items() if k not in ("redemptions", "revision", "purpose")
    }
    with store.db.transaction() as conn:
        conn.execute("UPDATE approvals SET body = ? WHERE id = ?", (json.dumps(legacy), aid))
    approvals = Approvals(store)
    assert approvals.redeem(aid, call(1, "r/execute"), NEED, T0)[1] == ""  # swap matches a body without a revision
    legacy |= {"status": "consumed", "consumed_at": T0}
    with store.db.transaction() as conn:
        conn.execute("UPDATE approvals SET status = 'consumed', body = ? WHERE id = ?", (json.dumps(legacy), aid))
    # Used up under the old rules (no record of a key): nothing may present it again.
    refusal = approvals.redeem(aid, call(1, "r/execute"), NEED, T0)[1]
    assert refusal.endswith("for 1 device (b-acc-01) by a call without an idempotency key, not under 'r/execute'")
