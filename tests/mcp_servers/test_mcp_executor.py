"""Every Executor tool, in-memory against a real lab: jobs, per-device outcomes, idempotency, cancel."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from mcp_helpers import call, call_error

from mcp_servers.client import BlockClients, open_clients
from mcp_servers.errors import ErrorCode
from mcp_servers.spec import BlockSpec, LabSpec, ServersSpec

ACCESS_A = ["a-acc-01", "a-acc-02", "a-acc-03", "a-acc-04"]


async def run_job(clients: BlockClients, **launch: Any) -> dict[str, Any]:
    """Launch, wait, and return get_job's first page."""
    job = await call(clients, "launch_job", **launch)
    assert job["status"] in ("pending", "running")
    done = await call(clients, "wait_job", job_id=job["id"], timeout_s=30)
    assert done["finished"], done
    return await call(clients, "get_job", job_id=job["id"])


@pytest.fixture
def slow_spec(lab_db: Path) -> ServersSpec:
    """Device changes take ~50 ms each and run one at a time, so a job can be caught mid-way."""
    return ServersSpec(
        home=lab_db.parent,
        lab=LabSpec(db=lab_db, time_factor=0.5),
        executor=BlockSpec(options={"forks": 1}),
    )


async def test_templates_declare_their_vars(clients: BlockClients) -> None:
    templates = {t["name"]: t for t in (await call(clients, "list_job_templates"))["items"]}
    assert len(templates) == 7
    assert {v["name"]: v["required"] for v in templates["vlan_deploy"]["extra_vars"]} == {"vid": True, "name": False}
    assert [v["name"] for v in templates["interface_bounce"]["extra_vars"]] == ["interface"]


async def test_vlan_deploy_changes_every_target(clients: BlockClients) -> None:
    detail = await run_job(clients, template="vlan_deploy", limit=ACCESS_A, extra_vars={"vid": 120, "name": "cams"})
    job = detail["job"]
    assert job["status"] == "successful" and job["counts"]["ok"] == 4 and job["counts"]["changed"] == 4
    assert [r["device"] for r in detail["items"]] == ACCESS_A
    assert all(r["changed"] and "120" in r["diff"] for r in detail["items"])
    table = await call(clients, "get_vlan_table", device="a-acc-03")
    assert 120 in {v["vid"] for v in table["items"]}
    again = await run_job(clients, template="vlan_deploy", limit=ACCESS_A, extra_vars={"vid": 120, "name": "cams"})
    assert again["job"]["counts"]["changed"] == 0  # already there: a no-op, not a failure


async def test_dry_run_shows_the_diff_and_changes_nothing(clients: BlockClients) -> None:
    detail = await run_job(clients, template="vlan_deploy", limit=["b-acc-01"], extra_vars={"vid": 130}, dry_run=True)
    assert detail["job"]["dry_run"] and detail["items"][0]["changed"] and "130" in detail["items"][0]["diff"]
    table = await call(clients, "get_vlan_table", device="b-acc-01")
    assert 130 not in {v["vid"] for v in table["items"]}


@pytest.mark.parametrize(
    ("launch", "code", "fragment"),
    [
        (
            {"template": "vlan_deploy", "limit": ["a-acc-01", "b-acc-99"], "extra_vars": {"vid": 5}},
            "not_found",
            "b-acc-99",
        ),
        ({"template": "vlan_deploi", "limit": ["a-acc-01"]}, "not_found", "vlan_deploi"),
        ({"template": "vlan_deploy", "limit": ["a-acc-01"], "extra_vars": {"vid": 9999}}, "invalid_argument", "9999"),
        ({"template": "vlan_deploy", "limit": ["a-acc-01"]}, "invalid_argument", "'vid'"),
        (
            {"template": "interface_enable", "limit": ["a-acc-01"], "extra_vars": {"interface": "Gi7/7/7"}},
            "not_found",
            "Gi7/7/7",
        ),
        ({"template": "vlan_remove", "limit": [], "extra_vars": {"vid": 5}}, "invalid_argument", "limit"),
    ],
)
async def test_launch_validates_before_anything_runs(
    clients: BlockClients, launch: dict[str, Any], code: str, fragment: str
) -> None:
    got_code, message = await call_error(clients, "launch_job", **launch)
    assert got_code == code and fragment in message
    missing, _ = await call_error(clients, "get_job", job_id=1)
    assert missing is ErrorCode.NOT_FOUND  # nothing was recorded


