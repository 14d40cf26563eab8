"""Intake: turn an Alertmanager payload, a single alert, a question or a workflow escalation into an Incident.

Only structured fields choose the starting symptom (alert name, labels) or, for an operator's own
question, its words. Alert annotations are kept verbatim but never interpreted: they are untrusted.

A question asked in a conversation (``conversation``: the earlier turns, oldest first) that names no
device carries over the device, interfaces and symptom under discussion: "and is it fixed now?"
after "b-acc-03 Gi1/0/5 is down" is about b-acc-03 Gi1/0/5.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from agent.errors import BadTrigger
from agent.incident import Incident, InterfaceRef, Symptom

__all__ = ["classify_symptom", "incident_from_alert", "incident_from_question", "incident_from_workflow", "normalise"]

# Checked in order: "flap" and "unreachable" must win over a plain "down". A key matches inside one
# word (InterfaceDown, flapping); a key with a space is a phrase.
_SYMPTOM_WORDS: list[tuple[Symptom, tuple[str, ...]]] = [
    ("dependency_unavailable", ("sourceoftruth", "source of truth", "sotunavailable", "nautobot", "dependency")),
    ("push_failure", ("pushfail", "jobfail", "executor", "deployfail", "push", "awx")),
    ("device_unreachable", ("unreachable", "devicedown", "targetdown", "nodedown", "hostdown", "noresponse")),
    ("link_flap", ("flap",)),
    ("interface_errors", ("crc", "error", "fcs", "discard")),
    ("high_cpu", ("cpu",)),
    ("config_drift", ("drift", "compliance", "vlan", "noncompliant", "intent")),
    ("interface_down", ("interfacedown", "linkdown", "portdown", "operdown", "errdisable", "down", "shut", "dead")),
]

_DEVICE_LABELS = ("device", "hostname", "host", "node", "switch", "target_device")
_INTERFACE_LABELS = ("interface", "ifname", "ifName", "port", "ifDescr")
_INTERFACE_RE = re.compile(
    r"\b(?:GigabitEthernet|TenGigabitEthernet|FastEthernet|Ethernet|Port-channel|Gi|Te|Fa|Eth|Et|Po|"
    r"xe-|ge-|et-|swp|mgmt)[0-9][0-9/.:]*\b|\b(?:xe|ge|et)-[0-9][0-9/.:]*\b|\bswp[0-9]+\b",
)
# A device name is a word with a letter first and a digit somewhere (b-acc-03, core1, sw-a-dist-1).
_WORD_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]\b")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _digest(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def classify_symptom(*texts: str) -> Symptom:
    """The first symptom whose words appear inside one word of ``texts`` (phrases match across words)."""
    spaced = " ".join(re.sub(r"[^a-z0-9]+", " ", t.lower().replace("-", "").replace("_", "")) for t in texts)
    words = spaced.split()
    for symptom, keys in _SYMPTOM_WORDS:
        if any((" " in k and f" {k} " in f" {spaced} ") or any(k in w for w in words) for k in keys):
            return symptom
    return "unknown"


def _label(labels: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = labels.get(name)
        if value:
            return value
    return None


def _strings(mapping: Any, what: str) -> dict[str, str]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise BadTrigger(f"alert {what} must be a mapping, not {type(mapping).__name__}")
    return {str(k): str(v) for k, v in mapping.items()}


def incident_from_alert(payload: Mapping[str, Any]) -> Incident:
    """An Incident from an Alertmanager v4 webhook payload or one alert object.

    Raises:
        BadTrigger: the payload has no firing alert, or an alert has no labels.
    """
    if not isinstance(payload, Mapping):
        raise BadTrigger(f"an alert must be a JSON object, not {type(payload).__name__}")
    if "alerts" in payload:
        alerts = payload.get("alerts") or []
        if not isinstance(alerts, list) or not alerts:
            raise BadTrigger("alert payload has no alerts")
        firing = [a for a in alerts if isinstance(a, Mapping) and a.get("status", "firing") == "firing"]
        if not firing:
            raise BadTrigger(f"alert payload has no firing alert (status '{payload.get('status')}')")
        group_key = str(payload.get("groupKey") or "")
    else:
        firing = [payload]
        group_key = ""
    first = firing[0]
    labels = _strings(first.get("labels"), "labels")
    if not labels:
        raise BadTrigger("alert has no labels (need at least alertname)")
    alertname = labels.get("alertname", "")
    devices: list[str] = []
    interfaces: list[InterfaceRef] = []
    for alert in firing:
        alert_labels = _strings(alert.get("labels"), "labels")
        device = _label(alert_labels, _DEVICE_LABELS)
        if device and device not in devices:
            devices.append(device)
        interface = _label(alert_labels, _INTERFACE_LABELS)
        if device and interface:
            ref = InterfaceRef(device=device, interface=interface)
            if ref not in interfaces:
                interfaces.append(ref)
    annotations = _strings(first.get("annotations"), "annotations")
    symptom = classify_symptom(alertname, labels.get("reason", ""))
    where = " ".join(devices[:3]) + (f" (+{len(devices) - 3})" if len(devices) > 3 else "")
    iface = f" {interfaces[0].interface}" if len(interfaces) == 1 else ""
    # One occurrence of an alert is its fingerprint (or labels) plus when it started, as the front door counts it.
    occurrences = [(a.get("fingerprint") or a.get("labels"), a.get("startsAt")) for a in firing]
    return Incident(
        id="inc-" + _digest(group_key, occurrences),
        source="alert",
        title=f"{alertname or 'alert'} on {where or 'unknown device'}{iface}",
        text=annotations.get("summary") or annotations.get("description") or "",
        symptom=symptom,
        devices=devices,
        interfaces=interfaces,
        alertname=alertname or None,
        severity=labels.get("severity"),
        labels=labels,
        annotations=annotations,
        received_at=_now(),
    )


def _mentions(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Interface names and device-like words of a text, with their positions."""
    interfaces = [(m.start(), m.group(0)) for m in _INTERFACE_RE.finditer(text)]
    masked = _INTERFACE_RE.sub(lambda m: " " * len(m.group(0)), text)
    devices = [(m.start(), m.group(0)) for m in _WORD_RE.finditer(masked) if any(c.isdigit() for c in m.group(0))]
    return interfaces, devices


