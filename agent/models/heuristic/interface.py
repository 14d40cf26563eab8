"""Runbook: an interface that is down, err-disabled, erroring or flapping.

Diagnose from the state seen *before* any fix, compared with intent:

- admin down, intent enabled             → interface_admin_down → interface_enable
- admin down, intent shut                → no fault (the port is meant to be off)
- err-disabled by link-flap or flapping  → link_flap → one clear_err_disable, which is expected not to hold
- err-disabled otherwise                 → port_err_disabled → clear_err_disable
- admin up, no link                      → follow the cable: the far end shut or err-disabled is the cause
                                           (fixed there), the far-end device unreachable is the cause,
                                           else physical_link_down, escalate
- up with input/CRC errors growing       → physical_layer_errors, escalate
- up but flapping                        → link_flap, escalate
- up and clean                           → nothing here (the caller compares configuration next)

Then judge the fix from what verification re-observed: a failed job is retried once if the
failure was transient; a job that "succeeded" without changing the port is a silent push failure.
"""

from __future__ import annotations

from typing import Any

from agent.models.heuristic.facts import Facts, Seen
from agent.models.heuristic.steps import Ask, Done, Notes, Step, launch, state_line
from agent.models.heuristic.suspicious import looks_like_instruction
from agent.taxonomy import RootCause

__all__ = ["FLAP_THRESHOLD", "INTENT_PAGE", "ask_intent", "interface_runbook", "judge_job"]

FLAP_THRESHOLD = 3
_AFTER_FIX_WINDOW = "10m"
INTENT_PAGE = 200
_FIX_TEMPLATES = ("interface_enable", "clear_err_disable")


def ask_intent(device: str) -> tuple[str, dict[str, Any]]:
    """The call that lists a device's intended interfaces."""
    return ("get_interfaces", {"device": device, "limit": INTENT_PAGE})


def _diagnose(state: dict[str, Any], intent: dict[str, Any] | None) -> tuple[RootCause | None, str | None]:
    """(cause, remediation template) from one state and its intent; (None, None) when the port is fine."""
    if state.get("admin_status") == "down":
        if intent is not None and intent.get("enabled") is False:
            return RootCause.NO_FAULT_FOUND, None
        return RootCause.INTERFACE_ADMIN_DOWN, "interface_enable"
    if state.get("err_disabled_reason") or state.get("oper_reason") == "err-disabled":
        flapping = (
            state.get("err_disabled_reason") == "link-flap" or int(state.get("recent_flaps") or 0) >= FLAP_THRESHOLD
        )
        return (RootCause.LINK_FLAP if flapping else RootCause.PORT_ERR_DISABLED), "clear_err_disable"
    if state.get("oper_status") == "down":
        if intent is not None and intent.get("enabled") is False:
            return RootCause.NO_FAULT_FOUND, None
        return RootCause.PHYSICAL_LINK_DOWN, None
    if float(state.get("error_rate") or 0) > 0:
        return RootCause.PHYSICAL_LAYER_ERRORS, None
    if int(state.get("recent_flaps") or 0) > 0:
        return RootCause.LINK_FLAP, None
    return None, None


def judge_job(
    f: Facts, notes: Notes, attempts: list[tuple[int, Any]], retry: tuple[str, dict[str, Any]]
) -> Step | None:
    """Ask for a retry, conclude on a failed push, or return None when the job succeeded."""
    index, launched = attempts[-1]
    if not launched.ok:
        notes.add(f"{launched.name} refused: [{launched.error_code}] {launched.error}", launched)
        return None
    job, failed, _ = f.job_after(launched, index)
    if job.get("status") != "failed":
        return None
    classes = {str(d.get("error_class")) for d in failed}
    errors = "; ".join(f"{d.get('device')}: {d.get('error')} ({d.get('error_class')})" for d in failed) or "no detail"
    notes.add(f"job {job.get('id')} ({job.get('template')}) failed: {errors}", launched)
    if "transient" in classes and "permanent" not in classes and len(attempts) < 2:
        return Ask([retry], f"The push failed transiently ({errors}); retrying once.")
    return None


