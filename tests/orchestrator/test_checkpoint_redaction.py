"""checkpoints.db keeps no secret, and a redacted checkpoint still loads and resumes."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import operator
import uuid
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Interrupt, Send, interrupt
from pydantic import BaseModel

from audit.redact import REDACTED, Redactor
from orchestrator.checkpoints import RedactingSerializer, open_checkpointer

CONFIG = "hostname core-01\nusername admin privilege 15 secret 0 CkptS3cret\nsnmp-server community CkptComm RO\n"
CLEAN = "hostname core-01\nusername admin privilege 15 secret 0 [REDACTED]\nsnmp-server community [REDACTED] RO\n"


class Colour(enum.Enum):
    """An enum, stored as a constructor extension."""

    RED = "red"


class Finding(BaseModel):
    """A pydantic model, stored as a pydantic extension."""

    device: str
    evidence: list[str]
    api_key: str | None = None


@dataclasses.dataclass
class Outcome:
    """A dataclass, stored as a keyword-constructor extension."""

    device: str
    diff: str


def serde() -> RedactingSerializer:
    # The test's own state types are registered, as the runtime registers ours (dag_fallback.serde).
    allowed = sorted((t.__module__, t.__qualname__) for t in (Colour, Finding, Outcome))
    return RedactingSerializer(Redactor(), allowed_msgpack_modules=allowed)


def roundtrip(obj: Any) -> Any:
    s = serde()
    return s.loads_typed(s.dumps_typed(obj))


def test_strings_inside_every_stored_type_are_redacted_and_types_kept() -> None:
    when = datetime.datetime(2026, 11, 28, 14, 0, tzinfo=datetime.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    state = {
        "config": CONFIG,
        "tuple": ("a", CONFIG),
        "set": {"enable secret CkptEnable"},
        "when": when,
        "id": ident,
        "colour": Colour.RED,
        "finding": Finding(device="core-01", evidence=["description password CkptDesc"], api_key="k-CkptKey"),
        "outcome": Outcome(device="core-01", diff="-" + CONFIG),
        "send": Send("check", {"device": "core-01", "config": CONFIG}),
        "interrupt": Interrupt(value={"arguments": {"password": "CkptArg"}}, id="i-1"),
        "usage": {"input_tokens": 1200, "max_tokens": 4096},
    }
    _, data = serde().dumps_typed(state)
    for secret in (b"CkptS3cret", b"CkptComm", b"CkptEnable", b"CkptDesc", b"CkptKey", b"CkptArg"):
        assert secret not in data
    back = serde().loads_typed(("msgpack", data))
    assert back["config"] == CLEAN
    assert back["tuple"] == ["a", CLEAN]  # msgpack has one array type: LangGraph reads tuples back as lists too
    assert back["set"] == {"enable secret [REDACTED]"}
    assert back["when"] == when and back["id"] == ident and back["colour"] is Colour.RED
    assert back["finding"] == Finding(device="core-01", evidence=["description password [REDACTED]"], api_key=REDACTED)
    assert back["outcome"] == Outcome(device="core-01", diff="-" + CLEAN)
    assert isinstance(back["send"], Send) and back["send"].arg == {"device": "core-01", "config": CLEAN}
    assert isinstance(back["interrupt"], Interrupt)
    assert back["interrupt"].value == {"arguments": {"password": REDACTED}}
    assert back["usage"] == {"input_tokens": 1200, "max_tokens": 4096}


def test_data_without_secrets_is_stored_byte_for_byte_as_langgraph_stores_it() -> None:
    state = {"device": "core-01", "when": datetime.datetime(2026, 1, 1), "results": [1, 2.5, None, True, b"\x00"]}
    assert serde().dumps_typed(state) == JsonPlusSerializer().dumps_typed(state)
    assert serde().dumps_typed(None) == ("null", b"")


def test_only_the_channel_values_of_a_checkpoint_are_redacted() -> None:
    """Versions and the seen-maps are keyed by channel names: a channel named ``api_key`` keeps its version."""
    checkpoint = {
        "v": 4,
        "id": "1f0-abc",
        "ts": "2026-11-28T14:00:00+00:00",
        "channel_values": {"api_key": "sk-plain-CkptChannel", "config": CONFIG, "branch:to:fix": None},
        "channel_versions": {"api_key": "00000000000000000000000000000002.0.1", "config": "00000000000000000002.0.2"},
        "versions_seen": {"fix": {"api_key": "00000000000000000000000000000002.0.1"}},
        "updated_channels": ["api_key", "config"],
    }
    back = roundtrip(checkpoint)
    assert back["channel_values"] == {"api_key": REDACTED, "config": CLEAN, "branch:to:fix": None}
    for key in ("v", "id", "ts", "channel_versions", "versions_seen", "updated_channels"):
        assert back[key] == checkpoint[key]


def test_langgraph_allow_lists_keep_the_redacting_serializer(tmp_path: Path) -> None:
    clone = serde().with_msgpack_allowlist([("orchestrator.checkpoints", "Anything")])
    assert isinstance(clone, RedactingSerializer)
    assert b"CkptS3cret" not in clone.dumps_typed({"c": CONFIG})[1]


class _State(TypedDict, total=False):
    config: str
    notes: Annotated[list[str], operator.add]
    decision: str


def _graph() -> StateGraph[_State]:
    def collect(state: _State) -> dict[str, Any]:
        return {"config": CONFIG, "notes": ["read running config"]}

    def gate(state: _State) -> dict[str, Any]:
        decision = interrupt({"question": "restore?", "diff": state["config"]})
        return {"decision": decision, "notes": ["approved"]}

    def restore(state: _State) -> dict[str, Any]:
        return {"notes": [f"restored ({len(state['config'].splitlines())} lines)"]}

    graph: StateGraph[_State] = StateGraph(_State)
    graph.add_node("collect", collect)
    graph.add_node("gate", gate)
    graph.add_node("restore", restore)
    graph.add_edge(START, "collect")
    graph.add_edge("collect", "gate")
    graph.add_edge("gate", "restore")
    graph.add_edge("restore", END)
    return graph


def _stored(directory: Path) -> bytes:
    """The database and its WAL, raw."""
    return b"".join(p.read_bytes() for p in directory.iterdir())


async def test_a_graph_interrupted_with_secrets_in_its_state_resumes_from_the_redacted_checkpoint(
    tmp_path: Path,
) -> None:
    db = tmp_path / "checkpoints.db"
    thread = {"configurable": {"thread_id": "r-1"}}
    async with open_checkpointer(db, Redactor()) as saver:
        first = await _graph().compile(checkpointer=saver).ainvoke({}, thread)
        assert "__interrupt__" in first  # the live process saw the real config
    stored = _stored(tmp_path)
    assert b"CkptS3cret" not in stored and b"CkptComm" not in stored
    assert b"secret 0 [REDACTED]" in stored
    # Another process: a fresh saver on the same file loads the redacted checkpoint and goes on.
    async with open_checkpointer(db, Redactor()) as saver:
        app = _graph().compile(checkpointer=saver)
        waiting = await app.aget_state(thread)
        assert waiting.next == ("gate",) and waiting.values["config"] == CLEAN
        done = await app.ainvoke(Command(resume="yes"), thread)
    assert done["decision"] == "yes"
    assert done["notes"] == ["read running config", "approved", "restored (3 lines)"]
