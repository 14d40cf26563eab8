"""The incident agent: intake → sense → reason → act → verify → conclude, through the ToolGateway.

Others use (import the submodules directly; see docs/contracts.md)::

    from agent.investigation import Investigator, InvestigationResult
    from agent.models.registry import create_model            # heuristic | anthropic | scripted
    from agent.finding import Finding                          # the run's outcome
    from agent.taxonomy import RootCause                       # the fixed root-cause taxonomy
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.budgets import Budgets
    from agent.errors import AgentError, BadTrigger, ModelConfigError, ModelError, UnknownModel
    from agent.finding import Finding
    from agent.incident import Incident
    from agent.investigation import InvestigationResult, Investigator
    from agent.models.registry import MODEL_BACKENDS, create_model
    from agent.taxonomy import RootCause

# Loaded on first use (PEP 562): importing one submodule must not import the whole package.
_WHERE = {
    "Budgets": "agent.budgets",
    "AgentError": "agent.errors",
    "BadTrigger": "agent.errors",
    "ModelConfigError": "agent.errors",
    "ModelError": "agent.errors",
    "UnknownModel": "agent.errors",
    "Finding": "agent.finding",
    "Incident": "agent.incident",
    "InvestigationResult": "agent.investigation",
    "Investigator": "agent.investigation",
    "MODEL_BACKENDS": "agent.models.registry",
    "create_model": "agent.models.registry",
    "RootCause": "agent.taxonomy",
}


def __getattr__(name: str) -> Any:
    """Import a public name's submodule when the name is first used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'agent' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "MODEL_BACKENDS",
    "AgentError",
    "BadTrigger",
    "Budgets",
    "Finding",
    "Incident",
    "InvestigationResult",
    "Investigator",
    "ModelConfigError",
    "ModelError",
    "RootCause",
    "UnknownModel",
    "create_model",
]
