"""What a backend factory may draw on besides its own options: the home directory and the lab."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from audit.redact import Redactor
from mcp_servers.errors import DependencyUnavailable
from mcp_servers.spec import LabSpec, ServersSpec

if TYPE_CHECKING:
    from netlab import Lab

__all__ = ["BackendContext"]

# One Lab object per (database, time factor) while anyone uses it, so that connections opened one
# after another (a run, then the next) share netlab's intent and render caches instead of warming
# new ones (a cold Lab costs ~0.5 ms more per device change). The last one used stays open.
_open_labs: weakref.WeakValueDictionary[tuple[str, float | None], Lab] = weakref.WeakValueDictionary()
_last_lab: list[Lab] = []


class BackendContext:
    """Shared by the backends of one process, so the three lab backends open the lab once."""

    def __init__(
        self,
        home: Path,
        lab: LabSpec | None = None,
        *,
        lab_instance: Lab | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.home = home
        self._lab_spec = lab
        self._lab = lab_instance
        self.redactor = redactor if redactor is not None else Redactor()
        """What the backends' stores redact with (the executor's job records)."""

    @classmethod
    def for_spec(cls, spec: ServersSpec) -> BackendContext:
        """The context of the servers a spec describes (its home, its lab, its redaction patterns)."""
        return cls(spec.home, spec.lab, redactor=Redactor(spec.redact_patterns))

    def lab(self) -> Lab:
        """The embedded lab, opened on first use (LabNotInitialised propagates: a setup mistake)."""
        if self._lab is None:
            if self._lab_spec is None:
                raise DependencyUnavailable("no lab configured: the lab backends need a lab database")
            self._lab = _shared_lab(self._lab_spec)
        return self._lab


def _shared_lab(spec: LabSpec) -> Lab:
    from netlab import Lab

    key = (str(spec.db.resolve()), spec.time_factor)
    lab = _open_labs.get(key)
    if lab is None:
        lab = Lab.open(spec.db, time_factor=spec.time_factor)
        _open_labs[key] = lab
    _last_lab[:] = [lab]
    return lab
