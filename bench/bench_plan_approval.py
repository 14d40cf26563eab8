"""Measure per-target approval redemption (not a test: prints numbers).

    .venv/bin/python bench/bench_plan_approval.py [--plans 800,5000] [--lanes 50,1000]

One approval of a whole plan (N targets) on a real SQLite file, redeemed the way vlan_deploy's
execute step does: one launch per lane of L devices, all under the step's idempotency key; then
the same lanes presented again (a resumed step). Each redemption applies timeouts, reads the
approval, checks every target and compare-and-sets the new record, exactly as the gateway does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardrails.approval_store import SqliteApprovalStore  # noqa: E402
from guardrails.approvals import Approvals  # noqa: E402
from guardrails.caller import Caller  # noqa: E402
from guardrails.decision import ApprovalNeed  # noqa: E402
from guardrails.policy import ApprovalPolicy  # noqa: E402
from guardrails.request import DeviceInfo, ResolvedRequest, args_hash  # noqa: E402

CALLER = Caller("vlan_deploy", "workflow")
NEED = ApprovalNeed("rule.vlan-deploy-approval", "sign-off", 30.0, "abort", True)
POLICY = ApprovalPolicy(approvers=["alice"])


def _req(names: list[str], key: str | None) -> ResolvedRequest:
    args: dict[str, object] = {"template": "vlan_deploy", "limit": names, "extra_vars": {"vid": 1214}}
    if key:
        args["idempotency_key"] = key
    targets = tuple(DeviceInfo(n, "access", "b") for n in names)
    return ResolvedRequest("launch_job", "write", CALLER, args, args_hash(args), "run-1", targets=targets)


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def run(plan: int, lane: int, home: Path) -> None:
    """Approve a plan of ``plan`` targets, redeem it lane by lane, then present every lane again."""
    approvals = Approvals(SqliteApprovalStore(home / f"g-{plan}-{lane}.db"))
    names = [f"acc-{i:05d}" for i in range(plan)]
    now = time.time()
    aid = approvals.request(_req(names, None), NEED, "sha256:p", POLICY, now).id
    approvals.approve(aid, approver="alice", policy=POLICY, now=now)
    lanes = [names[i : i + lane] for i in range(0, plan, lane)]
    for label in ("redeem", "re-present"):
        samples = []
        for part in lanes:
            start = time.perf_counter()
            _, refusal = approvals.redeem(aid, _req(part, "run-1/execute"), NEED, now)
            samples.append(time.perf_counter() - start)
            assert refusal == "", refusal
        print(f"  {label:10s} {len(lanes):4d} lanes: total {sum(samples) * 1000:8.1f} ms, {_ms(samples)}")
    stored = approvals.store.get(aid)
    assert stored is not None and stored.status == "consumed"
    print(f"  stored approval body: {len(stored.body_json()) / 1024:.0f} KiB")


def main() -> None:
    """Parse arguments and print one block per (plan size, lane size)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", default="800,5000")
    parser.add_argument("--lanes", default="50,1000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for plan in (int(p) for p in args.plans.split(",")):
            for lane in (int(v) for v in args.lanes.split(",")):
                if lane > plan:
                    continue
                print(f"plan of {plan} targets, lanes of {lane}:")
                run(plan, lane, Path(tmp))


if __name__ == "__main__":
    main()
