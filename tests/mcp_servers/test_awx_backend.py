"""The AWX executor against the AWX contract fake: launch, per-host results, check mode, pagination."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from awx_helpers import HOSTS, FakeClock, backend, campus_fake, vlan
from fakes.awx_server import FakeAwx

from mcp_servers.errors import InvalidArgument, NotFound
from mcp_servers.executor.awx_backend import AwxExecutor
from mcp_servers.executor.models import LaunchRequest
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
    async with executor.running():
        yield executor
    await executor.aclose()


async def test_launch_posts_limit_and_extra_vars_and_returns_at_once(awx: AwxExecutor, fake: FakeAwx) -> None:
    job = await awx.launch_job(vlan(["a-acc-02", "a-acc-01", "a-acc-02"]))
    assert (job.status, job.finished, job.template) == ("pending", False, "vlan_deploy")
    assert job.limit == ["a-acc-02", "a-acc-01"] and job.counts.pending == 2
    assert fake.launches == [{"limit": "a-acc-02,a-acc-01", "extra_vars": {"vid": 120, "name": "cams"}}]
    assert fake.jobs[job.id].job_type == "run"
    assert fake.auth_headers == {f"Bearer {fake.token}"}


async def test_per_host_results_failed_unreachable_and_timeout(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.outcomes.update({"a-acc-02": "failed", "a-acc-03": "unreachable", "a-acc-04": "timeout"})
    job = await awx.launch_job(vlan(HOSTS[:5]))
    done = await awx.wait_job(job.id, 60)
    assert (done.status, done.finished) == ("failed", True)
    assert (done.counts.ok, done.counts.failed, done.counts.changed) == (2, 3, 2)
    detail = await awx.get_job(job.id, None, ALL)
    by = {r.device: r for r in detail.items}
    assert [r.device for r in detail.items] == HOSTS[:5]
    assert by["a-acc-01"].model_dump(include={"status", "changed", "applied", "error"}) == {
        "status": "ok",
        "changed": True,
        "applied": "yes",
        "error": None,
    }
    assert by["a-acc-02"].error_class == "permanent"
    assert "conflicts with an existing VLAN" in (by["a-acc-02"].error or "")
    assert by["a-acc-02"].applied == "unknown"  # a task failed: AWX cannot say what reached the device
    assert by["a-acc-03"].error_class == "transient" and "No route to host" in (by["a-acc-03"].error or "")
    assert by["a-acc-03"].applied == "no"  # never connected
    assert by["a-acc-04"].error_class == "transient" and "command timeout" in (by["a-acc-04"].error or "")
    failed = await awx.get_job(job.id, "failed", ALL)
    assert [r.device for r in failed.items] == ["a-acc-02", "a-acc-03", "a-acc-04"] and failed.total == 3


async def test_a_host_that_changed_then_failed_keeps_its_diff(awx: AwxExecutor, fake: FakeAwx) -> None:
    fake.templates[11].diff_mode = True
    fake.outcomes["a-acc-01"] = "changed_then_failed"
    job = await awx.launch_job(vlan(["a-acc-01"]))
    await awx.wait_job(job.id, 60)
    (result,) = (await awx.get_job(job.id, None, ALL)).items
    assert (result.status, result.changed, result.applied) == ("failed", True, "unknown")
    assert result.diff == "+vlan 120\n+ name cams\n"
    assert result.error is not None and result.error.startswith("Verify: VLAN 120 conflicts")


async def test_finished_only_once_awx_saved_the_events(awx: AwxExecutor, fake: FakeAwx) -> None:
    job = await awx.launch_job(vlan(["a-acc-01"]))
    first = await awx.get_job(job.id, None, ALL)  # AWX: pending -> running
    assert first.job.status == "running" and first.items[0].status == "running"
    second = await awx.get_job(job.id, None, ALL)  # AWX: successful, events not processed yet
    assert fake.jobs[job.id].status == "successful" and not fake.jobs[job.id].event_processing_finished
    assert (second.job.status, second.job.finished, second.items[0].status) == ("running", False, "running")
    third = await awx.get_job(job.id, None, ALL)  # events saved: host summaries exist
    assert (third.job.status, third.job.finished, third.items[0].status) == ("successful", True, "ok")


async def test_events_never_saved_settle_after_the_settle_time(fake: FakeAwx, tmp_path: Path) -> None:
    clock = FakeClock()
    executor = backend(fake, tmp_path, clock)
    executor._settle_s = 10.0
    job = await executor.launch_job(vlan(["a-acc-01"]))
    fake.jobs[job.id].status, fake.jobs[job.id].event_processing_finished = "successful", False
    fake.jobs[job.id].finished = 5
    original = fake._advance
    fake._advance = lambda j: None  # type: ignore[method-assign]  # AWX that never saves the events
    try:
        assert (await executor.get_job(job.id, None, ALL)).job.status == "running"
        clock.now += 10
        detail = await executor.get_job(job.id, None, ALL)
    finally:
        fake._advance = original  # type: ignore[method-assign]
        await executor.aclose()
    assert detail.job.finished and detail.items[0].status == "failed"
    assert detail.items[0].error_class == "transient" and detail.items[0].applied == "unknown"


async def test_dry_run_is_check_mode_with_diffs(awx: AwxExecutor, fake: FakeAwx) -> None:
    job = await awx.launch_job(vlan(["a-acc-01", "a-acc-02"], vid=130, dry_run=True))
    assert fake.launches[-1]["job_type"] == "check" and fake.launches[-1]["diff_mode"] is True
    await awx.wait_job(job.id, 60)
    detail = await awx.get_job(job.id, None, ALL)
    assert detail.job.dry_run and detail.job.status == "successful"
    for result in detail.items:
        assert (result.changed, result.applied) == (True, "no")
        assert result.diff == "+vlan 130\n+ name cams\n"


async def test_pages_of_awx_lists_are_followed(fake: FakeAwx, tmp_path: Path) -> None:
    executor = backend(fake, tmp_path, page_size=2)
    job = await executor.launch_job(vlan(HOSTS))
    await executor.wait_job(job.id, 60)
    page = await executor.get_job(job.id, None, PageRequest(limit=2, offset=2))
    await executor.aclose()
    assert [r.device for r in page.items] == ["a-acc-03", "a-acc-04"]
    assert (page.total, page.offset, page.next_offset) == (6, 2, 4)
    assert page.job.counts.ok == 6  # counted over every summary page, not the first
    summaries = [t for m, t in fake.requests if "job_host_summaries" in t]
    assert any("page=3" in t for t in summaries)
    inventory = [t for m, t in fake.requests if "/inventories/" in t]
    assert any("page=2" in t for t in inventory)  # the host check followed `next` too


async def test_results_read_events_of_the_page_only(awx: AwxExecutor, fake: FakeAwx) -> None:
    job = await awx.launch_job(vlan(HOSTS))
    await awx.wait_job(job.id, 60)
    fake.requests.clear()
    await awx.get_job(job.id, None, PageRequest(limit=2, offset=0))
    events = [t for m, t in fake.requests if "job_events" in t]
    assert events and all("host_name__in=a-acc-01%2Ca-acc-02" in t for t in events)


async def test_templates_from_awx_with_survey_variables(fake: FakeAwx, tmp_path: Path) -> None:
    fake.templates[11].name = "Campus - VLAN deploy"
    executor = backend(fake, tmp_path, templates={"vlan_deploy": "Campus - VLAN deploy", "vlan_remove": "gone"})
    templates = await executor.list_job_templates()
    assert [t.name for t in templates] == ["vlan_deploy"]  # the missing one is left out (config check names it)
    (deploy,) = templates
    assert [(v.name, v.type, v.required) for v in deploy.extra_vars] == [("vid", "int", True), ("name", "str", False)]
    assert "Campus - VLAN deploy" in deploy.description
    job = await executor.launch_job(vlan(["a-acc-01"]))
    await executor.aclose()
    assert job.template == "vlan_deploy" and fake.jobs[job.id].template.name == "Campus - VLAN deploy"


@pytest.mark.parametrize(
    ("request_", "error", "fragment"),
    [
        (vlan(["a-acc-01", "b-acc-99"]), NotFound, "unknown device 'b-acc-99' (not in AWX inventory 'campus')"),
        (LaunchRequest(template="vlan_deploi", limit=["a-acc-01"]), NotFound, "no job template named 'vlan_deploi'"),
        (vlan(["a-acc-01"], vid=9999), InvalidArgument, "'vid' value 9999 is too large (must be no more than 4094)"),
        (LaunchRequest(template="vlan_deploy", limit=["a-acc-01"]), InvalidArgument, "'vid' value missing"),
        (vlan(["a-acc-0*"]), InvalidArgument, "would be read as a host pattern"),
        (vlan(["a-acc-01:b-acc-01"]), InvalidArgument, "would be read as a host pattern"),
        (
            LaunchRequest(template="vlan_deploy", limit=["a-acc-01"], extra_vars={"vid": 5, "colour": "red"}),
            InvalidArgument,
            "does not take extra var(s) colour",
        ),
    ],
)
async def test_bad_launches_are_refused(
    awx: AwxExecutor, fake: FakeAwx, request_: LaunchRequest, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as caught:
        await awx.launch_job(request_)
    assert fragment in str(caught.value)
    assert not fake.jobs  # nothing ran


@pytest.mark.parametrize(
    ("template_fields", "dry_run", "fragment"),
    [
        ({"ask_limit_on_launch": False}, False, "would run it on its whole inventory"),
        ({"ask_job_type_on_launch": False}, True, "a dry run needs 'Prompt on launch' for Job Type"),
        ({"ask_job_type_on_launch": False, "job_type": "check"}, False, "a change needs 'Prompt on launch'"),
        ({"passwords_needed_to_start": ["ssh_password"]}, False, "needs passwords to start (ssh_password)"),
    ],
)
async def test_launches_awx_would_silently_widen_are_refused(
    awx: AwxExecutor, fake: FakeAwx, template_fields: dict[str, object], dry_run: bool, fragment: str
) -> None:
    for key, value in template_fields.items():
        setattr(fake.templates[11], key, value)
    with pytest.raises(InvalidArgument, match=r"job template 'vlan_deploy'") as caught:
        await awx.launch_job(vlan(["a-acc-01"], dry_run=dry_run))
    assert fragment in str(caught.value)
    assert not fake.launches


async def test_a_limit_awx_ignores_anyway_cancels_the_job(awx: AwxExecutor, fake: FakeAwx) -> None:
    """The template lost its limit prompt between netorch's check and the launch: the job is canceled."""
    respond = fake.respond

    def flip_after_check(method: str, target: str, headers: dict[str, str], raw: bytes):  # type: ignore[no-untyped-def]
        answer = respond(method, target, headers, raw)
        if method == "GET" and target.endswith("/launch/"):
            fake.templates[11].ask_limit_on_launch = False
        return answer

    fake.respond = flip_after_check  # type: ignore[method-assign]
    with pytest.raises(InvalidArgument, match="AWX ignored limit when launching job 101, so netorch canceled it"):
        await awx.launch_job(vlan(["a-acc-01"]))
    assert fake.jobs[101].cancel_flag and fake.jobs[101].hosts == HOSTS  # it would have run everywhere


async def test_the_token_is_never_logged_or_shown(
    awx: AwxExecutor, fake: FakeAwx, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.outcomes["a-acc-02"] = "failed"
    job = await awx.launch_job(vlan(["a-acc-01", "a-acc-02"], idempotency_key="run-1/step-1"))
    await awx.wait_job(job.id, 60)
    detail = await awx.get_job(job.id, None, ALL)
    shown = caplog.text + detail.model_dump_json() + repr(awx.options) + repr(awx.__dict__)
    assert fake.token not in shown
    rows = awx.keys._db.execute("SELECT * FROM awx_launch_keys").fetchall()
    assert rows and fake.token not in repr(rows) and "cams" not in repr(rows)  # digests only
