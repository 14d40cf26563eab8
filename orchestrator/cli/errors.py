"""Which exceptions are a user's mistake (one `Error:` line) rather than a bug (a traceback)."""

from __future__ import annotations

import importlib

# (module, class) pairs, imported lazily so that `netorch --help` stays fast.
_USER_ERRORS: list[tuple[str, str]] = [
    ("orchestrator.config", "ConfigError"),
    ("netlab.errors", "LabError"),
    ("audit.errors", "AuditError"),
    ("orchestrator.intake.errors", "IntakeError"),
    ("evals.errors", "EvalError"),
    ("guardrails.errors", "GuardrailError"),
    ("mcp_servers.errors", "McpSetupError"),
    ("orchestrator.runs.errors", "RunError"),
    ("agent.errors", "AgentError"),
    ("orchestrator.router", "RouterError"),
]


def user_error_types() -> tuple[type[BaseException], ...]:
    """The exception classes that the CLI reports as `Error: <message>` with exit code 1."""
    found: list[type[BaseException]] = []
    for module_name, class_name in _USER_ERRORS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, class_name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)
