"""Runs: the record of every workflow or investigation, its state machine, store and service."""

from orchestrator.runs.errors import InvalidTransition, RunError, RunLeased, UnknownRun
from orchestrator.runs.model import (
    ACTIVE,
    TERMINAL,
    DefinitionPin,
    DeviceState,
    Run,
    RunFailure,
    RunKind,
    RunStatus,
    StepState,
    Trigger,
)
from orchestrator.runs.service import ANNOTATIONS, AuditWriter, RunService, StartResult
from orchestrator.runs.sqlite_store import SqliteRunStore
from orchestrator.runs.store import LeaseState, RunStore

__all__ = [
    "ACTIVE",
    "ANNOTATIONS",
    "TERMINAL",
    "AuditWriter",
    "DefinitionPin",
    "DeviceState",
    "InvalidTransition",
    "LeaseState",
    "Run",
    "RunError",
    "RunFailure",
    "RunKind",
    "RunLeased",
    "RunService",
    "RunStatus",
    "RunStore",
    "SqliteRunStore",
    "StartResult",
    "StepState",
    "Trigger",
    "UnknownRun",
]
