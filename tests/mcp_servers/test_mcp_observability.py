"""Every Observability tool, in-memory against a real lab with injected faults."""

from __future__ import annotations

from typing import Any

from mcp_helpers import call, call_error

from mcp_servers.client import BlockClients
from mcp_servers.errors import ErrorCode


async def test_device_health(clients: BlockClients, lab: Any) -> None:
    health = await call(clients, "get_device_health", device="a-acc-01")
    assert health["reachable"] is True and health["cpu_pct"] is not None and health["uptime_s"] > 0
    lab.inject("device_unreachable", device="a-acc-02")
    down = await call(clients, "get_device_health", device="a-acc-02")
    assert down["reachable"] is False and down["cpu_pct"] is None
    code, message = await call_error(clients, "get_device_health", device="a-acc-99")
    assert code is ErrorCode.NOT_FOUND and "a-acc-99" in message


async def test_interface_state_one_and_all(clients: BlockClients, lab: Any) -> None:
    fault = lab.inject("err_disabled", device="a-acc-01")
    one = await call(clients, "get_interface_state", device="a-acc-01", interface=fault.interface)
    assert one["total"] == 1
    state = one["items"][0]
    assert state["oper_status"] == "down" and state["oper_reason"] == "err-disabled"
    everything = await call(clients, "get_interface_state", device="a-acc-01")
    assert everything["total"] == 50 and len(everything["items"]) == 50
    code, message = await call_error(clients, "get_interface_state", device="a-acc-01", interface="Gi9/9/9")
    assert code is ErrorCode.NOT_FOUND and "Gi9/9/9" in message


async def test_vlan_table(clients: BlockClients, lab: Any) -> None:
    table = await call(clients, "get_vlan_table", device="a-acc-01")
    assert {10, 20, 99} <= {v["vid"] for v in table["items"]}
    lab.inject("vlan_missing", device="a-acc-01", vid=20)
    after = await call(clients, "get_vlan_table", device="a-acc-01")
    assert 20 not in {v["vid"] for v in after["items"]}


async def test_events_window_and_no_data(clients: BlockClients, lab: Any) -> None:
    future = await call(clients, "get_events", since="2999-01-01T00:00:00Z")
    assert future["status"] == "no_data" and future["items"] == []
    lab.inject("link_flap", device="b-acc-01")
    recent = await call(clients, "get_events", device="b-acc-01", since="1h")
    assert recent["status"] == "ok" and all(e["device"] == "b-acc-01" for e in recent["items"])
    ids = [e["id"] for e in recent["items"]]
    assert ids == sorted(ids, reverse=True)
    code, message = await call_error(clients, "get_events", since="yesterday")
    assert code is ErrorCode.INVALID_ARGUMENT and "yesterday" in message


async def test_compliance(clients: BlockClients, lab: Any) -> None:
    clean = await call(clients, "check_compliance", location="building-a")
    assert clean["checked"] == 6 and clean["noncompliant"] == 0
    lab.inject("config_drift", device="a-acc-03")
    drift = await call(clients, "check_compliance", only_noncompliant=True, include_diff=True)
    assert drift["checked"] == 14 and drift["noncompliant"] == 1
    assert [i["device"] for i in drift["items"]] == ["a-acc-03"]
    assert drift["items"][0]["diff"]
    some = await call(clients, "check_compliance", devices=["a-acc-03", "a-acc-01"])
    assert some["checked"] == 2 and some["items"][0]["diff"] is None
    code, _ = await call_error(clients, "check_compliance", devices=["a-acc-77"])
    assert code is ErrorCode.NOT_FOUND


async def test_alerts(clients: BlockClients, lab: Any) -> None:
    quiet = await call(clients, "list_active_alerts")
    assert quiet["status"] == "no_data"
    lab.inject("err_disabled", device="a-acc-01")
    lab.inject("device_unreachable", device="b-acc-02")
    firing = await call(clients, "list_active_alerts")
    assert firing["status"] == "ok" and {a["device"] for a in firing["items"]} >= {"a-acc-01", "b-acc-02"}
    ranks = [{"critical": 0, "warning": 1, "info": 2}[a["severity"]] for a in firing["items"]]
    assert ranks == sorted(ranks)
    only = await call(clients, "list_active_alerts", device="a-acc-01")
    assert {a["device"] for a in only["items"]} == {"a-acc-01"}
    code, _ = await call_error(clients, "list_active_alerts", severity="urgent")
    assert code is ErrorCode.INVALID_ARGUMENT


async def test_query_metrics(clients: BlockClients, lab: Any) -> None:
    text = lab.metrics_text()
    name = next(line.split("{")[0].split()[0] for line in text.splitlines() if line and not line.startswith("#"))
    result = await call(clients, "query_metrics", query=name, limit=3)
    assert result["status"] == "ok" and len(result["items"]) <= 3 and result["items"][0]["name"] == name
    none = await call(clients, "query_metrics", query="netlab_no_such_metric")
    assert none["status"] == "no_data"
    code, message = await call_error(clients, "query_metrics", query="rate(x[5m])")
    assert code is ErrorCode.INVALID_ARGUMENT and "rate(x[5m])" in message


async def test_large_results_are_capped_unless_asked(clients: BlockClients) -> None:
    """A device's series number in the hundreds: one call returns the default page, not all of them."""
    first = await call(clients, "query_metrics", query='{device="a-acc-01"}')
    assert first["total"] > 100 and len(first["items"]) == 50 and first["next_offset"] == 50
    bigger = await call(clients, "query_metrics", query='{device="a-acc-01"}', limit=500)
    assert len(bigger["items"]) == min(500, first["total"])
    code, _ = await call_error(clients, "query_metrics", query='{device="a-acc-01"}', limit=5000)
    assert code is ErrorCode.INVALID_ARGUMENT
