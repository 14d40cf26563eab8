"""A whole investigation driven by the anthropic backend against the fake Messages API on loopback.

Real lab, real MCP servers, real gateway and audit log; only the model is fake, and it speaks the
Messages API's shapes strictly. The run includes a tool error the model must read, a write to a
protected core switch that waits for a human approval, the verification after the write, and the
model citing audit sequences it read from the tool results.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fakes.anthropic_server import FakeAnthropic

from agent.models.registry import create_model
from agent.taxonomy import RootCause

PORT = "FortyGigabitEthernet1/0/1"


def _last_user_text(body: dict[str, Any]) -> str:
    blocks = body["messages"][-1]["content"]
    return "\n".join(str(b.get("content") or b.get("text") or "") for b in blocks)


def _results(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["tool_use_id"]: b for b in body["messages"][-1]["content"] if b["type"] == "tool_result"}


def _script() -> list[Any]:
    def second(body: dict[str, Any]) -> dict[str, Any]:
        results = _results(body)
        assert results["toolu_01_2"]["is_error"] is True
        assert "[not_found]" in results["toolu_01_2"]["content"]
        assert "admin-down" in results["toolu_01_1"]["content"]
        enable = {"template": "interface_enable", "extra_vars": {"interface": PORT}, "limit": ["core-01"]}
        return {
            "text": "Admin down; core-99 does not exist. Enabling.",
            "tool_use": [{"name": "launch_job", "input": enable}],
        }

    def third(body: dict[str, Any]) -> dict[str, Any]:
        text = _last_user_text(body)
        assert "Verification passed" in text
        seqs = [int(s) for s in re.findall(r'audit_seq="(\d+)"', text)]
        conclusion = {
            "summary": f"core-01 {PORT} was shut down by hand; enabled after approval and verified up.",
            "root_cause": "interface_admin_down",
            "affected": [{"device": "core-01", "interface": PORT}],
            "evidence": [
                {"statement": "the port is up after the fix", "audit_seq": seqs[-1]},
                {"statement": "an invented citation", "audit_seq": 999_999},
            ],
            "confidence": 0.9,
            "escalation_needed": False,
        }
        return {"tool_use": [{"name": "conclude", "input": conclusion}]}

    first = {
        "text": "Reading the port and the neighbour.",
        "tool_use": [
            {"name": "get_interface_state", "input": {"device": "core-01", "interface": PORT}},
            {"name": "get_interfaces", "input": {"device": "core-99"}},
        ],
    }
    return [first, second, third]


async def test_claude_investigates_with_a_tool_error_and_an_approval(
    lab: Any, connect: Any, audit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.inject("admin_down", device="core-01", interface=PORT)
    fake = FakeAnthropic(_script())
    alert = {"alert": {"labels": {"alertname": "InterfaceDown", "device": "core-01", "interface": PORT}}}
    events: list[dict[str, Any]] = []
    with fake.serve():
        monkeypatch.setenv("FAKE_KEY", fake.api_key)
        model = create_model(
            "anthropic",
            {
                "base_url": fake.base_url,
                "api_key_env": "FAKE_KEY",
                "max_retries": 0,
                "model": "claude-sonnet-4-6",
                "pricing": {"claude-sonnet-4-6": {"input": 3.0, "output": 15.0}},
            },
        )
        async with connect() as env:
            agent = env.investigator(model)
            waiting = await agent.start(alert, run_id="r-claude", on_event=events.append)
            assert waiting.status == "waiting" and waiting.waiting is not None
            assert waiting.waiting["tool"] == "launch_job" and waiting.waiting["targets"] == ["core-01"]
            # While it waits, the run carries a provisional finding that tells the approver why.
            assert waiting.finding is not None and waiting.finding.escalation.needed
            assert waiting.waiting["approval_id"] in waiting.finding.escalation.human_action
            env.gateway.approvals.approve(
                waiting.waiting["approval_id"], approver="bob", policy=env.gateway.policy.approvals, now=time.time()
            )
            result = await agent.resume("r-claude", on_event=events.append)
            await agent.aclose()
    assert fake.violations == []
    assert len(fake.requests) == 3
    finding = result.finding
    assert finding is not None
    assert finding.root_cause is RootCause.INTERFACE_ADMIN_DOWN
    [action] = finding.actions
    assert action.outcome == "succeeded" and action.approval_id == waiting.waiting["approval_id"]
    assert finding.verification.status == "passed"
    assert not finding.escalation.needed
    assert finding.evidence[0].audit_seq is not None
    assert finding.evidence[1].audit_seq is None and finding.evidence[1].statement.startswith("(uncited)")
    assert lab.interface_states("core-01", PORT)[0].oper_status == "up"
    # Tokens and cost: counted per turn, cached tool list read back after the first call, in the audit too.
    usage = finding.usage
    assert usage.model_calls == 3 and usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.cache_creation_input_tokens > 0 and usage.cache_read_input_tokens > 0
    assert usage.cost_usd > 0
    assert finding.budget.spent.tokens == usage.total_tokens
    turns = audit.records(run_id="r-claude", kind="step.agent_turn")
    assert [r.payload["usage"]["output_tokens"] > 0 for r in turns] == [True, True, True]
    final = audit.records(run_id="r-claude", kind="step.agent_finding")[-1].payload
    assert final["usage"]["cost_usd"] == usage.cost_usd
    assert "claude-sonnet-4-6" in finding.reasoner
    assert [e["status"] for e in events if e["event"] == "approval"] == ["requested", "approved"]
