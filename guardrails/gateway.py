"""ToolGateway: the only path from the agent and the workflows to MCP tools.

For every call: classify read/write (annotations plus policy) → resolve write targets through
the SoT → evaluate the policy → rate limit and circuit breaker → device locks → redeem an
approval for the call's targets if one is needed → call → release (or bind the locks to a
launched job) → audit the request, the decision with its reason and policy hash, and the result
with its duration.
A refused call never reaches a server; the caller gets ``ok=False`` naming the rule.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mcp_types import CallToolResult, RequestParamsMeta, TextContent, Tool

from guardrails.approval import ApprovalTicket
from guardrails.approvals import Approvals, plan_policy
from guardrails.base import ApprovalStore, LockStore, UsageStore
from guardrails.breaker import CircuitBreakers
from guardrails.caller import Caller
from guardrails.classify import classify, supports_dry_run
from guardrails.decision import Decision
from guardrails.engine import evaluate
from guardrails.errors import LockContention
from guardrails.inventory import SotInventory
from guardrails.locks import acquire_devices
from guardrails.policy import Policy
from guardrails.ratelimit import RateLimiter
from guardrails.records import AuditSink, call_entry, decision_entry, flag_entry, result_entry, write_records
from guardrails.request import ResolvedRequest, Usage, args_hash
from guardrails.result import GatewayResult
from guardrails.sanitize import strip_forged
from guardrails.sqlite import Database
from guardrails.targets import TargetsUnavailable, extract_targets, resolve_targets, rewrite_targets
from guardrails.usage import SqliteUsageStore
from mcp_servers.client import call_attribution
from mcp_servers.errors import parse_tool_error

__all__ = ["ToolClients", "ToolGateway"]

_JOB_TOOLS = ("get_job", "wait_job", "cancel_job")
_SWEEP_EVERY_S = 30.0


class ToolClients(Protocol):
    """What the gateway needs of ``mcp_servers.client.BlockClients``."""

    def tools(self) -> list[Tool]:
        """Every tool of every block."""

    def block_of(self, tool: str) -> str:
        """The block offering a tool."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *, meta: RequestParamsMeta | None = None
    ) -> CallToolResult:
        """Call a tool; failures come back as error results (``meta`` is the request's ``_meta``)."""


@dataclass
class _Call:
    """One call in flight: the resolved request, what the server will get, and the decision."""

    req: ResolvedRequest
    sent: dict[str, Any]
    decision: Decision | None = None
    locked: tuple[str, ...] = ()
    probe: bool = False
    dispatched: bool = False


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _summary(data: dict[str, Any] | None, text: str) -> str:
    if isinstance(data, dict):
        job = data.get("job") if isinstance(data.get("job"), dict) else data
        if isinstance(job, dict) and "id" in job and "status" in job:
            return f"{job.get('template', 'job')} {job['id']} {job['status']}"
        if isinstance(data.get("items"), list):
            return f"{len(data['items'])} items (total {data.get('total', '?')})"
    return text[:200]


