"""Every Source of Truth tool, in-memory against a real lab."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_helpers import call, call_error

from mcp_servers.client import BlockClients
from mcp_servers.errors import ErrorCode


async def test_list_devices_filters_and_pages(clients: BlockClients) -> None:
    everything = await call(clients, "list_devices")
    assert everything["total"] == 14 and everything["status"] == "ok" and everything["next_offset"] is None
    names = [d["name"] for d in everything["items"]]
    assert names == sorted(names)
    access_b = await call(clients, "list_devices", location="building-b", role="access")
    assert [d["name"] for d in access_b["items"]] == ["b-acc-01", "b-acc-02", "b-acc-03", "b-acc-04"]
    first = await call(clients, "list_devices", name_pattern="*-acc-*", limit=5)
    assert first["total"] == 8 and len(first["items"]) == 5 and first["next_offset"] == 5
    rest = await call(clients, "list_devices", name_pattern="*-acc-*", limit=5, offset=first["next_offset"])
    assert len(rest["items"]) == 3 and rest["next_offset"] is None
    eos = await call(clients, "list_devices", platform="eos")
    assert all(d["platform"] == "eos" for d in eos["items"]) and eos["total"] > 0


async def test_list_devices_by_names_returns_only_those(clients: BlockClients) -> None:
    everything = [d["name"] for d in (await call(clients, "list_devices", limit=500))["items"]]
    wanted = [everything[5], everything[0], "zz-9", everything[5]]
    found = await call(clients, "list_devices", names=wanted)
    assert [d["name"] for d in found["items"]] == [everything[0], everything[5]] and found["total"] == 2
    nothing = await call(clients, "list_devices", names=[])
    assert nothing["total"] == 0 and nothing["status"] == "no_data"
    both = await call(clients, "list_devices", names=["b-acc-02", "b-acc-03"], role="access")
    assert [d["name"] for d in both["items"]] == ["b-acc-02", "b-acc-03"]
    code, _ = await call_error(clients, "list_devices", names=[f"d{i}" for i in range(501)])
    assert code is ErrorCode.INVALID_ARGUMENT


async def test_in_process_results_are_not_schema_validated_again(
    clients: BlockClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-process server builds results from its pydantic models; the client does not re-check them."""
    from mcp.client.session import ClientSession

    def refuse(*_args: Any) -> Any:
        raise AssertionError("the in-process result was re-validated against its output schema")

    monkeypatch.setattr(ClientSession, "_output_schema_validator", refuse)
    listed = await call(clients, "list_devices", limit=500)
    assert listed["total"] == 14


async def test_no_match_is_no_data_not_an_error(clients: BlockClients) -> None:
    nothing = await call(clients, "list_devices", name_pattern="zz-*")
    assert nothing == {"status": "no_data", "total": 0, "offset": 0, "next_offset": None, "items": []}
    code, message = await call_error(clients, "list_devices", location="building-z")
    assert code is ErrorCode.INVALID_ARGUMENT and "building-z" in message


async def test_get_device_and_unknown_device(clients: BlockClients) -> None:
    device = await call(clients, "get_device", name="a-acc-01")
    assert device["role"] == "access" and device["location"] == "building-a" and device["platform"] == "ios-xe"
    code, message = await call_error(clients, "get_device", name="b-acc-99")
    assert code is ErrorCode.NOT_FOUND and "'b-acc-99'" in message


async def test_get_interfaces(clients: BlockClients) -> None:
    page = await call(clients, "get_interfaces", device="a-acc-02", limit=100)
    assert page["device"] == "a-acc-02" and page["total"] == 50
    modes = {i["mode"] for i in page["items"]}
    assert modes <= {"access", "trunk", "routed"} and "trunk" in modes
    default = await call(clients, "get_interfaces", device="a-acc-02")
    assert len(default["items"]) == 50


async def test_list_vlans_scopes(clients: BlockClients) -> None:
    building = await call(clients, "list_vlans", location="building-a")
    assert {10, 20, 99} <= {v["vid"] for v in building["items"]}
    device = await call(clients, "list_vlans", device="a-acc-01")
    assert {v["vid"] for v in device["items"]} >= {10, 20, 99}
    code, message = await call_error(clients, "list_vlans", device="zz-acc-01")
    assert code is ErrorCode.NOT_FOUND and "zz-acc-01" in message


async def test_vlan_service(clients: BlockClients, lab: Any) -> None:
    lab.upsert_vlan_service("app-cams", 120, "10.50.0.0/24", location="building-b")
    service = await call(clients, "get_vlan_service", name="app-cams")
    assert service["vid"] == 120 and service["targets"] and all(t.startswith("b-") for t in service["targets"])
    code, message = await call_error(clients, "get_vlan_service", name="app-nope")
    assert code is ErrorCode.NOT_FOUND and "app-nope" in message


async def test_intended_config_and_neighbors(clients: BlockClients) -> None:
    config = await call(clients, "get_intended_config", device="a-acc-01")
    assert config["platform"] == "ios-xe" and "vlan 10" in config["config"]
    neighbors = await call(clients, "get_neighbors", device="a-acc-01")
    assert neighbors["status"] == "ok"
    assert {n["remote_device"] for n in neighbors["items"]} == {"a-dist-01", "a-dist-02"}


async def test_sot_unavailable_is_a_dependency_failure(clients: BlockClients, lab: Any) -> None:
    lab.inject("sot_unavailable")
    for tool, args in [("list_devices", {}), ("get_device", {"name": "a-acc-01"}), ("list_vlans", {})]:
        code, _ = await call_error(clients, tool, **args)
        assert code is ErrorCode.DEPENDENCY_UNAVAILABLE, tool
    lab.clear_all_faults()
    await call(clients, "get_device", name="a-acc-01")


async def test_bad_arguments_are_invalid_argument(clients: BlockClients) -> None:
    code, _ = await call_error(clients, "list_devices", limit=501)
    assert code is ErrorCode.INVALID_ARGUMENT
    code, _ = await call_error(clients, "get_device", name="")
    assert code is ErrorCode.INVALID_ARGUMENT
