"""Interface and device faults: consistent through state, counters, events, alerts and metrics."""

from __future__ import annotations

import pytest
from netlab_testkit import FakeClock, parse_exposition

from netlab import Lab
from netlab.errors import BadParameter


def alerts(lab: Lab) -> set[tuple[str, str, str | None]]:
    return {(a.alertname, a.device, a.interface) for a in lab.active_alerts()}


def messages(lab: Lab, device: str) -> list[str]:
    return [e.message for e in lab.events(device=device, limit=1000)]


def sample(lab: Lab, family: str, **labels: str) -> float:
    samples = parse_exposition(lab.metrics_text(device=labels["device"]))
    matches = [v for (name, ls), v in samples.items() if name == family and set(labels.items()) <= set(ls)]
    assert len(matches) == 1, (family, labels, matches)
    return matches[0]


def test_err_disabled_psecure_is_fixed_by_clear_err_disable(lab: Lab) -> None:
    fault = lab.inject("err_disabled")
    assert (fault.device, fault.interface, fault.params) == (
        "a-acc-01",
        "GigabitEthernet1/0/2",
        {"reason": "psecure-violation"},
    )
    state = lab.interface_states("a-acc-01", "Gi1/0/2")[0]
    assert (state.oper_status, state.oper_reason, state.err_disabled_reason) == (
        "down",
        "err-disabled",
        "psecure-violation",
    )
    log = messages(lab, "a-acc-01")
    assert log[-4].startswith("%PORT_SECURITY-2-PSECURE_VIOLATION: Security violation occurred, caused by MAC")
    assert log[-3] == (
        "%PM-4-ERR_DISABLE: psecure-violation error detected on Gi1/0/2, putting Gi1/0/2 in err-disable state"
    )
    assert log[-2:] == [
        "%LINK-3-UPDOWN: Interface GigabitEthernet1/0/2, changed state to down",
        "%LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet1/0/2, changed state to down",
    ]
    assert alerts(lab) == {("InterfaceErrDisabled", "a-acc-01", "GigabitEthernet1/0/2")}
    assert sample(lab, "netlab_interface_err_disabled", device="a-acc-01", interface="GigabitEthernet1/0/2") == 1
    result = lab.apply("clear_err_disable", "a-acc-01", {"interface": "Gi1/0/2"})
    assert result.changed and not result.failed
    assert lab.interface_states("a-acc-01", "Gi1/0/2")[0].oper_status == "up"
    assert (
        messages(lab, "a-acc-01")[-3]
        == "%PM-4-ERR_RECOVER: Attempting to recover from psecure-violation err-disable state on Gi1/0/2"
    )
    assert [(f.status, f.resolved_by) for f in lab.faults()] == [("resolved", "clear_err_disable")]
    assert alerts(lab) == set()


def test_err_disabled_is_also_recovered_by_shut_no_shut(lab: Lab) -> None:
    with pytest.raises(BadParameter, match="interface 'Ethernet7' on 'a-acc-02' is administratively down"):
        lab.inject("err_disabled", device="a-acc-02", interface="Et7")  # an unused port, shut in intent
    lab.inject("err_disabled", device="a-acc-02", interface="Et8", reason="bpduguard")
    assert messages(lab, "a-acc-02")[0].startswith("%SPANTREE-4-BPDUGUARD_BLOCK")
    assert "%ERRDISABLE-4-INTF_ERRDISABLED: Interface Ethernet8 is error disabled due to bpduguard" in messages(
        lab, "a-acc-02"
    )
    lab.apply("interface_shutdown", "a-acc-02", {"interface": "Et8"})
    lab.apply("interface_no_shutdown", "a-acc-02", {"interface": "Et8"})
    assert lab.interface_states("a-acc-02", "Et8")[0].oper_status == "up"
    assert lab.faults()[0].resolved_by == "interface_shutdown"


