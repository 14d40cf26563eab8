"""Canary: an exact share (or named devices) of new runs go to the candidate; it halts itself on failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_kit import commit, make_repo, runtime, settings

from orchestrator.pipeline import CanaryConfig, PromotionRefused
from orchestrator.pipeline.canary import takes_share
from orchestrator.runs import RunStatus, Trigger

FLAKY = '''"""flaky: ends {result} without touching anything."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict

from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from dag_fallback.state import WorkflowState
from dag_fallback.workflows.common import finish


class FlakyParams(BaseModel):
    """Input of flaky."""

    model_config = ConfigDict(extra="forbid")
    device: str = "b-acc-01"


async def done(state: Any, runtime: Runtime[WorkflowContext]) -> dict[str, Any]:
    """End with the version's result."""
    return await finish(runtime.context, state, workflow="flaky", result="{result}", title="flaky", summary="{result}")


def build() -> StateGraph[Any, Any, Any, Any]:
    """The flaky graph."""
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(WorkflowState, context_schema=WorkflowContext)
    graph.add_node("done", done)
    graph.set_entry_point("done")
    graph.add_edge("done", END)
    return graph


DEFINITION = WorkflowDefinition(
    name="flaky", semver="{semver}", description="ends {result}", params=FlakyParams, build=build
)
'''


def flaky(result: str, semver: str) -> str:
    return FLAKY.format(result=result, semver=semver)


def test_the_share_is_exact_and_deterministic() -> None:
    assert [n for n in range(1, 13) if takes_share(n, 0.25)] == [4, 8, 12]
    assert sum(takes_share(n, 0.1) for n in range(1, 101)) == 10
    assert not any(takes_share(n, 0.0) for n in range(1, 50)) and all(takes_share(n, 1.0) for n in range(1, 5))


def test_a_canary_needs_a_way_to_route_runs() -> None:
    with pytest.raises(PromotionRefused, match="needs a share above 0"):
        CanaryConfig(share=0.0)


async def _start(rt, device: str = "b-acc-01"):
    return (await rt.runner.start("flaky", {"device": device}, trigger=Trigger(source="test", actor="pytest"))).run


async def test_canary_share_then_automatic_halt_sends_new_runs_back_to_stable(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "defs")
    commit(repo, {"workflows/flaky.py": flaky("success", "1.0.0")}, "v1")
    cfg = settings(tmp_path, sources=[{"repo": str(repo)}])
    async with runtime(cfg, service=False) as rt:
        stable = rt.registry.entry("flaky")
    commit(repo, {"workflows/flaky.py": flaky("failed", "1.1.0")}, "v2 breaks")
    async with runtime(cfg, service=False) as rt:
        registry = rt.registry
        candidate = registry.entry("flaky", "1.1.0")
        config = CanaryConfig(share=0.25, max_failure_rate=0.5, min_runs=2)
        registry.canaries.start("flaky", "1.1.0", config, actor="alice", reason="CHG0200 canary")
        runs = [await _start(rt) for _ in range(8)]
        routes = [r.pin.route for r in runs]
        assert routes == ["stable"] * 3 + ["canary"] + ["stable"] * 3 + ["canary"]
        assert [r.version for r in runs if r.pin.route == "canary"] == [candidate.version] * 2
        assert all(r.status is RunStatus.FAILED for r in runs if r.pin.route == "canary")
        # The second failed canary run passed the threshold (2 of 2 > 50 %): halted, said everywhere.
        tipping = rt.runs.get(runs[7].id)
        (note,) = tipping.notes
        assert note["kind"] == "canary.halted" and note["failure_rate"] == 1.0 and "halted" in note["summary"]
        (halt,) = rt.audit.records(kind="definition.canary_halted")
        assert halt.payload["run_id"] == runs[7].id and halt.version == candidate.version
        assert any(n["result"] == "canary_halted" for n in rt.notifier.read())  # type: ignore[attr-defined]
        assert registry.canaries.status("flaky")["status"] == "halted"
        after = [await _start(rt) for _ in range(4)]
        assert {(r.pin.route, r.version) for r in after} == {("stable", stable.version)}
        assert [r.kind for r in rt.audit.records(kind="definition.canary_started")] == ["definition.canary_started"]


async def test_canary_by_named_device(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "defs")
    commit(repo, {"workflows/flaky.py": flaky("success", "1.0.0")}, "v1")
    cfg = settings(tmp_path, sources=[{"repo": str(repo)}])
    async with runtime(cfg, service=False):
        pass
    commit(repo, {"workflows/flaky.py": flaky("success", "1.1.0")}, "v2")
    async with runtime(cfg, service=False) as rt:
        rt.registry.canaries.start(
            "flaky", "1.1.0", CanaryConfig(devices=["b-acc-02"]), actor="alice", reason="try on one switch"
        )
        routes = [(await _start(rt, d)).pin.route for d in ("b-acc-01", "b-acc-02", "b-acc-03", "b-acc-02")]
        assert routes == ["stable", "canary", "stable", "canary"]
