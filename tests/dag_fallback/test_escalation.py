"""A workflow step failing with an error no branch expects hands the case to the agent, once per run and step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagf_stack import settings_for
from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict

from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from dag_fallback.state import WorkflowState
from dag_fallback.workflows import WORKFLOWS
from orchestrator.runs import RunKind, RunStatus, Trigger
from orchestrator.runtime import open_runtime


class ProbeParams(BaseModel):
    """Input of the probe workflow."""

    model_config = ConfigDict(extra="forbid")
    device: str


async def probe(state: Any, runtime: Runtime[WorkflowContext]) -> dict[str, Any]:
    """A step that meets something its author never expected."""
    runtime.context.recorder.step_started(state["run_id"], "probe")
    raise KeyError("vlan_id")


def build() -> StateGraph[Any, Any, Any, Any]:
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(WorkflowState, context_schema=WorkflowContext)
    graph.add_node("probe", probe)
    graph.set_entry_point("probe")
    graph.add_edge("probe", END)
    return graph


PROBE = WorkflowDefinition(
    name="probe",
    semver="0.1.0",
    description="Fails unexpectedly.",
    params=ProbeParams,
    build=build,
    modules=(__name__,),
)


async def test_an_unexpected_error_in_a_step_starts_a_linked_investigation(tmp_path: Path) -> None:
    async with open_runtime(settings_for(tmp_path), definitions={**WORKFLOWS, "probe": PROBE}) as rt:
        started = await rt.runner.start("probe", {"device": "b-acc-02"}, trigger=Trigger(source="test"))
        run = started.run
        assert run.status is RunStatus.FAILED and run.failure.kind == "internal"
        assert run.failure.message == "KeyError: 'vlan_id'"
        [investigation] = rt.runs.list_runs(kind=RunKind.INVESTIGATION)
        assert run.links == {"investigation": investigation.id} and investigation.parent_id == run.id
        assert investigation.trigger.dedup_key == f"escalation:{run.id}:probe"
        assert investigation.input["workflow"]["step"] == "probe"
        assert investigation.status is RunStatus.SUCCEEDED
        # Resuming the ended workflow's escalation again finds the same investigation: one per run and step.
        from orchestrator.agent_wiring import escalate_if_needed

        await escalate_if_needed(rt, run)
        assert len(rt.runs.list_runs(kind=RunKind.INVESTIGATION)) == 1


async def test_known_failures_stay_with_the_workflow(tmp_path: Path) -> None:
    async with open_runtime(settings_for(tmp_path)) as rt:
        rt.lab.inject("config_drift", device="b-acc-01")
        rt.lab.inject("sot_unavailable")
        run = (await rt.runner.start("drift_remediation", {"device": "b-acc-01"}, trigger=Trigger())).run
        assert run.failure.kind == "dependency_unavailable" and run.links == {}
        assert rt.runs.list_runs(kind=RunKind.INVESTIGATION) == []
