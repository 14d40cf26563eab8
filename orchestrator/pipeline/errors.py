"""Errors of pipeline management; each message names the definition, version or source at fault."""

from __future__ import annotations

from orchestrator.runs.errors import RunError

__all__ = ["DefinitionUnavailable", "PipelineError", "PromotionRefused"]


class PipelineError(RunError):
    """A registry, source or definition problem a user can fix (shown as one ``Error:`` line)."""


class DefinitionUnavailable(PipelineError):
    """A version is known but its code cannot be loaded here (an installed version that was replaced)."""


class PromotionRefused(PipelineError):
    """A promotion, rollback or canary the registry's rules do not allow; says which rule."""
