"""AWX jobs over time: waiting, canceling, AWX errors and outages, idempotency keys, relaunch."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from awx_helpers import HOSTS, FakeClock, backend, campus_fake, vlan
from fakes.awx_server import FakeAwx

from mcp_servers.errors import (
    AuthFailed,
    Conflict,
    DependencyDegraded,
    DependencyUnavailable,
    InvalidArgument,
    McpSetupError,
    NotFound,
)
from mcp_servers.executor.awx_backend import AwxExecutor
from mcp_servers.executor.awx_keys import AwxKeys
from mcp_servers.executor.idempotency import fingerprint
from mcp_servers.paging import PageRequest

ALL = PageRequest(limit=500)


@pytest.fixture
def fake() -> FakeAwx:
    return campus_fake()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def awx(fake: FakeAwx, tmp_path: Path, clock: FakeClock) -> AsyncIterator[AwxExecutor]:
    executor = backend(fake, tmp_path, clock)
    yield executor
    await executor.aclose()


async def test_wait_polls_with_backoff_and_stops_at_the_timeout(
    awx: AwxExecutor, fake: FakeAwx, clock: FakeClock
) -> None:
    fake.hold = True
    job = await awx.launch_job(vlan(["a-acc-01"]))
    waited = await awx.wait_job(job.id, 5.0)
    assert (waited.status, waited.finished) == ("running", False)
    assert clock.sleeps == [1.0, 1.5, 2.25, 0.25]  # poll_interval_s, growing x1.5, never past the deadline


async def test_wait_returns_once_the_job_settled(awx: AwxExecutor, clock: FakeClock) -> None:
    job = await awx.launch_job(vlan(["a-acc-01", "a-acc-02"]))
    done = await awx.wait_job(job.id, 600)
    assert done.finished and done.status == "successful" and done.counts.ok == 2
    assert len(clock.sleeps) == 2  # pending -> running -> successful -> events saved: three polls


async def test_wait_rides_out_an_awx_outage_until_the_deadline(fake: FakeAwx, tmp_path: Path, clock: FakeClock) -> None:
    executor = backend(fake, tmp_path, clock, retries=0)
    job = await executor.launch_job(vlan(["a-acc-01"]))
    fake.fail_next("jobs/", 503, times=3)
    done = await executor.wait_job(job.id, 600)
    assert done.status == "successful"
    fake.fail_next("jobs/", 503, times=100)
    with pytest.raises(DependencyUnavailable, match=r"awx is unavailable \(HTTP 503\)"):
        await executor.wait_job(job.id, 10)
    await executor.aclose()


async def test_cancel_mid_job(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.hosts_per_tick = 1
    job = await awx.launch_job(vlan(HOSTS[:3]))
    await awx.get_job(job.id, None, ALL)  # running
    await awx.get_job(job.id, None, ALL)  # a-acc-01 changed
    fake.hold = True
    canceled = await awx.cancel_job(job.id)
    assert fake.jobs[job.id].cancel_flag and not canceled.finished
    done = await awx.wait_job(job.id, 60)
    assert (done.status, done.counts.failed, done.counts.skipped) == ("canceled", 1, 2)
    by = {r.device: r for r in (await awx.get_job(job.id, None, ALL)).items}
    assert (by["a-acc-01"].status, by["a-acc-01"].error_class, by["a-acc-01"].applied) == (
        "failed",
        "transient",
        "unknown",
    )
    assert by["a-acc-01"].changed  # its changed event is read: something reached it
    assert (by["a-acc-02"].status, by["a-acc-02"].applied) == ("skipped", "no")
    again = await awx.cancel_job(job.id)  # canceling a canceled job is a no-op
    assert again.status == "canceled"


async def test_a_finished_job_cannot_be_canceled(awx: AwxExecutor) -> None:
    job = await awx.launch_job(vlan(["a-acc-01"]))
    await awx.wait_job(job.id, 60)
    with pytest.raises(InvalidArgument, match=rf"job {job.id} cannot be canceled: it already finished \(successful\)"):
        await awx.cancel_job(job.id)


async def test_an_awx_error_job_fails_every_host_transiently(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.error_next = "Previous Task Failed: project update of network-playbooks failed"
    job = await awx.launch_job(vlan(["a-acc-01", "a-acc-02"]))
    done = await awx.wait_job(job.id, 60)
    assert (done.status, done.counts.failed) == ("failed", 2)
    assert done.error == "Previous Task Failed: project update of network-playbooks failed"
    for result in (await awx.get_job(job.id, None, ALL)).items:
        assert result.error_class == "transient" and "project update" in (result.error or "")


async def test_unknown_job_is_not_found(awx: AwxExecutor) -> None:
    with pytest.raises(NotFound, match="unknown job 9 "):
        await awx.get_job(9, None, ALL)


async def test_5xx_on_reads_is_retried_and_a_launch_is_never_repeated(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.fail_next("job_templates/", 502, times=2)
    job = await awx.launch_job(vlan(["a-acc-01"]))  # the template lookup is retried twice
    fake.fail_next("job_templates/11/launch/", 500, method="POST")
    fake.requests.clear()
    with pytest.raises(DependencyDegraded, match="answered HTTP 500"):
        await awx.launch_job(vlan(["a-acc-02"]))
    posts = [t for m, t in fake.requests if m == "POST"]
    assert len(posts) == 1  # the launch POST failed once and was not sent again
    assert job.id in fake.jobs and len(fake.jobs) == 1


async def test_refused_token_is_auth_failed_and_never_shown(fake: FakeAwx, tmp_path: Path) -> None:
    executor = AwxExecutor.create(
        {"url": fake.url, "token_env": "AWX_TOKEN", "retries": 3},
        tmp_path,
        environ={"AWX_TOKEN": "wrong-token-123"},
        transport=fake.transport(),
    )
    with pytest.raises(AuthFailed) as caught:
        await executor.list_job_templates()
    await executor.aclose()
    assert "refused the credentials (HTTP 401)" in str(caught.value) and "wrong-token-123" not in str(caught.value)
    assert len(fake.requests) == 1  # not retried


async def test_idempotency_key_replays_its_job_across_restarts(fake: FakeAwx, tmp_path: Path) -> None:
    first = backend(fake, tmp_path)
    job = await first.launch_job(vlan(["a-acc-01", "a-acc-02"], idempotency_key="run-7/deploy"))
    assert job.idempotency_key == "run-7/deploy" and not job.replayed
    again = await first.launch_job(vlan(["a-acc-02", "a-acc-01"], idempotency_key="run-7/deploy"))
    await first.aclose()
    assert (again.id, again.replayed) == (job.id, True)  # the order of limit does not count
    restarted = backend(fake, tmp_path)
    replay = await restarted.launch_job(vlan(["a-acc-01", "a-acc-02"], idempotency_key="run-7/deploy"))
    assert replay.id == job.id and replay.replayed
    with pytest.raises(Conflict, match=rf"already used by job {job.id} with a different extra_vars"):
        await restarted.launch_job(vlan(["a-acc-01", "a-acc-02"], vid=121, idempotency_key="run-7/deploy"))
    await restarted.aclose()
    assert len(fake.launches) == 1


async def test_a_key_whose_job_awx_could_not_run_is_free_again(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.error_next = "no capacity"
    job = await awx.launch_job(vlan(["a-acc-01"], idempotency_key="k"))
    await awx.wait_job(job.id, 60)
    retry = await awx.launch_job(vlan(["a-acc-01"], idempotency_key="k"))
    assert retry.id != job.id and not retry.replayed
    assert (await awx.launch_job(vlan(["a-acc-01"], idempotency_key="k"))).id == retry.id


async def test_a_failed_launch_releases_its_key(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.fail_next("job_templates/11/launch/", 503, method="POST")
    with pytest.raises(DependencyUnavailable):
        await awx.launch_job(vlan(["a-acc-01"], idempotency_key="k2"))
    job = await awx.launch_job(vlan(["a-acc-01"], idempotency_key="k2"))
    assert not job.replayed and len(fake.jobs) == 1


def test_a_claimed_key_blocks_a_second_launcher_until_it_is_stale(tmp_path: Path) -> None:
    now = [100.0]
    keys = AwxKeys(tmp_path / "keys.db", claim_ttl_s=300, clock=lambda: now[0])
    other = AwxKeys(tmp_path / "keys.db", claim_ttl_s=300, clock=lambda: now[0])
    fp = fingerprint(vlan(["a-acc-01"]))
    assert keys.claim("k", fp) is None  # first launcher: waiting for AWX's answer
    with pytest.raises(DependencyDegraded, match="waiting for AWX's answer: retry shortly"):
        other.claim("k", fp)
    now[0] += 301  # the first launcher died before AWX answered
    assert other.claim("k", fp) is None
    other.bind("k", 555)
    assert keys.owner("k", fp) == 555 and keys.key_of(555) == "k"
    assert keys.claim("k", fp) == 555  # bound meanwhile: that job is the answer
    keys.close()
    other.close()


async def test_relaunch_on_failed_hosts(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.outcomes.update({"a-acc-03": "unreachable", "a-acc-02": "failed"})
    job = await awx.launch_job(vlan(HOSTS[:4]))
    with pytest.raises(InvalidArgument, match="Wait until job finishes"):
        await awx.relaunch(job.id)
    await awx.wait_job(job.id, 60)
    fake.outcomes.clear()
    retry = await awx.relaunch(job.id)
    assert retry.limit == ["a-acc-02", "a-acc-03"] and retry.extra_vars == {"vid": 120, "name": "cams"}
    done = await awx.wait_job(retry.id, 60)
    assert done.status == "successful"
    with pytest.raises(InvalidArgument, match="previous job had 0 failed hosts"):
        await awx.relaunch(retry.id)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"token": "abc"}, "do not put credentials in the config file"),
        ({"token_env": "NOPE"}, "environment variable NOPE is not set or empty"),
        ({"token_env": "T", "url": "awx.example.net"}, "invalid executor.options.url='awx.example.net'"),
        ({"token_env": "T", "colour": 1}, "unknown executor.options key 'colour'"),
        ({"token_env": "T", "transient_patterns": ["("]}, "not a regular expression"),
        ({"token_env": "T", "retries": 99}, "invalid executor.options.retries=99"),
    ],
)
def test_option_errors_name_the_key(tmp_path: Path, options: dict[str, object], message: str) -> None:
    full = {"url": "https://awx.example.net", **options}
    with pytest.raises(McpSetupError, match=re.escape(message)) as caught:
        AwxExecutor.create(full, tmp_path, environ={"T": "secret-t"})
    assert "secret-t" not in str(caught.value) and "abc" not in str(caught.value)


def test_url_is_required(tmp_path: Path) -> None:
    with pytest.raises(McpSetupError, match=r"executor.options.url is required by the awx backend"):
        AwxExecutor.create({"token_env": "T"}, tmp_path, environ={"T": "x"})


async def test_check_reports_version_user_and_what_is_missing(fake: FakeAwx, tmp_path: Path) -> None:
    fake.templates[12].ask_limit_on_launch = False
    templates = {"vlan_deploy": "vlan_deploy", "interface_bounce": "interface_bounce", "vlan_remove": "Campus - rm"}
    executor = backend(fake, tmp_path, templates=templates)
    check = await executor.check()
    assert (check.reachable, check.auth_ok, check.api_version) == (True, True, "v2 (AWX 24.6.1)")
    assert check.missing == (
        "job template 'interface_bounce': turn on 'Prompt on launch' for Limit",
        "job template 'Campus - rm' (for vlan_remove) is not in AWX",
    )
    assert check.details["user"] == "netorch" and check.details["token"] == "env AWX_TOKEN"
    assert not check.ok
    fake.templates[12].ask_limit_on_launch = True
    del templates["vlan_remove"]
    healthy = await backend(fake, tmp_path, templates=templates).check()
    await executor.aclose()
    assert healthy.ok, healthy


async def test_check_with_a_refused_token_or_no_server(fake: FakeAwx, tmp_path: Path) -> None:
    refused = AwxExecutor.create(
        {"url": fake.url, "token_env": "T"}, tmp_path, environ={"T": "bad"}, transport=fake.transport()
    )
    check = await refused.check()
    await refused.aclose()
    assert (check.reachable, check.auth_ok, check.api_version) == (True, False, "v2 (AWX 24.6.1)")
    assert "refused the credentials (HTTP 401)" in (check.error or "")

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    gone = AwxExecutor.create(
        {"url": "http://awx.invalid", "token_env": "T", "retries": 0},
        tmp_path,
        environ={"T": "x"},
        transport=httpx.MockTransport(down),
    )
    check = await gone.check()
    await gone.aclose()
    assert (check.reachable, check.auth_ok) == (False, None)
    assert "cannot reach http://awx.invalid" in (check.error or "")
