"""Outputs of resolve_device and resolve_interface: what an imprecise reference most likely names."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AMBIGUITY_MARGIN",
    "DeviceCandidate",
    "DeviceResolution",
    "InterfaceCandidate",
    "InterfaceResolution",
    "ResolutionStatus",
]

AMBIGUITY_MARGIN = 0.1
"""Two candidates closer than this in confidence are ambiguous: the caller must ask, not pick."""

ResolutionStatus = Literal["resolved", "ambiguous", "unresolved"]


class DeviceCandidate(BaseModel):
    """One device a reference may name."""

    device: str = Field(description="Device name in the Source of Truth.")
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the match is (1.0 = exact).")
    method: str = Field(description="How it matched: exact_name, name_normalised, primary_ip, name_edit_distance.")
    detail: str = Field(description="The match in words, e.g. \"'b-acc-3' is b-acc-03 (zero padding)\".")
    mgmt_ip: str = Field(description="The device's primary (management) address.")
    platform: str = Field(description="Network OS of the device.")


class DeviceResolution(BaseModel):
    """What a device reference (name, typo'd name, address, host:port) resolves to."""

    reference: str = Field(description="The reference as given.")
    status: ResolutionStatus = Field(
        description="'resolved' (one clear candidate), 'ambiguous' (two or more close ones: ask), 'unresolved'."
    )
    device: str | None = Field(None, description="The device when resolved.")
    confidence: float = Field(0.0, ge=0.0, le=1.0, description="Confidence of the resolved device (0 otherwise).")
    method: str | None = Field(None, description="How the resolved device matched.")
    candidates: list[DeviceCandidate] = Field(description="Best candidates first (at most 5).")
    tried: list[str] = Field(description="Every method tried, in order, with what it found.")


class InterfaceCandidate(BaseModel):
    """One interface a reference may name."""

    device: str = Field(description="Device of the interface.")
    interface: str = Field(description="Full interface name in the vendor's syntax.")
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the match is (1.0 = exact).")
    method: str = Field(
        description="exact_name, name_normalised, vendor_abbreviation, cross_vendor, if_index, description."
    )
    detail: str = Field(description="The match in words.")
    description: str = Field(description="The interface's intended description (untrusted text).")


class InterfaceResolution(BaseModel):
    """What an interface reference (name in any vendor style, ifIndex, ifDescr, desk/printer name) resolves to."""

    reference: str = Field(description="The reference as given.")
    scope: str | None = Field(None, description="The device searched, or null when every device was searched.")
    status: ResolutionStatus = Field(description="'resolved', 'ambiguous' (ask which one) or 'unresolved'.")
    device: str | None = Field(None, description="Device of the resolved interface.")
    interface: str | None = Field(None, description="The resolved interface.")
    confidence: float = Field(0.0, ge=0.0, le=1.0, description="Confidence of the resolved interface (0 otherwise).")
    method: str | None = Field(None, description="How the resolved interface matched.")
    candidates: list[InterfaceCandidate] = Field(description="Best candidates first (at most 5).")
    tried: list[str] = Field(description="Every method tried, in order, with what it found.")