class ToolGateway:
    """Policy, approvals, locks, limits and audit around every MCP tool call."""

    def __init__(
        self,
        clients: ToolClients,
        *,
        audit: AuditSink,
        policy: Policy,
        approvals: ApprovalStore,
        locks: LockStore,
        usage: UsageStore | None = None,
        dry_run: bool = False,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        inventory_ttl_s: float = 5.0,
    ) -> None:
        self.clients = clients
        self.audit = audit
        self.policy = policy
        self.locks = locks
        self.dry_run = dry_run
        self._clock = clock
        if usage is None:
            db = getattr(locks, "db", None)
            if not isinstance(db, Database):
                raise ValueError("ToolGateway needs a usage store (or a SqliteLockStore whose database it can share)")
            usage = SqliteUsageStore(db)
        self.usage: UsageStore = usage
        self.approvals = Approvals(approvals, emit=self._emit)
        self.rate = RateLimiter(policy.rate_limits, monotonic)
        self.breakers = CircuitBreakers(policy.circuit_breaker, monotonic)
        self._defs = {t.name: t for t in clients.tools()}
        self._monotonic = monotonic
        self._last_sweep = float("-inf")
        self.inventory = SotInventory(clients.call_tool, ttl_s=inventory_ttl_s, clock=monotonic)

    # -- public API -------------------------------------------------------------------------

    def tools(self, caller: Caller) -> list[Tool]:
        """The MCP tool definitions ``caller`` may use (denied tools are hidden)."""
        access = self.policy.access(caller.kind)
        return [t for t in self._defs.values() if access.tool_allowed(t.name)]

    async def explain(
        self, tool: str, arguments: dict[str, Any], caller: Caller, run_id: str | None = None
    ) -> Decision:
        """The decision the gateway would make now, without calling, counting or requesting anything."""
        call = await self._prepare(tool, arguments, caller, run_id)
        return call.decision if call.decision is not None else self._evaluate(call.req)

    async def request_approval(
        self,
        tool: str,
        arguments: dict[str, Any],
        *,
        caller: Caller,
        run_id: str,
        reason: str,
        evidence: dict[str, Any] | None = None,
    ) -> ApprovalTicket:
        """The approval a whole plan needs (every target, before any call), created once per run and plan.

        Nothing is called, counted or locked; every rule but the per-call device limit (each call's
        own) judges the plan, and a plan denied outright gets its decision and no request. Asking
        again returns the same request (a LangGraph node re-runs on resume). Audited as
        ``guardrail.decision`` with ``plan``; a new request also as ``approval.requested``.

        ``evidence`` (``coverage_pct``, ``critical_failures`` from the workflow's pre-checks) meeting
        the condition of the one rule that asks for the approval grants it by that rule, with no
        person (``approval.approved_by_evidence``); otherwise the request waits for a human as usual.
        """
        call = await self._prepare(tool, arguments, caller, run_id)
        req = call.req
        decision = call.decision or self._evaluate(req, plan_policy(self.policy))
        approval = None
        if decision.outcome == "approval_required":
            assert decision.need is not None
            approval = self.approvals.request(
                req, decision.need, decision.policy_hash, self.policy.approvals, self._clock(), purpose=reason
            )
            condition = decision.need.evidence
            if condition is not None and evidence is not None and condition.holds(evidence):
                approval = self.approvals.grant_by_evidence(
                    approval, dict(evidence), condition.describe(), self._clock()
                )
            decision = dataclasses.replace(decision, approval_id=approval.id)
        entry = decision_entry(caller, run_id, tool, decision)
        entry["payload"]["plan"] = {"reason": reason, "devices": len(req.targets), "arguments": req.arguments}
        if evidence is not None:
            entry["payload"]["plan"]["evidence"] = dict(evidence)
        await write_records(self.audit, [entry])
        return ApprovalTicket(decision, approval)

    async def call(
        self,
        tool: str,
        arguments: dict[str, Any] | None = None,
        *,
        caller: Caller,
        run_id: str | None = None,
        approval_id: str | None = None,
    ) -> GatewayResult:
        """Call ``tool`` for ``caller`` if the policy allows it; every outcome is audited.

        ``approval_id`` presents an approval granted to this caller for this run, tool and arguments
        other than targets; the call's targets must lie in the approved set and not have been
        redeemed yet, unless under this call's ``idempotency_key`` lineage (see ``Approvals.redeem``).
        Nothing in ``arguments`` can stand in for it.
        """
        started = time.perf_counter()
        self._sweep_approvals()
        call = await self._prepare(tool, arguments or {}, caller, run_id)
        req = call.req
        decision = call.decision if call.decision is not None else self._evaluate(req)
        if decision.outcome == "deny":
            return await self._refuse(call, decision, started)
        if decision.outcome == "approval_required" and approval_id is None:
            assert decision.need is not None
            approval = self.approvals.request(
                req, decision.need, decision.policy_hash, self.policy.approvals, self._clock()
            )
            if approval.status != "approved":
                return await self._refuse(call, dataclasses.replace(decision, approval_id=approval.id), started)
            # The same caller's identical call after the grant: it presents the approval it asked for
            # (bound to run, tool, arguments and targets; redeemed once, below, like a presented id).
            approval_id = approval.id
        if decision.outcome == "allow" and approval_id is not None:
            decision = dataclasses.replace(
                decision, notes=(*decision.notes, f"approval '{approval_id}' not needed; not used")
            )
        gate = self._gate(call, decision)
        if gate is not None:
            return await self._refuse(call, gate, started)
        try:
            if req.access == "write" and req.targets and not req.dry_run:
                try:
                    await acquire_devices(
                        self.locks,
                        self._owner(req),
                        req.target_names,
                        lease_s=self.policy.locks.lease_seconds,
                        on_contention=self.policy.locks.on_contention,
                        wait_s=self.policy.locks.wait_seconds,
                        clock=self._clock,
                    )
                except LockContention as exc:
                    return await self._refuse(call, self._deny(decision, "locks.contention", str(exc)), started)
                call.locked = req.target_names
            if decision.outcome == "approval_required":
                decision = self._redeem(decision, req, approval_id or "")
                if not decision.allowed:
                    return await self._refuse(call, decision, started)
            return await self._dispatch(call, decision, started)
        finally:
            if call.locked:
                self.locks.release(self._owner(req), call.locked)
            if call.probe and not call.dispatched:
                self.breakers.get(req.block or "unknown").release_probe()

    # -- steps ------------------------------------------------------------------------------

    async def _prepare(self, tool: str, arguments: dict[str, Any], caller: Caller, run_id: str | None) -> _Call:
        clean, forged = strip_forged(arguments)
        digest = args_hash(clean)
        definition = self._defs.get(tool)
        if definition is None:
            req = ResolvedRequest(tool, "write", caller, clean, digest, run_id, forged=forged)
            known = ", ".join(sorted(self._defs)) or "none"
            why = f"unknown tool '{tool}' (known: {known})"
            return _Call(req, clean, self._decide_early(req, "tool.unknown", why, "not_found"))
        block = self.clients.block_of(tool)
        access = classify(self.policy, definition)
        if access == "read":
            req = ResolvedRequest(tool, "read", caller, clean, digest, run_id, block=block, forged=forged)
            return _Call(req, clean)
        forced = self.dry_run or self.policy.dry_run
        supported = supports_dry_run(definition)
        template = clean.get("template") if isinstance(clean.get("template"), str) else None
        spec = extract_targets(clean)
        base = ResolvedRequest(
            tool,
            "write",
            caller,
            clean,
            digest,
            run_id,
            block=block,
            template=template,
            dry_run=supported and (forced or clean.get("dry_run") is True),
            dry_run_supported=supported,
            forged=forged,
            scope=spec.selectors[0] if spec.selectors else None,
        )
        try:
            targets, unknown = await resolve_targets(spec, self.inventory.list_devices)
        except TargetsUnavailable as exc:
            return _Call(base, clean, self._decide_early(base, "targets.unresolved", str(exc), exc.code))
        req = dataclasses.replace(base, targets=targets, unknown=unknown)
        sent = rewrite_targets(tool, clean, targets) if spec.patterns or spec.selectors else dict(clean)
        if forced and supported:
            sent["dry_run"] = True
        return _Call(req, sent)

    def _evaluate(self, req: ResolvedRequest, policy: Policy | None = None) -> Decision:
        now = self._clock()
        usage = Usage()
        if req.access == "write":
            window = self.policy.blast_radius.window
            run_devices, calls, recent = self.usage.usage(req.run_id, window.seconds if window else None, now)
            usage = Usage(frozenset(run_devices), calls, frozenset(recent))
        return evaluate(policy or self.policy, req, usage, datetime.fromtimestamp(now, UTC), force_dry_run=self.dry_run)

    def _decide_early(self, req: ResolvedRequest, rule: str, reason: str, code: str) -> Decision:
        return Decision("deny", rule, reason, self.policy.content_hash, req.access, error_code=code)

    def _deny(self, decision: Decision, rule: str, reason: str, retry_after: float | None = None) -> Decision:
        return dataclasses.replace(
            decision, outcome="deny", rule=rule, reason=reason, error_code="denied_by_policy", retry_after_s=retry_after
        )

    def _gate(self, call: _Call, decision: Decision) -> Decision | None:
        """Rate limits and the backend's breaker: cheap, in-memory refusals before anything is held."""
        req = call.req
        hit = self.rate.take(req.tool, req.block)
        if hit is not None:
            key, wait = hit
            reason = f"rate limit {key} ({self.rate.describe(key)}) exceeded; retry in {wait:.2f} s"
            return self._deny(decision, f"rate_limit.{key}", reason, wait)
        breaker = self.breakers.get(req.block or "unknown")
        if breaker.state != "closed":
            allowed, wait = breaker.allow()  # half-open: this call becomes the one probe
            if not allowed:
                block = req.block or "unknown"
                reason = (
                    f"circuit breaker for the {block} backend is open after repeated failures; retry in {wait:.1f} s"
                )
                denied = self._deny(decision, f"circuit_breaker.{block}", reason, wait)
                return dataclasses.replace(denied, error_code="dependency_unavailable")
            call.probe = True
        return None

    def _redeem(self, decision: Decision, req: ResolvedRequest, approval_id: str) -> Decision:
        assert decision.need is not None
        approval, refusal = self.approvals.redeem(approval_id, req, decision.need, self._clock())
        if not refusal and approval is not None:
            how = " (emergency override)" if approval.emergency else ""
            return dataclasses.replace(
                decision,
                outcome="allow",
                rule="approval.granted",
                reason=f"{decision.reason}; approved by {approval.decided_by}{how}",
                error_code=None,
                approval_id=approval_id,
            )
        if refusal.startswith("pending:"):
            return dataclasses.replace(decision, approval_id=approval_id, reason=f"{decision.reason}; {refusal[9:]}")
        return dataclasses.replace(self._deny(decision, "approval.invalid", refusal), approval_id=approval_id)

    async def _dispatch(self, call: _Call, decision: Decision, started: float) -> GatewayResult:
        req = call.req
        entries = self._entries(call, decision)
        seq: int | None = None
        if req.access == "write":
            # The change record exists before the change: a crash mid-call still leaves the intent.
            if not req.dry_run:
                self.usage.record(req.run_id, req.target_names, self._clock())
            seq = self._seq(await write_records(self.audit, entries), 1)
            entries = []
        breaker = self.breakers.get(req.block or "unknown")
        call.dispatched = True
        # The caller and run travel along, so a raw block server can audit on whose behalf it acts.
        meta = call_attribution(req.caller.describe(), req.run_id)
        result = await self.clients.call_tool(req.tool, call.sent, meta=meta)
        text = _text(result)
        data = result.structured_content if isinstance(result.structured_content, dict) else None
        code: str | None = None
        error: str | None = None
        if result.is_error:
            parsed, error = parse_tool_error(text)
            code = parsed.value
        breaker.record(code != "dependency_unavailable")
        extra = self._track_jobs(call, data) if code is None else {}
        elapsed = (time.perf_counter() - started) * 1000
        entries.append(
            result_entry(
                req.caller,
                req.run_id,
                req.tool,
                ok=code is None,
                error_code=code,
                duration_ms=elapsed,
                summary=error or _summary(data, text),
                extra=extra,
            )
        )
        records = await write_records(self.audit, entries)
        if seq is None:
            seq = self._seq(records, 1)
        return GatewayResult(
            ok=code is None,
            decision=decision,
            data=data,
            text=text,
            error_code=code,
            error=error,
            audit_seq=seq,
            approval_id=decision.approval_id,
            duration_ms=elapsed,
        )

    def _track_jobs(self, call: _Call, data: dict[str, Any] | None) -> dict[str, Any]:
        """Keep locks while a launched job runs; release them once a job is seen finished."""
        if not isinstance(data, dict):
            return {}
        req = call.req
        job = data.get("job") if isinstance(data.get("job"), dict) else data
        if not isinstance(job, dict) or "id" not in job:
            return {}
        job_id = str(job["id"])
        if req.tool == "launch_job" and call.locked and not job.get("finished"):
            self.locks.bind_job(job_id, self._owner(req), call.locked, self.policy.locks.lease_seconds, self._clock())
            call.locked = ()  # the job owns this hold now; release_job drops it
            return {"locks_held_for_job": job_id}
        if req.tool in _JOB_TOOLS and job.get("finished"):
            released = self.locks.release_job(job_id)
            if released:
                return {"locks_released": len(released), "job_id": job_id}
        return {}

    # -- helpers ----------------------------------------------------------------------------

    def _sweep_approvals(self) -> None:
        """Apply approval timeouts (warnings, abort/proceed/escalate) at most every 30 s: no daemon needed."""
        mono = self._monotonic()
        if mono - self._last_sweep >= _SWEEP_EVERY_S:
            self._last_sweep = mono
            self.approvals.expire_due(self._clock())

    def _owner(self, req: ResolvedRequest) -> str:
        return req.run_id or f"caller:{req.caller.id}"

    def _entries(self, call: _Call, decision: Decision) -> list[dict[str, Any]]:
        req = call.req
        entries = [
            call_entry(req.caller, req.run_id, req.tool, req.block, req.arguments),
            decision_entry(req.caller, req.run_id, req.tool, decision),
        ]
        if req.forged:
            detail = {"paths": list(req.forged), "note": "approval-like argument fields ignored and stripped"}
            entries.append(flag_entry(req.caller, req.run_id, req.tool, "forged_approval", detail))
        if call.sent is not req.arguments and call.sent != req.arguments:
            entries[0]["payload"]["sent_arguments"] = call.sent
        return entries

    @staticmethod
    def _seq(records: list[Any], index: int) -> int | None:
        return getattr(records[index], "seq", None) if len(records) > index else None

    async def _refuse(self, call: _Call, decision: Decision, started: float) -> GatewayResult:
        req = call.req
        elapsed = (time.perf_counter() - started) * 1000
        where = f" (rule '{decision.rule}')"
        error = decision.reason + where
        if decision.outcome == "approval_required":
            error += (
                f"; approval '{decision.approval_id}' requested, waiting for an approver"
                " (once it is approved, make the identical call again to use it)"
            )
        entries = self._entries(call, decision)
        entries.append(
            result_entry(
                req.caller,
                req.run_id,
                req.tool,
                ok=False,
                error_code=decision.error_code,
                duration_ms=elapsed,
                summary="not called: " + decision.outcome,
            )
        )
        records = await write_records(self.audit, entries)
        return GatewayResult(
            ok=False,
            decision=decision,
            error_code=decision.error_code,
            error=error,
            audit_seq=self._seq(records, 1),
            approval_id=decision.approval_id,
            duration_ms=elapsed,
            retry_after_s=decision.retry_after_s,
        )

    def _emit(self, kind: str, payload: dict[str, Any], run_id: str | None, actor: str) -> None:
        self.audit.append_many([{"kind": kind, "actor": actor, "run_id": run_id, "payload": payload}])
