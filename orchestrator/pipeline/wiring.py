"""Build the registry of a netorch home from its settings (the composition root and the CLI use this)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from dag_fallback.definition import WorkflowDefinition
from orchestrator.config import Settings
from orchestrator.pipeline.gitsource import GitSource
from orchestrator.pipeline.registry import Registry
from orchestrator.pipeline.store import RegistryStore
from orchestrator.runs.service import AuditWriter

__all__ = ["git_sources", "open_registry"]


def git_sources(settings: Settings) -> list[GitSource]:
    """The configured git sources, exporting into ``<home>/definitions``."""
    cache = settings.home_path / "definitions"
    return [
        GitSource(repo=Path(s.repo).expanduser().resolve(), ref=s.ref, path=s.path.strip("/"), cache=cache)
        for s in settings.pipeline.sources
    ]


def open_registry(
    settings: Settings,
    audit: AuditWriter | None,
    *,
    package: Mapping[str, WorkflowDefinition] | None = None,
    sync: bool = True,
    clock: Callable[[], float] | None = None,
) -> Registry:
    """The registry over this home's store, the installed workflows and the configured git sources."""
    if package is None:
        from dag_fallback.workflows import WORKFLOWS

        package = WORKFLOWS
    store = RegistryStore(settings.data_path(settings.pipeline.db, "pipeline.db"))
    registry = Registry(
        store,
        package=package,
        git=git_sources(settings),
        audit=audit,
        require_tests=settings.pipeline.require_tests,
        clock=clock,
    )
    if sync:
        registry.sync()
    return registry
