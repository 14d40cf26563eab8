"""Pipeline management (chapter 7.2.5): versioned definitions from the package and git, a registry
with stable / candidate / retired states, promotion and definition rollback, canary and shadow runs,
dry-run plans."""

from orchestrator.pipeline.canary import Canaries, CanaryConfig
from orchestrator.pipeline.errors import DefinitionUnavailable, PipelineError, PromotionRefused
from orchestrator.pipeline.gitsource import GitSource
from orchestrator.pipeline.registry import Registry
from orchestrator.pipeline.resolver import DefinitionResolver, StaticDefinitions, pin_of
from orchestrator.pipeline.store import RegistryStore, VersionEntry
from orchestrator.pipeline.wiring import open_registry

__all__ = [
    "Canaries",
    "CanaryConfig",
    "DefinitionResolver",
    "DefinitionUnavailable",
    "GitSource",
    "PipelineError",
    "PromotionRefused",
    "Registry",
    "RegistryStore",
    "StaticDefinitions",
    "VersionEntry",
    "open_registry",
    "pin_of",
]
