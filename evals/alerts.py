"""Build the Alertmanager v4 webhook payload an alert trigger is delivered as.

The shape follows a payload captured from a real Alertmanager 0.25
(``/work/shared/fixtures/alertmanager/sample_firing.json``), so the intake parses exactly what it
would parse in production.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from evals.scenario import AlertTrigger

__all__ = ["alertmanager_payload"]

_NOT_ENDED = "0001-01-01T00:00:00Z"


def _fingerprint(labels: dict[str, str]) -> str:
    # Alertmanager fingerprints are a 64-bit hash of the sorted label set, shown as 16 hex digits.
    text = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _group_key(labels: dict[str, str]) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return "{}:{" + inner + "}"


def alertmanager_payload(alert: AlertTrigger, *, now: datetime | None = None) -> dict[str, Any]:
    """A firing v4 notification holding one alert with the trigger's labels and annotations."""
    labels = {"alertname": alert.alertname, "severity": "critical", "job": "netlab", **alert.labels}
    started = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    group: dict[str, str] = {k: labels[k] for k in ("alertname", "device", "interface") if k in labels}
    expr = f"netorch_eval{{alertname={alert.alertname!r}}}"
    return {
        "receiver": "netorch",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": dict(alert.annotations),
                "startsAt": started,
                "endsAt": _NOT_ENDED,
                "generatorURL": f"http://prometheus.invalid/graph?g0.expr={expr}",
                "fingerprint": _fingerprint(labels),
            }
        ],
        "groupLabels": group,
        "commonLabels": labels,
        "commonAnnotations": dict(alert.annotations),
        "externalURL": "http://alertmanager.invalid",
        "version": "4",
        "groupKey": _group_key(group),
        "truncatedAlerts": 0,
    }
