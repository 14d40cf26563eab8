"""Every budget ends an investigation with an escalation that names it: never a loop, never silence."""

from __future__ import annotations

from typing import Any

import pytest

from agent.budgets import Budgets
from agent.models.scripted import ScriptedModel
from agent.taxonomy import RootCause

ALERT = {
    "alert": {
        "labels": {"alertname": "InterfaceDown", "device": "a-acc-01", "interface": "GigabitEthernet1/0/4"},
        "annotations": {"summary": "a-acc-01 GigabitEthernet1/0/4 is down"},
    }
}


def _reading_forever(turns: int = 50, tokens: int = 0) -> ScriptedModel:
    """A model that never concludes: it re-reads the port every turn."""
    call = {"name": "get_interface_state", "arguments": {"device": "a-acc-01", "interface": "GigabitEthernet1/0/4"}}
    usage = {"input_tokens": tokens // 2, "output_tokens": tokens - tokens // 2}
    return ScriptedModel([{"text": "still looking", "tool_calls": [call], "usage": usage}] * turns)


@pytest.mark.parametrize(
    ("budgets", "model", "exhausted"),
    [
        (Budgets(max_steps=3), _reading_forever(), "max_steps"),
        (Budgets(max_tool_calls=8), _reading_forever(), "max_tool_calls"),
        (Budgets(max_tokens=1_000), _reading_forever(tokens=400), "max_tokens"),
        (Budgets(max_seconds=0.001), _reading_forever(), "max_seconds"),
    ],
    ids=["steps", "tool_calls", "tokens", "seconds"],
)
async def test_each_budget_concludes_with_an_escalation(
    budgets: Budgets, model: ScriptedModel, exhausted: str, lab: Any, connect: Any, audit: Any
) -> None:
    lab.inject("admin_down", device="a-acc-01", interface="GigabitEthernet1/0/4")
    events: list[dict[str, Any]] = []
    async with connect() as env:
        result = await env.investigator(model, budgets=budgets).start(ALERT, run_id="r-budget", on_event=events.append)
    finding = result.finding
    assert finding is not None
    assert finding.budget.exhausted == exhausted
    assert finding.root_cause is RootCause.UNKNOWN
    assert finding.escalation.needed
    assert exhausted in finding.escalation.reason
    assert finding.escalation.human_action
    spent = finding.budget.spent
    assert spent.steps <= budgets.max_steps and spent.tool_calls <= budgets.max_tool_calls
    if exhausted == "max_tokens":
        assert spent.tokens >= 1_000 and spent.steps == 3
    # The stop is announced in the trace and the finding is audited with what was spent.
    assert any(e["event"] == "stop" and e["reason"] == "budget" for e in events)
    records = audit.records(run_id="r-budget", kind="step.agent_finding")
    assert records and records[-1].payload["exhausted"] == exhausted


async def test_a_model_that_stops_talking_still_yields_a_finding(lab: Any, connect: Any) -> None:
    model = ScriptedModel([{"text": "I think the port is down."}])
    async with connect() as env:
        result = await env.investigator(model).start(ALERT, run_id="r-silent")
    assert result.finding is not None
    assert result.finding.escalation.needed
    assert "without calling conclude" in result.finding.escalation.reason


async def test_a_model_failure_ends_in_an_escalation(lab: Any, connect: Any) -> None:
    model = ScriptedModel([])  # no turn at all: the backend raises ModelError on the first call
    async with connect() as env:
        result = await env.investigator(model).start(ALERT, run_id="r-broken")
    assert result.finding is not None
    assert "the model failed: scripted model has no turn 1" in result.finding.escalation.reason
