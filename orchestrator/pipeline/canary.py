"""Canary rollout of a candidate: which new runs it gets, and the automatic halt.

A canary sends a share of new runs of a workflow to its candidate, or every run whose input names
one of its devices or locations (``device``, ``devices``, ``location``, ``service`` parameters).
The share is exact and deterministic, not random: of the first ``n`` new runs since the canary
started, ``floor(n × share)`` go to the candidate (share 0.25: runs 4, 8, 12...), counted in the
registry store, so it holds across processes and restarts.

When a canary run ends, its outcome is counted; once ``min_runs`` canary runs have ended and the
share that failed passes ``max_failure_rate``, the canary is halted: new runs go back to stable,
and the halt is recorded on the run that tipped it, in the audit log (``definition.canary_halted``)
and sent to the notifier.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from orchestrator.pipeline.errors import PromotionRefused
from orchestrator.runs.model import TERMINAL, Run, RunStatus

if TYPE_CHECKING:
    from dag_fallback.notify.base import Notifier
    from orchestrator.pipeline.registry import Registry
    from orchestrator.runs.service import RunService

__all__ = ["Canaries", "CanaryConfig", "takes_share"]

_SCOPE_PARAMS = ("device", "devices", "location", "service")


@dataclass(frozen=True)
class CanaryConfig:
    """How a canary routes runs and when it halts."""

    share: float = 0.0
    devices: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    max_failure_rate: float = 0.2
    min_runs: int = 3

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise PromotionRefused(f"canary share {self.share} must be between 0 and 1")
        if not 0.0 <= self.max_failure_rate < 1.0:
            raise PromotionRefused(f"canary max failure rate {self.max_failure_rate} must be at least 0 and below 1")
        if self.min_runs < 1:
            raise PromotionRefused(f"canary min runs {self.min_runs} must be at least 1")
        if self.share == 0 and not (self.devices or self.locations or self.services):
            raise PromotionRefused("a canary needs a share above 0, or devices, locations or services to route")

    def in_scope(self, params: Mapping[str, Any]) -> bool:
        """Whether the run's input names one of the canary's devices, locations or services."""
        named: set[str] = set()
        for key in _SCOPE_PARAMS:
            value = params.get(key)
            if isinstance(value, str):
                named.add(value)
            elif isinstance(value, list):
                named.update(str(v) for v in value)
        return bool(named & {*self.devices, *self.locations, *self.services})


def takes_share(seq: int, share: float) -> bool:
    """Whether the ``seq``-th new run (from 1) goes to the canary: exactly ``floor(n × share)`` of the first n do."""
    exact = Fraction(str(share))
    return math.floor(seq * exact) > math.floor((seq - 1) * exact)


class Canaries:
    """The canary of each workflow, on the registry's store."""

    def __init__(self, registry: Registry, *, clock: Callable[[], float] | None = None) -> None:
        self.registry = registry
        self._clock = clock or time.time

    def start(self, name: str, version: str, config: CanaryConfig, *, actor: str, reason: str) -> dict[str, Any]:
        """Route runs to a candidate; audited ``definition.canary_started``."""
        if not reason.strip():
            raise PromotionRefused("a canary needs a reason (--reason)")
        entry = self.registry.entry(name, version)
        if entry.state != "candidate":
            raise PromotionRefused(f"only a candidate can be a canary; {name} {entry.version} is {entry.state}")
        self.registry.definition(name, entry.version)
        store = self.registry.store
        with store.transaction() as db:
            store.put_canary(db, name, entry.version, asdict(config), actor)
        self.registry.note("definition.canary_started", actor, entry, {"config": asdict(config), "reason": reason})
        return self.status(name) or {}

    def stop(self, name: str, *, actor: str, why: str, only_version: str | None = None) -> bool:
        """End an active canary (promoted, rolled back, by hand); False when none was active."""
        store = self.registry.store
        with store.transaction() as db:
            record = store.canary(name, db)
            if record is None or record.status != "active":
                return False
            if only_version is not None and record.version != only_version:
                return False
            store.end_canary(db, name, "stopped")
        entry = self.registry.entry(name, record.version)
        self.registry.note("definition.canary_stopped", actor, entry, {"reason": why})
        return True

    def status(self, name: str) -> dict[str, Any] | None:
        """The canary of a workflow with its counts, or None."""
        store = self.registry.store
        record = store.canary(name)
        if record is None:
            return None
        with store.transaction() as db:
            ended, failed = store.canary_counts(db, name, record.version, record.started_at)
        return {
            "workflow": name,
            "version": record.version,
            "status": record.status,
            "config": record.config,
            "started_at": record.started_at,
            "by": record.actor,
            "new_runs_seen": record.seq,
            "canary_runs_ended": ended,
            "canary_runs_failed": failed,
            **({"halted": record.halted} if record.halted else {}),
        }

    def route(self, name: str, params: Mapping[str, Any]) -> str | None:
        """The candidate version a new run goes to, or None for stable; counts the run for the share."""
        store = self.registry.store
        with store.transaction() as db:
            record = store.canary(name, db)
            if record is None or record.status != "active":
                return None
            config = CanaryConfig(**record.config)
            if config.in_scope(params):
                return record.version
            if config.share <= 0:
                return None
            seq = store.next_seq(db, name)
            return record.version if takes_share(seq, config.share) else None

    async def after_run(self, run: Run, runs: RunService, notifier: Notifier | None) -> dict[str, Any] | None:
        """Count an ended canary run; halt the canary when its failure rate passes the threshold."""
        if run.pin is None or run.pin.route != "canary" or run.status not in TERMINAL:
            return None
        store = self.registry.store
        failed = run.status is not RunStatus.SUCCEEDED
        with store.transaction() as db:
            record = store.canary(run.name, db)
            if record is None or record.version != run.version:
                return None
            if not store.add_canary_run(db, run.id, run.name, run.version, failed):
                return None
            ended, failures = store.canary_counts(db, run.name, run.version, record.started_at)
            config = CanaryConfig(**record.config)
            rate = failures / ended
            if record.status != "active" or ended < config.min_runs or rate <= config.max_failure_rate:
                return None
            halted = {
                "run_id": run.id,
                "canary_runs_ended": ended,
                "canary_runs_failed": failures,
                "failure_rate": round(rate, 4),
                "max_failure_rate": config.max_failure_rate,
            }
            store.end_canary(db, run.name, "halted", halted)
        text = (
            f"canary of {run.name} {run.version} halted: {failures} of {ended} canary runs failed "
            f"({rate:.0%} > {config.max_failure_rate:.0%}); new runs go to the stable version"
        )
        entry = self.registry.entry(run.name, run.version)
        self.registry.note("definition.canary_halted", "netorch", entry, {**halted, "summary": text})
        runs.annotate(run.id, {"kind": "canary.halted", "summary": text, **halted})
        if notifier is not None:
            await _notify(notifier, run, text, halted, runs)
        return halted


async def _notify(notifier: Notifier, run: Run, text: str, halted: dict[str, Any], runs: RunService) -> None:
    from dag_fallback.notify.base import Notification, NotifyError

    note = Notification(
        run_id=run.id,
        workflow=run.name,
        result="canary_halted",
        title=f"{run.name}: canary of {run.version} halted",
        summary=text,
        severity="warning",
        details=halted,
    )
    try:
        receipt = await notifier.send(note)
        runs.note(run.id, "definition.canary_halt_notified", {"receipt": receipt})
    except NotifyError as exc:
        runs.note(run.id, "definition.canary_halt_notify_failed", {"error": str(exc)})
