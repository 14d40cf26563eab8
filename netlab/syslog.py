"""Syslog messages in the vendors' styles (IOS-XE ``%LINK-3-UPDOWN``, EOS ``%LINEPROTO-5-UPDOWN``, ...).

Status-change messages are derived from a before/after comparison of interface states, so the
event log can never disagree with the state it describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from netlab.render import short_name

__all__ = [
    "SEVERITIES",
    "EventSpec",
    "IfStatus",
    "config_change",
    "cpu_high",
    "crc_threshold",
    "err_disable",
    "err_recover",
    "flap_burst",
    "link_change",
    "restart",
    "rollback_confirm_expired",
    "severity_code",
    "transitions",
    "user_log",
    "violation",
]

SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug")


class EventSpec(NamedTuple):
    """An event about to be stored."""

    interface: str | None
    severity: int
    mnemonic: str
    message: str


class IfStatus(NamedTuple):
    """The parts of an interface state that status messages depend on."""

    oper: str
    reason: str | None
    errdisabled: str | None


def severity_code(name: str) -> int:
    """'warning' or 'warn' or '4' -> 4; ValueError for anything else."""
    text = name.strip().lower()
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    for code, full in enumerate(SEVERITIES):
        if full.startswith(text) and len(text) >= 3:
            return code
    raise ValueError(name)


def _ev(interface: str | None, mnemonic: str, text: str) -> EventSpec:
    return EventSpec(interface, int(mnemonic.split("-")[1]), mnemonic, f"%{mnemonic}: {text}")


def link_change(platform: str, interface: str, description: str, up: bool, *, admin: bool = False) -> list[EventSpec]:
    """The messages of an interface going up or down (administratively or not)."""
    state = "up" if up else "down"
    if platform == "ios-xe":
        if admin and not up:
            first = _ev(interface, "LINK-5-CHANGED", f"Interface {interface}, changed state to administratively down")
        else:
            first = _ev(interface, "LINK-3-UPDOWN", f"Interface {interface}, changed state to {state}")
        proto = _ev(
            interface, "LINEPROTO-5-UPDOWN", f"Line protocol on Interface {interface}, changed state to {state}"
        )
        return [first, proto]
    desc = f" ({description})" if description else ""
    return [
        _ev(interface, "LINEPROTO-5-UPDOWN", f"Line protocol on Interface {interface}{desc}, changed state to {state}")
    ]


def err_disable(platform: str, interface: str, reason: str) -> EventSpec:
    """The port was put in err-disable state."""
    if platform == "ios-xe":
        s = short_name(interface)
        return _ev(interface, "PM-4-ERR_DISABLE", f"{reason} error detected on {s}, putting {s} in err-disable state")
    return _ev(interface, "ERRDISABLE-4-INTF_ERRDISABLED", f"Interface {interface} is error disabled due to {reason}")


def err_recover(platform: str, interface: str, reason: str) -> EventSpec:
    """An attempt to recover the port from err-disable."""
    if platform == "ios-xe":
        return _ev(
            interface,
            "PM-4-ERR_RECOVER",
            f"Attempting to recover from {reason} err-disable state on {short_name(interface)}",
        )
    return _ev(interface, "ERRDISABLE-5-INTF_RECOVERED", f"Interface {interface} recovered from {reason} error disable")


def violation(platform: str, interface: str, reason: str, mac: str) -> EventSpec | None:
    """The message that explains an err-disable cause, if the cause has its own message."""
    if reason == "psecure-violation":
        if platform == "ios-xe":
            text = f"Security violation occurred, caused by MAC address {mac} on port {interface}."
            return _ev(interface, "PORT_SECURITY-2-PSECURE_VIOLATION", text)
        return _ev(
            interface, "ETH-4-PORT_SECURITY_VIOLATION", f"Interface {interface} port security violation by MAC {mac}"
        )
    if reason == "bpduguard":
        if platform == "ios-xe":
            text = f"Received BPDU on port {interface} with BPDU Guard enabled. Disabling port."
            return _ev(interface, "SPANTREE-2-BLOCK_BPDUGUARD", text)
        return _ev(interface, "SPANTREE-4-BPDUGUARD_BLOCK", f"Received BPDU on {interface} with BPDU guard enabled")
    return None


def config_change(platform: str, user: str, source_ip: str) -> EventSpec:
    """Someone changed the configuration."""
    vty = "vty0" if platform == "ios-xe" else "vty3"
    return _ev(None, "SYS-5-CONFIG_I", f"Configured from console by {user} on {vty} ({source_ip})")


def rollback_confirm_expired(platform: str) -> EventSpec:
    """A commit-confirm timer expired and the device rolled the change back."""
    if platform == "ios-xe":
        text = "Timer for Confirm Changes expired. Start rollback to previous configuration"
        return _ev(None, "ARCHIVE_DIFF-5-ROLLBK_CNFMD_CHG_ROLLBACK_START", text)
    return _ev(None, "CONFIG-5-SESSION_ROLLBACK", "Commit timer expired for session netorch; configuration rolled back")


def cpu_high(platform: str, pct: float, process: str) -> EventSpec:
    """CPU utilisation crossed the rising threshold."""
    if platform == "ios-xe":
        text = f"Threshold: Total CPU Utilization(Total/Intr): {pct:.0f}%/2%, Top 3 processes(Pid/Util): {process}"
        return _ev(None, "SYS-1-CPURISINGTHRESHOLD", text)
    return _ev(None, "SYS-4-CPU_HIGH", f"CPU utilization is {pct:.0f}%, top process {process}")


def crc_threshold(platform: str, interface: str, rate: float) -> EventSpec:
    """The error-threshold monitor saw CRC errors on the port."""
    if platform == "ios-xe":
        return _ev(
            interface, "IF_ERRORS-4-CRC_THRESHOLD", f"Interface {interface}: input CRC errors {rate:g}/s over threshold"
        )
    return _ev(interface, "ETH-4-CRC_ERRORS", f"Interface {interface} is receiving CRC errors ({rate:g}/s)")


def restart(platform: str) -> EventSpec:
    """The device booted."""
    if platform == "ios-xe":
        return _ev(None, "SYS-5-RESTART", "System restarted --")
    return _ev(None, "SYS-5-SYSTEM_RESTARTED", "System restarted")


def user_log(text: str) -> EventSpec:
    """A free-text message logged by a user on the device (the `send log` command)."""
    return _ev(None, "SYS-5-USERLOG_NOTICE", f"Message from tty0(user id: admin): {text}")


def transitions(
    platform: str,
    before: Mapping[str, IfStatus],
    after: Mapping[str, IfStatus],
    descriptions: Mapping[str, str],
    *,
    skip: frozenset[str] = frozenset(),
) -> list[EventSpec]:
    """The status messages that turn ``before`` into ``after``."""
    events: list[EventSpec] = []
    for name, new in after.items():
        old = before.get(name)
        if old is None or name in skip or old == new:
            continue
        desc = descriptions.get(name, "")
        if old.errdisabled and not new.errdisabled and new.reason != "admin-down":
            events.append(err_recover(platform, name, old.errdisabled))
        if new.errdisabled and not old.errdisabled:
            events.append(err_disable(platform, name, new.errdisabled))
        if old.oper != new.oper:
            events += link_change(platform, name, desc, new.oper == "up", admin=new.reason == "admin-down")
        elif new.reason == "admin-down" and old.reason != "admin-down" and platform == "ios-xe":
            events.append(link_change(platform, name, desc, False, admin=True)[0])
    return events


def flap_burst(
    platform: str,
    interface: str,
    description: str,
    flaps: int,
    errdisable: bool,
    *,
    recovering: str | None = None,
    from_down: bool = False,
) -> list[EventSpec]:
    """A port flapping ``flaps`` times, then err-disabled (link-flap) when ``errdisable``."""
    events: list[EventSpec] = []
    if recovering:
        events.append(err_recover(platform, interface, recovering))
    if recovering or from_down:
        events += link_change(platform, interface, description, True)
    for _ in range(flaps - 1 if errdisable else flaps):
        events += link_change(platform, interface, description, False)
        events += link_change(platform, interface, description, True)
    if errdisable:
        events.append(err_disable(platform, interface, "link-flap"))
        events += link_change(platform, interface, description, False)
    return events
