"""Lab job templates: declared extra vars are enforced before anything runs."""

from __future__ import annotations

import pytest

from mcp_servers.errors import InvalidArgument, NotFound
from mcp_servers.executor.lab_templates import LAB_TEMPLATES, lab_template


def test_the_issue_lists_these_templates() -> None:
    assert sorted(LAB_TEMPLATES) == sorted(
        [
            "vlan_deploy",
            "vlan_remove",
            "interface_enable",
            "interface_bounce",
            "clear_err_disable",
            "restore_intended_config",
            "rollback_config",
        ]
    )


def test_unknown_template_names_it() -> None:
    with pytest.raises(NotFound, match="'vlan_deploi'"):
        lab_template("vlan_deploi")


def test_vars_are_normalised() -> None:
    assert lab_template("vlan_deploy").validate({"vid": "120", "name": "cams"}) == {"vid": 120, "name": "cams"}


@pytest.mark.parametrize(
    ("template", "extra_vars", "fragment"),
    [
        ("vlan_remove", {}, "needs extra var 'vid'"),
        ("vlan_deploy", {"vid": 5000, "name": "x"}, "vid=5000"),
        ("vlan_deploy", {"vid": "abc", "name": "x"}, "vid='abc'"),
        ("vlan_deploy", {"vid": True, "name": "x"}, "vid=True"),
        ("vlan_remove", {"vid": 10, "colour": "red"}, "unknown extra var 'colour'"),
        ("interface_enable", {"interface": ""}, "interface=''"),
        ("restore_intended_config", {"vid": 1}, "expected: none"),
    ],
)
def test_bad_vars_name_the_value(template: str, extra_vars: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        lab_template(template).validate(extra_vars)
    assert fragment in str(excinfo.value)


def test_bounce_is_two_steps() -> None:
    ops = lab_template("interface_bounce").ops({"interface": "Gi1/0/7"})
    assert ops == [
        ("interface_shutdown", {"interface": "Gi1/0/7"}),
        ("interface_no_shutdown", {"interface": "Gi1/0/7"}),
    ]
