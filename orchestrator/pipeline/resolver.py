"""Which definition a run gets: the seam between the workflow runner and the registry.

A new run asks ``for_new_run`` (stable, unless a canary or an explicit version says otherwise) and
is pinned to the answer; a stored run asks ``for_run``, which returns exactly the version it was
pinned to, whatever is stable now. ``StaticDefinitions`` is the fixed set a test (or an embedding)
hands the runtime: one version per workflow, no states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from dag_fallback.definition import WorkflowDefinition
from orchestrator.runs.errors import InvalidTransition, UnknownWorkflow
from orchestrator.runs.model import DefinitionPin, Run

__all__ = ["DefinitionResolver", "StaticDefinitions", "pin_of"]


def pin_of(definition: WorkflowDefinition, route: str) -> DefinitionPin:
    """The pin a run started on ``definition`` keeps."""
    return DefinitionPin(
        semver=definition.semver,
        content_hash=definition.content_hash,
        source=definition.source,
        commit=definition.commit,
        origin=definition.origin,
        route=route,
    )


class DefinitionResolver(Protocol):
    """Definitions for new runs and for runs that resume."""

    def versions(self) -> dict[str, str]:
        """Startable workflows and the version a new run of each gets by default."""
        ...

    def for_new_run(
        self, name: str, params: Mapping[str, Any], *, version: str | None = None
    ) -> tuple[WorkflowDefinition, DefinitionPin]:
        """The definition a new run uses and the pin it keeps (UnknownWorkflow naming the known ones)."""
        ...

    def for_run(self, run: Run) -> WorkflowDefinition:
        """The exact definition a stored run was pinned to (InvalidTransition if it cannot be had here)."""
        ...


def unknown(name: str, known: Mapping[str, Any]) -> UnknownWorkflow:
    """The error for a workflow name nobody defines."""
    return UnknownWorkflow(f"unknown workflow '{name}' (known: {', '.join(sorted(known))})")


class StaticDefinitions:
    """One fixed definition per workflow name."""

    def __init__(self, definitions: Mapping[str, WorkflowDefinition]) -> None:
        self.definitions = dict(definitions)

    def versions(self) -> dict[str, str]:
        """Each workflow's one version."""
        return {name: d.version for name, d in sorted(self.definitions.items())}

    def for_new_run(
        self, name: str, params: Mapping[str, Any], *, version: str | None = None
    ) -> tuple[WorkflowDefinition, DefinitionPin]:
        """The definition of that name (and of that version, when asked)."""
        definition = self.definitions.get(name)
        if definition is None:
            raise unknown(name, self.definitions)
        if version is not None and version != definition.version:
            raise UnknownWorkflow(f"workflow {name} has no version {version} here (it has {definition.version})")
        return definition, pin_of(definition, "explicit" if version else "stable")

    def for_run(self, run: Run) -> WorkflowDefinition:
        """The definition of the run's name, if it is still the version the run started with."""
        definition = self.definitions.get(run.name)
        if definition is None:
            raise unknown(run.name, self.definitions)
        if run.version != definition.version:
            raise InvalidTransition(
                f"run '{run.id}' started with {run.name} {run.version}; this netorch has {definition.version}"
                " (resume it with the netorch version that started it)"
            )
        return definition
