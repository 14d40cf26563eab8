"""netlab: the embedded network twin — topology, intent, device state, faults, vendor configs, /metrics.

``from netlab import Lab``; errors live in ``netlab.errors``. See netlab/README.md for the topology's
names, the fault kinds and how operations interact with faults.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netlab.faultspec import FAULT_KINDS
    from netlab.lab import Lab
    from netlab.models import (
        Alert,
        ComplianceResult,
        ConfigVersion,
        DeviceHealth,
        DeviceIntent,
        Event,
        Fault,
        InterfaceIntent,
        InterfaceState,
        LabInfo,
        Neighbor,
        OpResult,
        VlanEntry,
        VlanIntent,
        VlanService,
    )
    from netlab.operations import OPERATIONS
    from netlab.topology import STANDARD_VLANS

# Loaded on first use (PEP 562): importing one submodule must not import the whole package.
_WHERE = {
    "FAULT_KINDS": "netlab.faultspec",
    "Lab": "netlab.lab",
    "Alert": "netlab.models",
    "ComplianceResult": "netlab.models",
    "ConfigVersion": "netlab.models",
    "DeviceHealth": "netlab.models",
    "DeviceIntent": "netlab.models",
    "Event": "netlab.models",
    "Fault": "netlab.models",
    "InterfaceIntent": "netlab.models",
    "InterfaceState": "netlab.models",
    "LabInfo": "netlab.models",
    "Neighbor": "netlab.models",
    "OpResult": "netlab.models",
    "VlanEntry": "netlab.models",
    "VlanIntent": "netlab.models",
    "VlanService": "netlab.models",
    "OPERATIONS": "netlab.operations",
    "STANDARD_VLANS": "netlab.topology",
}


def __getattr__(name: str) -> Any:
    """Import a public name's submodule when the name is first used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'netlab' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "FAULT_KINDS",
    "OPERATIONS",
    "STANDARD_VLANS",
    "Alert",
    "ComplianceResult",
    "ConfigVersion",
    "DeviceHealth",
    "DeviceIntent",
    "Event",
    "Fault",
    "InterfaceIntent",
    "InterfaceState",
    "Lab",
    "LabInfo",
    "Neighbor",
    "OpResult",
    "VlanEntry",
    "VlanIntent",
    "VlanService",
]
