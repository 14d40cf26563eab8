"""The lab's metrics query: exposition parsing and instant-vector selectors."""

from __future__ import annotations

import pytest

from mcp_servers.errors import InvalidArgument
from mcp_servers.observability.exposition import parse_exposition, parse_selector

TEXT = """\
# HELP netlab_interface_up 1 when the interface is operationally up.
# TYPE netlab_interface_up gauge
netlab_interface_up{device="a-acc-01",interface="Gi1/0/1"} 1
netlab_interface_up{device="a-acc-01",interface="Gi1/0/2"} 0
netlab_interface_up{device="b-acc-02",interface="Ethernet1"} 1
netlab_device_cpu_pct{device="a-acc-01"} 12.5
netlab_build_info 1
netlab_weird{device="x\\"y"} NaN
"""


def test_parse_exposition() -> None:
    samples = parse_exposition(TEXT)
    assert len(samples) == 5  # NaN skipped, comments skipped
    assert samples[3].name == "netlab_device_cpu_pct" and samples[3].value == 12.5
    assert samples[4].labels == {}


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("netlab_interface_up", 3),
        ('netlab_interface_up{device="a-acc-01"}', 2),
        ('netlab_interface_up{device="a-acc-01", interface!="Gi1/0/1"}', 1),
        ('netlab_interface_up{device=~"b-.*"}', 1),
        ('netlab_interface_up{device!~"b-.*"}', 2),
        ('{device="a-acc-01"}', 3),
        ('{__name__=~"netlab_.*_pct"}', 1),
        ("netlab_nothing", 0),
    ],
)
def test_selectors(query: str, count: int) -> None:
    assert len(parse_selector(query).select(parse_exposition(TEXT))) == count


@pytest.mark.parametrize("query", ["rate(x[5m])", "x{device=a}", "{}", 'x{device=~"("}', "x + y"])
def test_bad_queries_name_the_query(query: str) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        parse_selector(query)
    assert repr(query) in str(excinfo.value) or query in str(excinfo.value)


def test_equality_matchers_are_exposed_for_narrowing() -> None:
    selector = parse_selector('netlab_interface_up{device="a-acc-01", interface=~"Gi.*"}')
    assert selector.equals("device") == "a-acc-01" and selector.equals("interface") is None
