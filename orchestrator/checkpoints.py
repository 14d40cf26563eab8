"""The LangGraph checkpointer of every run thread, with secrets redacted from what it stores.

A run's graph state holds what its steps read: running configurations, compliance diffs, the
agent's conversation with every tool result. ``RedactingSerializer`` is LangGraph's own
``JsonPlusSerializer`` with one more step on the way out: the msgpack bytes it produced are
unpacked (extension types kept as they are, their payloads opened), every string passes the
process's ``Redactor`` (and values under secret-looking keys are replaced), and the result is packed
again. Working on the serialised form covers every Python type LangGraph knows how to store
(pydantic models, dataclasses, ``Send``, ``Interrupt``...), and the types stay what they were, so a
redacted checkpoint loads and resumes like any other. Reading is untouched.

What a resumed run sees is the redacted state: a secret that a later step needs must come from a
reference (a vault path, an executor credential), never from the graph state (decision 10).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import ormsgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from audit.redact import PLAIN, Redactor, below
from dag_fallback.serde import allowed_types

__all__ = ["RedactingSerializer", "open_checkpointer", "redact_msgpack"]

# Extension codes of JsonPlusSerializer whose payload is itself msgpack (constructor and method
# calls, pydantic v1/v2, delta snapshots); numpy arrays (6) carry raw buffers and are left alone.
_NESTED = frozenset({0, 1, 2, 3, 4, 5, 7})
_OPTION = ormsgpack.OPT_NON_STR_KEYS


class _Ext:
    """An extension value held open while its payload is redacted."""

    __slots__ = ("code", "inner", "raw")

    def __init__(self, code: int, inner: Any = None, raw: bytes | None = None) -> None:
        self.code, self.inner, self.raw = code, inner, raw


def _hold(code: int, data: bytes) -> _Ext:
    if code in _NESTED:
        return _Ext(code, ormsgpack.unpackb(data, ext_hook=_hold, option=_OPTION))
    return _Ext(code, raw=data)


def _pack_default(value: Any) -> ormsgpack.Ext:
    if isinstance(value, _Ext):
        if value.raw is not None:
            return ormsgpack.Ext(value.code, value.raw)
        return ormsgpack.Ext(value.code, ormsgpack.packb(value.inner, default=_pack_default, option=_OPTION))
    raise TypeError(f"cannot pack {type(value).__name__}")


def redact_msgpack(data: bytes, redactor: Redactor) -> bytes:
    """``data`` (JsonPlusSerializer msgpack) with its secrets redacted; the same bytes if it holds none.

    In a whole checkpoint only the channel values are redacted: ids, versions and the bookkeeping
    maps keyed by channel and node names are LangGraph's own and must load back exactly.
    """
    tree = ormsgpack.unpackb(data, ext_hook=_hold, option=_OPTION)

    def other(value: Any, cls: int) -> Any:
        if not isinstance(value, _Ext) or value.raw is not None:
            return value  # a numpy buffer, or nothing msgpack produces
        inner = redactor.redact_as(value.inner, cls, other=other)
        return value if inner is value.inner else _Ext(value.code, inner)

    if isinstance(tree, dict) and "channel_values" in tree and "channel_versions" in tree:
        values = tree["channel_values"]
        if not isinstance(values, dict):
            return data
        clean: dict[Any, Any] = {}
        for name, value in values.items():
            # Reserved channels (``__start__``, ``branch:to:node``) are named by LangGraph, not by us.
            reserved = not isinstance(name, str) or name.startswith("__") or ":" in name
            clean[name] = redactor.redact_as(value, PLAIN if reserved else below(PLAIN, name), other=other)
        if all(clean[name] is values[name] for name in values):
            return data
        return ormsgpack.packb({**tree, "channel_values": clean}, default=_pack_default, option=_OPTION)
    redacted = redactor.redact(tree, other=other)
    if redacted is tree:
        return data
    return ormsgpack.packb(redacted, default=_pack_default, option=_OPTION)


class RedactingSerializer(JsonPlusSerializer):
    """JsonPlusSerializer that redacts secrets from everything it serialises (checkpoints and writes).

    A subclass rather than a wrapper, so LangGraph's msgpack allow-list still applies to it
    (``with_msgpack_allowlist`` copies the instance, redactor included).
    """

    def __init__(self, redactor: Redactor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redactor = redactor

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Serialise as JsonPlusSerializer does, then redact the msgpack form."""
        type_, data = super().dumps_typed(obj)
        if type_ != "msgpack":
            return type_, data  # null, or raw bytes a node chose to store
        return type_, redact_msgpack(data, self.redactor)


@asynccontextmanager
async def open_checkpointer(path: str | Path, redactor: Redactor) -> AsyncIterator[AsyncSqliteSaver]:
    """An AsyncSqliteSaver on ``path`` whose serializer redacts (``AsyncSqliteSaver.from_conn_string`` plus serde)."""
    async with aiosqlite.connect(str(path)) as conn:
        # Our state types registered (dag_fallback.serde), so a resume never warns nor loses a type.
        allowed = sorted(allowed_types())
        yield AsyncSqliteSaver(conn, serde=RedactingSerializer(redactor, allowed_msgpack_modules=allowed))
