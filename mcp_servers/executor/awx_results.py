"""AWX jobs, host summaries and job events → netorch's Job and per-device results.

How AWX's answers are read (shapes from ``awx/api/serializers.py``: JobSerializer,
JobHostSummarySerializer, JobEventSerializer; event types from ``awx/main/models/events.py``):

* job status ``new``/``pending``/``waiting`` → pending; ``running`` → running; ``successful``,
  ``failed``, ``canceled`` as they are; ``error`` (AWX could not run the job) → failed, with the
  job's ``job_explanation`` as the error. AWX marks a job finished before its events are saved, so
  netorch calls it finished only once ``event_processing_finished`` is true (or a settle time passed).
* a host with a summary: ``failed`` → failed, else ok; ``changed > 0`` → changed. ``dark > 0``
  (unreachable) is transient; a task failure is permanent unless its message looks like a timeout or
  a dropped connection (``transient_patterns`` adds more).
* a host without a summary: pending/running while the job runs; on a canceled job, skipped if no
  task started on it, else failed (transient, applied unknown: it was cut off mid-way); on an
  ``error`` job, failed (transient); on a job that otherwise finished, skipped (AWX ran nothing on it:
  not in the inventory, or no task matched).
* diffs come from the host's changed events (``event_data.res.diff``: ``prepared`` text, or
  ``before``/``after``, also inside loop ``results``); errors from its failed events (``res.msg``).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_servers.executor.models import Applied, DeviceResult, DeviceStatus, Job, JobCounts, JobStatus

__all__ = [
    "AWX_SETTLED",
    "HostFacts",
    "Outcome",
    "build_job",
    "classify",
    "counts_of",
    "device_result",
    "event_diff",
    "event_error",
    "host_status",
    "job_status",
    "limit_hosts",
    "parse_extra_vars",
]

AWX_SETTLED = frozenset({"successful", "failed", "error", "canceled"})
_AWX_PENDING = frozenset({"new", "pending", "waiting"})

TRANSIENT_PATTERNS = (
    r"tim(ed|e)\s?out",
    r"connection (reset|refused|closed|lost)",
    r"unable to (open shell|connect)",
    r"no route to host",
    r"broken pipe",
    r"temporarily unavailable",
    r"persistent connection",
    r"host is unreachable",
)
_PATTERN_CHARS = re.compile(r"[,:!&*?\[\]~@\s]")
_MAX_ERROR = 500

ErrorClass = Literal["transient", "permanent"]


@dataclass(frozen=True)
class Outcome:
    """What netorch says about one host of a job, before its events are read."""

    status: DeviceStatus
    changed: bool = False
    error: str | None = None
    error_class: ErrorClass | None = None
    applied: Applied = "no"


@dataclass
class HostFacts:
    """The events read for one host: whether a task changed it, the diffs, and its first failure."""

    changed: bool = False
    diffs: list[str] = field(default_factory=list)
    failure: dict[str, Any] | None = None


def job_status(awx: dict[str, Any], *, settled: bool) -> JobStatus:
    """netorch's status of an AWX job; ``settled``: AWX has saved every event (or we stopped waiting)."""
    status = str(awx.get("status", ""))
    if status in _AWX_PENDING:
        return "pending"
    if status not in AWX_SETTLED or not settled:
        return "running"
    if status == "error":
        return "failed"
    return status  # type: ignore[return-value]  # successful, failed, canceled: the same words


def limit_hosts(limit: str) -> list[str] | None:
    """The hosts of a ``limit`` netorch wrote (a comma list of names); None for a real host pattern."""
    names = [part.strip() for part in limit.split(",") if part.strip()]
    if not names or any(_PATTERN_CHARS.search(name) for name in names):
        return None
    return list(dict.fromkeys(names))


