"""netlab's exceptions: every message is one line that names the bad value.

    LabError                   base: a caller's mistake or an unavailable lab, never a bug
    ├── LabNotInitialised      the database has no lab (run `netorch lab init`)
    ├── UnknownDevice          a device name that is not in the lab
    ├── UnknownInterface       an interface name that the device does not have
    ├── UnknownFaultKind       a fault kind outside FAULT_KINDS
    ├── UnknownFault           a fault id that is not stored
    ├── UnknownVlanService     a VLAN service name that intent does not hold
    ├── BadParameter           any other invalid argument (operation, VLAN id, mode, ...)
    └── IntentUnavailable      the intent store is down (the `sot_unavailable` fault)

A device that *fails* an operation (unreachable, push refused) is not an exception: it is an
``OpResult`` with ``failed=True``, because per-device outcomes are values.
"""

from __future__ import annotations

__all__ = [
    "BadParameter",
    "IntentUnavailable",
    "LabError",
    "LabNotInitialised",
    "UnknownDevice",
    "UnknownFault",
    "UnknownFaultKind",
    "UnknownInterface",
    "UnknownVlanService",
]


class LabError(Exception):
    """Base of netlab errors; the message is one user-facing line."""


class LabNotInitialised(LabError):
    """The lab database does not exist or holds no lab."""


class UnknownDevice(LabError):
    """A device name that the lab does not know."""


class UnknownInterface(LabError):
    """An interface name that the device does not have."""


class UnknownFaultKind(LabError):
    """A fault kind that is not one of FAULT_KINDS."""


class UnknownFault(LabError):
    """A fault id that is not stored."""


class UnknownVlanService(LabError):
    """A VLAN service name that intent does not hold."""


class BadParameter(LabError):
    """An invalid argument other than an unknown device, interface or fault."""


class IntentUnavailable(LabError):
    """The intent store (Source of Truth) is unavailable: the `sot_unavailable` fault is active."""