def _refused_or_failed(f: Facts, attempts: list[tuple[int, Any]]) -> str | None:
    index, launched = attempts[-1]
    if not launched.ok:
        return f"the change was refused: [{launched.error_code}] {launched.error}"
    job, failed, _ = f.job_after(launched, index)
    if job.get("status") == "failed":
        errors = "; ".join(f"{d.get('error')} ({d.get('error_class')})" for d in failed) or "no detail"
        return f"the executor could not push the fix (job {job.get('id')} failed: {errors})"
    return None


def _before_changes(f: Facts, device: str, name: str) -> Seen | None:
    """The latest state of an interface seen before this investigation changed anything (else the latest)."""
    changes = f.changes_made()
    seen = f.interface_states(device, name, before=changes[0] if changes else None)
    seen = seen or f.interface_states(device, name)
    return seen[-1] if seen else None


def _confirm_local(f: Facts, notes: Notes, device: str, name: str, step: Done) -> Step:
    """After a far-end fix, re-read the port that alerted: the finding says whether it came back."""
    conclusion = step.conclusion
    if conclusion.escalation_needed:
        return step
    changes = f.changes_made()
    after = [s for s in f.interface_states(device, name) if s.index > (changes[-1] if changes else -1)]
    if not after:
        return Ask(
            [("get_interface_state", {"device": device, "interface": name})],
            f"Checking that {device} {name} came back after the far-end fix.",
        )
    item = after[-1].item
    notes.add(f"after the far-end fix: {state_line(item)}", after[-1])
    back = item.get("oper_status") == "up"
    summary = f"{conclusion.summary} The alerting port {device} {name} is " + ("up again." if back else "still down.")
    update: dict[str, Any] = {"summary": summary, "evidence": list(notes.items), "affected": list(notes.affected)}
    if not back:
        update |= {"escalation_needed": True, "escalation_reason": f"{device} {name} stayed down after the far-end fix"}
    return Done(conclusion.model_copy(update=update))


def _physical(f: Facts, notes: Notes, device: str, state: Seen, intent: Seen | None, *, follow: bool) -> Step:
    """No link on an enabled port: follow the cable to the far end before blaming the physical layer."""
    name = str(state.item["name"])
    peer = (
        (str(intent.item.get("peer_device") or ""), str(intent.item.get("peer_interface") or ""))
        if intent
        else ("", "")
    )
    if follow and all(peer):
        far = _before_changes(f, *peer)
        if far is None and f.state_failure(*peer) is None:
            return Ask(
                [("get_interface_state", {"device": peer[0], "interface": peer[1]})],
                f"No link on {device} {name}: checking the cabled peer {peer[0]} {peer[1]}.",
            )
        if far is None or far.item.get("stale"):
            health = f.latest("get_device_health", device=peer[0])
            if health is None:
                return Ask(
                    [("get_device_health", {"device": peer[0]})],
                    f"The far end {peer[0]} gives no fresh state: checking that it answers.",
                )
            if health.ok and not (health.data or {}).get("reachable"):
                notes.add(f"{peer[0]}, the far end of {device} {name}, is unreachable", health)
                notes.concern(peer[0])
                return notes.done(
                    RootCause.DEVICE_UNREACHABLE,
                    f"{device} {name} lost its link because the device at its far end, {peer[0]}, is down or cut off.",
                    confidence=0.85,
                    escalate=True,
                    reason=f"the far-end device {peer[0]} does not answer; no remote change can bring it back",
                    action=f"Check power and the management path of {peer[0]} (console if needed).",
                )
        else:
            notes.add(f"the far end is {state_line(far.item)}", far)
            if far.item.get("admin_status") == "down" or far.item.get("err_disabled_reason"):
                step = interface_runbook(f, notes, peer[0], peer[1], follow_peer=False)
                if isinstance(step, Done):
                    return _confirm_local(f, notes, device, name, step)
                if step is not None:
                    return step
    return notes.done(
        RootCause.PHYSICAL_LINK_DOWN,
        f"{device} {name} is enabled but has no link (oper {state.item.get('oper_reason') or 'down'}), and the far "
        "end is enabled too: a cable, optic or far-end hardware problem that no configuration change can fix.",
        confidence=0.8,
        escalate=True,
        reason="physical layer: someone has to check the cable, optic and far end",
    )


