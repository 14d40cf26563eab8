"""A decided approval resumes the run waiting on it, whatever its kind and whichever door decided it."""

from __future__ import annotations

from api_harness import Server, park_waiting_run, wait_for_status

from orchestrator.runs import RunKind, RunStatus


def test_an_approval_decided_over_the_api_resumes_the_waiting_investigation(server: Server) -> None:
    run_id, approval_id = park_waiting_run(server.door)
    assert server.door.runs.get(run_id).kind is RunKind.INVESTIGATION
    with server.client("boss") as c:
        decided = c.post(f"/v1/approvals/{approval_id}", json={"decision": "approve", "comment": "go"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    run = wait_for_status(server.door, run_id, RunStatus.SUCCEEDED)
    assert run.outcome == {"result": "succeeded"}


def test_a_rejection_resumes_it_too_so_the_run_can_end(server: Server) -> None:
    run_id, approval_id = park_waiting_run(server.door, "b-acc-04 is down")
    with server.client("boss") as c:
        assert c.post(f"/v1/approvals/{approval_id}", json={"decision": "reject"}).status_code == 200
    # The stand-in run body ends as it would after any decision; the real agent reads the rejection.
    wait_for_status(server.door, run_id, RunStatus.SUCCEEDED)
