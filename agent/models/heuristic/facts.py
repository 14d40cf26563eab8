"""What the rule-based reasoner knows: every structured tool result of the conversation, indexed.

Rebuilt from the conversation on every turn (the reasoner keeps no state of its own), so it
resumes correctly after an approval or a restart. Only the ``data`` of results is read; prose
(descriptions, syslog text) is never interpreted as anything but data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agent.conversation import Conversation, ToolOutcome

__all__ = ["SOT_TOOLS", "Facts", "Seen"]

SOT_TOOLS = frozenset(
    {
        "list_devices",
        "get_device",
        "get_interfaces",
        "list_vlans",
        "get_vlan_service",
        "get_intended_config",
        "get_neighbors",
    }
)


@dataclass(frozen=True)
class Seen:
    """One item observed by one call: the item, the call, and where the call sits in the history."""

    item: dict[str, Any]
    outcome: ToolOutcome
    index: int

    @property
    def seq(self) -> int | None:
        """The audit sequence to cite."""
        return self.outcome.audit_seq


def _items(outcome: ToolOutcome) -> list[dict[str, Any]]:
    data = outcome.data
    if not isinstance(data, dict):
        return []
    items = data.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


class Facts:
    """Indexed observations of one investigation."""

    def __init__(self, conversation: Conversation) -> None:
        self.incident = conversation.incident
        self.outcomes = list(conversation.outcomes())
        self.turns = len(conversation.turns())

    def _matching(self, tool: str, **args: Any) -> Iterator[tuple[int, ToolOutcome]]:
        for index, outcome in enumerate(self.outcomes):
            if outcome.name == tool and all(outcome.arguments.get(k) == v for k, v in args.items()):
                yield index, outcome

    def latest(self, tool: str, **args: Any) -> ToolOutcome | None:
        """The most recent call of ``tool`` whose arguments include ``args``."""
        found = [o for _, o in self._matching(tool, **args)]
        return found[-1] if found else None

    def index_of(self, outcome: ToolOutcome) -> int:
        """Position of a call in the history."""
        return next(i for i, o in enumerate(self.outcomes) if o is outcome)

    # -- intent and dependencies -------------------------------------------------------------

    def sot_down(self) -> ToolOutcome | None:
        """The failed SoT call when the SoT last answered "unavailable" (or a write could not resolve targets)."""
        latest: ToolOutcome | None = None
        for outcome in self.outcomes:
            if outcome.name in SOT_TOOLS or (
                outcome.name == "launch_job" and outcome.error_code == "dependency_unavailable"
            ):
                latest = outcome
        return latest if latest is not None and latest.error_code == "dependency_unavailable" else None

    def known_devices(self) -> list[str]:
        """Devices of the incident that the SoT did not deny knowing."""
        unknown = {
            o.arguments.get("name") for o in self.outcomes if o.name == "get_device" and o.error_code == "not_found"
        }
        return [d for d in self.incident.devices if d not in unknown]

    def interface_intent(self, device: str, name: str) -> Seen | None:
        """The intended record of one interface, from the latest get_interfaces of the device."""
        for index, outcome in reversed(list(self._matching("get_interfaces", device=device))):
            for item in _items(outcome):
                if item.get("name") == name:
                    return Seen(item, outcome, index)
        return None

    def intent_listed(self, device: str) -> ToolOutcome | None:
        """The latest get_interfaces call of the device (ok or not)."""
        return self.latest("get_interfaces", device=device)

    # -- state ------------------------------------------------------------------------------

    def interface_states(self, device: str, name: str, *, before: int | None = None) -> list[Seen]:
        """Every observation of one interface, oldest first (optionally only before a history index)."""
        seen: list[Seen] = []
        for index, outcome in self._matching("get_interface_state", device=device):
            if before is not None and index >= before:
                break
            asked = outcome.arguments.get("interface")
            for item in _items(outcome):
                if item.get("name") == name or (asked == name and len(_items(outcome)) == 1):
                    seen.append(Seen(item, outcome, index))
        return seen

    def state_failure(self, device: str, name: str) -> ToolOutcome | None:
        """The latest get_interface_state of this interface if it failed."""
        outcome = self.latest("get_interface_state", device=device, interface=name)
        return outcome if outcome is not None and not outcome.ok else None

    def all_states(self, device: str) -> list[Seen]:
        """Every interface from the latest whole-device get_interface_state."""
        for index, outcome in reversed(list(self._matching("get_interface_state", device=device))):
            if outcome.arguments.get("interface") is None and outcome.ok:
                return [Seen(item, outcome, index) for item in _items(outcome)]
        return []

    def compliance(self, device: str, *, after: int = -1, before: int | None = None) -> Seen | None:
        """The latest compliance verdict for ``device`` (optionally only between two history indexes)."""
        for index, outcome in reversed(list(enumerate(self.outcomes))):
            if index <= after:
                break
            if before is not None and index >= before:
                continue
            if outcome.name != "check_compliance" or not outcome.ok:
                continue
            for item in _items(outcome):
                if item.get("device") == device:
                    return Seen(item, outcome, index)
        return None

    def events(self, device: str) -> list[Seen]:
        """Syslog events of the device from the latest get_events."""
        outcome = self.latest("get_events", device=device)
        if outcome is None:
            return []
        index = self.index_of(outcome)
        return [Seen(item, outcome, index) for item in _items(outcome)]

    # -- changes ----------------------------------------------------------------------------

    def changes_made(self) -> list[int]:
        """History indexes of the writes this investigation launched, oldest first."""
        return [i for i, o in enumerate(self.outcomes) if o.name == "launch_job" and o.phase == "act"]

    def fixes(self, device: str, template: str, interface: str | None = None) -> list[tuple[int, ToolOutcome]]:
        """Launches of ``template`` on ``device`` (for ``interface``) this investigation made, oldest first."""
        found = []
        for index, outcome in self._matching("launch_job", template=template):
            if outcome.phase != "act" or device not in (outcome.arguments.get("limit") or []):
                continue
            if interface is not None and (outcome.arguments.get("extra_vars") or {}).get("interface") != interface:
                continue
            found.append((index, outcome))
        return found

    def job_after(self, launch: ToolOutcome, index: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[int]]:
        """The job a launch started as last seen (status), its failed devices, and the seqs that showed them."""
        job = dict(launch.data) if isinstance(launch.data, dict) else {}
        seqs = [launch.audit_seq] if launch.audit_seq is not None else []
        failed: list[dict[str, Any]] = []
        for outcome in self.outcomes[index + 1 :]:
            data = outcome.data if isinstance(outcome.data, dict) else {}
            if outcome.name == "wait_job" and data.get("id") == job.get("id"):
                job = dict(data)
            elif (
                outcome.name == "get_job"
                and isinstance(data.get("job"), dict)
                and data["job"].get("id") == job.get("id")
            ):
                job = dict(data["job"])
                failed = [i for i in _items(outcome) if i.get("status") == "failed"]
            else:
                continue
            if outcome.audit_seq is not None:
                seqs.append(outcome.audit_seq)
        return job, failed, seqs

    def recent_changes(self, device: str) -> list[dict[str, Any]]:
        """Writes to the device recorded in the audit log before this investigation (from sense)."""
        out = self.latest("audit_log")
        if out is None or not isinstance(out.data, dict):
            return []
        return [c for c in out.data.get("changes", []) if device in (c.get("targets") or [])]

    def recent_failures(self, device: str) -> list[dict[str, Any]]:
        """Failures of the device that workflows recorded in the audit log before this investigation."""
        out = self.latest("audit_log")
        if out is None or not isinstance(out.data, dict):
            return []
        return [f for f in out.data.get("failures", []) if f.get("device") == device]

    def alerts(self) -> list[Seen]:
        """Alerts firing, from the latest list_active_alerts."""
        outcome = self.latest("list_active_alerts")
        if outcome is None:
            return []
        index = self.index_of(outcome)
        return [Seen(item, outcome, index) for item in _items(outcome)]
