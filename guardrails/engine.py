"""The decision engine: a pure function from (policy, resolved request, usage, time) to a decision.

Order matters and is part of the contract: access lists, then blast radius, then unknown
targets, then deny rules and forbidden devices, then what needs an approval (freezes and change
windows, protected devices, approval rules). The first refusal wins; approval needs are merged
into one request. A dry-run write changes nothing, so it never needs an approval, but it is
still refused by every deny.
"""

from __future__ import annotations

from datetime import datetime

from guardrails.decision import ApprovalNeed, Decision
from guardrails.policy import Policy, Rule, matches_any
from guardrails.request import ResolvedRequest, Usage

__all__ = ["CONFIRM_RULE", "evaluate", "schedule_block"]

_DENIED = "denied_by_policy"


def _limit_text(limit: int, kind: str) -> str:
    return f"the limit of {limit} for {kind} callers"


def _rule_matches(rule: Rule, req: ResolvedRequest) -> bool:
    m = rule.match
    if m.tools is not None and not matches_any(req.tool, m.tools):
        return False
    if m.templates is not None and (req.template is None or not matches_any(req.template, m.templates)):
        return False
    if m.caller_kinds is not None and req.caller.kind not in m.caller_kinds:
        return False
    if m.caller_ids is not None and not matches_any(req.caller.id, m.caller_ids):
        return False
    return m.target_roles is None or any(d.role in m.target_roles for d in req.targets)


def schedule_block(policy: Policy, req: ResolvedRequest, now: datetime) -> tuple[str, str] | None:
    """``(rule, reason)`` if a freeze or the change windows forbid a write now, else None."""
    sched = policy.schedule
    if req.caller.kind not in sched.applies_to:
        return None
    for freeze in sched.freezes:
        start, end = sched.aware(freeze.start), sched.aware(freeze.end)
        if start <= now < end:
            why = f": {freeze.reason}" if freeze.reason else ""
            return f"freeze.{freeze.name}", f"change freeze '{freeze.name}' until {end.isoformat()}{why}"
    if not sched.windows:
        return None
    local = now.astimezone(sched.zone)
    if any(w.contains(local) for w in sched.windows):
        return None
    names = ", ".join(f"{w.name} {w.start}-{w.end}" for w in sched.windows)
    return "change_window", f"{local.strftime('%a %H:%M')} {sched.timezone} is outside every change window ({names})"


def _deny(policy: Policy, req: ResolvedRequest, rule: str, reason: str, code: str = _DENIED) -> Decision:
    return Decision(
        outcome="deny",
        rule=rule,
        reason=reason,
        policy_hash=policy.content_hash,
        access=req.access,
        targets=req.target_names,
        error_code=code,
    )


def _need(policy: Policy, rule: str, reason: str, source: Rule | None = None, emergency: bool = False) -> ApprovalNeed:
    ap = policy.approvals
    return ApprovalNeed(
        rule=rule,
        reason=reason,
        timeout_minutes=(source.timeout_minutes if source and source.timeout_minutes else ap.timeout_minutes),
        on_timeout=(source.on_timeout if source and source.on_timeout else ap.on_timeout),
        four_eyes=(source.four_eyes if source and source.four_eyes is not None else ap.four_eyes),
        emergency=emergency,
        evidence=source.evidence if source else None,
    )


CONFIRM_RULE = "confirm.writes"


def _confirm_need(policy: Policy, req: ResolvedRequest) -> ApprovalNeed:
    """The consent a ``confirm_writes`` caller's principal gives (no four-eyes: it is their own yes)."""
    reason = f"'{req.caller.principal}' asked a question, not for a change: this write waits for their explicit yes"
    return ApprovalNeed(
        rule=CONFIRM_RULE,
        reason=reason,
        timeout_minutes=policy.approvals.timeout_minutes,
        on_timeout="abort",
        four_eyes=False,
        confirm=True,
    )


