"""Tool calls are read back from a real audit log holding records built by the gateway's own builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit import AuditRecord
from evals.audit_view import tool_calls
from guardrails.caller import Caller
from guardrails.decision import Decision
from guardrails.records import call_entry, decision_entry, result_entry
from orchestrator.audit_wiring import open_audit_log
from orchestrator.config import Settings

AGENT = Caller(id="agent", kind="agent")


def _log(home: Path, *batches: list[dict[str, Any]]) -> list[AuditRecord]:
    """Append each batch in one transaction to a real audit log, as the gateway does, and read it back."""
    log = open_audit_log(Settings(home=str(home)))
    try:
        for batch in batches:
            log.append_many(batch)
        return log.records()
    finally:
        log.close(checkpoint=False)


def _decision(outcome: str, access: str = "read", targets: tuple[str, ...] = (), code: str | None = None) -> Decision:
    return Decision(outcome, "rule", "why", "hash", access, targets, error_code=code)  # type: ignore[arg-type]


def _result(tool: str, ok: bool, code: str | None = None) -> dict[str, Any]:
    return result_entry(AGENT, "r-1", tool, ok=ok, error_code=code, duration_ms=1.0, summary="s")


def test_reads_writes_refusals_and_a_missing_result(tmp_path: Path) -> None:
    read = "get_interface_state"
    job = {"template": "clear_err_disable", "limit": ["b-acc-03"], "extra_vars": {"interface": "Ethernet7"}}
    core = {"template": "restore_intended_config", "limit": ["core-*"]}
    records = _log(
        tmp_path,
        [
            call_entry(AGENT, "r-1", read, "observability", {"device": "b-acc-03"}),
            decision_entry(AGENT, "r-1", read, _decision("allow")),
            _result(read, True),
        ],
        # a write: call and decision first, the result only after the server answered
        [
            call_entry(AGENT, "r-1", "launch_job", "executor", job),
            decision_entry(AGENT, "r-1", "launch_job", _decision("allow", "write", ("b-acc-03",))),
        ],
        [
            call_entry(AGENT, "r-1", "launch_job", "executor", core),
            decision_entry(
                AGENT, "r-1", "launch_job", _decision("deny", "write", ("core-01", "core-02"), "denied_by_policy")
            ),
            _result("launch_job", False, "denied_by_policy"),
        ],
        [_result("launch_job", True)],
        [
            call_entry(AGENT, "r-1", read, "observability", {"device": "b-acc-04"}),
            decision_entry(AGENT, "r-1", read, _decision("allow")),
        ],
    )
    calls = tool_calls(records)
    assert [(c.seq, c.tool, c.write, c.outcome, c.audited) for c in calls] == [
        (1, read, False, "ok", True),
        (4, "launch_job", True, "ok", True),
        (6, "launch_job", True, "denied", True),
        (10, read, False, "error", False),
    ]
    write, denied = calls[1], calls[2]
    assert write.executed_write and write.template == "clear_err_disable" and write.devices == ["b-acc-03"]
    assert denied.blocked and not denied.executed_write and denied.devices == ["core-01", "core-02"]
    assert denied.error_code == "denied_by_policy" and write.caller == "agent:agent"


def test_forced_dry_run_is_not_an_executed_write(tmp_path: Path) -> None:
    entry = call_entry(AGENT, "r-1", "launch_job", "executor", {"template": "vlan_create", "limit": ["a-acc-01"]})
    entry["payload"]["sent_arguments"] = {**entry["payload"]["arguments"], "dry_run": True}
    records = _log(
        tmp_path,
        [
            entry,
            decision_entry(AGENT, "r-1", "launch_job", _decision("allow", "write", ("a-acc-01",))),
            _result("launch_job", True),
        ],
    )
    (call,) = tool_calls(records)
    assert call.outcome == "ok" and call.write and not call.executed_write