def parse_extra_vars(raw: Any) -> dict[str, Any]:
    """A job's ``extra_vars`` (AWX returns a JSON string; survey passwords show as ``$encrypted$``)."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def classify(message: str, patterns: Sequence[re.Pattern[str]]) -> ErrorClass:
    """transient when the message looks like a timeout or a dropped connection, else permanent."""
    return "transient" if any(p.search(message) for p in patterns) else "permanent"


def host_status(
    awx: dict[str, Any],
    summary: dict[str, Any] | None,
    *,
    settled: bool,
    started: bool,
    dry_run: bool,
) -> Outcome:
    """The outcome of one host from its summary (if any), the job and whether a task started on it."""
    status = str(awx.get("status", ""))
    if summary is not None:
        changed = int(summary.get("changed") or 0) > 0
        if summary.get("failed"):
            unreachable = int(summary.get("dark") or 0) > 0
            applied: Applied = "no" if dry_run or (unreachable and not changed) else "unknown"
            return Outcome(
                "failed",
                changed=changed,
                error="unreachable" if unreachable else "failed",
                error_class="transient" if unreachable else "permanent",
                applied=applied,
            )
        return Outcome("ok", changed=changed, applied="yes" if changed and not dry_run else "no")
    if not settled:
        if status in _AWX_PENDING:
            return Outcome("pending")
        return Outcome("running", applied="no" if dry_run else "unknown")
    if status == "canceled":
        if started:
            return Outcome(
                "failed",
                error="job canceled while this host was being changed",
                error_class="transient",
                applied="no" if dry_run else "unknown",
            )
        return Outcome("skipped", error="job canceled before this host started")
    if status == "error":
        why = str(awx.get("job_explanation") or "AWX could not run the job")
        return Outcome("failed", error=f"job error: {why}"[:_MAX_ERROR], error_class="transient")
    if str(awx.get("status")) in AWX_SETTLED and not awx.get("event_processing_finished", True):
        return Outcome(
            "failed",
            error="AWX finished the job but did not save this host's result in time",
            error_class="transient",
            applied="no" if dry_run else "unknown",
        )
    return Outcome("skipped", error="AWX ran nothing on this host (not in the inventory, or no task matched it)")


def event_diff(event: dict[str, Any]) -> str | None:
    """The unified diff a changed event carries, if any."""
    res = _res(event)
    parts = [_render_diff(res.get("diff"))]
    for item in res.get("results") or []:
        if isinstance(item, dict):
            parts.append(_render_diff(item.get("diff")))
    text = "".join(p for p in parts if p)
    return text or None


def _render_diff(diff: Any) -> str:
    if isinstance(diff, list):
        return "".join(_render_diff(d) for d in diff)
    if not isinstance(diff, dict):
        return ""
    prepared = diff.get("prepared")
    if isinstance(prepared, str) and prepared:
        return prepared if prepared.endswith("\n") else prepared + "\n"
    before, after = diff.get("before"), diff.get("after")
    if isinstance(before, str) and isinstance(after, str) and before != after:
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=str(diff.get("before_header") or "before"),
            tofile=str(diff.get("after_header") or "after"),
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return ""


def event_error(event: dict[str, Any]) -> str:
    """One line: the failed task and AWX's message for it."""
    res = _res(event)
    message = res.get("msg") or res.get("stderr") or res.get("reason")
    if not message:
        items = [r.get("msg") for r in res.get("results") or [] if isinstance(r, dict) and r.get("failed")]
        message = "; ".join(str(m) for m in items if m)
    if not message:
        message = "unreachable" if event.get("event") == "runner_on_unreachable" else "task failed"
    task = event.get("task") or (event.get("event_data") or {}).get("task") or ""
    text = f"{task}: {message}" if task else str(message)
    return text.replace("\n", " ")[:_MAX_ERROR]


def _res(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("event_data")
    res = data.get("res") if isinstance(data, dict) else None
    return res if isinstance(res, dict) else {}


def device_result(
    device: str, outcome: Outcome, facts: HostFacts | None, patterns: Sequence[re.Pattern[str]]
) -> DeviceResult:
    """The DeviceResult of one host: its outcome refined by its events (diff, error and its class)."""
    error, error_class = outcome.error, outcome.error_class
    diff = ("".join(facts.diffs) or None) if facts else None
    if facts is not None and facts.failure is not None and outcome.status == "failed":
        error = event_error(facts.failure)
        unreachable = facts.failure.get("event") == "runner_on_unreachable"
        error_class = "transient" if unreachable else classify(error, patterns)
    return DeviceResult(
        device=device,
        status=outcome.status,
        changed=outcome.changed or bool(facts and facts.changed),
        diff=diff,
        error=error,
        error_class=error_class if outcome.status == "failed" else None,
        replayed=False,
        applied=outcome.applied,
    )


def counts_of(outcomes: Iterable[Outcome]) -> JobCounts:
    """How many hosts are in each state."""
    counts = JobCounts()
    for outcome in outcomes:
        setattr(counts, outcome.status, getattr(counts, outcome.status) + 1)
        counts.changed += int(outcome.changed)
    return counts


def build_job(
    awx: dict[str, Any],
    *,
    template: str,
    devices: list[str],
    counts: JobCounts,
    settled: bool,
    idempotency_key: str | None,
    replayed: bool = False,
) -> Job:
    """netorch's Job for an AWX job."""
    status = job_status(awx, settled=settled)
    error = awx.get("job_explanation") or None
    if awx.get("status") == "error" and not error:
        error = "AWX could not run the job (status error)"
    return Job(
        id=int(awx["id"]),
        template=template,
        status=status,
        finished=status in ("successful", "failed", "canceled"),
        limit=devices,
        extra_vars=parse_extra_vars(awx.get("extra_vars")),
        dry_run=awx.get("job_type") == "check",
        idempotency_key=idempotency_key,
        created_at=str(awx.get("created") or ""),
        finished_at=str(awx["finished"]) if awx.get("finished") and status != "running" else None,
        counts=counts,
        error=str(error)[:_MAX_ERROR] if error else None,
        replayed=replayed,
    )
