"""Multi-turn: a follow-up question is read in the context of the conversation's earlier turns."""

from __future__ import annotations

from typing import Any

import pytest
from fakes.anthropic_server import FakeAnthropic

from agent.intake import normalise
from agent.models.registry import create_model

PORT = "GigabitEthernet1/0/5"
EARLIER = [
    {
        "question": f"b-acc-03 {PORT} is down",
        "run_id": "r-1",
        "status": "succeeded",
        "answer": f"b-acc-03 {PORT} was shut by hand; enabled it and it is up again.",
        "root_cause": "interface_admin_down",
        "affected": [{"device": "b-acc-03", "interface": PORT}],
    }
]


def test_a_follow_up_naming_nothing_is_about_the_device_under_discussion() -> None:
    incident = normalise({"question": "and is it fixed now?", "conversation": EARLIER})
    assert incident.devices == ["b-acc-03"]
    assert [(r.device, r.interface) for r in incident.interfaces] == [("b-acc-03", PORT)]
    assert incident.symptom == "interface_down"  # the follow-up's own words name no symptom


def test_without_an_answer_the_earlier_question_names_the_device() -> None:
    earlier = [{"question": "why is a-acc-02 Ethernet7 flapping?", "run_id": "r-2", "status": "cancelled"}]
    incident = normalise({"question": "and Ethernet8?", "conversation": earlier})
    assert [(r.device, r.interface) for r in incident.interfaces] == [("a-acc-02", "Ethernet8")]
    assert incident.symptom == "link_flap"


def test_a_question_that_names_a_device_keeps_its_own() -> None:
    incident = normalise({"question": "is a-acc-01 healthy?", "conversation": EARLIER})
    assert incident.devices == ["a-acc-01"] and incident.interfaces == []


async def test_the_heuristic_checks_the_port_under_discussion(lab: Any, connect: Any) -> None:
    from agent.models.heuristic import HeuristicModel

    async with connect() as env:
        result = await env.investigator(HeuristicModel()).start(
            {"question": "and is it fixed now?", "conversation": EARLIER}, run_id="r-follow-up"
        )
    assert result.incident is not None and result.incident.devices == ["b-acc-03"]
    reads = [r.payload for r in env.audit.records(run_id="r-follow-up", kind="tool.call")]
    assert {"device": "b-acc-03", "interface": PORT} in [r["arguments"] for r in reads]
    assert result.finding is not None
    assert result.finding.devices[:1] == ["b-acc-03"]


async def test_claude_sees_the_earlier_turns_as_prior_messages(
    lab: Any, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[dict[str, Any]]] = []

    def conclude(body: dict[str, Any]) -> dict[str, Any]:
        seen.append(body["messages"])
        conclusion = {
            "summary": "The port is up: the earlier fix held.",
            "root_cause": "no_fault_found",
            "confidence": 0.8,
            "escalation_needed": False,
        }
        return {"tool_use": [{"name": "conclude", "input": conclusion}]}

    fake = FakeAnthropic([conclude])
    with fake.serve():
        monkeypatch.setenv("FAKE_KEY", fake.api_key)
        model = create_model("anthropic", {"base_url": fake.base_url, "api_key_env": "FAKE_KEY", "max_retries": 0})
        async with connect() as env:
            agent = env.investigator(model)
            await agent.start({"question": "and is it fixed now?", "conversation": EARLIER}, run_id="r-claude-2")
            await agent.aclose()
    assert fake.violations == []
    [messages] = seen
    first, second, third = messages[:3]
    assert (
        first["role"] == "user"
        and first["content"][0]["text"] == f"Earlier, the operator asked: b-acc-03 {PORT} is down"
    )
    assert second["role"] == "assistant" and "My finding then (root cause interface_admin_down)" in str(second)
    assert third["role"] == "user" and "The operator asks: and is it fixed now?" in str(third)
