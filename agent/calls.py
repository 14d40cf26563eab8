"""How the agent reaches tools: only through the ToolGateway, as caller kind ``agent``."""

from __future__ import annotations

from typing import Any

from agent.conversation import Phase, ToolOutcome, ToolSpec
from agent.local_tools import CONCLUDE
from guardrails.caller import Caller
from guardrails.classify import classify
from guardrails.gateway import ToolGateway
from guardrails.result import GatewayResult

__all__ = ["AGENT_CALLER", "ToolRunner", "outcome_of"]

AGENT_CALLER = Caller(id="incident-agent", kind="agent")
"""The identity every investigation calls tools as (the run id tells investigations apart)."""


def outcome_of(
    result: GatewayResult, *, call_id: str, name: str, arguments: dict[str, Any], phase: Phase
) -> ToolOutcome:
    """A gateway result as a conversation entry."""
    return ToolOutcome(
        call_id=call_id,
        name=name,
        arguments=arguments,
        phase=phase,
        ok=result.ok,
        data=result.data,
        text=result.text if result.data is None else "",
        error_code=result.error_code,
        error=result.error,
        audit_seq=result.audit_seq,
        approval_id=result.approval_id,
        targets=list(result.decision.targets),
    )


class ToolRunner:
    """The tool catalogue the agent offers its model, and calls through the gateway."""

    def __init__(self, gateway: ToolGateway, caller: Caller = AGENT_CALLER) -> None:
        self.gateway = gateway
        self.caller = caller
        self._specs: dict[str, ToolSpec] = {}
        for tool in gateway.tools(caller):
            self._specs[tool.name] = ToolSpec(
                name=tool.name,
                description=tool.description or "",
                input_schema=dict(tool.input_schema),
                read_only=classify(gateway.policy, tool) == "read",
            )
        self._specs[CONCLUDE.name] = CONCLUDE

    def specs(self) -> list[ToolSpec]:
        """Every tool the model may ask for, ``conclude`` last."""
        return list(self._specs.values())

    def has(self, name: str) -> bool:
        """Whether the gateway offers ``name`` to this caller."""
        return name in self._specs

    def is_write(self, name: str) -> bool:
        """Writes are verified afterwards; an unknown tool counts as a write (fail safe)."""
        spec = self._specs.get(name)
        return spec is None or not spec.read_only

    def prepare(self, name: str, arguments: dict[str, Any], *, run_id: str, call_id: str) -> dict[str, Any]:
        """Arguments as sent: a launched job gets an idempotency key tied to this run and call, a hand-off its run.

        The key is derived, not random, so a resumed investigation that repeats the call replays the
        job instead of changing the device twice.
        """
        spec = self._specs.get(name)
        props = (spec.input_schema.get("properties") or {}) if spec else {}
        sent = dict(arguments)
        if "idempotency_key" in props and not sent.get("idempotency_key"):
            sent["idempotency_key"] = f"{run_id}/{call_id}"
        if "parent_run_id" in props:
            sent["parent_run_id"] = run_id  # never the model's word: a hand-off names the real investigation
        return sent

    async def call(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        run_id: str,
        call_id: str,
        phase: Phase,
        approval_id: str | None = None,
    ) -> ToolOutcome:
        """Call through the gateway; refusals and failures come back as outcomes, never raise."""
        result = await self.gateway.call(name, arguments, caller=self.caller, run_id=run_id, approval_id=approval_id)
        return outcome_of(result, call_id=call_id, name=name, arguments=arguments, phase=phase)
