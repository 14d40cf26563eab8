"""Durable intake of triggers: every webhook, queue message, schedule fire and API start is
committed to the intake store before it is acknowledged, deduplicated by its key, then started."""

from orchestrator.intake.alertmanager import ALERTMANAGER, AlertBatch, AlertmanagerPayload, parse_alertmanager
from orchestrator.intake.dispatcher import Ignored, IntakeDispatcher, Starter, StartRejected, Submitted
from orchestrator.intake.errors import IdempotencyConflict, IntakeError, IntakeStorageError, PayloadError
from orchestrator.intake.itsm import ITSM, ChangeEvent, parse_itsm
from orchestrator.intake.store import AcceptOutcome, IntakeItem, IntakeRow, IntakeStore, SqliteIntakeStore

__all__ = [
    "ALERTMANAGER",
    "ITSM",
    "AcceptOutcome",
    "AlertBatch",
    "AlertmanagerPayload",
    "ChangeEvent",
    "IdempotencyConflict",
    "Ignored",
    "IntakeDispatcher",
    "IntakeError",
    "IntakeItem",
    "IntakeRow",
    "IntakeStorageError",
    "IntakeStore",
    "PayloadError",
    "SqliteIntakeStore",
    "StartRejected",
    "Starter",
    "Submitted",
    "parse_alertmanager",
    "parse_itsm",
]
