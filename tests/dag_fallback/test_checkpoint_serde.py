"""Checkpoints resume without leaning on LangGraph's permissive default for unregistered types.

LangGraph 1.2 rebuilds a type outside its allow-list with a warning that it "will be blocked in a
future version". These tests resume a workflow and an investigation from the runtime's SQLite
checkpoints and then decode every checkpoint and write they stored, recording each type the blobs
name: every one must be LangGraph's own safe type or registered in ``dag_fallback.serde`` — so a
new state type fails here, not after an upgrade.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ormsgpack
import pytest
from dagf_stack import decide, stack, start
from langgraph.checkpoint.serde import jsonplus
from langgraph.checkpoint.serde._msgpack import SAFE_MSGPACK_TYPES
from langgraph.checkpoint.serde.event_hooks import SerdeEvent, register_serde_event_listener
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from dag_fallback.serde import STATE_TYPES, allowed_types, checkpoint_serde
from dag_fallback.timeouts import TimeoutAction
from orchestrator.agent_wiring import run_investigation, start_investigation
from orchestrator.runs import RunStatus

_CONSTRUCTORS = {
    jsonplus.EXT_CONSTRUCTOR_SINGLE_ARG,
    jsonplus.EXT_CONSTRUCTOR_POS_ARGS,
    jsonplus.EXT_CONSTRUCTOR_KW_ARGS,
    jsonplus.EXT_METHOD_SINGLE_ARG,
    jsonplus.EXT_PYDANTIC_V1,
    jsonplus.EXT_PYDANTIC_V2,
}


def types_named_in(blob: bytes) -> set[tuple[str, str]]:
    """Every (module, name) a msgpack checkpoint blob asks the loader to rebuild, however deeply nested."""
    found: set[tuple[str, str]] = set()

    def hook(code: int, data: bytes) -> Any:
        inner = ormsgpack.unpackb(data, ext_hook=hook, option=ormsgpack.OPT_NON_STR_KEYS)
        if code in _CONSTRUCTORS:
            found.add((str(inner[0]), str(inner[1])))
            return inner[2]
        if code == jsonplus.EXT_NUMPY_ARRAY:
            found.add(("numpy", "ndarray"))
        return inner

    ormsgpack.unpackb(blob, ext_hook=hook, option=ormsgpack.OPT_NON_STR_KEYS)
    return found


def stored_types(db: Path) -> set[tuple[str, str]]:
    """The types named by every checkpoint and pending write in a checkpoints database."""
    conn = sqlite3.connect(db)
    try:
        blobs = conn.execute("SELECT type, checkpoint FROM checkpoints").fetchall()
        blobs += conn.execute("SELECT type, value FROM writes").fetchall()
    finally:
        conn.close()
    assert blobs, f"no checkpoints in {db}"
    return set().union(*(types_named_in(blob) for kind, blob in blobs if kind == "msgpack"))


@contextmanager
def serde_events() -> Iterator[list[SerdeEvent]]:
    """LangGraph's allow-list events (unregistered type loaded, type blocked) while the block runs."""
    events: list[SerdeEvent] = []
    unregister = register_serde_event_listener(events.append)
    try:
        yield events
    finally:
        unregister()


async def test_resuming_a_workflow_and_an_investigation_loads_only_registered_types(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="langgraph")
    with serde_events() as events:
        async with stack(tmp_path) as rt:
            workflow = await start(rt)
            assert workflow.status is RunStatus.WAITING
            decide(rt, workflow)
            workflow = await rt.runner.resume(workflow.id)
            assert workflow.status is RunStatus.SUCCEEDED, workflow.failure

            rt.lab.inject("admin_down", device="core-01", interface="FortyGigabitEthernet1/0/1")
            question = {"question": "why is FortyGigabitEthernet1/0/1 on core-01 down?"}
            inv = await run_investigation(rt, start_investigation(rt, question, actor="pytest").run)
            assert inv.status is RunStatus.WAITING, inv
            approval_id = inv.waiting_on["approval_id"]
            rt.approvals.approve(approval_id, approver="bob", policy=rt.policy.approvals, now=time.time())
            inv = await rt.resume(inv.id)
            assert inv.status is RunStatus.SUCCEEDED, inv

            for run_id in (workflow.id, inv.id):  # read back every checkpoint, as a later resume would
                checkpoints = [c async for c in rt.checkpointer.alist({"configurable": {"thread_id": run_id}})]
                assert len(checkpoints) > 1
            db = rt.settings.data_path(rt.settings.runs.checkpoints, "checkpoints.db")
    assert events == []
    assert not [r for r in caplog.records if "allowed_msgpack_modules" in r.getMessage()]
    used = stored_types(db)
    assert ("dag_fallback.timeouts", "TimeoutAction") in used  # the scan sees our types: it is not vacuous
    unregistered = used - SAFE_MSGPACK_TYPES - allowed_types()
    assert not unregistered, f"state types to add to dag_fallback.serde.STATE_TYPES: {sorted(unregistered)}"


def test_the_registered_types_are_pinned() -> None:
    """Adding a type here is a decision (it may be rebuilt from any checkpoint): review it with the list."""
    assert list(STATE_TYPES) == [TimeoutAction]
    assert allowed_types() == {("dag_fallback.timeouts", "TimeoutAction")}


@pytest.mark.unregistered_checkpoint_types
def test_langgraph_default_warns_where_ours_does_not() -> None:
    """Pins the upgrade risk: LangGraph's default reports TimeoutAction as unregistered, ours rebuilds it."""
    state = {"progress": {"execute": {"policy": {"timeout": {"seconds": 60.0, "action": TimeoutAction.ESCALATE}}}}}
    with serde_events() as events:
        assert JsonPlusSerializer().loads_typed(JsonPlusSerializer().dumps_typed(state)) == state
    assert [(e["kind"], e["name"]) for e in events] == [("msgpack_unregistered_allowed", "TimeoutAction")]
    ours = checkpoint_serde()
    with serde_events() as events:
        again = ours.loads_typed(ours.dumps_typed(state))
    assert again == state and events == []
    assert again["progress"]["execute"]["policy"]["timeout"]["action"] is TimeoutAction.ESCALATE
