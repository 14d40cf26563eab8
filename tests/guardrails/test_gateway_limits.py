"""Rate limits, circuit breakers, device locks and persisted per-run counters through the gateway."""

from __future__ import annotations

from typing import Any

from guardrails.caller import Caller
from guardrails.locks import SqliteLockStore

OPERATOR = Caller("ops-bot", "operator")
AGENT = Caller("incident-agent", "agent")


def enable(devices: list[str]) -> dict[str, Any]:
    """interface_enable on Gi1/0/1: odd-numbered access switches run IOS-XE, which names it so."""
    return {"template": "interface_enable", "limit": devices, "extra_vars": {"interface": "Gi1/0/1"}}


async def test_a_burst_over_the_rate_limit_is_refused(make_gateway: Any, audit: Any) -> None:
    gateway = make_gateway("rate_limits: [{tool: get_device, per_second: 1, burst: 2}]")
    results = [await gateway.call("get_device", {"name": "a-acc-01"}, caller=AGENT, run_id="rl") for _ in range(3)]
    assert [r.ok for r in results] == [True, True, False]
    third = results[2]
    assert third.decision.rule == "rate_limit.tool.get_device" and third.retry_after_s is not None
    assert "rate limit tool.get_device (1/s, burst 2) exceeded" in (third.error or "")
    assert audit.records(kind="guardrail.decision", run_id="rl")[-1].payload["rule"] == "rate_limit.tool.get_device"


async def test_circuit_breaker_opens_fails_fast_and_recovers_with_a_probe(
    make_gateway: Any, lab: Any, clock: Any
) -> None:
    gateway = make_gateway("circuit_breaker: {failures: 2, window_seconds: 30, open_seconds: 10}")
    fault = lab.inject("sot_unavailable")
    first = [await gateway.call("get_device", {"name": "a-acc-01"}, caller=AGENT) for _ in range(2)]
    assert [r.error_code for r in first] == ["dependency_unavailable"] * 2
    assert gateway.breakers.states() == {"sot": "open"}
    lab.clear_fault(fault.id)
    fast = await gateway.call("get_device", {"name": "a-acc-01"}, caller=AGENT)
    assert (fast.error_code, fast.decision.rule) == ("dependency_unavailable", "circuit_breaker.sot")
    clock.advance(10)
    assert gateway.breakers.states() == {"sot": "half_open"}
    probe = await gateway.call("get_device", {"name": "a-acc-01"}, caller=AGENT)
    assert probe.ok
    assert gateway.breakers.states() == {"sot": "closed"}


async def test_device_failures_do_not_open_the_breaker(make_gateway: Any) -> None:
    gateway = make_gateway("circuit_breaker: {failures: 1}")
    missing = await gateway.call("get_device", {"name": "zz-acc-01"}, caller=AGENT)
    assert missing.error_code == "not_found"
    assert gateway.breakers.states() == {"sot": "closed"}


async def test_contention_with_another_run_fails_naming_device_and_holder(
    make_gateway: Any, db: Any, clock: Any
) -> None:
    gateway = make_gateway("locks: {on_contention: fail, lease_seconds: 60}")
    SqliteLockStore(db).try_acquire("run-other", ["a-acc-01"], 60, clock())
    result = await gateway.call("launch_job", enable(["a-acc-01", "a-acc-03"]), caller=AGENT, run_id="mine")
    assert result.decision.rule == "locks.contention"
    assert result.error == "device 'a-acc-01' is locked by 'run-other' (rule 'locks.contention')"
    clock.advance(61)  # the other run crashed: its lease runs out
    result = await gateway.call("launch_job", enable(["a-acc-01", "a-acc-03"]), caller=AGENT, run_id="mine")
    assert result.ok, result.error


async def test_locks_are_held_while_the_job_runs_and_released_when_seen_finished(
    make_gateway: Any, db: Any, clock: Any
) -> None:
    gateway = make_gateway("locks: {on_contention: fail}")
    locks = SqliteLockStore(db)
    launched = await gateway.call("launch_job", enable(["b-acc-01"]), caller=AGENT, run_id="run-a")
    assert launched.ok and launched.data is not None
    if not launched.data["finished"]:
        assert [(lock.device, lock.owner) for lock in locks.holders(clock())] == [("b-acc-01", "run-a")]
        other = await gateway.call("launch_job", enable(["b-acc-01"]), caller=AGENT, run_id="run-b")
        assert other.decision.rule == "locks.contention"
    done = await gateway.call(
        "wait_job", {"job_id": launched.data["id"], "timeout_s": 10}, caller=AGENT, run_id="run-a"
    )
    assert done.ok and done.data is not None and done.data["finished"]
    assert locks.holders(clock()) == []
    after = await gateway.call("launch_job", enable(["b-acc-01"]), caller=AGENT, run_id="run-b")
    assert after.ok, after.error


async def test_same_run_may_write_its_own_locked_device_again(make_gateway: Any) -> None:
    gateway = make_gateway("locks: {on_contention: fail}")
    first = await gateway.call("launch_job", enable(["b-acc-03"]), caller=AGENT, run_id="run-a")
    second = await gateway.call("launch_job", enable(["b-acc-03"]), caller=AGENT, run_id="run-a")
    assert first.ok and second.ok, (first.error, second.error)


async def test_a_resumed_run_is_held_to_what_it_already_wrote(make_gateway: Any) -> None:
    policy = "blast_radius: {max_devices_per_run: {agent: 3}, max_write_calls_per_run: {agent: 5}}"
    first = make_gateway(policy)
    ok = await first.call("launch_job", enable(["a-acc-01", "a-acc-03"]), caller=AGENT, run_id="long-run")
    assert ok.ok, ok.error
    resumed = make_gateway(policy)  # a new gateway (as in another process) over the same guardrails.db
    over = await resumed.call("launch_job", enable(["b-acc-01", "b-acc-03"]), caller=AGENT, run_id="long-run")
    assert over.decision.rule == "blast_radius.per_run"
    assert "run 'long-run' would have written 4 devices, over the limit of 3 for agent callers" in (over.error or "")
    other_run = await resumed.call("launch_job", enable(["b-acc-01", "b-acc-03"]), caller=AGENT, run_id="another")
    assert other_run.ok, other_run.error
