"""The Executor MCP server over the AWX backend, chosen by name in the spec, against the fake over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from awx_helpers import campus_fake
from fakes.awx_server import FakeAwx
from mcp_helpers import call, call_error

from mcp_servers.client import open_clients
from mcp_servers.errors import ErrorCode
from mcp_servers.spec import BlockSpec, ServersSpec


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAwx]:
    fake = campus_fake()
    monkeypatch.setenv("AWX_TOKEN", fake.token)
    with fake.serve():
        yield fake


def _spec(home: Path, fake: FakeAwx, **options: object) -> ServersSpec:
    opts = {"url": fake.url, "token_env": "AWX_TOKEN", "poll_interval_s": 0.01, "retries": 0, **options}
    return ServersSpec(home=home, executor=BlockSpec(backend="awx", options=opts))


async def test_a_job_through_the_executor_tools(served: FakeAwx, tmp_path: Path) -> None:
    served.outcomes["a-acc-02"] = "unreachable"
    async with open_clients(_spec(tmp_path, served), blocks=("executor",)) as clients:
        names = [t["name"] for t in (await call(clients, "list_job_templates"))["items"]]
        assert names == ["vlan_deploy", "interface_bounce"]
        job = await call(
            clients, "launch_job", template="vlan_deploy", limit=["a-acc-01", "a-acc-02"], extra_vars={"vid": 42}
        )
        done = await call(clients, "wait_job", job_id=job["id"], timeout_s=30)
        assert done["finished"] and done["status"] == "failed" and done["counts"]["failed"] == 1
        failed = await call(clients, "get_job", job_id=job["id"], status="failed")
        assert [(r["device"], r["error_class"]) for r in failed["items"]] == [("a-acc-02", "transient")]
        code, message = await call_error(clients, "launch_job", template="vlan_deploy", limit=["z-9"], extra_vars={})
        assert code is ErrorCode.NOT_FOUND and "z-9" in message
        code, message = await call_error(clients, "cancel_job", job_id=job["id"])
        assert code is ErrorCode.INVALID_ARGUMENT and "already finished (failed)" in message


async def test_awx_failures_keep_their_codes_over_mcp(served: FakeAwx, tmp_path: Path) -> None:
    async with open_clients(_spec(tmp_path, served), blocks=("executor",)) as clients:
        served.fail_next("job_templates/", 503, times=1)
        code, message = await call_error(clients, "list_job_templates")
        assert code is ErrorCode.DEPENDENCY_UNAVAILABLE and "HTTP 503" in message
        served.token = "rotated"
        code, message = await call_error(clients, "get_job", job_id=101)
        assert code is ErrorCode.AUTH_FAILED and "rotated" not in message
