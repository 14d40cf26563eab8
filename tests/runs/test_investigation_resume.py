"""An investigation interrupted by a crash resumes from its last checkpoint, and never concludes twice.

A crash is played in-process by ``ProcessDied``, a BaseException nothing of ours catches: the run
stays ``running`` with whatever its checkpoint held, exactly what a kill -9 leaves behind (the
real-process version is tests/api/test_serve_kill9.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from typer.testing import CliRunner

from agent.conversation import Conversation, ToolSpec
from agent.investigation import Investigator
from agent.models.base import ModelBackend, ModelTurn
from agent.models.registry import create_model
from orchestrator.agent_wiring import agent_gateway, start_investigation
from orchestrator.cli.main import app
from orchestrator.config import Settings
from orchestrator.runs import Run, RunStatus
from orchestrator.runtime import Runtime, open_runtime

QUESTION = {"question": "why is b-acc-02 Ethernet9 down?"}


class ProcessDied(BaseException):
    """Stands for a kill -9: nothing after it runs in this 'process'."""


class DiesOnTurn:
    """The heuristic model, except that the process dies when turn ``turn`` is asked for."""

    def __init__(self, turn: int, probe: Any = None) -> None:
        self.inner: ModelBackend = create_model("heuristic")
        self.turn = turn
        self.calls = 0
        self.probe = probe

    def describe(self) -> str:
        return self.inner.describe()

    async def next_turn(self, conversation: Conversation, tools: Sequence[ToolSpec]) -> ModelTurn:
        self.calls += 1
        if self.probe is not None:
            self.probe()
        if self.calls == self.turn:
            raise ProcessDied
        return await self.inner.next_turn(conversation, tools)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _kinds(rt: Runtime, run_id: str, *wanted: str) -> list[str]:
    return [r.kind for r in rt.audit.records(run_id=run_id) if not wanted or r.kind in wanted]


def _tools(rt: Runtime, run_id: str) -> list[str]:
    return [str(r.payload["tool"]) for r in rt.audit.records(run_id=run_id, kind="tool.call")]


def _started(rt: Runtime) -> Run:
    """An investigation its process had started (``running``) when it died."""
    rt.lab.inject("err_disabled", device="b-acc-02", interface="Ethernet9", reason="bpduguard")
    run = start_investigation(rt, QUESTION, actor="alice").run
    return rt.runs.transition(run.id, RunStatus.RUNNING, reason="started")


def _investigator(rt: Runtime, model: ModelBackend, checkpointer: Any = None) -> Investigator:
    return Investigator(
        agent_gateway(rt), model, history=rt.audit, checkpointer=checkpointer if checkpointer else rt.checkpointer
    )


async def test_killed_before_its_first_checkpoint_it_starts_over_from_its_trigger(settings: Settings) -> None:
    async with open_runtime(settings) as rt:
        run = _started(rt)  # died before the graph saved anything
        done = await rt.resume(run.id)
        assert done.status is RunStatus.SUCCEEDED, done.failure
        assert done.outcome is not None and done.outcome["finding"]["affected"][0]["device"] == "b-acc-02"
        assert _kinds(rt, run.id, "step.agent_finding") == ["step.agent_finding"]
        assert _tools(rt, run.id).count("launch_job") == 1


async def test_killed_mid_investigation_it_continues_from_its_last_checkpoint(settings: Settings) -> None:
    async with open_runtime(settings) as rt:
        run = _started(rt)
        with pytest.raises(ProcessDied):
            await _investigator(rt, DiesOnTurn(3)).start(run.input, run_id=run.id)
        before = _tools(rt, run.id)
        assert before.count("launch_job") == 1  # the fix was applied before the crash
        done = await rt.resume(run.id)
        assert done.status is RunStatus.SUCCEEDED, done.failure
        after = _tools(rt, run.id)
        assert after[: len(before)] == before
        assert "get_device" not in after[len(before) :]  # the context gathered before the crash is not gathered again
        assert after.count("launch_job") == 1  # nor is the fix applied again
        assert _kinds(rt, run.id, "step.agent_finding") == ["step.agent_finding"]


async def test_concluded_before_the_crash_it_is_settled_without_running_again(settings: Settings) -> None:
    async with open_runtime(settings) as rt:
        run = _started(rt)
        concluded = await _investigator(rt, create_model("heuristic")).start(run.input, run_id=run.id)
        # ...and the process died before it stored the outcome: the run still says running.
        records = _kinds(rt, run.id)
        done = await rt.resume(run.id)
        assert done.status is RunStatus.SUCCEEDED
        assert done.outcome is not None and concluded.finding is not None
        assert done.outcome["finding"]["summary"] == concluded.finding.summary
        assert _kinds(rt, run.id)[: len(records)] == records
        assert not set(_kinds(rt, run.id)[len(records) :]) & {"tool.call", "step.agent_turn", "step.agent_finding"}


class _FindingThenDeath:
    """The audit writer of an agent whose process dies right after it recorded its Finding."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def append_many(self, entries: list[dict[str, Any]]) -> list[Any]:
        written = self.inner.append_many(entries)
        if any(e["kind"] == "step.agent_finding" for e in entries):
            raise ProcessDied
        return list(written)


async def test_a_finding_recorded_just_before_the_crash_is_not_recorded_twice(settings: Settings) -> None:
    async with open_runtime(settings) as rt:
        run = _started(rt)
        agent = _investigator(rt, create_model("heuristic"))
        agent.deps.audit = _FindingThenDeath(rt.audit)
        with pytest.raises(ProcessDied):
            await agent.start(run.input, run_id=run.id)
        assert _kinds(rt, run.id, "step.agent_finding") == ["step.agent_finding"]
        done = await rt.resume(run.id)
        assert done.status is RunStatus.SUCCEEDED and done.outcome is not None
        assert _kinds(rt, run.id, "step.agent_finding") == ["step.agent_finding"]


class _CountingSaver(AsyncSqliteSaver):
    """The runtime's checkpointer, counting checkpoints still being written (each takes a few loop turns)."""

    in_flight = 0

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        self.in_flight += 1
        try:
            for _ in range(50):  # a busy shared connection: the write completes a while later
                await asyncio.sleep(0)
            return await super().aput(config, checkpoint, metadata, new_versions)
        finally:
            self.in_flight -= 1


async def test_each_step_starts_only_once_the_previous_one_is_saved(settings: Settings) -> None:
    async with open_runtime(settings) as rt:
        run = _started(rt)
        saver = _CountingSaver(rt.checkpointer.conn, serde=rt.checkpointer.serde)
        unsaved: list[int] = []
        model = DiesOnTurn(0, probe=lambda: unsaved.append(saver.in_flight))
        result = await _investigator(rt, model, checkpointer=saver).start(run.input, run_id=run.id)
        assert result.status == "concluded" and len(unsaved) >= 2
        # A kill -9 at any model turn loses nothing but that turn: every earlier step is on disk.
        assert unsaved == [0] * len(unsaved)


def test_runs_resume_finishes_an_investigation_killed_before_its_first_step(settings: Settings, tmp_path: Path) -> None:
    async def crashed() -> str:
        async with open_runtime(settings) as rt:
            return _started(rt).id

    run_id = asyncio.run(crashed())
    config = tmp_path / "netorch.yaml"
    config.write_text(json.dumps(settings.model_dump(mode="json", include={"home", "lab"})))
    result = CliRunner().invoke(app, ["--config", str(config), "runs", "resume", run_id, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["status"] == "succeeded" and shown["outcome"]["finding"]["affected"][0]["device"] == "b-acc-02"