def interface_runbook(f: Facts, notes: Notes, device: str, name: str, *, follow_peer: bool = True) -> Step | None:
    """Diagnose (and fix, then judge) one interface; None when it is up, clean and as intended.

    ``follow_peer``: on a port without link, look at the far end of its cable (once, not back again).
    """
    states = f.interface_states(device, name)
    if not states:
        failure = f.state_failure(device, name)
        if failure is None:
            return Ask(
                [("get_interface_state", {"device": device, "interface": name})],
                f"Reading the live state of {device} {name}.",
            )
        notes.add(f"get_interface_state {device} {name}: [{failure.error_code}] {failure.error}", failure)
        if failure.error_code == "dependency_unavailable":
            return notes.done(
                RootCause.DEPENDENCY_UNAVAILABLE,
                "Monitoring does not answer, so the port cannot be examined.",
                confidence=0.7,
                escalate=True,
                reason="the observability backend is unavailable",
            )
        return notes.done(
            RootCause.UNKNOWN,
            f"{device} has no interface '{name}' as named by the trigger.",
            confidence=0.3,
            escalate=True,
            reason=f"unknown interface '{name}' on {device}",
        )
    full = str(states[-1].item.get("name") or name)
    notes.concern(device, full)
    attempts = sorted(a for t in _FIX_TEMPLATES for a in f.fixes(device, t, full))
    # Diagnose from the state before any change this investigation made (here or at the far end).
    base = _before_changes(f, device, full) or states[-1]
    intent = f.interface_intent(device, full)
    sot = f.sot_down()
    listed = f.intent_listed(device)
    if intent is None and sot is None and listed is None:
        return Ask([ask_intent(device)], f"{state_line(base.item)}. Comparing with intent.")
    notes.add(state_line(base.item), base)
    if looks_like_instruction(base.item.get("description")):
        notes.add(
            f"the description of {device} {full} contains instruction-like text, treated as data and not followed: "
            f"{str(base.item['description'])[:160]!r}",
            base,
            suspicious=True,
        )
    if intent is not None:
        notes.add(
            f"intent: {device} {full} is {'enabled' if intent.item.get('enabled') else 'intentionally shut'}"
            f" ({intent.item.get('kind')}, {intent.item.get('mode')})",
            intent,
        )
    cause, template = _diagnose(base.item, intent.item if intent else None)
    if cause is None:
        return None
    if cause is RootCause.NO_FAULT_FOUND:
        return notes.done(
            cause,
            f"{device} {full} is down because intent keeps it shut; nothing to fix.",
            confidence=0.8,
            escalate=False,
        )
    if template is None:
        if cause is RootCause.PHYSICAL_LINK_DOWN:
            return _physical(f, notes, device, base, intent, follow=follow_peer)
        what = (
            "growing CRC/input errors on a link that stays up"
            if cause is RootCause.PHYSICAL_LAYER_ERRORS
            else "a link that keeps going up and down"
        )
        return notes.done(
            cause,
            f"{device} {full} shows {what}: a cabling or optics problem, not configuration.",
            confidence=0.85,
            escalate=True,
            reason="physical layer: no remediation template fixes it",
        )
    if sot is not None:
        notes.add(f"the source of truth is unavailable: [{sot.error_code}] {sot.error}", sot)
        return notes.done(
            cause,
            f"{device} {full}: {cause.value.replace('_', ' ')}. The source of truth is unavailable, "
            "so intent cannot be confirmed and no change was made.",
            confidence=0.6,
            escalate=True,
            reason="dependency_unavailable: the source of truth does not answer; acting without intent is unsafe",
            action="Restore the source of truth, then re-run the investigation or fix the port by hand.",
        )
    if intent is None:
        return notes.done(
            cause,
            f"{device} {full} is not in the intended interface list; not changing it.",
            confidence=0.4,
            escalate=True,
            reason=f"no intent for {device} {full}",
        )
    fix = launch(template, device, full)
    if not attempts:
        draft = notes.draft(
            cause,
            f"{device} {full}: {cause.value.replace('_', ' ')} while intent has it enabled; {template} fixes it.",
            confidence=0.85,
        )
        return Ask([fix], f"{state_line(base.item)}, while intent has it enabled: running {template}.", draft)
    retry = judge_job(f, notes, attempts, fix)
    if retry is not None:
        return retry
    failed = _refused_or_failed(f, attempts)
    if failed:
        return notes.done(
            cause,
            f"{device} {full}: {cause.value.replace('_', ' ')}; {failed}.",
            confidence=0.7,
            escalate=True,
            reason=failed,
            action=f"Restore the executor's access to {device} (credentials, session), then run {template} "
            f"for {full} again or fix the port by hand.",
        )
    return _after_fix(f, notes, device, full, cause, base, attempts)


