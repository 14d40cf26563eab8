"""The Incident: what an investigation starts from, whatever triggered it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SYMPTOMS", "Incident", "InterfaceRef", "Symptom"]

Symptom = Literal[
    "interface_down",
    "link_flap",
    "interface_errors",
    "device_unreachable",
    "high_cpu",
    "config_drift",
    "push_failure",
    "dependency_unavailable",
    "unknown",
]
SYMPTOMS: tuple[str, ...] = Symptom.__args__  # type: ignore[attr-defined]  # Literal keeps its members here


class InterfaceRef(BaseModel):
    """One interface of one device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str
    interface: str


class Incident(BaseModel):
    """A normalised alert, operator question or workflow escalation.

    ``symptom`` is only where the investigation starts looking: the reasoner confirms or refutes it
    from observed state. ``annotations`` and ``text`` of an alert are untrusted data.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id derived from the trigger (also its dedup key).")
    source: Literal["alert", "question", "workflow"]
    title: str
    text: str = Field("", description="The question, or the alert's summary (untrusted for alerts).")
    symptom: Symptom = "unknown"
    devices: list[str] = Field(default_factory=list, description="Devices the trigger names.")
    interfaces: list[InterfaceRef] = Field(default_factory=list)
    alertname: str | None = None
    severity: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict, description="Untrusted free text.")
    details: dict[str, Any] = Field(default_factory=dict, description="Workflow escalation context.")
    received_at: str = Field(description="ISO 8601 UTC time the trigger was normalised.")

    def interfaces_of(self, device: str) -> list[str]:
        """Interface names of ``device`` named by the trigger."""
        return [ref.interface for ref in self.interfaces if ref.device == device]
