"""Terminal states are final: a late transition is dropped, and nothing of a run follows its terminal record."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest

import agent.graph
import orchestrator.agent_wiring
from agent.conversation import Conversation, ToolSpec
from agent.models.base import ModelBackend, ModelTurn
from agent.models.registry import create_model
from orchestrator.agent_wiring import start_investigation
from orchestrator.config import Settings
from orchestrator.runs import InvalidTransition, RunService, RunStatus, Trigger
from orchestrator.runtime import Runtime, open_runtime


def _after_terminal(kinds: list[str]) -> list[str]:
    """The records after a run's terminal one (there must be exactly one terminal record)."""
    terminal = [i for i, k in enumerate(kinds) if k in ("run.succeeded", "run.failed", "run.cancelled")]
    assert len(terminal) == 1, kinds
    return kinds[terminal[0] + 1 :]


def _loud(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Warnings and errors that runs or the agent logged (a new audit key's warning is not theirs)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(("orchestrator", "agent"))]


def _start(service: RunService) -> str:
    return service.start(name="vlan_deploy", version="1", input={}, trigger=Trigger()).run.id


def test_a_late_transition_is_dropped_with_one_debug_line(
    service: RunService, audit: Any, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = _start(service)
    service.transition(run_id, RunStatus.RUNNING)
    service.cancel(run_id, actor="alice", reason="wrong VLAN")
    caplog.set_level(logging.DEBUG, logger="orchestrator.runs.service")
    late = service.settle(run_id, RunStatus.SUCCEEDED, outcome={"result": "succeeded"})
    assert late.status is RunStatus.CANCELLED and late.outcome is None
    service.note(run_id, "run.escalated", {"reason": "the model said so"})
    service.record_devices(run_id, "apply", [{"device": "b-acc-01", "outcome": "succeeded"}])
    assert service.devices(run_id)[0].outcome == "succeeded"  # the store keeps what the device did
    service.note(run_id, "run.annotated", {"event": "alert.resolved"})  # another trigger's annotation
    assert _after_terminal(audit.kinds(run_id)) == ["run.annotated"]
    dropped = [r.getMessage() for r in caplog.records]
    assert dropped[0] == f"run {run_id} is cancelled: late transition to succeeded dropped"
    assert len(dropped) == 3 and all(r.levelno == logging.DEBUG for r in caplog.records)
    # A person asking for the impossible still gets the error.
    with pytest.raises(InvalidTransition, match="is cancelled: it cannot become cancelled"):
        service.cancel(run_id, actor="bob")


async def test_a_run_cancelled_while_driven_gets_its_terminal_record_when_the_driver_lets_go(
    service: RunService, audit: Any
) -> None:
    run_id = _start(service)
    async with service.lease(run_id):
        service.transition(run_id, RunStatus.RUNNING)
        cancelled = service.cancel(run_id, actor="alice", reason="wrong VLAN")
        assert cancelled.status is RunStatus.CANCELLED and service.is_cancelled(run_id)
        assert cancelled.cancel_requested is not None and cancelled.cancel_requested["actor"] == "alice"
        # The batch under way when the cancel came is still recorded, before the terminal record.
        service.record_devices(run_id, "apply", [{"device": "b-acc-01", "outcome": "skipped"}])
        service.step_finished(run_id, "apply", status="cancelled")
        assert "run.cancelled" not in audit.kinds(run_id)
    kinds = audit.kinds(run_id)
    assert kinds[-4:] == ["run.cancel_requested", "step.devices", "step.finished", "run.cancelled"]
    last = audit.records[-1]
    assert last["actor"] == "alice" and last["payload"]["from"] == "running"
    assert last["payload"]["reason"] == "wrong VLAN"
    assert service.get(run_id).cancel_requested is None
    assert not service.close_cancel(run_id)  # written once


class _CancelsOnTurn:
    """The heuristic model; the operator cancels the run while turn ``turn`` is being thought about."""

    def __init__(self, rt: Runtime, turn: int) -> None:
        self.inner: ModelBackend = create_model("heuristic")
        self.rt, self.turn, self.calls = rt, turn, 0
        self.run_id = ""

    def describe(self) -> str:
        return self.inner.describe()

    async def next_turn(self, conversation: Conversation, tools: Sequence[ToolSpec]) -> ModelTurn:
        self.calls += 1
        turn = await self.inner.next_turn(conversation, tools)
        if self.calls == self.turn:
            self.rt.runs.cancel(self.run_id, actor="alice", reason="not now")
        return turn

    async def aclose(self) -> None:
        await self.inner.aclose()


def _err_disabled_run(rt: Runtime) -> str:
    rt.lab.inject("err_disabled", device="b-acc-02", interface="Ethernet9", reason="bpduguard")
    return start_investigation(rt, {"question": "why is b-acc-02 Ethernet9 down?"}, actor="alice").run.id


async def test_a_cancel_during_a_model_turn_stops_the_investigation_before_its_next_call(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_runtime(settings) as rt:
        run_id = _err_disabled_run(rt)
        model = _CancelsOnTurn(rt, 2)  # the turn that decides to clear the err-disable
        model.run_id = run_id
        monkeypatch.setattr(orchestrator.agent_wiring, "model_from", lambda *_: model)
        done = await rt.execute(rt.runs.get(run_id))
        assert done.status is RunStatus.CANCELLED and done.outcome is None
        kinds = [r.kind for r in rt.audit.records(run_id=run_id)]
        after_request = kinds[kinds.index("run.cancel_requested") + 1 :]
        # The turn's fix was never launched, and nothing followed the end.
        assert after_request == ["step.agent_turn", "run.cancelled"]
        assert "launch_job" not in [r.payload["tool"] for r in rt.audit.records(run_id=run_id, kind="tool.call")]
        assert _after_terminal(kinds) == []
    assert not _loud(caplog), caplog.text


async def test_a_cancel_as_the_agent_reaches_its_finding_is_final_and_last(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_runtime(settings) as rt:
        run_id = _err_disabled_run(rt)
        real = agent.graph.build_finding

        def finding_then_cancel(*args: Any, **kwargs: Any) -> Any:
            finding = real(*args, **kwargs)
            rt.runs.cancel(run_id, actor="alice", reason="fixed by hand meanwhile")
            return finding

        monkeypatch.setattr(agent.graph, "build_finding", finding_then_cancel)
        done = await rt.execute(rt.runs.get(run_id))
        assert done.status is RunStatus.CANCELLED and done.outcome is None
        kinds = [r.kind for r in rt.audit.records(run_id=run_id)]
        assert "run.escalated" not in kinds and "run.succeeded" not in kinds
        assert kinds[-1] == "run.cancelled" and _after_terminal(kinds) == []
    assert "InvalidTransition" not in caplog.text
    assert not _loud(caplog), caplog.text
