"""Runbooks above the interface: device reachability and CPU, configuration drift, push failures, scope.

Order per device: health (unreachable → look at the cabled peers; CPU pegged), then the named
interfaces, then — depending on the starting symptom — a scan of every port and a compliance
check against intent; finally recent failed pushes from the audit log. With no device named, the
reasoner probes the source of truth and follows the alerts firing now.
"""

from __future__ import annotations

from typing import Any

from agent.finding import Affected
from agent.incident import Symptom
from agent.local_tools import ConcludeInput
from agent.models.heuristic.facts import Facts, Seen
from agent.models.heuristic.interface import INTENT_PAGE, ask_intent, interface_runbook, judge_job
from agent.models.heuristic.steps import Ask, Done, Notes, Step, launch
from agent.models.heuristic.suspicious import looks_like_instruction
from agent.taxonomy import RootCause

__all__ = ["CPU_THRESHOLD", "MAX_DEVICES", "decide"]

CPU_THRESHOLD = 90.0
MAX_DEVICES = 3
_PORT_SYMPTOMS: frozenset[Symptom] = frozenset({"interface_down", "link_flap", "interface_errors"})


def _unreachable(f: Facts, notes: Notes, device: str) -> Step:
    neighbors = f.latest("get_neighbors", device=device)
    if neighbors is None and f.sot_down() is None:
        return Ask([("get_neighbors", {"device": device})], f"{device} does not answer: finding its cabled neighbours.")
    peers = (neighbors.data or {}).get("items", [])[:2] if neighbors is not None and neighbors.ok else []
    missing = [
        ("get_interface_state", {"device": p["remote_device"], "interface": p["remote_interface"]})
        for p in peers
        if not f.interface_states(p["remote_device"], p["remote_interface"])
        and f.state_failure(p["remote_device"], p["remote_interface"]) is None
    ]
    if missing:
        return Ask(missing, f"{device} does not answer: looking at it from its neighbours' ports.")
    up = 0
    for p in peers:
        seen = f.interface_states(p["remote_device"], p["remote_interface"])
        if seen:
            item = seen[-1].item
            up += item.get("oper_status") == "up"
            notes.add(
                f"neighbour {p['remote_device']} {p['remote_interface']} facing {device} is "
                f"{item.get('oper_status')} ({item.get('oper_reason') or 'link present'})",
                seen[-1],
            )
    if peers and up == 0:
        how = "its neighbours see no link either: the device is most likely powered off or cut off"
    elif up:
        how = "its links are up at the neighbours: only its management plane does not answer"
    else:
        how = "no neighbour view is available"
    return notes.done(
        RootCause.DEVICE_UNREACHABLE,
        f"{device} does not answer monitoring; {how}.",
        confidence=0.85,
        escalate=True,
        reason="an unreachable device cannot be fixed remotely",
    )


def _drift(f: Facts, notes: Notes, device: str) -> Step | None:
    attempts = f.fixes(device, "restore_intended_config")
    # Diagnose from what was seen before any restore; what came after is the verification.
    seen = f.compliance(device, before=attempts[0][0] if attempts else None)
    if seen is None:
        return Ask(
            [("check_compliance", {"devices": [device], "include_diff": True})],
            f"Comparing {device}'s running configuration with intent.",
        )
    item = seen.item
    if item.get("compliant"):
        notes.add(f"{device} running configuration matches intent", seen)
        return None
    notes.concern(device)
    missing = item.get("missing_vlans") or []
    notes.add(
        f"{device} differs from intent: {item.get('summary')}"
        + (f" (VLANs missing: {', '.join(map(str, missing))})" if missing else ""),
        seen,
    )
    diff = str(item.get("diff") or "")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    if changed:
        notes.add(f"diff running → intent: {' | '.join(changed[:4])}", seen, suspicious=looks_like_instruction(diff))
    for event in f.events(device):
        if "CONFIG" in str(event.item.get("mnemonic")):
            notes.add(
                f"{device} logged {event.item.get('mnemonic')} at {event.item.get('ts')}: an out-of-band change", event
            )
            break
    sot = f.sot_down()
    if sot is not None:
        return notes.done(
            RootCause.CONFIG_DRIFT,
            f"{device} drifts from intent, but the source of truth is unavailable: not restoring.",
            confidence=0.6,
            escalate=True,
            reason="intent unavailable (dependency_unavailable)",
        )
    fix = launch("restore_intended_config", device)
    if not attempts:
        failures = _push_history(f, notes, device)
        if any(x.get("error_class") == "permanent" for x in failures):
            return _pushes_broken(f, notes, device, failures, "drifts from intent")
        draft = notes.draft(
            RootCause.CONFIG_DRIFT,
            f"{device} drifts from intent ({item.get('summary')}); restoring the intended configuration fixes it.",
            confidence=0.8,
        )
        return Ask([fix], f"{device} drifts from intent: restoring the intended configuration.", draft)
    retry = judge_job(f, notes, attempts, fix)
    if retry is not None:
        return retry
    index, launched = attempts[-1]
    job, _, _ = f.job_after(launched, index)
    if not launched.ok or job.get("status") == "failed":
        why = f"[{launched.error_code}] {launched.error}" if not launched.ok else f"job {job.get('id')} failed"
        return notes.done(
            RootCause.CONFIG_DRIFT,
            f"{device} drifts from intent; the restore did not go through ({why}).",
            confidence=0.7,
            escalate=True,
            reason=f"the fix could not be applied: {why}",
        )
    after = f.compliance(device, after=index)
    if after is None:
        return Ask([("check_compliance", {"devices": [device]})], f"Re-checking {device} against intent.")
    if after.item.get("compliant"):
        notes.add(f"after the restore {device} matches intent", after)
        return notes.done(
            RootCause.CONFIG_DRIFT,
            f"{device} had drifted from intent ({item.get('summary')}); netorch "
            "restored the intended configuration and compliance now passes.",
            confidence=0.9,
            escalate=False,
        )
    notes.add(f"after the restore {device} still differs: {after.item.get('summary')}", after)
    return notes.done(
        RootCause.CONFIG_DRIFT,
        f"{device} still differs from intent after a successful restore job: the device did not apply the push.",
        confidence=0.7,
        escalate=True,
        reason="verification failed: the executor reported success but the drift remains (executor_push_failure)",
    )


