"""Fan-out/fan-in as a LangGraph building block, on small real graphs over a simulated fleet."""

from __future__ import annotations

import asyncio
from typing import Any

from dagf_fleet import Fleet
from dagf_helpers import FakeClock, compile_graph, make_ctx, until

from dag_fallback.completion import CompletionPolicy
from dag_fallback.context import WorkflowContext
from dag_fallback.failures import BlockFailure, classify
from dag_fallback.fanout import FanOut, FanOutPolicy
from dag_fallback.outcomes import DeviceResult
from dag_fallback.retry import RetryPolicy
from dag_fallback.timeouts import StepTimeout, TimeoutAction
from dag_fallback.waves import WavePlan
from dag_fallback.work import PerDevice
from orchestrator.runs import RunService


async def probe(ctx: WorkflowContext, device: str, data: dict[str, Any]) -> DeviceResult:
    """A pre-check: reachable per the health tool."""
    result = await ctx.tools.call("get_device_health", {"device": device}, run_id=data["run_id"])
    if not result.ok:
        raise BlockFailure(classify("get_device_health", result, step="probe"))
    if not result.data["reachable"]:
        return DeviceResult.fail(device, "unreachable", "transient")
    return DeviceResult.ok(device)


def probe_step(policy: FanOutPolicy) -> FanOut:
    return FanOut(
        "probe",
        PerDevice(probe, lane_size=10),
        targets=lambda s: s["params"]["devices"],
        next="done",
        on_fail="failed",
        policy=policy,
        data=lambda s: {"run_id": s["run_id"]},
        failure_block="observability",
    )


async def run_probe(fleet: Fleet, runs: RunService, clock: FakeClock, run_id: str, policy: FanOutPolicy):
    graph = compile_graph(probe_step(policy).add_to, "probe")
    state = {"run_id": run_id, "params": {"devices": sorted(fleet.devices)}}
    config = {"configurable": {"thread_id": run_id}, "max_concurrency": 64}
    return await graph.ainvoke(state, config, context=make_ctx(fleet, runs, clock))


async def test_fan_out_bounds_concurrency_and_records_every_device(runs, clock, run_id) -> None:
    fleet = Fleet.of(60, latency=0.01)
    out = await run_probe(fleet, runs, clock, run_id, FanOutPolicy(concurrency=7))
    assert out["outcome"] == {"result": "done"}
    assert fleet.max_in_flight == 7  # bounded across all lanes, and actually reached
    assert len(out["results"]["probe"]) == 60
    assert {d.outcome for d in runs.devices(run_id)} == {"succeeded"}
    (step,) = runs.steps(run_id)
    assert step.status == "succeeded" and step.summary["devices"] == {"succeeded": 60}


async def test_one_device_failing_is_a_value_not_an_abort(runs, clock, run_id) -> None:
    fleet = Fleet.of(10)
    fleet.devices["sw-004"].unreachable = True
    out = await run_probe(fleet, runs, clock, run_id, FanOutPolicy(completion=CompletionPolicy.parse("90%")))
    assert out["outcome"] == {"result": "done"}
    assert out["results"]["probe"]["sw-004"]["outcome"] == "failed"
    assert sum(r["outcome"] == "succeeded" for r in out["results"]["probe"].values()) == 9


async def test_completion_not_met_routes_to_on_fail_naming_counts(runs, clock, run_id) -> None:
    fleet = Fleet.of(10)
    for name in ("sw-001", "sw-002"):
        fleet.devices[name].unreachable = True
    out = await run_probe(fleet, runs, clock, run_id, FanOutPolicy(completion=CompletionPolicy.parse("9 of m")))
    assert out["outcome"] == {"result": "failed"}
    assert out["failure"]["kind"] == "downstream_failed"
    assert "8 of 10 succeeded, 2 failed" in out["failure"]["message"] and "needs 9" in out["failure"]["message"]


async def test_first_success_skips_the_rest(runs, clock, run_id) -> None:
    fleet = Fleet.of(20, latency=0.001)
    policy = FanOutPolicy(concurrency=1, completion=CompletionPolicy.parse("first_success"))
    out = await run_probe(fleet, runs, clock, run_id, policy)
    outcomes = [r["outcome"] for r in out["results"]["probe"].values()]
    assert outcomes.count("succeeded") == 1 and outcomes.count("skipped") == 19
    assert fleet.tool_count("get_device_health") == 1
    assert out["outcome"] == {"result": "done"}


async def test_failed_canary_stops_later_waves(runs, clock, run_id) -> None:
    fleet = Fleet.of(10)
    fleet.devices["sw-001"].unreachable = True
    policy = FanOutPolicy(waves=WavePlan(canary=1, wave_size=3))
    out = await run_probe(fleet, runs, clock, run_id, policy)
    results = out["results"]["probe"]
    assert results["sw-001"]["outcome"] == "failed"
    assert all(results[f"sw-{i:03d}"]["outcome"] == "skipped" for i in range(2, 11))
    assert "stopped after wave 1 of 4" in results["sw-010"]["error"]
    assert fleet.tool_count("get_device_health") == 1
    assert out["progress"]["probe"]["next"] == 1


