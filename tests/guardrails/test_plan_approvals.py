"""A whole plan approved once, redeemed per target by waves, lanes, retries and a resumed step."""

from __future__ import annotations

from typing import Any

from guardrails.caller import Caller
from guardrails.policy import ApprovalPolicy

WORKFLOW = Caller("vlan_deploy", "workflow")
ANYONE = ApprovalPolicy(approvers=["*"])
B = [f"b-acc-0{i}" for i in range(1, 5)]


def launch(devices: list[str], key: str | None, vid: int = 320, **extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"template": "vlan_deploy", "limit": devices, "extra_vars": {"vid": vid}, **extra}
    if key is not None:
        args["idempotency_key"] = key
    return args


async def approved_plan(gateway: Any, clock: Any, run_id: str, devices: list[str] = B, vid: int = 320) -> str:
    ticket = await gateway.request_approval(
        "launch_job", launch(devices, None, vid), caller=WORKFLOW, run_id=run_id, reason="deploy VLAN 320"
    )
    assert ticket.required and ticket.approval is not None
    gateway.approvals.approve(ticket.approval.id, approver="alice", policy=ANYONE, now=clock())
    return str(ticket.approval.id)


def approval_kinds(audit: Any, run_id: str) -> list[str]:
    return [r.kind for r in audit.records(run_id=run_id) if r.kind.startswith("approval.")]


