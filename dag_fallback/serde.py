"""The checkpoint serializer: LangGraph's JsonPlusSerializer with every type our graphs keep in state registered.

LangGraph 1.2 deserialises a type outside its allow-list with a warning ("will be blocked in a
future version"); registering ours makes resume independent of that default. The list is explicit
and strict — a type that is neither LangGraph's own safe set nor registered here is not rebuilt on
load (its raw value comes back) — so that a new state type shows up in tests, not after an upgrade:
``tests/dag_fallback/test_checkpoint_serde.py`` decodes every checkpoint a workflow and an
investigation write and fails on a type missing here.

Graph state is meant to hold plain values (dicts, lists, strings); the types below are the ones
that reach it anyway: ``FanOutPolicy.to_dict`` (``dataclasses.asdict``) keeps the ``TimeoutAction``
of a step's time limit. Everything that builds a checkpointer (the runtime, tests) takes its
serializer from ``checkpoint_serde()``; a wrapping serializer (redaction) wraps this one.
"""

from __future__ import annotations

from collections.abc import Iterable

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from dag_fallback.timeouts import TimeoutAction

__all__ = ["STATE_TYPES", "allowed_types", "checkpoint_serde"]

STATE_TYPES: tuple[type, ...] = (TimeoutAction,)


def allowed_types(extra: Iterable[type] = ()) -> frozenset[tuple[str, str]]:
    """``(module, name)`` of every registered state type (LangGraph's own safe types come on top)."""
    return frozenset((t.__module__, t.__qualname__) for t in (*STATE_TYPES, *extra))


def checkpoint_serde(extra: Iterable[type] = ()) -> JsonPlusSerializer:
    """A serializer that rebuilds LangGraph's safe types and ours, and nothing else, without warnings."""
    return JsonPlusSerializer(allowed_msgpack_modules=sorted(allowed_types(extra)))