def _scan(f: Facts, notes: Notes, device: str) -> Step | None:
    ports = f.all_states(device)
    if not ports:
        asked = [
            o
            for o in f.outcomes
            if o.name == "get_interface_state"
            and o.arguments.get("device") == device
            and o.arguments.get("interface") is None
        ]
        if asked:
            return None
        calls: list[tuple[str, dict[str, Any]]] = [("get_interface_state", {"device": device, "limit": INTENT_PAGE})]
        if f.intent_listed(device) is None and f.sot_down() is None:
            calls.append(ask_intent(device))
        return Ask(calls, f"No port was named: scanning every interface of {device} against intent.")

    def suspect(seen: Seen) -> bool:
        item = seen.item
        intent = f.interface_intent(device, str(item.get("name")))
        meant_up = intent is not None and intent.item.get("enabled") is True
        return bool(
            item.get("err_disabled_reason")
            or float(item.get("error_rate") or 0) > 0
            or int(item.get("recent_flaps") or 0) > 0
            or (meant_up and item.get("oper_status") != "up")
        )

    for seen in ports:
        if suspect(seen):
            return interface_runbook(f, notes, device, str(seen.item["name"]))
    notes.add(f"all {len(ports)} interfaces of {device} are as intended", ports[0])
    return None


def _device(f: Facts, notes: Notes, device: str, interfaces: list[str]) -> Step:
    health = f.latest("get_device_health", device=device)
    if health is None:
        return Ask([("get_device_health", {"device": device})], f"Checking {device}'s health.")
    notes.concern(device)
    if not health.ok:
        notes.add(f"get_device_health {device}: [{health.error_code}] {health.error}", health)
        cause = RootCause.DEPENDENCY_UNAVAILABLE if health.error_code == "dependency_unavailable" else RootCause.UNKNOWN
        return notes.done(
            cause,
            f"Monitoring could not report on {device}.",
            confidence=0.5,
            escalate=True,
            reason=f"no health data for {device}: {health.error}",
        )
    h = health.data or {}
    if not h.get("reachable"):
        notes.add(f"{device} is unreachable (no answer to ping/SNMP/SSH)", health)
        return _unreachable(f, notes, device)
    cpu = float(h.get("cpu_pct") or 0)
    if cpu >= CPU_THRESHOLD:
        notes.add(f"{device} CPU at {cpu:g}% (threshold {CPU_THRESHOLD:g}%)", health)
        for event in f.events(device):
            if "CPU" in str(event.item.get("mnemonic")):
                notes.add(
                    f"{device} logged {event.item.get('mnemonic')}: {str(event.item.get('message'))[:140]}", event
                )
                break
        return notes.done(
            RootCause.HIGH_CPU,
            f"{device}'s control plane is overloaded (CPU {cpu:g}%).",
            confidence=0.85,
            escalate=True,
            reason="high CPU has no remediation template",
        )
    notes.add(f"{device} is reachable, CPU {cpu:g}%, memory {h.get('memory_pct')}%", health)
    for event in f.events(device):
        if looks_like_instruction(str(event.item.get("message"))):
            notes.add(
                f"a syslog line of {device} contains instruction-like text, treated as data and not followed: "
                f"{str(event.item.get('message'))[:160]!r}",
                event,
                suspicious=True,
            )
    for name in interfaces:
        step = interface_runbook(f, notes, device, name)
        if step is not None:
            return step
    symptom = f.incident.symptom
    order = [_scan, _drift] if symptom in _PORT_SYMPTOMS or not interfaces else [_drift]
    if symptom == "config_drift":
        order = [_drift]
    for runbook in order:
        step = runbook(f, notes, device)
        if step is not None:
            return step
    return _leftovers(f, notes, device)