async def test_waves_run_in_order_when_healthy(runs, clock, run_id) -> None:
    fleet = Fleet.of(10)
    policy = FanOutPolicy(waves=WavePlan(canary=2, wave_size=4))
    out = await run_probe(fleet, runs, clock, run_id, policy)
    probed = [args["device"] for tool, args in fleet.calls]
    assert probed[:2] == ["sw-001", "sw-002"] and set(probed[2:6]) == {f"sw-{i:03d}" for i in range(3, 7)}
    assert out["progress"]["probe"]["next"] == 3 and out["outcome"] == {"result": "done"}


async def test_transient_failures_are_retried_with_backoff(runs, clock, run_id) -> None:
    fleet = Fleet.of(4)
    fleet.devices["sw-002"].transient_failures = 2
    policy = FanOutPolicy(retry=RetryPolicy(max_attempts=3, base_delay_s=1.0, jitter=0.0))
    out = await run_probe(fleet, runs, clock, run_id, policy)
    assert out["results"]["probe"]["sw-002"]["outcome"] == "succeeded"
    assert out["results"]["probe"]["sw-002"]["attempts"] == 3
    assert clock.slept == [1.0, 2.0]


async def test_block_down_is_classified_dependency_unavailable(runs, clock, run_id) -> None:
    fleet = Fleet.of(5)
    fleet.down_blocks.add("observability")
    out = await run_probe(fleet, runs, clock, run_id, FanOutPolicy())
    failure = out["failure"]
    assert failure["kind"] == "dependency_unavailable" and failure["block"] == "observability"
    assert failure["step"] == "probe" and "observability backend is down" in failure["message"]
    assert runs.steps(run_id)[0].error == failure["message"]


async def probe_until_held(fleet: Fleet, runs: RunService, clock: FakeClock, run_id: str, policy, advance: float):
    """Run the probe step; once the held devices are in their call, move the clock past the limit."""
    task = asyncio.ensure_future(run_probe(fleet, runs, clock, run_id, policy))
    held = {d for d, spec in fleet.devices.items() if spec.hold}
    await until(lambda: fleet.held >= held and fleet.in_flight == len(held), "held devices in flight")
    clock.t += advance
    try:
        return await task
    finally:
        fleet.release.set()


async def test_lane_timeout_skip_keeps_finished_devices(runs, clock, run_id) -> None:
    fleet = Fleet.of(4)
    fleet.devices["sw-003"].hold = True
    policy = FanOutPolicy(timeout=StepTimeout(60, TimeoutAction.SKIP), completion=CompletionPolicy.parse("75%"))
    out = await probe_until_held(fleet, runs, clock, run_id, policy, advance=61)
    results = out["results"]["probe"]
    assert results["sw-003"]["outcome"] == "skipped" and "timed out after 60s (skip)" in results["sw-003"]["error"]
    assert [results[d]["outcome"] for d in ("sw-001", "sw-002", "sw-004")] == ["succeeded"] * 3
    assert out["outcome"] == {"result": "done"}


async def test_lane_timeout_abort_fails_the_step(runs, clock, run_id) -> None:
    fleet = Fleet.of(2)
    fleet.devices["sw-002"].hold = True
    out = await probe_until_held(
        fleet, runs, clock, run_id, FanOutPolicy(timeout=StepTimeout(5, TimeoutAction.ABORT)), 6
    )
    assert out["failure"]["kind"] == "timeout" and out["outcome"] == {"result": "failed"}
    assert "sw-002" in out["failure"]["message"]


async def test_a_transient_read_in_a_timed_out_round_is_retried(runs, clock, run_id) -> None:
    fleet = Fleet.of(3)
    fleet.devices["sw-001"].transient_failures = 1
    fleet.devices["sw-003"].hold = True
    policy = FanOutPolicy(
        timeout=StepTimeout(60, TimeoutAction.SKIP),
        retry=RetryPolicy(max_attempts=2, base_delay_s=1, jitter=0),
        completion=CompletionPolicy.parse("2"),
    )
    out = await probe_until_held(fleet, runs, clock, run_id, policy, advance=61)
    results = out["results"]["probe"]
    assert results["sw-001"]["outcome"] == "succeeded" and results["sw-001"]["attempts"] == 2
    assert results["sw-003"]["outcome"] == "skipped"


async def test_cancel_before_next_wave_skips_the_rest(runs, clock, run_id) -> None:
    fleet = Fleet.of(6)
    seen: list[str] = []

    async def cancel_after_first(ctx: WorkflowContext, device: str, data: dict[str, Any]) -> DeviceResult:
        seen.append(device)
        runs.cancel(data["run_id"], actor="alice")
        return DeviceResult.ok(device)

    step = FanOut(
        "probe",
        PerDevice(cancel_after_first),
        targets=lambda s: s["params"]["devices"],
        next="done",
        on_fail="failed",
        policy=FanOutPolicy(waves=WavePlan(canary=1, wave_size=2)),
        data=lambda s: {"run_id": s["run_id"]},
    )
    graph = compile_graph(step.add_to, "probe")
    out = await graph.ainvoke(
        {"run_id": run_id, "params": {"devices": sorted(fleet.devices)}},
        {"configurable": {"thread_id": run_id}},
        context=make_ctx(fleet, runs, clock),
    )
    assert seen == ["sw-001"] and "outcome" not in out
    assert {r["outcome"] for d, r in out["results"]["probe"].items() if d != "sw-001"} == {"skipped"}
    assert runs.steps(run_id)[0].status == "cancelled"
