"""Alertmanager webhook (payload version 4) → intake items.

Dedup rules, chosen so that Alertmanager's own retries can never start a second run:

- one occurrence of an alert = ``fingerprint`` + ``startsAt``. Retries, the twin of an HA pair and
  ``repeat_interval`` resends all carry the same pair, so they are duplicates; an alert that
  resolved and fires again has a new ``startsAt`` and is a new occurrence;
- a resolved alert is its own intake item (``…#resolved``) that annotates the occurrence's run;
- ``truncatedAlerts > 0`` means Alertmanager dropped alerts from this group (``max_alerts``): we
  cannot see them, so the group gets one investigation whose input says how many are missing,
  keyed by the group and the visible occurrences so that resends of the same group do not repeat it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator.intake.errors import PayloadError
from orchestrator.intake.jsonbody import MAX_BODY_BYTES, MAX_JSON_DEPTH, load_json
from orchestrator.intake.rfc3339 import Rfc3339
from orchestrator.intake.store import IntakeItem

__all__ = [
    "ALERTMANAGER",
    "AlertBatch",
    "AlertmanagerAlert",
    "AlertmanagerPayload",
    "occurrence_key",
    "parse_alertmanager",
]

ALERTMANAGER = "alertmanager"


class AlertmanagerAlert(BaseModel):
    """One alert inside a webhook notification."""

    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: Rfc3339
    endsAt: Rfc3339 | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=128)


class AlertmanagerPayload(BaseModel):
    """The webhook body Alertmanager POSTs (``version: "4"``)."""

    model_config = ConfigDict(extra="allow")

    version: Literal["4"]
    receiver: str = ""
    status: Literal["firing", "resolved"]
    alerts: list[AlertmanagerAlert] = Field(max_length=10_000)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    groupKey: str = ""
    truncatedAlerts: int = Field(0, ge=0)


@dataclass(frozen=True)
class AlertBatch:
    """What one webhook delivery asks for, as intake items (firing, resolved, truncation)."""

    items: list[IntakeItem]
    firing: int
    resolved: int
    truncated: int


def _utc(moment: datetime) -> str:
    """Canonical UTC text, so that ``…Z`` and ``…+00:00`` spellings of one instant dedup together."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def occurrence_key(fingerprint: str, starts_at: datetime) -> str:
    """The dedup key of one alert occurrence: ``<fingerprint>@<startsAt in UTC>``."""
    return f"{fingerprint}@{_utc(starts_at)}"


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    value = err.get("input")
    shown = json.dumps(value, default=str)[:80] if not isinstance(value, dict) else "{...}"
    return f"invalid Alertmanager payload: {where}={shown}: {err['msg'].removeprefix('Value error, ')}"


def parse_alertmanager(
    body: bytes | dict[str, Any], *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> tuple[AlertmanagerPayload, AlertBatch]:
    """Validate a webhook body (size and nesting bounded before parsing) and turn it into intake items.

    Raises:
        PayloadError: the body is not strict JSON within the bounds or not a version-4 Alertmanager notification.
    """
    if isinstance(body, bytes | bytearray):
        data = load_json(body, what="Alertmanager payload", max_bytes=max_bytes, max_depth=max_depth)
    else:
        data = body
    if not isinstance(data, dict):
        raise PayloadError(f"Alertmanager payload must be a JSON object, not {type(data).__name__}")
    if "version" in data and data["version"] != "4":
        raise PayloadError(f"unsupported Alertmanager payload version {data['version']!r} (expected '4')")
    try:
        payload = AlertmanagerPayload.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(_describe(exc)) from None
    context = {"receiver": payload.receiver, "groupKey": payload.groupKey, "externalURL": payload.externalURL}
    items: list[IntakeItem] = []
    firing = resolved = 0
    for alert in payload.alerts:
        key = occurrence_key(alert.fingerprint, alert.startsAt)
        described = {
            "fingerprint": alert.fingerprint,
            "status": alert.status,
            "labels": alert.labels,
            "annotations": alert.annotations,
            "startsAt": _utc(alert.startsAt),
            "endsAt": _utc(alert.endsAt) if alert.endsAt and alert.endsAt.year > 1 else None,
            "generatorURL": alert.generatorURL,
        }
        actor = f"alertmanager:{payload.receiver or 'default'}"
        if alert.status == "firing":
            firing += 1
            items.append(IntakeItem(ALERTMANAGER, key, "alert", actor, {"alert": described, **context}))
        else:
            resolved += 1
            items.append(
                IntakeItem(
                    ALERTMANAGER,
                    key + "#resolved",
                    "alert_resolved",
                    actor,
                    {"alert": described, "occurrence": key, **context},
                )
            )
    if payload.truncatedAlerts > 0:
        visible = sorted(i.dedup_key for i in items)
        digest = hashlib.sha256("\n".join(visible).encode()).hexdigest()[:16]
        items.append(
            IntakeItem(
                ALERTMANAGER,
                f"truncated:{payload.groupKey}:{payload.truncatedAlerts}:{digest}",
                "alert_truncated",
                f"alertmanager:{payload.receiver or 'default'}",
                {
                    "truncatedAlerts": payload.truncatedAlerts,
                    "groupLabels": payload.groupLabels,
                    "commonLabels": payload.commonLabels,
                    "visible": visible,
                    **context,
                },
            )
        )
    batch = AlertBatch(items=items, firing=firing, resolved=resolved, truncated=payload.truncatedAlerts)
    return payload, batch
