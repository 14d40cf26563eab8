"""/metrics: valid Prometheus exposition text, the right sample moves with a fault, a real HTTP server."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from netlab_testkit import parse_exposition

from netlab import Lab
from netlab.errors import BadParameter
from netlab.metrics import FAMILIES
from netlab.metrics_server import make_metrics_server

Key = tuple[str, frozenset[tuple[str, str]]]


def test_page_parses_strictly_and_covers_the_lab(lab: Lab) -> None:
    page = lab.metrics_text()
    samples = parse_exposition(page)
    names = {name for name, _ in samples}
    assert names == set(FAMILIES)
    info = lab.info()
    assert sum(1 for name, _ in samples if name == "netlab_device_reachable") == info.devices
    assert sum(1 for name, _ in samples if name == "netlab_interface_oper_up") == info.interfaces
    assert sum(1 for name, _ in samples if name == "netlab_interface_errors_total") == 2 * info.interfaces
    assert {v for (name, _), v in samples.items() if name == "netlab_device_reachable"} == {1.0}
    assert "# TYPE netlab_interface_crc_errors_total counter\n" in page
    up = {
        dict(labels)["interface"]: v
        for (name, labels), v in samples.items()
        if name == "netlab_interface_oper_up" and dict(labels)["device"] == "a-acc-01"
    }
    intended = {i.name: i.enabled for i in lab.intent_interfaces("a-acc-01")}
    assert up == {name: float(enabled) for name, enabled in intended.items()}


def changed(before: dict[Key, float], after: dict[Key, float]) -> dict[Key, tuple[float | None, float | None]]:
    return {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def test_a_fault_moves_exactly_the_right_samples(lab: Lab) -> None:
    before = parse_exposition(lab.metrics_text())
    lab.inject("link_down", device="a-acc-01", interface="Te1/1/2")
    delta = changed(before, parse_exposition(lab.metrics_text()))
    oper = "netlab_interface_oper_up"
    assert delta == {
        (oper, frozenset({("device", "a-acc-01"), ("interface", "TenGigabitEthernet1/1/2")})): (1.0, 0.0),
        (oper, frozenset({("device", "a-dist-02"), ("interface", "Ethernet3/1")})): (1.0, 0.0),
    }


def test_vlan_and_drift_and_unreachable_samples(lab: Lab) -> None:
    before = parse_exposition(lab.metrics_text(location="building-b"))
    lab.inject("vlan_missing", device="b-acc-02", vid=10)
    delta = changed(before, parse_exposition(lab.metrics_text(location="b")))
    assert delta == {
        ("netlab_vlan_present", frozenset({("device", "b-acc-02"), ("vid", "10")})): (1.0, 0.0),
    }
    lab.inject("config_drift", device="b-acc-03")
    page = parse_exposition(lab.metrics_text(device="b-acc-03"))
    assert page[("netlab_device_config_drift", frozenset({("device", "b-acc-03")}))] == 1.0
    with pytest.raises(BadParameter, match="unknown location 'building-z'"):
        lab.metrics_text(location="building-z")


def test_http_server_serves_metrics(lab: Lab) -> None:
    server = make_metrics_server(lab, "127.0.0.1", 0)
    server.start_background()
    try:
        with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            samples = parse_exposition(response.read().decode())
        assert len([k for k in samples if k[0] == "netlab_device_reachable"]) == lab.info().devices
        with urllib.request.urlopen(f"{server.url}/metrics?device=core-02", timeout=10) as response:
            assert {dict(k[1]).get("device") for k in parse_exposition(response.read().decode())} == {"core-02"}
        with urllib.request.urlopen(f"{server.url}/-/healthy", timeout=10) as response:
            assert response.status == 200
        for path, status in (("/nope", 404), ("/metrics?device=zz-9", 400)):
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(f"{server.url}{path}", timeout=10)
            raised.value.close()
            assert raised.value.code == status
    finally:
        server.shutdown()
        server.server_close()
