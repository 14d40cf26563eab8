"""Decoded documents a Lab handle keeps between transactions, valid while ``Store.generation`` holds.

Decoding a device's JSON documents, the active faults and the VLAN services costs more than the
change itself, and during a fan-out nobody else writes to the lab: the operations of this handle
update these documents in place as they write them (write-through), and anything else — another
connection's commit, a rollback, a fault or intent write — moves the generation and empties the
cache (``Store``). Device views are not thrown away then but checked: one that still matches its
stored row (a cheap SELECT and string compare) is reused, so that a write elsewhere in a 5,000-device
lab does not cost 5,000 decodes. Intent documents never change after init, so they are kept by lab id instead,
and shared by every handle on that lab in the process (``intent_docs``): an MCP server, the CLI's
runtime and a benchmark each open their own handle, and decoding 5,000 intents costs ~0.5 s.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from netlab.configmodel import Model
from netlab.state import DeviceView
from netlab.world import World

__all__ = ["MAX_DEVICES", "DocCache", "IntentDocs", "intent_docs"]

MAX_DEVICES = 20_000  # per-device entries kept at most (a 26 x 999 lab has ~26,000 devices)


@dataclass
class DocCache:
    """What one generation of the database looks like, decoded."""

    generation: int = -1
    rollbacks: int = 0
    meta: dict[str, str] | None = None
    services: list[dict[str, Any]] | None = None
    world: World | None = None
    views: dict[str, DeviceView] = field(default_factory=dict)
    intended: dict[str, Model] = field(default_factory=dict)
    # Views of earlier generations: reused once their stored row is found unchanged (DeviceView.raw).
    stale: dict[str, DeviceView] = field(default_factory=dict)

    def reset(self, generation: int) -> None:
        """Forget everything: the database may have changed under us (views wait to be checked)."""
        self.generation = generation
        self.meta = self.services = self.world = None
        if len(self.stale) + len(self.views) > MAX_DEVICES:
            self.stale.clear()
        self.stale.update(self.views)
        self.views.clear()
        self.intended.clear()

    def forget_intent(self) -> None:
        """VLAN services changed: intended configurations must be derived again."""
        self.services = None
        self.intended.clear()

    def keep_view(self, view: DeviceView) -> None:
        """Remember a device's documents (bounded: a huge lab simply decodes more often)."""
        if len(self.views) >= MAX_DEVICES:
            self.views.clear()
        self.views[view.name] = view


@dataclass
class IntentDocs:
    """One lab's immutable documents, decoded: intent per device, the as-deployed models, the names."""

    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    baselines: dict[str, Model] = field(default_factory=dict)
    names: list[str] | None = None


_LABS: OrderedDict[str, IntentDocs] = OrderedDict()
_LABS_KEPT = 4  # tests create hundreds of labs; a process serves one or two
_LABS_LOCK = threading.Lock()


def intent_docs(lab_id: str | None) -> IntentDocs:
    """The shared documents of one lab (by its id, which a re-initialised lab changes)."""
    if lab_id is None:
        return IntentDocs()
    with _LABS_LOCK:
        docs = _LABS.get(lab_id)
        if docs is None:
            docs = _LABS[lab_id] = IntentDocs()
            while len(_LABS) > _LABS_KEPT:
                _LABS.popitem(last=False)
        else:
            _LABS.move_to_end(lab_id)
        return docs
