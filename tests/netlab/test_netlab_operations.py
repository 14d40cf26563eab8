"""Executor operations: effects, idempotency keys, dry runs, history, events, latency, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netlab_testkit import FakeClock, apply_patch

from netlab import OPERATIONS, Lab
from netlab.errors import BadParameter, UnknownDevice, UnknownInterface


def fingerprint(lab: Lab) -> tuple[Any, ...]:
    """Everything an operation could change, to prove that a rejected one changed nothing."""
    devices = [d.name for d in lab.intent_devices()]
    return (
        tuple(lab.running_config(d) for d in devices),
        tuple(len(lab.config_history(d)) for d in devices),
        len(lab.events(limit=10_000)),
        tuple((f.id, f.status, tuple(sorted(f.params.items()))) for f in lab.faults()),
    )


def messages(lab: Lab, device: str) -> list[str]:
    return [e.message for e in lab.events(device=device, limit=1000)]


def test_vlan_create_then_again_is_a_no_op(lab: Lab) -> None:
    result = lab.apply("vlan_create", "a-acc-01", {"vid": 30, "name": "app-payments"})
    assert (result.changed, result.failed, result.version, result.error_class) == (True, False, 2, None)
    assert "+vlan 30" in result.diff and "+ name app-payments" in result.diff
    assert "+ switchport trunk allowed vlan 10,20,30,99" in result.diff
    assert 30 in [v.vid for v in lab.vlan_table("a-acc-01")]
    history = lab.config_history("a-acc-01")
    assert [(h.version, h.op, h.author, h.current) for h in history] == [
        (1, None, "netorch", False),
        (2, "vlan_create", "netorch", True),
    ]
    assert (
        messages(lab, "a-acc-01")[-1] == "%SYS-5-CONFIG_I: Configured from console by netorch on vty0 (10.100.96.250)"
    )
    again = lab.apply("vlan_create", "a-acc-01", {"vid": 30, "name": "app-payments"})
    assert (again.changed, again.diff, again.version, again.message) == (False, "", 2, "no change needed")
    assert len(lab.config_history("a-acc-01")) == 2


def test_idempotency_key_replays_the_first_result(lab: Lab) -> None:
    first = lab.apply("vlan_create", "a-acc-02", {"vid": 31, "name": "x"}, idempotency_key="run1/deploy/a-acc-02")
    before = fingerprint(lab)
    second = lab.apply("vlan_create", "a-acc-02", {"vid": 31, "name": "x"}, idempotency_key="run1/deploy/a-acc-02")
    assert second.replayed and not second.changed and not first.replayed
    assert (second.version, second.diff, second.idempotency_key) == (first.version, first.diff, first.idempotency_key)
    assert fingerprint(lab) == before
    with pytest.raises(BadParameter, match="idempotency key 'run1/deploy/a-acc-02' was already used for vlan_create"):
        lab.apply("vlan_create", "a-acc-01", {"vid": 31, "name": "x"}, idempotency_key="run1/deploy/a-acc-02")
    assert fingerprint(lab) == before


def test_without_key_every_call_applies(lab: Lab) -> None:
    lab.apply("interface_shutdown", "a-acc-01", {"interface": "Gi1/0/3"})
    lab.apply("interface_no_shutdown", "a-acc-01", {"interface": "Gi1/0/3"})
    lab.apply("interface_shutdown", "a-acc-01", {"interface": "Gi1/0/3"})
    assert [h.op for h in lab.config_history("a-acc-01")] == [
        None,
        "interface_shutdown",
        "interface_no_shutdown",
        "interface_shutdown",
    ]


def test_vlan_remove_prunes_trunks_and_leaves_access_ports(lab: Lab) -> None:
    result = lab.apply("vlan_remove", "a-acc-02", {"vid": 20})
    assert result.changed and "-vlan 20" in result.diff
    assert [v.vid for v in lab.vlan_table("a-acc-02")] == [10, 99]
    assert "switchport trunk allowed vlan 10,99" in lab.running_config("a-acc-02")
    assert "switchport phone vlan 20" in lab.running_config("a-acc-02")
    assert lab.compliance("a-acc-02").missing_vlans == [20]
    with pytest.raises(BadParameter, match=r"vid=1 .* cannot be removed"):
        lab.apply("vlan_remove", "a-acc-02", {"vid": 1})


def test_shutdown_and_no_shutdown_with_abbreviations_and_far_end(lab: Lab) -> None:
    result = lab.apply("interface_shutdown", "a-acc-01", {"interface": "te1/1/1"})
    assert result.params == {"interface": "TenGigabitEthernet1/1/1"}
    assert "+ shutdown" in result.diff
    own = lab.interface_states("a-acc-01", "TenGigabitEthernet1/1/1")[0]
    assert (own.admin_status, own.oper_status, own.oper_reason) == ("down", "down", "admin-down")
    far = lab.interface_states("a-dist-01", "TenGigabitEthernet1/0/1")[0]
    assert (far.admin_status, far.oper_status, far.oper_reason, far.lldp_neighbor) == ("up", "down", "notconnect", None)
    assert "%LINK-5-CHANGED: Interface TenGigabitEthernet1/1/1, changed state to administratively down" in messages(
        lab, "a-acc-01"
    )
    assert "%LINK-3-UPDOWN: Interface TenGigabitEthernet1/0/1, changed state to down" in messages(lab, "a-dist-01")
    alerts = [(a.alertname, a.device, a.interface, a.severity) for a in lab.active_alerts()]
    assert alerts == [
        ("InterfaceDown", "a-dist-01", "TenGigabitEthernet1/0/1", "critical"),
        ("ConfigDrift", "a-acc-01", None, "warning"),
    ]
    lab.apply("interface_no_shutdown", "a-acc-01", {"interface": "Te1/1/1"})
    far = lab.interface_states("a-dist-01", "TenGigabitEthernet1/0/1")[0]
    assert (far.oper_status, far.lldp_neighbor) == ("up", "a-acc-01 TenGigabitEthernet1/1/1")
    assert lab.active_alerts() == []
    assert lab.interface_states("a-acc-02", "et3")[0].name == "Ethernet3"


def test_clear_err_disable_on_a_healthy_port_changes_nothing(lab: Lab) -> None:
    result = lab.apply("clear_err_disable", "a-acc-01", {"interface": "Gi1/0/2"})
    assert (result.changed, result.failed, result.message) == (False, False, "GigabitEthernet1/0/2 is not err-disabled")


def test_restore_intended_config_and_rollback(lab: Lab) -> None:
    initial = lab.running_config("b-acc-01")
    lab.apply("vlan_create", "b-acc-01", {"vid": 77, "name": "rogue"})
    lab.apply("interface_shutdown", "b-acc-01", {"interface": "Gi1/0/4"})
    assert not lab.compliance("b-acc-01").compliant
    restored = lab.apply("restore_intended_config", "b-acc-01", {})
    assert restored.changed and "-vlan 77" in restored.diff and restored.version == 4
    assert lab.compliance("b-acc-01").compliant and lab.running_config("b-acc-01") == initial
    back = lab.apply("rollback_config", "b-acc-01", {"version": 2})
    assert back.version == 5 and "vlan 77" in lab.running_config("b-acc-01")
    assert lab.config_at("b-acc-01", 2) == lab.running_config("b-acc-01")
    assert lab.config_at("b-acc-01", 1) == initial
    with pytest.raises(BadParameter, match="unknown config version 9 for 'b-acc-01' \\(versions 1-5\\)"):
        lab.apply("rollback_config", "b-acc-01", {"version": 9})


@pytest.mark.parametrize(
    ("op", "params"),
    [
        ("vlan_create", {"vid": 42, "name": "dry"}),
        ("vlan_remove", {"vid": 10}),
        ("interface_shutdown", {"interface": "Gi1/0/2"}),
        ("restore_intended_config", {}),
        ("rollback_config", {"version": 1}),
    ],
)
def test_dry_run_returns_the_diff_and_changes_nothing(lab: Lab, op: str, params: dict[str, Any]) -> None:
    lab.apply("vlan_create", "a-acc-01", {"vid": 55, "name": "extra"})  # so restore/rollback have work to do
    before = fingerprint(lab)
    running = lab.running_config("a-acc-01")
    dry = lab.apply(op, "a-acc-01", params, dry_run=True, idempotency_key="k-dry")
    assert dry.dry_run and dry.changed and dry.diff and dry.message == "dry run: nothing applied"
    assert fingerprint(lab) == before
    real = lab.apply(op, "a-acc-01", params, idempotency_key="k-dry")
    assert not real.replayed and real.changed
    assert real.diff == dry.diff
    assert apply_patch(running, dry.diff) == lab.running_config("a-acc-01")


@pytest.mark.parametrize(
    ("op", "device", "params", "error", "message"),
    [
        ("vlan_rename", "a-acc-01", {}, BadParameter, "unknown operation 'vlan_rename'"),
        ("vlan_create", "a-acc-01", {"vid": 5000}, BadParameter, "vid=5000 for 'vlan_create': out of range"),
        ("vlan_create", "a-acc-01", {"vid": "ten"}, BadParameter, "vid='ten' for 'vlan_create': expected an integer"),
        ("vlan_create", "a-acc-01", {"vid": 30, "name": "has space"}, BadParameter, "name='has space'"),
        ("vlan_create", "a-acc-01", {"vid": 30, "colour": "red"}, BadParameter, "unknown parameter 'colour'"),
        ("vlan_remove", "a-acc-01", {}, BadParameter, "'vlan_remove' needs parameter 'vid'"),
        (
            "interface_shutdown",
            "a-acc-01",
            {"interface": "Gi9/9/9"},
            UnknownInterface,
            "unknown interface 'Gi9/9/9' on device 'a-acc-01'",
        ),
        (
            "interface_shutdown",
            "a-acc-02",
            {"interface": "Gi1/0/1"},
            UnknownInterface,
            "unknown interface 'Gi1/0/1' on device 'a-acc-02'",
        ),
        ("vlan_create", "b-acc-99", {"vid": 30}, UnknownDevice, "unknown device 'b-acc-99' \\(not in the source"),
    ],
)
def test_bad_input_raises_naming_the_value_and_changes_nothing(
    lab: Lab, op: str, device: str, params: dict[str, Any], error: type[Exception], message: str
) -> None:
    before = fingerprint(lab)
    with pytest.raises(error, match=message) as raised:
        lab.apply(op, device, params, idempotency_key="k-bad")
    assert "\n" not in str(raised.value)
    assert fingerprint(lab) == before


def test_every_operation_is_covered() -> None:
    assert OPERATIONS == (
        "vlan_create",
        "vlan_remove",
        "interface_shutdown",
        "interface_no_shutdown",
        "clear_err_disable",
        "restore_intended_config",
        "rollback_config",
    )


def test_latency_per_device_time_factor_and_faults(tmp_path: Path, clock: FakeClock) -> None:
    lab = Lab.create(
        tmp_path / "lab.db", buildings=1, access_per_building=2, latency_ms=200, time_factor=0.5, clock=clock
    )
    assert lab.latency("a-acc-01") == pytest.approx(0.1)
    lab.set_device_latency("a-acc-01", 1000)
    assert lab.latency("a-acc-01") == pytest.approx(0.5)
    lab.inject("slow_device", device="a-acc-01", factor=4)
    assert lab.latency("a-acc-01") == pytest.approx(2.0)
    lab.inject("high_cpu", device="a-acc-01")
    assert lab.latency("a-acc-01") == pytest.approx(4.0)
    assert Lab.open(tmp_path / "lab.db", time_factor=0).latency("a-acc-01") == 0.0
    with pytest.raises(BadParameter, match="bad latency_ms=-5"):
        lab.set_device_latency("a-acc-01", -5)


async def test_apply_async_and_batch(lab: Lab) -> None:
    result = await lab.apply_async("vlan_create", "a-acc-01", {"vid": 40, "name": "async"}, idempotency_key="a1")
    assert result.changed and result.version == 2
    again = await lab.apply_async("vlan_create", "a-acc-01", {"vid": 40, "name": "async"}, idempotency_key="a1")
    assert again.replayed
    batch = await lab.apply_batch_async(
        "interface_shutdown", ["a-acc-01", "a-acc-02", "a-acc-03"], {"interface": "Gi1/0/5"}, idempotency_key="job7"
    )
    assert [(r.device, r.failed, r.error_class) for r in batch] == [
        ("a-acc-01", False, None),
        ("a-acc-02", True, "permanent"),
        ("a-acc-03", False, None),
    ]
    assert "unknown interface 'Gi1/0/5' on device 'a-acc-02'" in (batch[1].error or "")
    assert [r.idempotency_key for r in batch] == ["job7/a-acc-01", None, "job7/a-acc-03"]
    replay = lab.apply_batch(
        "interface_shutdown", ["a-acc-01", "a-acc-03"], {"interface": "Gi1/0/5"}, idempotency_key="job7"
    )
    assert all(r.replayed for r in replay)
