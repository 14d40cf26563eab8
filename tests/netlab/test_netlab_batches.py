"""Changes in batches: prepare/commit, the group commit of apply_async, lazy diffs, idempotency keys."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from netlab import Lab
from netlab.changes import Change
from netlab.errors import BadParameter, UnknownDevice, UnknownInterface


def test_prepare_reports_each_change_as_a_value(tmp_path: Path) -> None:
    lab = Lab.create(tmp_path / "lab.db", buildings=1, access_per_building=2, latency_ms=200, time_factor=0.5)
    lab.apply("vlan_create", "a-acc-01", {"vid": 30}, idempotency_key="k1")
    lab.inject("slow_device", device="a-acc-02", factor=3)
    good, replay, unknown, no_port, bad, slow = lab.prepare(
        [
            Change("vlan_create", "a-acc-01", {"vid": 31}),
            Change("vlan_create", "a-acc-01", {"vid": 30}, "k1"),
            Change("vlan_create", "a-acc-99", {"vid": 31}),
            Change("interface_shutdown", "a-acc-01", {"interface": "Gi9/9/9"}),
            Change("vlan_remove", "a-acc-01", {"vid": 1}),
            Change("interface_shutdown", "a-acc-02", {"interface": "et3"}),
        ]
    )
    assert good.ready and good.change.params == {"vid": 31, "name": "VLAN0031"}
    assert good.delay == pytest.approx(0.1)
    assert replay.result is not None and replay.result.replayed and not replay.ready
    assert isinstance(unknown.error, UnknownDevice) and "a-acc-99" in str(unknown.error)
    assert isinstance(no_port.error, UnknownInterface) and "Gi9/9/9" in str(no_port.error)
    assert isinstance(bad.error, BadParameter) and "vid=1" in str(bad.error)
    assert slow.change.params == {"interface": "Ethernet3"} and slow.delay == pytest.approx(0.3)


def test_one_commit_applies_many_changes_and_keeps_each_outcome_apart(lab: Lab) -> None:
    lab.inject("push_fails", device="a-acc-03", mode="permanent")
    items = lab.prepare(
        [
            Change("vlan_create", "a-acc-01", {"vid": 41, "name": "one"}, "j/1"),
            Change("vlan_create", "a-acc-02", {"vid": 41, "name": "one"}, "j/2"),
            Change("vlan_create", "a-acc-03", {"vid": 41, "name": "one"}, "j/3"),
            Change("vlan_create", "a-acc-01", {"vid": 41, "name": "one"}, "j/1"),  # the same key again
            Change("vlan_create", "a-acc-04", {"vid": 42, "name": "two"}, "j/2"),  # a key used for another change
            Change("interface_shutdown", "a-acc-04", {"interface": "Gi9/9/9"}),
        ]
    )
    first, second, refused, again, reused, invalid = lab.commit(items)
    assert (first.changed, first.version, first.replayed) == (True, 2, False) and "+vlan 41" in first.diff
    assert (second.device, second.changed, second.failed) == ("a-acc-02", True, False)
    assert (refused.failed, refused.error_class) == (True, "permanent")
    assert again.replayed and not again.changed and again.diff == first.diff and again.version == 2
    assert reused.failed and "idempotency key 'j/2' was already used for vlan_create on 'a-acc-02'" in str(reused.error)
    assert invalid.failed and "Gi9/9/9" in str(invalid.error)
    assert [v.vid for v in lab.vlan_table("a-acc-04")] == [10, 20, 99]
    assert [h.version for h in lab.config_history("a-acc-01")] == [1, 2]
    assert lab.apply("vlan_create", "a-acc-03", {"vid": 41, "name": "one"}, idempotency_key="j/3").failed


async def test_concurrent_apply_async_calls_each_get_their_own_result(lab: Lab) -> None:
    devices = [d.name for d in lab.intent_devices()]
    results = await asyncio.gather(
        *(
            lab.apply_async("vlan_create", device, {"vid": 100 + n, "name": f"v{n}"}, idempotency_key=f"g/{device}")
            for n, device in enumerate(devices)
        )
    )
    for n, (device, result) in enumerate(zip(devices, results, strict=True)):
        assert (result.device, result.params["vid"], result.changed, result.failed) == (device, 100 + n, True, False)
        assert f"+vlan {100 + n}" in result.diff
        assert 100 + n in {v.vid for v in lab.vlan_table(device)}
    with pytest.raises(UnknownDevice, match="a-acc-99"):
        await lab.apply_async("vlan_create", "a-acc-99", {"vid": 5})
    replays = await asyncio.gather(
        *(
            lab.apply_async("vlan_create", d, {"vid": 100 + n, "name": f"v{n}"}, idempotency_key=f"g/{d}")
            for n, d in enumerate(devices)
        )
    )
    assert all(r.replayed for r in replays) and [r.diff for r in replays] == [r.diff for r in results]


async def test_a_locked_lab_waits_in_a_thread_not_on_the_event_loop(lab: Lab) -> None:
    other = sqlite3.connect(lab.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    beat = asyncio.create_task(ticker())
    change = asyncio.create_task(lab.apply_async("vlan_create", "b-acc-01", {"vid": 55}))
    await asyncio.sleep(0.2)
    assert not change.done() and ticks >= 10  # the loop kept running while the change waited for the lock
    other.execute("COMMIT")
    result = await asyncio.wait_for(change, 5)
    beat.cancel()
    assert result.changed and 55 in {v.vid for v in lab.vlan_table("b-acc-01")}
    other.close()


def test_diffs_are_rendered_when_read_and_replayed_from_history(lab: Lab) -> None:
    result = lab.apply("interface_shutdown", "a-acc-01", {"interface": "Gi1/0/3"}, idempotency_key="d1")
    assert result.model_dump()["diff"] == result.diff and "+ shutdown" in result.diff
    assert result.diff.startswith("--- a-acc-01 running (v1)\n+++ a-acc-01 running (v2)\n@@ ")
    fresh = Lab.open(lab.path, time_factor=0)  # another handle: the replay renders from the stored history
    replay = fresh.apply("interface_shutdown", "a-acc-01", {"interface": "Gi1/0/3"}, idempotency_key="d1")
    assert replay.replayed and replay.diff == result.diff
    assert replay == replay.model_copy() and replay != result
    fresh.close()


def test_cached_documents_follow_other_connections_writes(lab: Lab) -> None:
    assert "vlan 61" not in lab.running_config("a-acc-01")  # both devices now cached by this handle
    assert "vlan 61" not in lab.running_config("a-acc-02")
    other = Lab.open(lab.path, time_factor=0)
    other.apply("vlan_create", "a-acc-01", {"vid": 61, "name": "theirs"})
    port = other.inject("admin_down", device="a-acc-02").interface or ""
    assert "vlan 61" in lab.running_config("a-acc-01")
    assert lab.interface_states("a-acc-02", port)[0].admin_status == "down"
    mine = lab.apply("vlan_create", "a-acc-01", {"vid": 62, "name": "mine"})
    assert mine.version == 3 and "vlan 61" in lab.running_config("a-acc-01")
    assert [h.op for h in other.config_history("a-acc-01")] == [None, "vlan_create", "vlan_create"]
    assert "vlan 62" in other.running_config("a-acc-01")
    other.close()


def test_device_names_and_warm_work_while_the_source_of_truth_is_down(lab: Lab) -> None:
    lab.inject("sot_unavailable")
    names = lab.device_names()
    assert len(names) == 14 and names[:3] == ["core-01", "core-02", "a-dist-01"]
    assert lab.warm() == 14 and lab.warm(["a-acc-01"]) == 1
