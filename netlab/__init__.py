"""netlab: the embedded network twin — topology, intent, device state, faults, vendor configs, /metrics.

``from netlab import Lab``; errors live in ``netlab.errors``. See netlab/README.md for the topology's
names, the fault kinds and how operations interact with faults.
"""

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
