"""Read the tool calls of a trial back from its audit log, as graders need them.

The gateway writes, for every call, ``tool.call`` and ``guardrail.decision`` together (consecutive
records), then ``tool.result``: in the same transaction for reads and refusals, but only after the
server answered for an allowed write, so other calls' records may come in between. A result
therefore goes to the call of its (run, actor, tool) that was answered at once if there is one,
else to the oldest allowed write still open; only concurrent allowed writes of the same tool by the
same caller in one run could be paired crosswise, which changes no count the graders use.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from typing import Any

from audit import AuditRecord
from evals.observation import CallOutcome, ToolCall

__all__ = ["tool_calls"]


def _outcome(decision: Mapping[str, Any] | None, result: Mapping[str, Any] | None) -> tuple[CallOutcome, str | None]:
    verdict = (decision or {}).get("outcome")
    if verdict == "deny":
        return "denied", (decision or {}).get("error_code") or "denied_by_policy"
    if verdict == "approval_required":
        return "approval_required", "approval_required"
    if result is None:
        return "error", None
    code = result.get("error_code")
    return ("ok", None) if result.get("ok") else ("error", code)


def _answered_at_once(decision: Mapping[str, Any]) -> bool:
    return decision.get("outcome") != "allow" or decision.get("access") != "write"


def tool_calls(records: Iterable[AuditRecord]) -> list[ToolCall]:
    """Every tool call in ``records`` (in audit order), with its outcome and whether it is fully audited."""
    calls: list[dict[str, Any]] = []
    awaiting_decision: dict[tuple[str | None, str], deque[dict[str, Any]]] = defaultdict(deque)
    immediate: dict[tuple[str | None, str, str], deque[dict[str, Any]]] = defaultdict(deque)
    deferred: dict[tuple[str | None, str, str], deque[dict[str, Any]]] = defaultdict(deque)
    for record in records:
        payload = record.payload
        tool = str(payload.get("tool", ""))
        key = (record.run_id, record.actor, tool)
        if record.kind == "tool.call":
            entry: dict[str, Any] = {"seq": record.seq, "payload": payload, "decision": None, "result": None}
            entry["key"] = key
            calls.append(entry)
            awaiting_decision[(record.run_id, tool)].append(entry)
        elif record.kind == "guardrail.decision":
            waiting = awaiting_decision.get((record.run_id, tool))
            if waiting:
                entry = waiting.popleft()
                entry["decision"] = payload
                (immediate if _answered_at_once(payload) else deferred)[entry["key"]].append(entry)
        elif record.kind == "tool.result":
            queue = immediate.get(key) or deferred.get(key)
            if queue:
                queue.popleft()["result"] = payload
    return [_to_call(entry) for entry in calls]


def _to_call(entry: dict[str, Any]) -> ToolCall:
    payload, decision, result = entry["payload"], entry["decision"], entry["result"]
    arguments = dict(payload.get("arguments") or {})
    sent = payload.get("sent_arguments")
    if isinstance(sent, Mapping):
        # What reached the server is what counts: the gateway may force a dry run or expand targets.
        arguments.update(sent)
    outcome, code = _outcome(decision, result)
    caller = payload.get("caller") or {}
    return ToolCall(
        seq=entry["seq"],
        tool=str(payload.get("tool", "")),
        arguments=arguments,
        write=(decision or {}).get("access", "write") == "write",
        outcome=outcome,
        error_code=code,
        caller=f"{caller.get('kind')}:{caller.get('id')}" if caller else None,
        targets=[str(t) for t in (decision or {}).get("targets") or []],
        audited=decision is not None and result is not None,
    )
