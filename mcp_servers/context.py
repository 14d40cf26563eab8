"""What a backend factory may draw on besides its own options: the home directory and the lab."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mcp_servers.errors import DependencyUnavailable
from mcp_servers.spec import LabSpec

if TYPE_CHECKING:
    from netlab import Lab

__all__ = ["BackendContext"]


class BackendContext:
    """Shared by the backends of one process, so the three lab backends open the lab once."""

    def __init__(self, home: Path, lab: LabSpec | None = None, *, lab_instance: Lab | None = None) -> None:
        self.home = home
        self._lab_spec = lab
        self._lab = lab_instance

    def lab(self) -> Lab:
        """The embedded lab, opened on first use (LabNotInitialised propagates: a setup mistake)."""
        if self._lab is None:
            if self._lab_spec is None:
                raise DependencyUnavailable("no lab configured: the lab backends need a lab database")
            from netlab import Lab

            self._lab = Lab.open(self._lab_spec.db, time_factor=self._lab_spec.time_factor)
        return self._lab