def _blast_radius(policy: Policy, req: ResolvedRequest, usage: Usage) -> Decision | None:
    br, kind = policy.blast_radius, req.caller.kind
    per_call = br.max_devices_per_call.for_kind(kind)
    if per_call is not None and req.requested_count > per_call:
        return _deny(
            policy,
            req,
            "blast_radius.per_call",
            f"{req.requested_count} devices in one call exceed {_limit_text(per_call, kind)}",
        )
    if req.run_id is not None:
        calls = br.max_write_calls_per_run.for_kind(kind)
        if calls is not None and usage.run_write_calls + 1 > calls:
            return _deny(
                policy,
                req,
                "blast_radius.write_calls_per_run",
                f"run '{req.run_id}' already made {usage.run_write_calls} write calls; "
                f"one more exceeds {_limit_text(calls, kind)}",
            )
        per_run = br.max_devices_per_run.for_kind(kind)
        total = len(usage.run_devices | set(req.target_names))
        if per_run is not None and total > per_run:
            return _deny(
                policy,
                req,
                "blast_radius.per_run",
                f"run '{req.run_id}' would have written {total} devices, over {_limit_text(per_run, kind)}",
            )
    if br.window is not None:
        total = len(usage.window_devices | set(req.target_names))
        if total > br.window.max_devices:
            return _deny(
                policy,
                req,
                "blast_radius.window",
                f"{total} devices written within {br.window.seconds:g} s would exceed the limit of "
                f"{br.window.max_devices}",
            )
    return None


def evaluate(
    policy: Policy, req: ResolvedRequest, usage: Usage, now: datetime, *, force_dry_run: bool = False
) -> Decision:
    """Decide on one resolved call. Pure: no I/O, no clock, no randomness."""
    kind = req.caller.kind
    access = policy.access(kind)
    if not access.tool_allowed(req.tool):
        return _deny(policy, req, f"access.{kind}.tool", f"tool '{req.tool}' is not allowed for {kind} callers")
    if req.access == "read":
        return Decision("allow", "read", "read-only tool", policy.content_hash, access="read")
    if req.template is not None and not access.template_allowed(req.template):
        allowed = ", ".join(access.allow_templates or []) or "none"
        return _deny(
            policy,
            req,
            f"access.{kind}.template",
            f"template '{req.template}' is not allowed for {kind} callers (allowed: {allowed})",
        )
    if (policy.dry_run or force_dry_run) and not req.dry_run_supported:
        return _deny(policy, req, "dry_run", f"dry-run mode is on and tool '{req.tool}' cannot run as a dry run")
    blast = _blast_radius(policy, req, usage)
    if blast is not None:
        return blast
    if req.unknown:
        names = ", ".join(f"'{n}'" for n in req.unknown[:10]) + (" …" if len(req.unknown) > 10 else "")
        return _deny(policy, req, "targets.unknown", f"unknown device {names} (not in the source of truth)")
    needs: list[ApprovalNeed] = []
    for rule in policy.rules:
        if not _rule_matches(rule, req):
            continue
        text = f"rule '{rule.id}'" + (f": {rule.description}" if rule.description else "")
        if rule.action == "deny":
            return _deny(policy, req, f"rule.{rule.id}", f"{text} denies this call")
        needs.append(_need(policy, f"rule.{rule.id}", text, rule))
    for prot in policy.protected:
        hit = [d for d in req.targets if prot.selects(d.name, d.role)]
        if not hit:
            continue
        names = ", ".join(f"'{d.name}'" for d in hit[:5]) + (" …" if len(hit) > 5 else "")
        why = f" ({prot.reason})" if prot.reason else ""
        if prot.action == "deny":
            return _deny(policy, req, f"protected.{prot.id}", f"protected device {names} may not be written{why}")
        needs.append(_need(policy, f"protected.{prot.id}", f"protected device {names} needs an approval{why}"))
    if not req.dry_run:
        blocked = schedule_block(policy, req, now)
        if blocked is not None:
            block_rule, reason = blocked
            if policy.schedule.outside == "deny":
                return _deny(policy, req, block_rule, reason)
            needs.insert(0, _need(policy, block_rule, f"{reason} (needs an emergency override)", emergency=True))
    if req.caller.confirm_writes:
        # The caller's principal only asked a question: a change, even one the policy allows, waits for their yes.
        needs.append(_confirm_need(policy, req))
    notes = (f"forged approval fields ignored: {', '.join(req.forged)}",) if req.forged else ()
    if needs and not req.dry_run:
        merged = needs[0]
        for extra in needs[1:]:
            merged = merged.merge(extra)
        return Decision(
            outcome="approval_required",
            rule=merged.rule,
            reason=merged.reason,
            policy_hash=policy.content_hash,
            access="write",
            targets=req.target_names,
            error_code="approval_required",
            need=merged,
            notes=notes,
        )
    reason = "write within policy" + (" (dry run)" if req.dry_run else "")
    return Decision("allow", "default.write", reason, policy.content_hash, "write", req.target_names, notes=notes)
