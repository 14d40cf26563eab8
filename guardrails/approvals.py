"""Approval lifecycle over an :class:`ApprovalStore`: request, decide, redeem per target, time out.

An approval is redeemed target by target: a call presenting it may run when it comes from the
same run and requester, for the same tool and plan hash (arguments other than targets), its
targets lie inside the approved set, the approval is approved and unexpired, and each target is
either not redeemed yet or was redeemed under an idempotency key of this call's lineage (``K`` or
``K/retry-N``: the executor replays by key, so a resumed step or a retry re-presents safely).
Fresh targets are recorded with the call's key by compare-and-set, so two processes can never
both redeem one target. A call without an idempotency key never re-presents.

No daemon is needed: every read path (``redeem``, ``list``) first applies ``expire_due(now)``,
which warns before expiry (``approval.expiring``) and resolves expired requests per
``on_timeout``: ``abort`` (expired), ``proceed`` (approved by ``timeout``, logged) or
``escalate`` (routed to ``escalate_to`` with a second wait, then aborted).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from guardrails.approval import OPEN_STATUSES, Approval, Redemption, iso, key_lineage, plan_hash
from guardrails.base import ApprovalStore
from guardrails.caller import same_identity
from guardrails.decision import ApprovalNeed
from guardrails.errors import ApprovalError
from guardrails.policy import ApprovalPolicy, PerKind, Policy
from guardrails.request import ResolvedRequest

__all__ = ["Approvals", "EmitFn", "plan_policy"]

_CAS_ATTEMPTS = 8

EmitFn = Callable[[str, dict[str, Any], str | None, str], None]
"""``emit(kind, payload, run_id, actor)``: where approval events go (the audit log)."""


def _no_emit(kind: str, payload: dict[str, Any], run_id: str | None, actor: str) -> None:
    return None


class Approvals:
    """The approval rules, independent of where requests are stored and of the channel used."""

    def __init__(self, store: ApprovalStore, *, emit: EmitFn | None = None) -> None:
        self.store = store
        self.emit: EmitFn = emit or _no_emit

    def _event(self, kind: str, approval: Approval, actor: str, **extra: Any) -> None:
        payload = {"approval_id": approval.id, "status": approval.status, "tool": approval.tool, **extra}
        self.emit(kind, payload, approval.run_id, actor)

    def request(
        self,
        req: ResolvedRequest,
        need: ApprovalNeed,
        policy_hash: str,
        policy: ApprovalPolicy,
        now: float,
        *,
        purpose: str = "",
    ) -> Approval:
        """The open (or approved, not fully used) request for this run, plan and target set, created if needed.

        A LangGraph node re-runs from its top on resume, so asking twice must not create two requests.
        ``purpose`` is the requester's own summary for the approver (the policy's reason is kept apart).
        """
        digest = plan_hash(req.arguments)
        for existing in self.store.find(status=("pending", "escalated", "approved"), run_id=req.run_id):
            if (
                existing.run_id == req.run_id
                and existing.tool == req.tool
                and existing.args_hash == digest
                and existing.targets == req.target_names
                and (existing.requester, existing.requester_kind) == (req.caller.principal, req.caller.kind)
                and existing.expires_at > now
            ):
                return existing
        approval = Approval(
            id="apr-" + secrets.token_hex(5),
            status="pending",
            run_id=req.run_id,
            tool=req.tool,
            args_hash=digest,
            targets=req.target_names,
            requester=req.caller.principal,
            requester_kind=req.caller.kind,
            via=req.caller.id if req.caller.on_behalf_of else None,
            confirm=need.confirm,
            rule=need.rule,
            reason=need.reason,
            policy_hash=policy_hash,
            created_at=now,
            expires_at=now + need.timeout_minutes * 60,
            on_timeout=need.on_timeout,
            timeout_minutes=need.timeout_minutes,
            warn_before_minutes=policy.warn_before_minutes,
            four_eyes=need.four_eyes,
            emergency_required=need.emergency,
            arguments=req.arguments,
            escalate_to=policy.escalate_to,
            escalation_minutes=policy.escalation_minutes,
            purpose=purpose,
        )
        self.store.add(approval)
        self._event(
            "approval.requested",
            approval,
            req.caller.principal,
            via=approval.via,
            rule=need.rule,
            reason=need.reason,
            purpose=purpose or None,
            targets=list(approval.targets),
            expires_at=iso(approval.expires_at),
        )
        return approval

    def _open(self, approval_id: str, now: float) -> Approval:
        self.expire_due(now)
        approval = self.store.get(approval_id)
        if approval is None:
            raise ApprovalError(f"unknown approval '{approval_id}'")
        if not approval.is_open:
            by = f" by {approval.decided_by}" if approval.decided_by else ""
            raise ApprovalError(f"approval '{approval_id}' is already {approval.status}{by}")
        return approval

    def approve(
        self,
        approval_id: str,
        *,
        approver: str,
        policy: ApprovalPolicy,
        now: float,
        roles: frozenset[str] = frozenset(),
        comment: str | None = None,
        emergency: bool = False,
        on_behalf_of: str | None = None,
    ) -> Approval:
        """Grant a request; the approver must be one under ``policy`` and, with four-eyes, not the requester.

        ``on_behalf_of`` records a break-glass decision (the channel checked that ``approver`` may act
        for others): it is audited as ``approver`` acting for that identity, never as that identity,
        and four-eyes refuses it when either of them requested the approval.
        """
        approval = self._open(approval_id, now)
        self._may_decide(approval, approver, on_behalf_of, policy, roles)
        deciding = [approver] if on_behalf_of is None else [approver, on_behalf_of]
        if approval.four_eyes and any(same_identity(who, approval.requester) for who in deciding):
            if on_behalf_of is None:
                raise ApprovalError(f"four-eyes: '{approver}' requested approval '{approval_id}' and cannot approve it")
            raise ApprovalError(
                f"four-eyes: '{approval.requester}' requested approval '{approval_id}';"
                f" '{approver}' acting as '{on_behalf_of}' cannot approve it"
            )
        identity = on_behalf_of or approver
        if emergency and not (identity in policy.approvers or roles & set(policy.approver_roles)):
            raise ApprovalError(f"an emergency override needs the approver role; '{identity}' does not have it")
        if approval.emergency_required and not emergency:
            raise ApprovalError(f"approval '{approval_id}' needs an emergency override ({approval.reason})")
        granted = approval.replace(
            status="approved",
            decided_by=approver,
            decided_at=now,
            comment=comment,
            emergency=emergency,
            on_behalf_of=on_behalf_of,
            expires_at=now + approval.timeout_minutes * 60,
        )
        if not self.store.swap(approval, granted):
            raise ApprovalError(f"approval '{approval_id}' was decided concurrently; look again")
        acting_for = {"on_behalf_of": on_behalf_of} if on_behalf_of else {}
        self._event("approval.approved", granted, approver, comment=comment, emergency=emergency, **acting_for)
        if emergency:
            self._event("approval.emergency_override", granted, approver, rule=approval.rule, reason=approval.reason)
        return granted

    def grant_by_evidence(self, approval: Approval, evidence: dict[str, Any], condition: str, now: float) -> Approval:
        """Approve a pending request by its rule, because the pre-check evidence meets the rule's condition.

        ``decided_by`` is ``rule:<rule id>``; ``approval.approved_by_evidence`` records the evidence,
        the condition, the rule and the policy hash the decision was made under.
        """
        if not approval.is_open:
            return approval  # asked again after the grant (a node re-ran): it stands
        comment = f"approved by evidence: {condition} (coverage {evidence.get('coverage_pct')}%, " + (
            f"{evidence.get('critical_failures')} critical failures)"
        )
        granted = approval.replace(
            status="approved",
            decided_by=f"rule:{approval.rule}",
            decided_at=now,
            comment=comment,
            expires_at=now + approval.timeout_minutes * 60,
        )
        if not self.store.swap(approval, granted):
            raise ApprovalError(f"approval '{approval.id}' was decided concurrently; look again")
        self._event(
            "approval.approved_by_evidence",
            granted,
            granted.decided_by or "rule",
            rule=approval.rule,
            policy_hash=approval.policy_hash,
            condition=condition,
            evidence=evidence,
        )
        return granted

    def reject(
        self,
        approval_id: str,
        *,
        approver: str,
        policy: ApprovalPolicy,
        now: float,
        roles: frozenset[str] = frozenset(),
        comment: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Approval:
        """Refuse a request; only an approver may (or the requester, for a consent it was asked for)."""
        approval = self._open(approval_id, now)
        self._may_decide(approval, approver, on_behalf_of, policy, roles)
        rejected = approval.replace(
            status="rejected", decided_by=approver, decided_at=now, comment=comment, on_behalf_of=on_behalf_of
        )
        if not self.store.swap(approval, rejected):
            raise ApprovalError(f"approval '{approval_id}' was decided concurrently; look again")
        acting_for = {"on_behalf_of": on_behalf_of} if on_behalf_of else {}
        self._event("approval.rejected", rejected, approver, comment=comment, **acting_for)
        return rejected

    @staticmethod
    def _may_decide(
        approval: Approval, approver: str, on_behalf_of: str | None, policy: ApprovalPolicy, roles: frozenset[str]
    ) -> None:
        """Raise unless the deciding identity is an approver, or the requester answering its own consent."""
        identity = on_behalf_of or approver
        if approval.confirm and on_behalf_of is None and same_identity(identity, approval.requester):
            return
        if not policy.may_approve(identity, roles):
            raise ApprovalError(f"'{identity}' is not an approver under the policy (approvals.approvers)")

    def redeem(
        self, approval_id: str, req: ResolvedRequest, need: ApprovalNeed, now: float
    ) -> tuple[Approval | None, str]:
        """Use an approval for this call's targets; returns ``(approval, "")`` or ``(approval|None, refusal)``.

        A pending request is returned with a refusal that starts with ``pending`` so the caller can
        keep waiting; every other refusal names the reason and is audited as ``approval.refused``.
        A redemption is audited as ``approval.redeemed`` (targets remain), ``approval.consumed`` (the
        last targets) or ``approval.reused`` (only re-presented targets, nothing new recorded).
        """
        self.expire_due(now)
        key = req.arguments.get("idempotency_key")
        key = key if isinstance(key, str) and key else None
        approval: Approval | None = None
        for _ in range(_CAS_ATTEMPTS):
            approval = self.store.get(approval_id)
            refusal = _refusal(approval_id, approval, req, need, now)
            if refusal.startswith("pending:"):
                return approval, refusal
            fresh: tuple[str, ...] = ()
            reused: tuple[str, ...] = ()
            if not refusal and approval is not None:
                fresh, reused, refusal = _split(approval, req.target_names, key)
            if refusal or approval is None:
                self._refused(approval_id, approval, req, key, refusal)
                return approval, refusal
            detail = {"targets": list(fresh), "reused": list(reused), "idempotency_key": key}
            if not fresh:
                self._event("approval.reused", approval, req.caller.id, decided_by=approval.decided_by, **detail)
                return approval, ""
            used = approval.redeem(key, fresh, now)
            if self.store.swap(approval, used):
                kind = "approval.consumed" if used.status == "consumed" else "approval.redeemed"
                left = len(used.remaining)
                self._event(kind, used, req.caller.id, decided_by=approval.decided_by, remaining=left, **detail)
                return used, ""
            # Another process redeemed or expired it since our read: decide again on the fresh state.
        refusal = f"approval '{approval_id}' is being redeemed by other calls at the same time; try again"
        self._refused(approval_id, approval, req, key, refusal)
        return approval, refusal

    def _refused(
        self, approval_id: str, approval: Approval | None, req: ResolvedRequest, key: str | None, refusal: str
    ) -> None:
        payload: dict[str, Any] = {"approval_id": approval_id, "tool": req.tool, "reason": refusal}
        payload |= {"status": approval.status if approval else None, "idempotency_key": key}
        payload["targets"] = list(req.target_names)
        # On the presenting call's run: a forged or foreign id must show up where it was tried.
        self.emit("approval.refused", payload, req.run_id, req.caller.id)

    def expire_due(self, now: float) -> list[Approval]:
        """Warn about requests close to expiry and resolve expired ones per ``on_timeout``."""
        changed: list[Approval] = []
        for approval in self.store.find(status=OPEN_STATUSES):
            if approval.expires_at <= now:
                new = self._timeout(approval, now)
            elif approval.warned_at is None and approval.expires_at - approval.warn_before_minutes * 60 <= now:
                new = approval.replace(warned_at=now)
                if self.store.swap(approval, new):
                    self._event("approval.expiring", new, "guardrails", expires_at=iso(approval.expires_at))
                continue
            else:
                continue
            if self.store.swap(approval, new):
                changed.append(new)
                self._timeout_event(new)
        # An approved request not fully used is closed at its use-by time (its unused targets with it).
        for approval in self.store.find(status=("approved",)):
            if approval.expires_at <= now:
                new = approval.replace(status="expired")
                if self.store.swap(approval, new):
                    changed.append(new)
                    left = len(approval.remaining)
                    self._event("approval.expired", new, "guardrails", unused=not approval.redemptions, remaining=left)
        return changed

    def _timeout(self, approval: Approval, now: float) -> Approval:
        if approval.on_timeout == "proceed":
            return approval.replace(
                status="approved",
                decided_by="timeout",
                decided_at=now,
                comment="no answer in time; policy on_timeout: proceed",
                expires_at=now + approval.timeout_minutes * 60,
            )
        if approval.on_timeout == "escalate" and approval.status == "pending":
            extra = approval.escalation_minutes or approval.timeout_minutes
            return approval.replace(status="escalated", escalated_at=now, expires_at=now + extra * 60, warned_at=None)
        return approval.replace(status="expired", decided_at=now, decided_by="timeout")

    def _timeout_event(self, approval: Approval) -> None:
        if approval.status == "approved":
            self._event("approval.timeout_proceed", approval, "guardrails", rule=approval.rule)
        elif approval.status == "escalated":
            self._event(
                "approval.escalated",
                approval,
                "guardrails",
                escalate_to=approval.escalate_to,
                expires_at=iso(approval.expires_at),
            )
        else:
            self._event("approval.expired", approval, "guardrails", on_timeout=approval.on_timeout)

    def list(self, now: float, *, status: str | None = None, run_id: str | None = None) -> list[Approval]:
        """Requests after applying timeouts, optionally filtered."""
        self.expire_due(now)
        return self.store.find(status=None if status is None else (status,), run_id=run_id)


def plan_policy(policy: Policy) -> Policy:
    """``policy`` without the per-call device limit: a plan runs as several calls, each checked on its own."""
    blast = policy.blast_radius.model_copy(update={"max_devices_per_call": PerKind()})
    return policy.model_copy(update={"blast_radius": blast}).stamped(policy.content_hash, policy.source)


def _refusal(approval_id: str, approval: Approval | None, req: ResolvedRequest, need: ApprovalNeed, now: float) -> str:
    """Why this approval cannot cover this call at all ("" when it can); ``pending:`` while undecided."""
    if approval is None:
        return f"unknown approval '{approval_id}'"
    mismatch = _binding_mismatch(approval, req)
    if mismatch:
        return f"approval '{approval_id}' {mismatch}"
    if approval.is_open:
        return f"pending: approval '{approval_id}' is still {approval.status}"
    if approval.status not in ("approved", "consumed"):
        by = f" by {approval.decided_by}" if approval.decided_by else ""
        return f"approval '{approval_id}' is {approval.status}{by}"
    if need.emergency and not approval.emergency:
        return f"approval '{approval_id}' is not an emergency override, which {need.rule} needs"
    if approval.expires_at <= now:
        return f"approval '{approval_id}' expired at {iso(approval.expires_at)}"
    return ""


def _split(
    approval: Approval, targets: tuple[str, ...], key: str | None
) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """``(fresh targets, re-presented targets, refusal)`` for a call's targets against the redemptions."""
    used = approval.redeemed()
    lineage = None if key is None else key_lineage(key)
    fresh: list[str] = []
    reused: list[str] = []
    taken: dict[str, Redemption] = {}
    for target in targets:
        earlier = used.get(target)
        if earlier is None:
            fresh.append(target)
        elif lineage is not None and earlier.key is not None and key_lineage(earlier.key) == lineage:
            reused.append(target)
        else:
            taken[target] = earlier
    if not taken:
        return tuple(fresh), tuple(reused), ""
    names = sorted(taken)
    first = min(taken.values(), key=lambda r: r.at)
    head = f"approval '{approval.id}' was already used at {iso(first.at)} for {_count(names)} ({_shown(names)})"
    if key is None:
        return (), (), f"{head}; a call without an idempotency_key cannot present it again (single use)"
    keys = ", ".join(sorted({f"'{r.key}'" for r in taken.values() if r.key}))
    how = [f"under idempotency key {keys}"] if keys else []
    how += ["by a call without an idempotency key"] if any(r.key is None for r in taken.values()) else []
    return (), (), f"{head} {' and '.join(how)}, not under '{key}'"


def _count(names: list[str]) -> str:
    return "1 device" if len(names) == 1 else f"{len(names)} devices"


def _shown(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(names[:5]) + (" …" if len(names) > 5 else "")


def _binding_mismatch(approval: Approval, req: ResolvedRequest) -> str:
    if approval.run_id != req.run_id:
        return f"belongs to run '{approval.run_id}', not '{req.run_id}'"
    if approval.tool != req.tool:
        return f"was granted for tool '{approval.tool}', not '{req.tool}'"
    if (approval.requester, approval.requester_kind) != (req.caller.principal, req.caller.kind):
        return f"was requested by '{approval.requester}' ({approval.requester_kind}), not '{req.caller.principal}'"
    if approval.args_hash != plan_hash(req.arguments):
        return "was granted for other arguments"
    extra = sorted(set(req.target_names) - set(approval.targets))
    if extra:
        return f"covers {len(approval.targets)} devices; this call also targets {len(extra)} more ({_shown(extra)})"
    return ""
