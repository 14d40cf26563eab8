"""Errors raised by the agent package.

Exception tree::

    AgentError                base; the message is one line naming the bad value
    ├── BadTrigger            an alert, question or incident cannot be turned into an Incident
    ├── UnknownModel          no model backend is registered under that name
    ├── ModelConfigError      a backend's options are invalid (missing key, bad script file...)
    ├── ModelError            a backend failed while producing a turn (API down, script exhausted)
    └── InvestigationStopped  the run was cancelled: the investigation stopped before its next step

Tool failures are never raised: they come back from the gateway as values and the model sees them.
A ModelError ends the investigation with an escalation rather than a traceback.
"""

from __future__ import annotations

__all__ = ["AgentError", "BadTrigger", "InvestigationStopped", "ModelConfigError", "ModelError", "UnknownModel"]


class AgentError(Exception):
    """Base of every agent error; its message is shown to the user as one line."""


class BadTrigger(AgentError):
    """The trigger (alert payload, question, incident) is malformed."""


class UnknownModel(AgentError):
    """No model backend is registered under the requested name."""


class ModelConfigError(AgentError):
    """A model backend's options are invalid."""


class ModelError(AgentError):
    """A model backend could not produce a turn."""


class InvestigationStopped(AgentError):
    """The investigation's run was cancelled: it stopped before its next step or tool call."""
