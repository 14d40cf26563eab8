"""resolve_device / resolve_interface: imprecise names against a real lab Source of Truth, over MCP."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_helpers import call, call_error

from mcp_servers.client import BlockClients
from mcp_servers.errors import ErrorCode
from mcp_servers.sot.ifnames import cross_vendor_equal, parse_port
from mcp_servers.sot.resolve import edit_distance


@pytest.mark.parametrize(
    ("reference", "device", "method"),
    [
        ("b-acc-03", "b-acc-03", "exact_name"),
        ("B-ACC-03", "b-acc-03", "name_normalised"),
        ("b-acc-03.campus.example.net", "b-acc-03", "name_normalised"),
        ("b_acc_3", "b-acc-03", "name_normalised"),
        ("bacc03", "b-acc-03", "name_normalised"),
        ("b-acc-003", "b-acc-03", "name_normalised"),
        ("b-ac-03", "b-acc-03", "name_edit_distance"),
        ("b-cac-03", "b-acc-03", "name_edit_distance"),
        ("cor-01", "core-01", "name_edit_distance"),
        ("10.102.96.13", "b-acc-03", "primary_ip"),
        ("10.102.96.13:9116", "b-acc-03", "primary_ip"),
        ("http://10.101.96.11:9116/snmp?module=if_mib", "a-acc-01", "primary_ip"),
    ],
)
async def test_a_device_reference_resolves(clients: BlockClients, reference: str, device: str, method: str) -> None:
    found = await call(clients, "resolve_device", reference=reference)
    assert (found["status"], found["device"], found["method"]) == ("resolved", device, method)
    assert found["reference"] == reference and found["candidates"][0]["device"] == device
    exact = method in ("exact_name", "primary_ip")
    assert (found["confidence"] == 1.0) is exact and found["confidence"] >= 0.7


@pytest.mark.parametrize("reference", ["b-acc-09", "a-acc-05", "c-acc-01", "10.9.9.9", "10.9.9.9:9116", "printer"])
async def test_numbers_addresses_and_codes_are_identity_not_typos(clients: BlockClients, reference: str) -> None:
    # b-acc-09 is one edit from b-acc-01..04, c-acc-01 from a-/b-acc-01: all different devices.
    found = await call(clients, "resolve_device", reference=reference)
    assert found["status"] == "unresolved" and found["device"] is None and found["candidates"] == []
    assert found["tried"], "an unresolved answer says what was tried"


async def test_a_part_left_out_is_ambiguous_between_the_devices_it_fits(clients: BlockClients) -> None:
    found = await call(clients, "resolve_device", reference="acc-03")
    assert found["status"] == "ambiguous" and found["device"] is None
    assert [c["device"] for c in found["candidates"]] == ["a-acc-03", "b-acc-03"]
    assert all(c["method"] == "name_partial" for c in found["candidates"])


@pytest.mark.parametrize(
    ("device", "reference", "interface", "method"),
    [
        ("a-acc-01", "GigabitEthernet1/0/12", "GigabitEthernet1/0/12", "exact_name"),
        ("a-acc-01", "gigabitethernet1/0/12", "GigabitEthernet1/0/12", "name_normalised"),
        ("a-acc-01", "Gi1/0/12", "GigabitEthernet1/0/12", "vendor_abbreviation"),
        ("a-acc-01", "gi 1/0/12", "GigabitEthernet1/0/12", "vendor_abbreviation"),
        ("a-acc-01", "Te1/1/2", "TenGigabitEthernet1/1/2", "vendor_abbreviation"),
        ("a-acc-02", "Et12", "Ethernet12", "vendor_abbreviation"),
        ("a-acc-02", "Gi1/0/12", "Ethernet12", "cross_vendor"),
        ("a-acc-01", "Ethernet12", "GigabitEthernet1/0/12", "cross_vendor"),
        ("a-acc-01", "12", "GigabitEthernet1/0/12", "if_index"),
        ("a-acc-02", "ifIndex=49", "Ethernet49", "if_index"),
        ("b-acc-03", "printer PRN-B4-0339", "GigabitEthernet1/0/39", "description"),
        ("b-acc-03", "PRN-B4-0339", "GigabitEthernet1/0/39", "description"),
    ],
)
async def test_an_interface_reference_resolves(
    clients: BlockClients, device: str, reference: str, interface: str, method: str
) -> None:
    found = await call(clients, "resolve_interface", device=device, reference=reference)
    assert (found["status"], found["device"], found["interface"], found["method"]) == (
        "resolved",
        device,
        interface,
        method,
    )
    assert found["scope"] == device


async def test_an_uplink_module_port_never_maps_to_a_desk_port(clients: BlockClients) -> None:
    # Te1/1/1 on Arista: the Cisco uplink module numbering is not Ethernet1 (a desk port).
    found = await call(clients, "resolve_interface", device="a-acc-02", reference="Te1/1/1")
    assert found["status"] == "unresolved" and found["candidates"] == []


async def test_desk_printer_and_camera_names_are_found_on_any_device(clients: BlockClients) -> None:
    printer = await call(clients, "resolve_interface", reference="printer PRN-B4-0339")
    assert (printer["device"], printer["interface"], printer["scope"]) == ("b-acc-03", "GigabitEthernet1/0/39", None)
    camera = await call(clients, "resolve_interface", reference="camera CAM-B1-0410")
    assert (camera["status"], camera["device"], camera["interface"]) == ("resolved", "b-acc-04", "Ethernet10")
    desk = await call(clients, "resolve_interface", reference="desk B1.23")
    assert (desk["status"], desk["device"], desk["interface"]) == ("resolved", "b-acc-04", "Ethernet5")
    typo = await call(clients, "resolve_interface", reference="PRM-B4-0339")
    assert typo["status"] == "resolved" and typo["interface"] == "GigabitEthernet1/0/39"
    assert typo["confidence"] < printer["confidence"]


async def test_two_ports_with_the_same_desk_are_ambiguous(clients: BlockClients) -> None:
    found = await call(clients, "resolve_interface", reference="desk B1.13")
    assert found["status"] == "ambiguous" and found["interface"] is None
    assert {(c["device"], c["interface"]) for c in found["candidates"]} == {
        ("b-acc-03", "GigabitEthernet1/0/8"),
        ("b-acc-03", "GigabitEthernet1/0/10"),
    }


async def test_a_kind_that_contradicts_the_description_is_only_a_weak_candidate(clients: BlockClients) -> None:
    # "camera B1.22" names the token of desk B1.22: offered, but below what a caller should act on.
    found = await call(clients, "resolve_interface", reference="camera B1.22")
    assert found["candidates"][0]["interface"] == "GigabitEthernet1/0/12"
    assert found["candidates"][0]["confidence"] <= 0.6


async def test_resolution_errors_name_the_bad_value(clients: BlockClients, lab: Any) -> None:
    code, message = await call_error(clients, "resolve_interface", device="b-acc-99", reference="Gi1/0/1")
    assert code is ErrorCode.NOT_FOUND and "b-acc-99" in message
    code, message = await call_error(clients, "resolve_interface", reference="Gi1/0/1", by="name")
    assert code is ErrorCode.INVALID_ARGUMENT and "needs a device" in message
    lab.inject("sot_unavailable")
    code, _ = await call_error(clients, "resolve_device", reference="b-acc-03")
    assert code is ErrorCode.DEPENDENCY_UNAVAILABLE


async def test_interfaces_carry_the_twin_if_index(clients: BlockClients) -> None:
    page = await call(clients, "get_interfaces", device="a-acc-02", limit=100)
    assert [i["if_index"] for i in page["items"]] == list(range(1, 51))


def test_port_names_parse_in_every_vendor_style() -> None:
    assert parse_port("Gi1/0/12") == parse_port("GigabitEthernet 1/0/12")
    assert parse_port("Et12") == parse_port("Ethernet12")
    assert parse_port("Gig1/0/1") is not None and parse_port("Gig1/0/1").type == "GigabitEthernet"  # type: ignore[union-attr]
    assert parse_port("desk B1.23") is None
    gi, eth, te = parse_port("Gi1/0/12"), parse_port("Ethernet12"), parse_port("Te1/1/12")
    assert gi and eth and te
    assert cross_vendor_equal(gi, eth) and cross_vendor_equal(eth, gi) and not cross_vendor_equal(te, eth)


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("acc", "cac") == 1
    assert edit_distance("acc", "ac") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("core", "core") == 0