def _under_discussion(earlier: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[InterfaceRef], Symptom]:
    """Devices, interfaces and symptom of the latest earlier turn that had any (its answer first, else its words)."""
    for turn in reversed(earlier):
        asked = str(turn.get("question") or "")
        affected = [a for a in turn.get("affected") or [] if isinstance(a, Mapping) and a.get("device")]
        if affected:
            devices = list(dict.fromkeys(str(a["device"]) for a in affected))
            interfaces = [
                InterfaceRef(device=str(a["device"]), interface=str(a["interface"]))
                for a in affected
                if a.get("interface")
            ]
        elif asked:
            prior = incident_from_question(asked)
            devices, interfaces = prior.devices, prior.interfaces
        else:
            continue
        if devices:
            return devices, interfaces, classify_symptom(asked) if asked else "unknown"
    return [], [], "unknown"


def incident_from_question(question: str, *, earlier: Sequence[Mapping[str, Any]] = ()) -> Incident:
    """An Incident from an operator's question; device and interface names are picked from the words.

    ``earlier`` turns of the conversation supply the device (and its interfaces and symptom) when the
    question names none.
    """
    text = question.strip()
    if not text:
        raise BadTrigger("the question is empty")
    found, mentions = _mentions(text)
    devices = list(dict.fromkeys(word for _, word in mentions))
    interfaces: list[InterfaceRef] = []
    for position, name in found:
        # An interface belongs to the device mentioned nearest to it ("a-acc-01 Gi1/0/2", "Ethernet7 on a-acc-04").
        if mentions:
            device = min(mentions, key=lambda m: abs(m[0] - position))[1]
            ref = InterfaceRef(device=device, interface=name)
            if ref not in interfaces:
                interfaces.append(ref)
    symptom = classify_symptom(text)
    if not devices and earlier:
        devices, carried, before = _under_discussion(earlier)
        # A follow-up that names only an interface ("and Gi1/0/6?") means that port of the same device.
        interfaces = [InterfaceRef(device=devices[0], interface=n) for _, n in found] if devices and found else carried
        symptom = symptom if symptom != "unknown" else before
    return Incident(
        id="inc-" + _digest("question", text, _now()),
        source="question",
        title=text if len(text) <= 80 else text[:77] + "...",
        text=text,
        symptom=symptom,
        devices=devices,
        interfaces=interfaces,
        received_at=_now(),
    )


def incident_from_workflow(
    workflow: str,
    *,
    run_id: str,
    error: str,
    devices: list[str] | None = None,
    step: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Incident:
    """An Incident from a workflow that met a failure it has no branch for (the hand-off to the agent)."""
    if not workflow:
        raise BadTrigger("a workflow escalation must name the workflow")
    names = list(dict.fromkeys(devices or []))
    where = f" on {', '.join(names[:3])}" if names else ""
    return Incident(
        id="inc-" + _digest("workflow", run_id, step, names),
        source="workflow",
        title=f"workflow {workflow} escalated{where}: {error[:80]}",
        text=error,
        symptom=classify_symptom(error),
        devices=names,
        details={"workflow": workflow, "run_id": run_id, "step": step, **dict(details or {})},
        received_at=_now(),
    )


def normalise(trigger: Mapping[str, Any]) -> Incident:
    """An Incident from a trigger mapping with one key: alert, question, workflow or incident."""
    if "incident" in trigger:
        return Incident.model_validate(trigger["incident"])
    if "alert" in trigger:
        return incident_from_alert(trigger["alert"])
    if "question" in trigger:
        earlier = trigger.get("conversation")
        turns = [t for t in earlier if isinstance(t, Mapping)] if isinstance(earlier, list) else []
        return incident_from_question(str(trigger["question"]), earlier=turns)
    if "workflow" in trigger:
        spec = dict(trigger["workflow"])
        return incident_from_workflow(
            str(spec.pop("workflow", "")),
            run_id=str(spec.pop("run_id", "")),
            error=str(spec.pop("error", "")),
            devices=list(spec.pop("devices", []) or []),
            step=spec.pop("step", None),
            details=spec,
        )
    raise BadTrigger(f"unknown trigger with keys {sorted(trigger)} (expected alert, question, workflow or incident)")
