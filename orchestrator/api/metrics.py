"""netorch's own Prometheus metrics, written as exposition text by hand.

``prometheus_client`` is not a dependency, and what we export is small: counters kept in this
process (webhook deliveries, HTTP requests) plus gauges read from the stores at scrape time (runs by
status, approvals pending and their wait, intake rows and duplicate deliveries, tool calls).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestrator.intake.frontdoor import FrontDoor

__all__ = ["Metrics"]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


class Metrics:
    """In-process counters plus a renderer that adds gauges read from the stores."""

    def __init__(self) -> None:
        self.webhooks: Counter[tuple[str, str]] = Counter()  # (source, outcome)
        self.http: Counter[tuple[str, str]] = Counter()  # (method, status class)

    def webhook(self, source: str, outcome: str, n: int = 1) -> None:
        """Count a webhook delivery outcome (accepted, duplicate, malformed, unauthorized, error)."""
        self.webhooks[(source, outcome)] += n

    def render(self, door: FrontDoor | None) -> str:
        """The exposition text for ``GET /metrics``."""
        out: list[str] = []
        _family(
            out,
            "netorch_webhook_deliveries_total",
            "counter",
            "Webhook deliveries by source and outcome since this process started.",
            [({"source": s, "outcome": o}, n) for (s, o), n in sorted(self.webhooks.items())],
        )
        _family(
            out,
            "netorch_http_requests_total",
            "counter",
            "HTTP requests by method and status class since this process started.",
            [({"method": m, "code": c}, n) for (m, c), n in sorted(self.http.items())],
        )
        if door is not None:
            self._stores(door, out)
        return "\n".join(out) + "\n"

    def _stores(self, door: FrontDoor, out: list[str]) -> None:
        from orchestrator.runs import RunStatus

        rows: Counter[tuple[str, str]] = Counter()
        dups: Counter[str] = Counter()
        for (source, status), (n, deliveries) in door.store.counts().items():
            rows[(source, status)] += n
            dups[source] += deliveries - n
        _family(
            out,
            "netorch_intake_rows",
            "gauge",
            "Accepted triggers by source and status (accepted = not started yet).",
            [({"source": s, "status": st}, n) for (s, st), n in sorted(rows.items())],
        )
        _family(
            out,
            "netorch_intake_duplicate_deliveries",
            "gauge",
            "Deliveries that matched an already accepted trigger (deduplicated), by source.",
            [({"source": s}, n) for s, n in sorted(dups.items())],
        )
        _family(
            out,
            "netorch_runs",
            "gauge",
            "Runs by status.",
            [({"status": s.value}, len(door.runs.list_runs(status=s, limit=1_000_000))) for s in RunStatus],
        )
        now = time.time()
        pending = door.approvals.list(now, status="pending")
        oldest = max((now - a.created_at for a in pending), default=0.0)
        _family(
            out, "netorch_approvals_pending", "gauge", "Approval requests waiting for a human.", [({}, len(pending))]
        )
        _family(
            out,
            "netorch_approval_oldest_wait_seconds",
            "gauge",
            "How long the oldest pending approval has waited.",
            [({}, round(oldest, 3))],
        )
        tools: Counter[tuple[str, str]] = Counter()
        for record in door.audit.records(kind="tool.result"):
            payload = getattr(record, "payload", None) or {}
            tools[(str(payload.get("tool", "?")), "ok" if payload.get("ok") else "error")] += 1
        _family(
            out,
            "netorch_tool_calls_total",
            "counter",
            "Tool calls by tool and result (read from the audit log).",
            [({"tool": t, "result": r}, n) for (t, r), n in sorted(tools.items())],
        )


def _family(
    out: list[str], name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, str], float]]
) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        out.append(f"{name}{_labels(sorted(labels.items()))} {value:g}")