def test_link_flap_clear_err_disable_does_not_hold(lab: Lab, clock: FakeClock) -> None:
    lab.inject("link_flap", device="a-acc-01", interface="Gi1/0/3")
    state = lab.interface_states("a-acc-01", "Gi1/0/3")[0]
    assert (state.oper_status, state.err_disabled_reason, state.flaps, state.recent_flaps) == (
        "down",
        "link-flap",
        6,
        6,
    )
    log = messages(lab, "a-acc-01")
    assert sum("GigabitEthernet1/0/3, changed state to down" in m and m.startswith("%LINK-3") for m in log) == 6
    assert log[-3] == "%PM-4-ERR_DISABLE: link-flap error detected on Gi1/0/3, putting Gi1/0/3 in err-disable state"
    assert alerts(lab) == {
        ("InterfaceErrDisabled", "a-acc-01", "GigabitEthernet1/0/3"),
        ("InterfaceFlapping", "a-acc-01", "GigabitEthernet1/0/3"),
    }
    clock.advance(60)
    result = lab.apply("clear_err_disable", "a-acc-01", {"interface": "Gi1/0/3"})
    assert result.changed and not result.failed
    state = lab.interface_states("a-acc-01", "Gi1/0/3")[0]
    assert (state.oper_status, state.err_disabled_reason, state.flaps) == ("down", "link-flap", 12)
    recent = messages(lab, "a-acc-01")[-26:]  # recover, up, 5 x (down, up), err-disable, down
    assert recent[0] == "%PM-4-ERR_RECOVER: Attempting to recover from link-flap err-disable state on Gi1/0/3"
    assert recent[-3].startswith("%PM-4-ERR_DISABLE: link-flap error detected on Gi1/0/3")
    assert lab.faults()[0].status == "active"
    clock.advance(11 * 60)  # the flapping alert needs >= 3 flaps in 10 minutes
    assert alerts(lab) == {("InterfaceErrDisabled", "a-acc-01", "GigabitEthernet1/0/3")}
    lab.clear_all_faults()
    state = lab.interface_states("a-acc-01", "Gi1/0/3")[0]
    assert (state.oper_status, state.flaps) == ("up", 12)  # counters never go backwards
    assert alerts(lab) == set()


def test_link_flap_without_err_disable_keeps_flapping_with_time(lab: Lab, clock: FakeClock) -> None:
    lab.inject("link_flap", device="a-acc-02", interface="Et5", errdisable=False, flaps=2, period_s=10)
    assert lab.interface_states("a-acc-02", "Et5")[0].flaps == 2
    clock.advance(95)
    state = lab.interface_states("a-acc-02", "Et5")[0]
    assert (state.oper_status, state.flaps, state.err_disabled_reason) == ("up", 11, None)
    assert ("InterfaceFlapping", "a-acc-02", "Ethernet5") in alerts(lab)
    assert sample(lab, "netlab_interface_flaps_total", device="a-acc-02", interface="Ethernet5") == 11


def test_link_down_takes_both_ends_down_and_no_operation_fixes_it(lab: Lab) -> None:
    fault = lab.inject("link_down", device="b-acc-02", interface="Ethernet49")
    ends = [("b-acc-02", "Ethernet49"), ("b-dist-01", "TenGigabitEthernet1/0/2")]
    for device, name in ends:
        state = lab.interface_states(device, name)[0]
        assert (state.admin_status, state.oper_status, state.oper_reason, state.lldp_neighbor) == (
            "up",
            "down",
            "notconnect",
            None,
        )
        assert sample(lab, "netlab_interface_oper_up", device=device, interface=name) == 0
    assert alerts(lab) == {("InterfaceDown", d, n) for d, n in ends}
    assert {a.severity for a in lab.active_alerts()} == {"critical"}
    assert (
        "%LINEPROTO-5-UPDOWN: Line protocol on Interface Ethernet49 (uplink b-dist-01 TenGigabitEthernet1/0/2), "
        "changed state to down" in messages(lab, "b-acc-02")
    )
    for op, params in [
        ("restore_intended_config", {}),
        ("interface_shutdown", {"interface": "Et49"}),
        ("interface_no_shutdown", {"interface": "Et49"}),
    ]:
        assert not lab.apply(op, "b-acc-02", params).failed
    assert lab.interface_states("b-acc-02", "Ethernet49")[0].oper_status == "down"
    assert lab.faults()[0].status == "active"
    lab.clear_fault(fault.id)
    assert all(lab.interface_states(d, n)[0].oper_status == "up" for d, n in ends)
    assert alerts(lab) == set()


