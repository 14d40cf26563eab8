"""A lab job's per-device steps, checked at launch and prepared in chunks just ahead of the forks.

Preparing a change (normalised parameters, idempotency lookup, latency) costs ~10 us per device:
50 ms for 5,000 devices, which launch_job would otherwise spend before the first device starts.
At launch only what can reject the whole job is checked — every device exists, and for interface
templates every device has the interface — and the rest is prepared by ``fill()`` in chunks while
the first devices already wait their latency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel

from mcp_servers.errors import NotFound
from mcp_servers.executor.lab_templates import LabTemplate
from mcp_servers.executor.models import LaunchRequest

if TYPE_CHECKING:
    from netlab import Lab
    from netlab.changes import Change, Prepared

__all__ = ["JobPlan", "step_key"]

_CHUNK = 200  # devices prepared between two yields to the event loop (~2 ms)


def step_key(key: str | None, device: str, op: str | None) -> str | None:
    """`{key}/{device}`; a multi-step template adds `/{op}` so each step replays on its own."""
    if key is None:
        return None
    return f"{key}/{device}" if op is None else f"{key}/{device}/{op}"


class JobPlan:
    """The steps of every device of one job, in limit order."""

    def __init__(self, lab: Lab, template: LabTemplate, request: LaunchRequest) -> None:
        self.lab = lab
        self.devices = request.limit
        self._ops = template.ops(request.extra_vars)
        self._key, self._dry_run = request.idempotency_key, request.dry_run
        self._prepared: list[Prepared] = []
        self._chunks = [anyio.Event() for _ in range(0, len(self.devices), _CHUNK)]

    def check(self) -> None:
        """Raise NotFound for an unknown device, or an unknown interface (which needs a full prepare)."""
        from netlab.errors import UnknownInterface

        known = set(self.lab.device_names())
        for device in self.devices:
            if device not in known:
                raise NotFound(f"unknown device '{device}' (not in the lab inventory)")
        if any("interface" in params for _, params in self._ops):
            self._prepared = self.lab.prepare(self._changes(0, len(self.devices)))
            for item in self._prepared:
                if isinstance(item.error, UnknownInterface):
                    raise item.error
            for ready in self._chunks:
                ready.set()

    async def fill(self) -> None:
        """Prepare the devices not prepared at launch, a chunk at a time, yielding in between."""
        for index, ready in enumerate(self._chunks):
            if not ready.is_set():
                self._prepared += await self.lab.prepare_async(self._changes(index * _CHUNK, (index + 1) * _CHUNK))
                ready.set()
                await anyio.lowlevel.checkpoint()

    async def steps(self, seq: int) -> list[Prepared]:
        """The prepared steps of device number ``seq``, once its chunk is ready."""
        ready = self._chunks[seq // _CHUNK]
        if not ready.is_set():  # wait() on a set event still yields, and the fork's next device would start late
            await ready.wait()
        width = len(self._ops)
        return self._prepared[seq * width : (seq + 1) * width]

    def _changes(self, start: int, stop: int) -> list[Change]:
        from netlab.changes import Change

        multi = len(self._ops) > 1
        return [
            Change(op, device, params, step_key(self._key, device, op if multi else None), self._dry_run)
            for device in self.devices[start:stop]
            for op, params in self._ops
        ]