async def test_a_failing_device_is_a_result_not_an_error(clients: BlockClients, lab: Any) -> None:
    lab.inject("push_fails", device="a-acc-02", mode="transient", count=0)
    lab.inject("push_fails", device="a-acc-03", mode="permanent")
    detail = await run_job(clients, template="vlan_deploy", limit=ACCESS_A, extra_vars={"vid": 140})
    assert detail["job"]["status"] == "failed"
    by_device = {r["device"]: r for r in detail["items"]}
    assert by_device["a-acc-01"]["status"] == "ok" and by_device["a-acc-04"]["status"] == "ok"
    assert by_device["a-acc-02"]["status"] == "failed" and by_device["a-acc-02"]["error_class"] == "transient"
    assert by_device["a-acc-03"]["error_class"] == "permanent" and by_device["a-acc-03"]["error"]
    failed_only = await call(clients, "get_job", job_id=detail["job"]["id"], status="failed")
    assert {r["device"] for r in failed_only["items"]} == {"a-acc-02", "a-acc-03"}


async def test_relaunch_with_the_same_key_returns_the_first_job(clients: BlockClients) -> None:
    launch = {
        "template": "vlan_deploy",
        "limit": ACCESS_A[:2],
        "extra_vars": {"vid": 150},
        "idempotency_key": "run-7/s1",
    }
    first = await run_job(clients, **launch)
    again = await call(clients, "launch_job", **launch)
    assert again["id"] == first["job"]["id"] and again["replayed"] and again["status"] == "successful"
    assert not first["job"]["replayed"] and not any(r["replayed"] for r in first["items"])
    assert all(r["applied"] == "yes" for r in first["items"])


async def test_interface_templates(clients: BlockClients, lab: Any) -> None:
    fault = lab.inject("err_disabled", device="a-acc-01")
    detail = await run_job(
        clients, template="clear_err_disable", limit=["a-acc-01"], extra_vars={"interface": fault.interface}
    )
    assert detail["job"]["status"] == "successful"
    state = await call(clients, "get_interface_state", device="a-acc-01", interface=fault.interface)
    assert state["items"][0]["oper_status"] == "up"
    bounce = await run_job(clients, template="interface_bounce", limit=["a-acc-02"], extra_vars={"interface": "Et49"})
    assert bounce["job"]["status"] == "successful", bounce["items"]
    admin = lab.inject("admin_down", device="b-acc-01")
    enable = await run_job(
        clients, template="interface_enable", limit=["b-acc-01"], extra_vars={"interface": admin.interface}
    )
    assert enable["items"][0]["changed"]


async def test_restore_and_rollback(clients: BlockClients, lab: Any) -> None:
    lab.inject("config_drift", device="a-acc-04")
    restore = await run_job(clients, template="restore_intended_config", limit=["a-acc-04"])
    assert restore["job"]["status"] == "successful" and restore["items"][0]["changed"]
    report = await call(clients, "check_compliance", devices=["a-acc-04"])
    assert report["noncompliant"] == 0
    await run_job(clients, template="vlan_deploy", limit=["a-acc-04"], extra_vars={"vid": 160})
    back = await run_job(clients, template="rollback_config", limit=["a-acc-04"], extra_vars={"version": 1})
    assert back["job"]["status"] == "successful" and "160" in back["items"][0]["diff"]


async def test_get_job_pages_results(clients: BlockClients) -> None:
    devices = [d["name"] for d in (await call(clients, "list_devices"))["items"]]
    detail = await run_job(clients, template="vlan_deploy", limit=devices, extra_vars={"vid": 170})
    page = await call(clients, "get_job", job_id=detail["job"]["id"], limit=5, offset=10)
    assert page["total"] == 14 and [r["device"] for r in page["items"]] == devices[10:14]
    assert page["next_offset"] is None and len(detail["items"]) == 14


async def test_cancel_skips_devices_not_started(slow_spec: ServersSpec) -> None:
    async with open_clients(slow_spec) as clients:
        devices = [d["name"] for d in (await call(clients, "list_devices"))["items"]]
        job = await call(clients, "launch_job", template="vlan_deploy", limit=devices, extra_vars={"vid": 180})
        peek = await call(clients, "wait_job", job_id=job["id"], timeout_s=0)
        assert not peek["finished"]
        await call(clients, "cancel_job", job_id=job["id"])
        done = await call(clients, "wait_job", job_id=job["id"], timeout_s=30)
        assert done["status"] == "canceled" and done["counts"]["skipped"] >= 10
        assert done["counts"]["ok"] + done["counts"]["skipped"] == 14
        again = await call(clients, "cancel_job", job_id=job["id"])  # idempotent
        assert again["status"] == "canceled"


async def test_cancel_a_finished_job_is_an_error(clients: BlockClients) -> None:
    detail = await run_job(clients, template="vlan_remove", limit=["a-acc-01"], extra_vars={"vid": 999})
    code, message = await call_error(clients, "cancel_job", job_id=detail["job"]["id"])
    assert code is ErrorCode.INVALID_ARGUMENT and "already finished" in message


