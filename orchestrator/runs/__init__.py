"""Runs: the record of every workflow or investigation, its state machine, store and service."""

from orchestrator.runs.errors import InvalidTransition, RunError, UnknownRun
from orchestrator.runs.model import (
    ACTIVE,
    TERMINAL,
    DeviceState,
    Run,
    RunFailure,
    RunKind,
    RunStatus,
    StepState,
    Trigger,
)
from orchestrator.runs.service import AuditWriter, RunService, StartResult
from orchestrator.runs.sqlite_store import SqliteRunStore
from orchestrator.runs.store import RunStore

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "AuditWriter",
    "DeviceState",
    "InvalidTransition",
    "Run",
    "RunError",
    "RunFailure",
    "RunKind",
    "RunService",
    "RunStatus",
    "RunStore",
    "SqliteRunStore",
    "StartResult",
    "StepState",
    "Trigger",
    "UnknownRun",
]
