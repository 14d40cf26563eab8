"""Errors raised by the eval harness.

Exception tree::

    EvalError               base; the message is one line naming the bad value
    ├── ScenarioError       a scenario file is missing, not YAML, or breaks the schema
    └── GateError           a ``--gate`` expression cannot be parsed or names an unknown metric

A trial that goes wrong (the agent crashes, the run never finishes) is not an exception: it is a
failed trial with its reason, so one bad scenario never aborts a suite.
"""

from __future__ import annotations

__all__ = ["EvalError", "GateError", "ScenarioError"]


class EvalError(Exception):
    """Base of every eval-harness error; its message is shown to the user as one line."""


class ScenarioError(EvalError):
    """A scenario file is missing, is not valid YAML, or breaks the scenario schema."""


class GateError(EvalError):
    """A gate expression is malformed or names a metric the report does not have."""
