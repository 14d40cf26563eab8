"""A real, freshly migrated Nautobot 3.2.7 that netorch has not seeded: health, errors, empty answers."""

from __future__ import annotations

import pytest
from nbtestkit import sot_for
from typer.testing import CliRunner

from mcp_servers.errors import AuthFailed, InvalidArgument, NotFound
from mcp_servers.paging import PageRequest
from mcp_servers.sot.models import DeviceQuery
from orchestrator.cli.main import app


async def test_check_says_what_netorch_is_missing(nautobot) -> None:
    result = await sot_for(nautobot).check()
    assert (result.reachable, result.auth_ok, result.api_version) == (True, True, "3.2")
    assert result.details["nautobot_version"] == "3.2.7" and result.details["devices"] == 0
    assert result.missing == (
        "VLAN role 'vlan-service' (marks VLAN services)",
        "custom field 'netorch_kind' on interfaces",
        "custom field 'netorch_service_role' on VLANs",
        "custom field 'netorch_service_devices' on VLANs",
    )
    assert not result.ok


async def test_a_wrong_token_is_auth_failed_and_check_says_so(nautobot) -> None:
    sot = sot_for(nautobot, token="f" * 40)
    with pytest.raises(AuthFailed, match=r"Nautobot refused the token \(HTTP 403\)"):
        await sot.get_device("b-acc-01")
    result = await sot.check()
    assert (result.reachable, result.auth_ok) == (True, False)


async def test_unknown_names_are_not_found_and_empty_lists_say_no_data(nautobot) -> None:
    sot = sot_for(nautobot)
    with pytest.raises(NotFound, match="unknown device 'b-acc-01' \\(not in the source of truth\\)"):
        await sot.get_device("b-acc-01")
    with pytest.raises(NotFound, match="unknown VLAN service 'app-payments'"):
        await sot.get_vlan_service("app-payments")
    page = await sot.list_devices(DeviceQuery(name_pattern="b-*"), PageRequest())
    assert (page.total, page.status, page.items) == (0, "no_data", [])
    vlans = await sot.list_vlans(None, None, PageRequest())
    assert vlans.status == "no_data"
    # As in the lab, a role the SoT does not know is a bad filter, named in the error.
    with pytest.raises(InvalidArgument, match="access is not one of the available choices"):
        await sot.list_devices(DeviceQuery(role="access"), PageRequest())


def test_seed_with_a_wrong_token_is_one_error_line(nautobot, tmp_path) -> None:
    from nbtestkit import small_lab

    home = tmp_path / "home"
    home.mkdir()
    small_lab(home / "lab.db", buildings=2, access=1)
    result = CliRunner().invoke(
        app, ["--home", str(home), "sot", "seed-nautobot", "--url", nautobot.url, "--token", "e" * 40]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Nautobot list namespaces: Nautobot refused the token (HTTP 403)")
    assert "e" * 40 not in result.stderr and "Traceback" not in result.stderr
