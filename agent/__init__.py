"""The incident agent: intake → sense → reason → act → verify → conclude, through the ToolGateway.

Others use (import the submodules directly; see docs/contracts.md)::

    from agent.investigation import Investigator, InvestigationResult
    from agent.models.registry import create_model            # heuristic | anthropic | scripted
    from agent.finding import Finding                          # the run's outcome
    from agent.taxonomy import RootCause                       # the fixed root-cause taxonomy
"""

from agent.budgets import Budgets
from agent.errors import AgentError, BadTrigger, ModelConfigError, ModelError, UnknownModel
from agent.finding import Finding
from agent.incident import Incident
from agent.investigation import InvestigationResult, Investigator
from agent.models.registry import MODEL_BACKENDS, create_model
from agent.taxonomy import RootCause

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