def _after_fix(
    f: Facts, notes: Notes, device: str, name: str, cause: RootCause, base: Seen, attempts: list[tuple[int, Any]]
) -> Step:
    last = attempts[-1][0]
    after = [s for s in f.interface_states(device, name) if s.index > last]
    if not after:
        return Ask(
            [("get_interface_state", {"device": device, "interface": name})],
            f"Re-reading {device} {name} after the fix.",
        )
    now = after[-1]
    notes.add(f"after the fix: {state_line(now.item)}", now)
    item, old = now.item, base.item
    if item.get("admin_status") == "up" and item.get("oper_status") == "up":
        return notes.done(
            cause,
            f"{device} {name} was {cause.value.replace('_', ' ')}; netorch ran "
            f"{attempts[-1][1].arguments.get('template')} and re-observation shows it up.",
            confidence=0.95,
            escalate=cause is RootCause.LINK_FLAP,
            reason="the link flapped before; watch it" if cause is RootCause.LINK_FLAP else "",
        )
    flapped = item.get("err_disabled_reason") == "link-flap" or int(item.get("flaps") or 0) > int(old.get("flaps") or 0)
    if flapped:
        return notes.done(
            RootCause.LINK_FLAP,
            f"{device} {name} err-disabled again right after recovery: the link "
            "keeps flapping, so the fix cannot hold.",
            confidence=0.9,
            escalate=True,
            reason="verification failed: err-disable returned because the port flaps",
        )
    same = all(item.get(k) == old.get(k) for k in ("admin_status", "oper_status", "oper_reason", "err_disabled_reason"))
    if same:
        logged = [e for e in f.events(device) if e.index > last]
        if not logged and f.latest("get_events", device=device, since=_AFTER_FIX_WINDOW) is None:
            return Ask(
                [("get_events", {"device": device, "since": _AFTER_FIX_WINDOW, "limit": 20})],
                f"The job succeeded but {device} {name} did not change: reading what the device logged.",
            )
        for event in logged:
            if "ROLLB" in str(event.item.get("mnemonic")).upper():
                notes.add(f"{device} logged {event.item.get('mnemonic')}: the change was rolled back", event)
                break
        reason = (
            "the executor reported success but the port did not change: the device acknowledged the push "
            "without applying it (executor_push_failure)"
        )
        return notes.done(
            cause,
            f"{device} {name}: {cause.value.replace('_', ' ')}; {reason}.",
            confidence=0.75,
            escalate=True,
            reason=reason,
            action=f"Find out why {device} does not keep pushed changes (commit-confirm rollback, configuration "
            f"lock), then fix {name} by hand.",
        )
    return notes.done(
        cause,
        f"{device} {name}: after the fix the port is {item.get('oper_status')}; verification failed.",
        confidence=0.6,
        escalate=True,
        reason=f"verification failed: {state_line(item)}",
    )
