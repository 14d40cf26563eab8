"""Why a run needs a human, spelled out: the reasons and the devices whose state is in doubt.

Steps that escalate (a time limit with the ``escalate`` action, a compensation that failed or did
not finish in time) add to ``state["data"]["escalation"]``::

    {"reasons": ["compensate: ...", ...],
     "devices": {"b-acc-04": {"step": "execute", "state": "possibly_applied", "why": "..."}}}

``dag_fallback.workflows.common.finish`` puts it in the run outcome, the ``run.escalated`` audit
record and the notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["add_escalation", "escalation_of"]


def escalation_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """The run's escalation so far (empty reasons and devices when nothing escalated)."""
    found = (state.get("data") or {}).get("escalation") or {}
    return {"reasons": list(found.get("reasons", [])), "devices": dict(found.get("devices", {}))}


def add_escalation(state: Mapping[str, Any], reason: str, devices: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The ``data`` update adding one reason and the devices it concerns (a device's latest fact wins)."""
    now = escalation_of(state)
    return {"escalation": {"reasons": [*now["reasons"], reason], "devices": {**now["devices"], **devices}}}
