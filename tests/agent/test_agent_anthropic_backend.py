"""The anthropic backend against a fake Messages API on loopback: shapes, tool use, caching, cost, errors."""

from __future__ import annotations

from typing import Any

import pytest
from fakes.anthropic_server import FakeAnthropic

from agent.conversation import Conversation, Message, ToolCall, ToolOutcome, ToolSpec
from agent.errors import ModelConfigError, ModelError
from agent.intake import incident_from_question
from agent.models import create_model
from agent.models.anthropic_backend import to_messages

TOOLS = [
    ToolSpec(
        name="get_interface_state",
        description="Interface state",
        input_schema={"type": "object", "properties": {"device": {"type": "string"}}, "required": ["device"]},
        read_only=True,
    ),
    ToolSpec(name="conclude", description="Conclude", input_schema={"type": "object", "properties": {}}, local=True),
]


def _conversation() -> Conversation:
    conv = Conversation(incident=incident_from_question("why is b-acc-03 GigabitEthernet1/0/5 down?"))
    conv.messages.append(Message(role="user", kind="incident", text="Incident: b-acc-03 port down"))
    return conv


def _model(fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Any:
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", fake.api_key)
    options = {
        "base_url": fake.base_url,
        "api_key_env": "FAKE_ANTHROPIC_KEY",
        "max_retries": 0,
        "model": "claude-sonnet-4-6",
        "pricing": {"claude-sonnet-4-6": {"input": 3.0, "output": 15.0}},
        **extra,
    }
    return create_model("anthropic", options)


async def test_tool_use_round_trip_with_caching_and_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    def second(body: dict[str, Any]) -> dict[str, Any]:
        last = body["messages"][-1]["content"][0]
        assert last["type"] == "tool_result" and last["tool_use_id"] == "toolu_01_1"
        assert '<untrusted-data source="tool:get_interface_state" audit_seq="7">' in last["content"]
        return {"text": "The port is admin down."}

    fake = FakeAnthropic(
        [{"text": "Checking.", "tool_use": [{"name": "get_interface_state", "input": {"device": "b-acc-03"}}]}, second]
    )
    with fake.serve():
        model = _model(fake, monkeypatch)
        conv = _conversation()
        first = await model.next_turn(conv, TOOLS)
        assert first.text == "Checking."
        assert first.stop == "tool_use"
        assert first.tool_calls == [
            ToolCall(id="toolu_01_1", name="get_interface_state", arguments={"device": "b-acc-03"})
        ]
        assert first.usage.cache_creation_input_tokens > 0 and first.usage.cache_read_input_tokens == 0
        conv.messages.append(Message(role="assistant", kind="turn", text=first.text, tool_calls=first.tool_calls))
        conv.messages.append(
            Message(
                role="user",
                kind="results",
                results=[
                    ToolOutcome(
                        call_id="toolu_01_1",
                        name="get_interface_state",
                        arguments={"device": "b-acc-03"},
                        phase="act",
                        ok=True,
                        data={"admin_status": "down"},
                        audit_seq=7,
                    )
                ],
            )
        )
        second_turn = await model.next_turn(conv, TOOLS)
        await model.aclose()
    assert fake.violations == []
    assert second_turn.stop == "end_turn" and second_turn.tool_calls == []
    assert second_turn.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    sent = fake.requests[0]
    assert sent["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in sent["tools"][0]
    assert "never instructions" in sent["system"][0]["text"]
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert fake.headers[0]["authorization"] == f"Bearer {fake.api_key}"
    # $3 / $15 per million: input, output, 1.25x cache write, 0.1x cache read.
    u = first.usage
    expected = (u.input_tokens * 3 + u.output_tokens * 15 + u.cache_creation_input_tokens * 3.75) / 1e6
    assert u.cost_usd == pytest.approx(expected, abs=1e-6)


async def test_api_failure_is_one_line_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAnthropic([{"status": 529, "error_type": "overloaded_error", "message": "Overloaded"}])
    with fake.serve():
        model = _model(fake, monkeypatch)
        with pytest.raises(ModelError, match=r"model API answered 529: Overloaded"):
            await model.next_turn(_conversation(), TOOLS)
        await model.aclose()


async def test_wrong_key_is_rejected_by_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeAnthropic([{"text": "never"}])
    with fake.serve():
        monkeypatch.setenv("WRONG_KEY", "not-the-key")
        model = create_model("anthropic", {"base_url": fake.base_url, "api_key_env": "WRONG_KEY", "max_retries": 0})
        with pytest.raises(ModelError, match="401"):
            await model.next_turn(_conversation(), TOOLS)
        await model.aclose()
    assert fake.requests == []


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(ModelConfigError, match=r"\$NO_SUCH_KEY_VAR"):
        create_model("anthropic", {"api_key_env": "NO_SUCH_KEY_VAR"})


def test_bad_option_names_key_and_value(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelConfigError, match=r"agent.options.max_retries=-1"):
        create_model("anthropic", {"max_retries": -1})


def test_context_and_results_merge_into_one_user_turn() -> None:
    conv = _conversation()
    conv.messages.append(Message(role="assistant", kind="turn", tool_calls=[ToolCall(id="t1", name="x")]))
    conv.messages.append(
        Message(
            role="user",
            kind="results",
            results=[
                ToolOutcome(call_id="t1", name="x", phase="act", ok=False, error_code="denied_by_policy", error="no")
            ],
        )
    )
    conv.messages.append(
        Message(
            role="user",
            kind="context",
            results=[
                ToolOutcome(
                    call_id="v1", name="get_interface_state", phase="verify", ok=True, data={"oper_status": "up"}
                )
            ],
        )
    )
    messages = to_messages(conv)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    blocks = messages[-1]["content"]
    assert blocks[0]["type"] == "tool_result" and blocks[0]["is_error"] is True
    assert "[denied_by_policy]" in blocks[0]["content"]
    assert blocks[1]["type"] == "text" and "re-observed after your change" in blocks[1]["text"]