async def test_a_job_outlives_nothing_but_is_never_left_running(slow_spec: ServersSpec) -> None:
    """Stopping the server mid-job fails it honestly; a re-launch with the key continues it, replaying what finished."""
    launch = {"template": "vlan_deploy", "limit": ACCESS_A, "extra_vars": {"vid": 190}, "idempotency_key": "run-9"}
    async with open_clients(slow_spec) as clients:
        job = await call(clients, "launch_job", **launch)
        await call(clients, "wait_job", job_id=job["id"], timeout_s=0.125)
    assert gc.get_freeze_count() == 0  # the stopped job gave the garbage collector back
    async with open_clients(slow_spec) as clients:
        stopped = await call(clients, "get_job", job_id=job["id"])
        assert stopped["job"]["status"] == "failed" and "executor stopped" in stopped["job"]["error"]
        done = [r["device"] for r in stopped["items"] if r["status"] == "ok"]
        assert 0 < len(done) < 4
        rerun = await run_job(clients, **launch)  # the interrupted job is continued by a new one
        assert rerun["job"]["id"] != job["id"] and not rerun["job"]["replayed"]
        replayed = {r["device"] for r in rerun["items"] if r["replayed"]}
        assert replayed == set(done) and rerun["job"]["status"] == "successful"
        assert all(r["applied"] == "yes" for r in rerun["items"])  # replays included: undo must cover them


async def test_the_executor_works_while_the_sot_is_down(clients: BlockClients, lab: Any) -> None:
    lab.inject("sot_unavailable")
    detail = await run_job(clients, template="vlan_deploy", limit=["a-acc-01"], extra_vars={"vid": 220})
    assert detail["job"]["status"] == "successful"
    code, message = await call_error(
        clients, "launch_job", template="vlan_deploy", limit=["a-acc-01", "a-acc-42"], extra_vars={"vid": 220}
    )
    assert code is ErrorCode.NOT_FOUND and "a-acc-42" in message
    restore = await run_job(clients, template="restore_intended_config", limit=["a-acc-01"])
    item = restore["items"][0]
    assert item["status"] == "failed" and item["error_class"] == "transient", item
    assert "source of truth unavailable" in item["error"]


async def test_a_failed_device_is_retried_under_a_new_key_not_the_same(clients: BlockClients, lab: Any) -> None:
    """The same key returns the stored result, even a failure; a retry key really changes the device."""
    lab.inject("push_fails", device="a-acc-02", mode="transient", count=1)
    launch = {"template": "vlan_deploy", "limit": ACCESS_A[:2], "extra_vars": {"vid": 230}, "idempotency_key": "r-1"}
    first = await run_job(clients, **launch)
    failed = {r["device"]: r for r in first["items"]}["a-acc-02"]
    assert (failed["status"], failed["error_class"], failed["applied"]) == ("failed", "transient", "no")
    assert 230 not in {v.vid for v in lab.vlan_table("a-acc-02")}
    again = await call(clients, "launch_job", **launch)
    assert again["id"] == first["job"]["id"] and again["status"] == "failed"  # not re-run, not made a success
    retry = await run_job(clients, **{**launch, "limit": ["a-acc-02"], "idempotency_key": "r-1/retry-1"})
    retried = retry["items"][0]
    outcome = (retried["status"], retried["replayed"], retried["changed"], retried["applied"])
    assert outcome == ("ok", False, True, "yes")
    assert "+vlan 230" in retried["diff"] and 230 in {v.vid for v in lab.vlan_table("a-acc-02")}


async def test_the_garbage_collector_is_given_back_after_every_job(clients: BlockClients) -> None:
    await run_job(clients, template="vlan_deploy", limit=ACCESS_A, extra_vars={"vid": 240})
    await call_error(clients, "launch_job", template="vlan_deploy", limit=["a-acc-42"], extra_vars={"vid": 240})
    assert gc.get_freeze_count() == 0


async def test_a_job_longer_than_one_preparation_chunk(tmp_path: Path) -> None:
    from netlab import Lab

    Lab.create(tmp_path / "lab.db", buildings=1, access_per_building=260, time_factor=0).close()
    spec = ServersSpec(home=tmp_path, lab=LabSpec(db=tmp_path / "lab.db", time_factor=0.0))
    async with open_clients(spec) as clients:
        devices = [d["name"] for d in (await call(clients, "list_devices", role="access", limit=500))["items"]]
        assert len(devices) == 260
        detail = await run_job(clients, template="vlan_deploy", limit=devices, extra_vars={"vid": 250})
        assert detail["job"]["counts"]["ok"] == 260 and detail["job"]["counts"]["changed"] == 260
        tail = await call(clients, "get_job", job_id=detail["job"]["id"], offset=250)
        assert [r["device"] for r in tail["items"]] == devices[250:] and all(
            "+vlan 250" in r["diff"] for r in tail["items"]
        )
