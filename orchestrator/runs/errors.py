"""Errors of the run store and service; each message names the bad value::

RunError                 base: a run operation a user asked for cannot be done
├── UnknownRun           no run with that id
├── InvalidTransition    the run's state machine forbids the change (e.g. cancel a finished run)
├── RunLeased            another live process executes the run (its owner lease has not lapsed)
└── UnknownWorkflow      no workflow definition has that name
"""

from __future__ import annotations

__all__ = ["InvalidTransition", "RunError", "RunLeased", "UnknownRun", "UnknownWorkflow"]


class RunError(Exception):
    """A run operation cannot be done; the message names the run and why."""


class UnknownRun(RunError):
    """No run has the given id."""


class InvalidTransition(RunError):
    """The run's state machine does not allow the requested status change."""


class RunLeased(RunError):
    """Another live owner holds the run's lease, so driving it here would run it twice."""


class UnknownWorkflow(RunError):
    """No workflow definition has that name."""
