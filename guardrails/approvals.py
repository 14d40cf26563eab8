"""Approval lifecycle over an :class:`ApprovalStore`: request, decide, redeem once, time out.

No daemon is needed: every read path (``redeem``, ``list``) first applies ``expire_due(now)``,
which warns before expiry (``approval.expiring``) and resolves expired requests per
``on_timeout``: ``abort`` (expired), ``proceed`` (approved by ``timeout``, logged) or
``escalate`` (routed to ``escalate_to`` with a second wait, then aborted).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from guardrails.approval import OPEN_STATUSES, Approval, iso
from guardrails.base import ApprovalStore
from guardrails.decision import ApprovalNeed
from guardrails.errors import ApprovalError
from guardrails.policy import ApprovalPolicy
from guardrails.request import ResolvedRequest

__all__ = ["Approvals", "EmitFn"]

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
        self, req: ResolvedRequest, need: ApprovalNeed, policy_hash: str, policy: ApprovalPolicy, now: float
    ) -> Approval:
        """The open (or approved, unused) request for exactly this call, creating it if needed.

        A LangGraph node re-runs from its top on resume, so asking twice must not create two requests.
        """
        for existing in self.store.find(status=("pending", "escalated", "approved"), run_id=req.run_id):
            if (
                existing.tool == req.tool
                and existing.args_hash == req.args_hash
                and existing.targets == req.target_names
                and existing.requester == req.caller.id
                and existing.expires_at > now
            ):
                return existing
        approval = Approval(
            id="apr-" + secrets.token_hex(5),
            status="pending",
            run_id=req.run_id,
            tool=req.tool,
            args_hash=req.args_hash,
            targets=req.target_names,
            requester=req.caller.id,
            requester_kind=req.caller.kind,
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
        )
        self.store.add(approval)
        self._event(
            "approval.requested",
            approval,
            req.caller.id,
            rule=need.rule,
            reason=need.reason,
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
    ) -> Approval:
        """Grant a request; the approver must be one under ``policy`` and, with four-eyes, not the requester."""
        approval = self._open(approval_id, now)
        if not policy.may_approve(approver, roles):
            raise ApprovalError(f"'{approver}' is not an approver under the policy (approvals.approvers)")
        if approval.four_eyes and approver == approval.requester:
            raise ApprovalError(f"four-eyes: '{approver}' requested approval '{approval_id}' and cannot approve it")
        if emergency and not (approver in policy.approvers or roles & set(policy.approver_roles)):
            raise ApprovalError(f"an emergency override needs the approver role; '{approver}' does not have it")
        if approval.emergency_required and not emergency:
            raise ApprovalError(f"approval '{approval_id}' needs an emergency override ({approval.reason})")
        granted = approval.replace(
            status="approved",
            decided_by=approver,
            decided_at=now,
            comment=comment,
            emergency=emergency,
            expires_at=now + approval.timeout_minutes * 60,
        )
        if not self.store.swap(approval, granted):
            raise ApprovalError(f"approval '{approval_id}' was decided concurrently; look again")
        self._event("approval.approved", granted, approver, comment=comment, emergency=emergency)
        if emergency:
            self._event("approval.emergency_override", granted, approver, rule=approval.rule, reason=approval.reason)
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
    ) -> Approval:
        """Refuse a request; only an approver may."""
        approval = self._open(approval_id, now)
        if not policy.may_approve(approver, roles):
            raise ApprovalError(f"'{approver}' is not an approver under the policy (approvals.approvers)")
        rejected = approval.replace(status="rejected", decided_by=approver, decided_at=now, comment=comment)
        if not self.store.swap(approval, rejected):
            raise ApprovalError(f"approval '{approval_id}' was decided concurrently; look again")
        self._event("approval.rejected", rejected, approver, comment=comment)
        return rejected

    def redeem(
        self, approval_id: str, req: ResolvedRequest, need: ApprovalNeed, now: float
    ) -> tuple[Approval | None, str]:
        """Consume an approval for exactly this call; returns ``(approval, "")`` or ``(approval|None, refusal)``.

        A pending request is returned with a refusal that starts with ``pending`` so the caller can
        keep waiting; everything else that does not match exactly is a refusal naming the mismatch.
        """
        self.expire_due(now)
        approval = self.store.get(approval_id)
        if approval is None:
            return None, f"unknown approval '{approval_id}'"
        mismatch = _binding_mismatch(approval, req)
        if mismatch:
            return approval, f"approval '{approval_id}' {mismatch}"
        if approval.is_open:
            return approval, f"pending: approval '{approval_id}' is still {approval.status}"
        if approval.status == "consumed":
            return approval, f"approval '{approval_id}' was already used at {iso(approval.consumed_at)} (single use)"
        if approval.status != "approved":
            by = f" by {approval.decided_by}" if approval.decided_by else ""
            return approval, f"approval '{approval_id}' is {approval.status}{by}"
        if need.emergency and not approval.emergency:
            return approval, f"approval '{approval_id}' is not an emergency override, which {need.rule} needs"
        if approval.expires_at <= now:
            return approval, f"approval '{approval_id}' expired at {iso(approval.expires_at)}"
        used = approval.replace(status="consumed", consumed_at=now)
        if not self.store.swap(approval, used):
            return approval, f"approval '{approval_id}' was already used (single use)"
        self._event("approval.consumed", used, req.caller.id, decided_by=approval.decided_by)
        return used, ""

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
        # An approved request that was never used is closed at its use-by time.
        for approval in self.store.find(status=("approved",)):
            if approval.expires_at <= now:
                new = approval.replace(status="expired")
                if self.store.swap(approval, new):
                    changed.append(new)
                    self._event("approval.expired", new, "guardrails", unused=True)
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


def _binding_mismatch(approval: Approval, req: ResolvedRequest) -> str:
    if approval.run_id != req.run_id:
        return f"belongs to run '{approval.run_id}', not '{req.run_id}'"
    if approval.tool != req.tool:
        return f"was granted for tool '{approval.tool}', not '{req.tool}'"
    if approval.args_hash != req.args_hash:
        return "was granted for other arguments"
    if approval.targets != req.target_names:
        extra = sorted(set(req.target_names) - set(approval.targets))
        if extra:
            shown = ", ".join(extra[:5]) + (" …" if len(extra) > 5 else "")
            return f"covers {len(approval.targets)} devices; this call also targets {len(extra)} more ({shown})"
        return f"covers {len(approval.targets)} devices; this call targets {len(req.target_names)}"
    return ""