async def test_request_approval_calls_nothing_and_is_idempotent(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway()
    args = launch(B, None)
    first = await gateway.request_approval("launch_job", args, caller=WORKFLOW, run_id="p1", reason="deploy 320")
    again = await gateway.request_approval("launch_job", args, caller=WORKFLOW, run_id="p1", reason="deploy 320")
    assert first.approval is not None and again.approval is not None
    assert (first.approval.id, first.approval.status, first.approval.targets) == (
        again.approval.id,
        "pending",
        tuple(B),
    )
    assert first.decision.rule == "rule.vlan-deploy-approval" and first.approval.purpose == "deploy 320"
    assert approval_kinds(audit, "p1") == ["approval.requested"]
    plans = audit.records(run_id="p1", kind="guardrail.decision")
    assert [p.payload["plan"]["devices"] for p in plans] == [4, 4]
    assert audit.records(run_id="p1", kind="tool.call") == []  # nothing was called
    assert gateway.usage.usage("p1", None, 0.0) == (set(), 0, set())  # nor counted


async def test_a_plan_denied_outright_creates_no_request(make_gateway: Any) -> None:
    gateway = make_gateway(
        """
        rules:
          - {id: no-b, match: {tools: [launch_job]}, action: deny, description: building b is closed}
        """
    )
    ticket = await gateway.request_approval(
        "launch_job", launch(B, None), caller=WORKFLOW, run_id="p2", reason="deploy"
    )
    assert ticket.denied and not ticket.required and ticket.decision.rule == "rule.no-b"
    assert gateway.approvals.store.find() == []
    unknown = await gateway.request_approval(
        "launch_job", launch(["b-acc-99"], None), caller=WORKFLOW, run_id="p2", reason="deploy"
    )
    assert unknown.decision.reason == "unknown device 'b-acc-99' (not in the source of truth)"


async def test_a_plan_the_policy_allows_needs_no_request(make_gateway: Any) -> None:
    gateway = make_gateway()
    operator = Caller("alice", "operator")
    ticket = await gateway.request_approval("launch_job", launch(B, None), caller=operator, run_id="p3", reason="x")
    assert ticket.decision.outcome == "allow" and ticket.approval is None


async def test_waves_lanes_retries_and_a_resumed_step_redeem_per_target(
    make_gateway: Any, clock: Any, audit: Any
) -> None:
    gateway = make_gateway()
    aid = await approved_plan(gateway, clock, "p4")

    async def go(devices: list[str], key: str | None) -> Any:
        return await gateway.call("launch_job", launch(devices, key), caller=WORKFLOW, run_id="p4", approval_id=aid)

    # Keys per lane, as dag_fallback sends them: the executor binds a key to one job's parameters.
    canary = await go(["b-acc-01"], "p4/execute/w0/l0")
    assert canary.ok and canary.decision.rule == "approval.granted", canary.error
    lane_1, lane_2 = await go(["b-acc-02"], "p4/execute/w1/l0"), await go(["b-acc-03"], "p4/execute/w1/l1")
    assert lane_1.ok and lane_2.ok
    retry = await go(["b-acc-02"], "p4/execute/w1/l0/retry-1")  # a transient failure retried under its own key
    assert retry.ok, retry.error
    resumed = await go(["b-acc-01"], "p4/execute/w0/l0")  # a resumed step re-launches its lane: the same job
    assert resumed.ok and resumed.data["replayed"], resumed.error
    last_wave = await go(["b-acc-04"], "p4/execute/w2/l0")
    assert last_wave.ok, last_wave.error
    approval = gateway.approvals.store.get(aid)
    assert approval.status == "consumed" and approval.remaining == ()
    assert {t: r.key for r in approval.redemptions for t in r.targets} == {
        "b-acc-01": "p4/execute/w0/l0",
        "b-acc-02": "p4/execute/w1/l0",
        "b-acc-03": "p4/execute/w1/l1",
        "b-acc-04": "p4/execute/w2/l0",
    }
    assert approval_kinds(audit, "p4") == [
        "approval.requested",
        "approval.approved",
        "approval.redeemed",
        "approval.redeemed",
        "approval.redeemed",
        "approval.reused",
        "approval.reused",
        "approval.consumed",
    ]
    (last,) = audit.records(run_id="p4", kind="approval.consumed")
    assert (last.payload["targets"], last.payload["reused"]) == (["b-acc-04"], [])
    # A consumed approval still re-presents for its own key (the executor returns that job), never without one.
    assert (await go(["b-acc-03"], "p4/execute/w1/l1")).ok
    bare = await go(["b-acc-03"], None)
    assert bare.decision.rule == "approval.invalid"
    assert bare.error == (
        f"approval '{aid}' was already used at {_iso(clock())} for 1 device (b-acc-03); "
        "a call without an idempotency_key cannot present it again (single use) (rule 'approval.invalid')"
    )


async def test_a_used_target_is_refused_to_another_key_and_the_refusal_is_audited(
    make_gateway: Any, clock: Any, audit: Any
) -> None:
    gateway = make_gateway()
    aid = await approved_plan(gateway, clock, "p5")
    first = await gateway.call(
        "launch_job", launch(["b-acc-01"], "p5/execute"), caller=WORKFLOW, run_id="p5", approval_id=aid
    )
    assert first.ok, first.error
    other = await gateway.call(
        "launch_job", launch(["b-acc-01", "b-acc-02"], "p5/other"), caller=WORKFLOW, run_id="p5", approval_id=aid
    )
    assert other.error_code == "denied_by_policy" and "under idempotency key 'p5/execute', not under 'p5/other'" in (
        other.error or ""
    )
    (refused,) = audit.records(run_id="p5", kind="approval.refused")
    assert refused.payload["reason"] in (other.error or "") and refused.payload["idempotency_key"] == "p5/other"
    # Nothing was recorded for b-acc-02 by the refused call: it is still free for the plan.
    assert gateway.approvals.store.get(aid).remaining == ("b-acc-02", "b-acc-03", "b-acc-04")


async def test_replay_defense_run_arguments_targets_and_caller(make_gateway: Any, clock: Any) -> None:
    gateway = make_gateway()
    aid = await approved_plan(gateway, clock, "p6", devices=B[:2])

    async def try_(args: dict[str, Any], run_id: str = "p6", caller: Caller = WORKFLOW) -> str:
        result = await gateway.call("launch_job", args, caller=caller, run_id=run_id, approval_id=aid)
        assert result.decision.rule == "approval.invalid", result
        return result.error or ""

    assert "belongs to run 'p6', not 'p7'" in await try_(launch(["b-acc-01"], "p7/execute"), run_id="p7")
    assert "was granted for other arguments" in await try_(launch(["b-acc-01"], "p6/execute", vid=999))
    assert "was granted for other arguments" in await try_(launch(["b-acc-01"], "p6/execute", vid=320, name="x"))
    assert "this call also targets 1 more (b-acc-03)" in await try_(launch(["b-acc-01", "b-acc-03"], "p6/execute"))
    intruder = Caller("drift_remediation", "workflow")
    assert "was requested by 'vlan_deploy' (workflow), not 'drift_remediation'" in await try_(
        launch(["b-acc-01"], "p6/execute"), caller=intruder
    )
    assert gateway.approvals.store.get(aid).redemptions == ()  # no refusal used anything


async def test_a_plan_wider_than_one_call_is_approved_then_launched_in_parts(make_gateway: Any, clock: Any) -> None:
    gateway = make_gateway(
        """
        blast_radius: {max_devices_per_call: {workflow: 2}}
        rules:
          - {id: vlan, match: {templates: [vlan_deploy]}, action: approval}
        approvals: {approvers: ["*"]}
        """
    )
    aid = await approved_plan(gateway, clock, "p8")  # 4 devices: the per-call limit is each call's, not the plan's
    whole = await gateway.call("launch_job", launch(B, "p8/x"), caller=WORKFLOW, run_id="p8", approval_id=aid)
    assert whole.decision.rule == "blast_radius.per_call"
    for lane, part in enumerate((B[:2], B[2:])):
        args = launch(part, f"p8/x/l{lane}")
        done = await gateway.call("launch_job", args, caller=WORKFLOW, run_id="p8", approval_id=aid)
        assert done.ok, done.error


async def test_expiry_closes_the_unused_rest_and_re_presentation(make_gateway: Any, clock: Any, audit: Any) -> None:
    gateway = make_gateway()
    aid = await approved_plan(gateway, clock, "p9")
    first = await gateway.call(
        "launch_job", launch(["b-acc-01"], "p9/execute"), caller=WORKFLOW, run_id="p9", approval_id=aid
    )
    assert first.ok
    clock.advance(31 * 60)
    for devices in (["b-acc-02"], ["b-acc-01"]):
        late = await gateway.call(
            "launch_job", launch(devices, "p9/execute"), caller=WORKFLOW, run_id="p9", approval_id=aid
        )
        assert late.decision.rule == "approval.invalid" and f"approval '{aid}' is expired" in (late.error or "")
    (expired,) = audit.records(run_id="p9", kind="approval.expired")
    assert (expired.payload["unused"], expired.payload["remaining"]) == (False, 3)


def _iso(epoch: float) -> str:
    from guardrails.approval import iso

    return str(iso(epoch))