def test_crc_errors_grow_with_time_and_stay_after_clear(lab: Lab, clock: FakeClock) -> None:
    start = lab.interface_states("a-acc-01", "Gi1/0/4")[0]
    lab.inject("crc_errors", device="a-acc-01", interface="Gi1/0/4", rate=50)
    assert messages(lab, "a-acc-01")[-1] == (
        "%IF_ERRORS-4-CRC_THRESHOLD: Interface GigabitEthernet1/0/4: input CRC errors 50/s over threshold"
    )
    clock.advance(10)
    state = lab.interface_states("a-acc-01", "Gi1/0/4")[0]
    assert (state.crc_errors - start.crc_errors, state.in_errors - start.in_errors) == (500, 500)
    assert (state.oper_status, state.error_rate) == ("up", 50.0)
    assert alerts(lab) == {("InterfaceErrors", "a-acc-01", "GigabitEthernet1/0/4")}
    crc = sample(lab, "netlab_interface_crc_errors_total", device="a-acc-01", interface="GigabitEthernet1/0/4")
    assert crc == state.crc_errors
    assert not lab.apply("restore_intended_config", "a-acc-01", {}).changed
    assert lab.interface_states("a-acc-01", "Gi1/0/4")[0].error_rate == 50.0
    clock.advance(10)
    lab.clear_all_faults()
    clock.advance(100)
    after = lab.interface_states("a-acc-01", "Gi1/0/4")[0]
    assert (after.crc_errors - start.crc_errors, after.error_rate) == (1000, 0.0)
    assert alerts(lab) == set()


def test_device_unreachable_power(lab: Lab, clock: FakeClock) -> None:
    lab.inject("device_unreachable", device="a-acc-03")
    health = lab.health("a-acc-03")
    assert (health.reachable, health.cpu_pct, health.uptime_s) == (False, None, None)
    assert all(s.stale for s in lab.interface_states("a-acc-03"))
    assert alerts(lab) == {
        ("DeviceUnreachable", "a-acc-03", None),
        ("InterfaceDown", "a-dist-01", "TenGigabitEthernet1/0/3"),
        ("InterfaceDown", "a-dist-02", "Ethernet3/3"),
    }
    result = lab.apply("vlan_create", "a-acc-03", {"vid": 30, "name": "x"})
    assert (result.failed, result.error_class) == (True, "transient")
    assert result.error == "connection to a-acc-03 (10.101.96.13) port 22 timed out"
    page = parse_exposition(lab.metrics_text(device="a-acc-03"))
    assert [(n, v) for (n, _), v in page.items()] == [("netlab_device_reachable", 0.0)]
    clock.advance(30)
    lab.clear_all_faults()
    health = lab.health("a-acc-03")
    assert (health.reachable, health.uptime_s) == (True, 0)
    assert messages(lab, "a-acc-03")[-1] == "%SYS-5-RESTART: System restarted --"
    assert alerts(lab) == set()


def test_device_unreachable_management_only(lab: Lab) -> None:
    lab.inject("device_unreachable", device="b-acc-04", cause="management")
    assert alerts(lab) == {("DeviceUnreachable", "b-acc-04", None)}
    assert lab.apply("interface_shutdown", "b-acc-04", {"interface": "Et2"}).error_class == "transient"


def test_high_cpu_is_not_fixed_by_configuration(lab: Lab) -> None:
    lab.inject("high_cpu", device="b-dist-01", cpu_pct=96)
    assert lab.health("b-dist-01").cpu_pct == 96
    assert alerts(lab) == {("HighCPU", "b-dist-01", None)}
    assert messages(lab, "b-dist-01")[-1].startswith("%SYS-1-CPURISINGTHRESHOLD: Threshold: Total CPU Utilization")
    assert sample(lab, "netlab_device_cpu_percent", device="b-dist-01") == 96
    assert not lab.apply("restore_intended_config", "b-dist-01", {}).failed
    assert lab.health("b-dist-01").cpu_pct == 96
    lab.clear_all_faults()
    assert lab.health("b-dist-01").cpu_pct < 90
