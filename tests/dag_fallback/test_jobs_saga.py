"""Executor fan-outs (one job per lane, retries, idempotent replay) and saga compensation."""

from __future__ import annotations

from dagf_fleet import Fleet, Result
from dagf_helpers import FakeClock, compile_graph, make_ctx
from langgraph.graph import StateGraph

from dag_fallback.failures import classify, error_class_of
from dag_fallback.fanout import FanOut, FanOutPolicy
from dag_fallback.retry import RetryPolicy
from dag_fallback.saga import Saga, compensation_plan
from dag_fallback.waves import WavePlan
from dag_fallback.work import JobWork, job_key
from orchestrator.runs import RunService


def deploy_step(policy: FanOutPolicy, next_node: str = "done") -> FanOut:
    return FanOut(
        "deploy",
        JobWork("vlan_deploy"),
        targets=lambda s: s["params"]["devices"],
        next=next_node,
        on_fail="failed",
        policy=policy,
        data=lambda s: {"extra_vars": {"vid": 1214, "name": "app-payments"}},
        compensation=lambda s: {"template": "vlan_remove", "extra_vars": {"vid": 1214}},
    )


async def run_graph(graph, fleet: Fleet, runs: RunService, clock: FakeClock, run_id: str, devices=None, **ctx_kw):
    state = {"run_id": run_id, "params": {"devices": devices or sorted(fleet.devices)}}
    config = {"configurable": {"thread_id": run_id}}
    return await graph.ainvoke(state, config, context=make_ctx(fleet, runs, clock, **ctx_kw))


def launches(fleet: Fleet) -> list[dict]:
    return [args for tool, args in fleet.calls if tool == "launch_job"]


async def test_one_job_per_lane_sized_by_forks(runs, clock, run_id) -> None:
    fleet = Fleet.of(40)
    fleet.forks = 10
    graph = compile_graph(deploy_step(FanOutPolicy(concurrency=20)).add_to, "deploy")
    out = await run_graph(graph, fleet, runs, clock, run_id, executor_forks=10)
    jobs = launches(fleet)
    assert len(jobs) == 2 and sorted(len(j["limit"]) for j in jobs) == [20, 20]
    assert {j["idempotency_key"] for j in jobs} == {f"{run_id}/deploy/w0/l0", f"{run_id}/deploy/w0/l1"}
    assert all(j["extra_vars"] == {"vid": 1214, "name": "app-payments"} for j in jobs)
    assert out["outcome"] == {"result": "done"} and len(out["results"]["deploy"]) == 40
    assert fleet.tool_count("wait_job") >= 2  # long-polls, no tight loop on get_job
    assert fleet.tool_count("get_job") == 2


async def test_transient_devices_retried_alone_permanent_never(runs, clock, run_id) -> None:
    fleet = Fleet.of(6)
    fleet.devices["sw-002"].transient_failures = 1
    fleet.devices["sw-005"].permanent = "VLAN 1214 reserved on this platform"
    policy = FanOutPolicy(concurrency=50, retry=RetryPolicy(max_attempts=3, base_delay_s=2, jitter=0))
    graph = compile_graph(deploy_step(policy).add_to, "deploy")
    out = await run_graph(graph, fleet, runs, clock, run_id)
    jobs = launches(fleet)
    assert [j["limit"] for j in jobs] == [sorted(fleet.devices), ["sw-002"]]
    assert jobs[1]["idempotency_key"] == job_key(f"{run_id}/deploy/w0/l0", 2) == f"{run_id}/deploy/w0/l0/retry-1"
    r = out["results"]["deploy"]
    assert r["sw-002"]["outcome"] == "succeeded" and r["sw-002"]["attempts"] == 2
    assert r["sw-005"]["outcome"] == "failed" and r["sw-005"]["error_class"] == "permanent"
    assert clock.slept == [2.0]
    assert out["failure"]["kind"] == "downstream_failed" and "sw-005" in out["failure"]["message"]


async def test_rerun_returns_the_jobs_it_launched_instead_of_reapplying(runs, clock, run_id) -> None:
    fleet = Fleet.of(5)
    graph = compile_graph(deploy_step(FanOutPolicy()).add_to, "deploy")
    first = await run_graph(graph, fleet, runs, clock, run_id)
    # A resumed run re-launches the step with the same keys (fresh thread: nothing checkpointed).
    again = compile_graph(deploy_step(FanOutPolicy()).add_to, "deploy")
    out = await again.ainvoke(
        {"run_id": run_id, "params": {"devices": sorted(fleet.devices)}},
        {"configurable": {"thread_id": run_id + "-again"}},
        context=make_ctx(fleet, runs, clock),
    )
    jobs = {r["detail"]["job_id"] for r in out["results"]["deploy"].values()}
    assert jobs == {r["detail"]["job_id"] for r in first["results"]["deploy"].values()} == {1}
    assert all(r["outcome"] == "succeeded" for r in out["results"]["deploy"].values())
    assert all(ops == ["vlan_deploy:1214"] for ops in fleet.applied.values())