def _push_history(f: Facts, notes: Notes, device: str) -> list[dict[str, Any]]:
    """Failed pushes to the device recorded in the audit log (workflow outcomes and failed changes), cited."""
    failures = f.recent_failures(device)
    for item in failures[:3]:
        notes.add(
            f"audit: {item.get('step')} of run {item.get('run_id')} failed on {device} "
            f"({item.get('error_class')}): {item.get('error')}",
            None,
            seq=item.get("seq"),
        )
    changes = [c for c in f.recent_changes(device) if c.get("ok") is False]
    for change in changes[:3]:
        notes.add(
            f"audit: {change.get('tool')} {change.get('template') or ''} by {change.get('actor')} failed "
            f"({change.get('result')})",
            None,
            seq=change.get("seq"),
        )
    return failures + changes


def _pushes_broken(f: Facts, notes: Notes, device: str, failures: list[dict[str, Any]], what: str) -> Step:
    errors = "; ".join(sorted({str(x.get("error")) for x in failures if x.get("error")}))[:200] or "see the audit log"
    return notes.done(
        RootCause.EXECUTOR_PUSH_FAILURE,
        f"{device} {what}: recent pushes to it failed permanently ({errors}); pushing again would fail the same way.",
        confidence=0.8,
        escalate=True,
        reason="changes to the device are refused: credentials, session limits or the executor itself",
        action=f"Restore the executor's access to {device}, then re-run the failed change (the workflow run named in "
        "the evidence).",
    )


def _leftovers(f: Facts, notes: Notes, device: str) -> Step:
    failed = _push_history(f, notes, device)
    if failed or f.incident.symptom == "push_failure":
        detail = f.incident.details.get("error") or f.incident.text
        return notes.done(
            RootCause.EXECUTOR_PUSH_FAILURE,
            f"{device} is healthy and as intended, but changes pushed to it "
            f"fail{f' ({detail[:160]})' if detail else ''}.",
            confidence=0.7,
            escalate=True,
            reason="pushes fail on a healthy device: credentials, session limits or the executor itself",
        )
    sot = f.sot_down()
    if sot is not None:
        notes.add(f"the source of truth is unavailable: {sot.error}", sot)
        return notes.done(
            RootCause.DEPENDENCY_UNAVAILABLE,
            "The source of truth does not answer; the rest looks healthy.",
            confidence=0.7,
            escalate=True,
            reason="dependency_unavailable: restore the source of truth",
        )
    return notes.done(
        RootCause.NO_FAULT_FOUND,
        f"{device}: health, interfaces and configuration match intent; nothing to fix.",
        confidence=0.6,
        escalate=False,
    )


def _no_device(f: Facts, notes: Notes) -> Step:
    probe = f.latest("list_devices")
    if probe is None:
        return Ask([("list_devices", {"limit": 1})], "No device named: checking that the source of truth answers.")
    if not probe.ok:
        notes.add(f"list_devices: [{probe.error_code}] {probe.error}", probe)
        if probe.error_code == "dependency_unavailable":
            return notes.done(
                RootCause.DEPENDENCY_UNAVAILABLE,
                "The source of truth does not answer: intent cannot be read and changes cannot be targeted.",
                confidence=0.9,
                escalate=True,
                reason="the source of truth is down; no automation can act without intent",
            )
    notes.add("the source of truth answers", probe)
    for alert in f.alerts():
        device = str(alert.item.get("device") or "")
        if device:
            notes.add(
                f"alert {alert.item.get('alertname')} firing on {device} {alert.item.get('interface') or ''}".strip(),
                alert,
            )
            interface = alert.item.get("interface")
            return _device(f, notes, device, [str(interface)] if interface else [])
    return notes.done(
        RootCause.NO_FAULT_FOUND, "No alert is firing and the source of truth answers.", confidence=0.5, escalate=False
    )


def _merge(conclusions: list[ConcludeInput]) -> Done:
    """One finding for several devices: the first real fault names the cause, every device adds its part."""
    if len(conclusions) == 1:
        return Done(conclusions[0])
    faults = [c for c in conclusions if c.root_cause is not RootCause.NO_FAULT_FOUND] or conclusions
    affected: list[Affected] = []
    for a in (a for c in conclusions for a in c.affected):
        if a not in affected:
            affected.append(a)
    evidence = [e for c in conclusions for e in c.evidence]
    return Done(
        ConcludeInput(
            summary=" ".join(c.summary for c in conclusions),
            root_cause=faults[0].root_cause,
            affected=affected,
            evidence=evidence,
            confidence=min(c.confidence for c in conclusions),
            escalation_needed=any(c.escalation_needed for c in conclusions),
            escalation_reason="; ".join(c.escalation_reason for c in conclusions if c.escalation_reason),
            human_action=" ".join(c.human_action for c in conclusions if c.human_action),
        )
    )


def decide(f: Facts) -> Step:
    """The next step of the investigation, from everything observed so far (devices one after another)."""
    devices = f.known_devices()[:MAX_DEVICES]
    if not devices:
        return _no_device(f, Notes())
    concluded: list[ConcludeInput] = []
    for device in devices:
        step = _device(f, Notes(), device, f.incident.interfaces_of(device))
        if isinstance(step, Ask):
            return step
        concluded.append(step.conclusion)
    return _merge(concluded)