def test_compensation_plan_is_newest_first_and_scoped() -> None:
    entries = [
        {"key": "a/w0/l0", "devices": ["d1", "d2"], "template": "undo_a"},
        {"key": "b/w0/l0", "devices": ["d1", "d3"], "template": "undo_b"},
    ]
    assert [e["template"] for e in compensation_plan(entries, None)] == ["undo_b", "undo_a"]
    assert compensation_plan(entries, {"d2"}) == [{"key": "a/w0/l0", "devices": ["d2"], "template": "undo_a"}]


def saga_graph(scope):
    def add(graph: StateGraph) -> None:
        deploy_step(FanOutPolicy(waves=WavePlan(canary=1)), next_node="undo").add_to(graph)
        Saga("undo", scope=scope, next="done", on_fail="failed").add_to(graph)

    return compile_graph(add, "deploy")


async def test_saga_undoes_only_the_scope_in_reverse_and_marks_compensated(runs, clock, run_id) -> None:
    fleet = Fleet.of(4)
    out = await run_graph(saga_graph(lambda s: {"sw-001", "sw-003"}), fleet, runs, clock, run_id)
    assert [e["key"] for e in out["saga"]] == ["deploy/w0/l0", "deploy/w1/l0"]
    undo_jobs = [j for j in launches(fleet) if j["template"] == "vlan_remove"]
    assert [j["limit"] for j in undo_jobs] == [["sw-003"], ["sw-001"]]  # newest wave first
    assert undo_jobs[0]["idempotency_key"] == f"{run_id}/undo/deploy/w1/l0"
    assert {d: r["outcome"] for d, r in out["results"]["undo"].items()} == {
        "sw-001": "compensated",
        "sw-003": "compensated",
    }
    assert fleet.applied["sw-002"] == ["vlan_deploy:1214"]  # outside the scope: kept
    assert fleet.applied["sw-003"] == ["vlan_deploy:1214", "vlan_remove:1214"]
    assert out["outcome"] == {"result": "done"}
    assert {d.device: d.outcome for d in runs.devices(run_id, step="undo")} == {
        "sw-001": "compensated",
        "sw-003": "compensated",
    }


async def test_failing_compensation_escalates(runs, clock, run_id) -> None:
    fleet = Fleet.of(3)
    fleet.devices["sw-002"].undo_fails = True
    out = await run_graph(saga_graph(lambda s: None), fleet, runs, clock, run_id)
    assert out["outcome"] == {"result": "failed"}
    assert out["failure"]["kind"] == "escalated" and "sw-002" in out["failure"]["message"]
    assert out["results"]["undo"]["sw-002"]["outcome"] == "failed"
    assert out["results"]["undo"]["sw-001"]["outcome"] == "compensated"


def test_a_conflict_is_permanent_invalid_input() -> None:
    result = Result(False, error_code="conflict", error="key 'r/deploy/w0/l0' was already used by job 3")
    failure = classify("launch_job", result, step="deploy")
    assert failure.kind == "invalid_input" and failure.block == "executor" and "[conflict]" in failure.message
    assert error_class_of("conflict") == "permanent"


async def test_a_conflicting_key_is_not_retried_and_nothing_is_undone(runs, clock, run_id) -> None:
    fleet = Fleet.of(2)
    await fleet.call(  # an earlier launch under the lane's key, with other parameters
        "launch_job",
        {
            "template": "vlan_deploy",
            "extra_vars": {"vid": 99},
            "limit": ["sw-001"],
            "dry_run": False,
            "idempotency_key": f"{run_id}/deploy/w0/l0",
        },
        run_id=run_id,
    )
    policy = FanOutPolicy(retry=RetryPolicy(max_attempts=3, base_delay_s=1, jitter=0))
    out = await run_graph(compile_graph(deploy_step(policy).add_to, "deploy"), fleet, runs, clock, run_id)
    assert fleet.tool_count("launch_job") == 2 and clock.slept == []  # refused once, never retried
    r = out["results"]["deploy"]["sw-001"]
    assert r["error_class"] == "permanent" and r["detail"]["applied"] == "no"
    assert out["failure"]["kind"] == "invalid_input" and not out.get("saga")
