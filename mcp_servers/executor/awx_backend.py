"""The AWX executor: netorch's job templates and jobs are AWX's (or the AAP controller's), over REST API v2.

A launch resolves the template by name, refuses what AWX would silently ignore (mcp_servers.executor
.awx_launch), checks that every target is a host of the template's inventory, and posts ``limit``,
``extra_vars`` and, for a dry run, ``job_type: check`` with ``diff_mode``. Jobs are read back as
netorch Jobs with per-device results (mcp_servers.executor.awx_results). Idempotency keys, which AWX
lacks, live in a small SQLite table next to the job ids (mcp_servers.executor.awx_keys).

The token is sent in the Authorization header and nowhere else: it is not in an option dump, an
error, a log line or a job record.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mcp_servers.credentials import Secret
from mcp_servers.errors import BlockError, InvalidArgument, NotFound
from mcp_servers.executor.awx_api import AwxApi
from mcp_servers.executor.awx_keys import AwxKeys
from mcp_servers.executor.awx_launch import (
    UNSAFE_IGNORED,
    checked_limit,
    launch_body,
    public_template,
    survey_variables,
)
from mcp_servers.executor.awx_options import AwxOptions, parse_awx_options
from mcp_servers.executor.awx_results import (
    AWX_SETTLED,
    TRANSIENT_PATTERNS,
    HostFacts,
    Outcome,
    build_job,
    counts_of,
    device_result,
    event_diff,
    host_status,
    limit_hosts,
)
from mcp_servers.executor.idempotency import fingerprint
from mcp_servers.executor.models import DeviceStatus, Job, JobDetail, JobTemplate, LaunchRequest
from mcp_servers.health import BackendCheck
from mcp_servers.http_backend import HttpBackend
from mcp_servers.paging import PageRequest
from mcp_servers.retry import RetryPolicy, is_transient

__all__ = ["AwxExecutor"]

_log = logging.getLogger("mcp_servers.executor.awx")

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class _Snapshot:
    """One read of a job: the AWX record, its hosts in limit order and their outcomes."""

    awx: dict[str, Any]
    job: Job
    devices: list[str]
    outcomes: list[Outcome]
    summarised: frozenset[str]


class AwxExecutor:
    """ExecutorBackend over AWX / AAP (REST API v2); also Checkable, and can relaunch a job's failed hosts."""

    def __init__(
        self,
        options: AwxOptions,
        secret: Secret,
        keys: AwxKeys,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        event_settle_s: float = 30.0,
    ) -> None:
        self.options = options
        self.keys = keys
        self._secret = secret
        self._retry = retry or RetryPolicy()
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._settle_s = event_settle_s
        self._http: HttpBackend | None = None
        self._users = 0
        self._patterns = [re.compile(p, re.IGNORECASE) for p in (*TRANSIENT_PATTERNS, *options.transient_patterns)]
        self._settling: dict[int, float] = {}  # job id -> when this process first saw it done, events unsaved
        mapping = options.template_map()
        self._to_awx = mapping
        self._from_awx = {awx: name for name, awx in mapping.items()} if mapping else {}

    @classmethod
    def create(
        cls,
        options: dict[str, Any],
        home: Path,
        *,
        environ: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> AwxExecutor:
        """Build from `executor.options` (McpSetupError naming a bad key; the token from its env var or file)."""
        parsed, secret, retry = parse_awx_options(options, environ=environ)
        return cls(parsed, secret, AwxKeys(parsed.key_db(home)), retry=retry, **kwargs)

    def _api(self) -> AwxApi:
        if self._http is None:
            self._http = HttpBackend(
                "awx",
                self.options.url,
                secret=self._secret,
                timeout_s=self.options.timeout_s,
                retry=self._retry,
                transport=self._transport,
                verify=self.options.verify_tls,
                sleep=self._sleep,
            )
        return AwxApi(self._http, self.options.api_path, self.options.page_size)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Hold one HTTP connection pool while any server connection is up."""
        self._users += 1
        try:
            yield
        finally:
            self._users -= 1
            if self._users == 0:
                await self._close_http()

    async def _close_http(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def aclose(self) -> None:
        """Close the connection pool and the key store."""
        await self._close_http()
        self.keys.close()

    # -- templates ---------------------------------------------------------------------------

    def _awx_name(self, template: str) -> str:
        if self._to_awx is None:
            return template
        try:
            return self._to_awx[template]
        except KeyError:
            known = ", ".join(sorted(self._to_awx))
            raise NotFound(f"unknown job template '{template}' (expected one of: {known})") from None

    def _netorch_name(self, awx: dict[str, Any]) -> str:
        summary = (awx.get("summary_fields") or {}).get("job_template") or {}
        awx_name = str(summary.get("name") or awx.get("name") or "")
        return self._from_awx.get(awx_name, awx_name)

    async def _template(self, name: str) -> dict[str, Any]:
        awx_name = self._awx_name(name)
        template = await self._api().template_by_name(awx_name)
        if template is None:
            raise NotFound(f"unknown job template '{name}' (AWX has no job template named '{awx_name}')")
        return template

    async def list_job_templates(self) -> list[JobTemplate]:
        """The mapped templates that exist in AWX (or every visible one), with their survey variables."""
        api = self._api()
        found: list[tuple[str, dict[str, Any]]] = []
        if self._to_awx is None:
            found = [(str(t.get("name")), t) for t in await api.job_templates()]
        else:
            for name, awx_name in self._to_awx.items():
                template = await api.template_by_name(awx_name)
                if template is None:
                    _log.warning("job template '%s' (for %s) is not in AWX", awx_name, name)
                    continue
                found.append((name, template))
        result = []
        for name, template in found:
            survey = await api.survey_spec(int(template["id"])) if template.get("survey_enabled") else {}
            result.append(public_template(name, template, survey_variables(survey)))
        return result

    # -- launch ------------------------------------------------------------------------------

    async def launch_job(self, request: LaunchRequest) -> Job:
        """Launch the AWX job template on exactly the named hosts; a repeated idempotency key returns its job."""
        clean = request.model_copy(update={"limit": checked_limit(request.limit)})
        key = clean.idempotency_key
        self._awx_name(clean.template)  # an unknown name fails before the key is looked at
        if key is not None:
            fp = fingerprint(clean)
            owner = self.keys.owner(key, fp)
            replacing = None
            if owner is not None:
                awx = await self._job_or_none(owner)
                if awx is not None and awx.get("status") != "error":
                    return (await self._snapshot(owner, awx)).job.model_copy(update={"replayed": True})
                replacing = owner  # AWX could not run it, or forgot it: the key is free again
            bound = self.keys.claim(key, fp, replacing=replacing)
            if bound is not None:
                return (await self._snapshot(bound)).job.model_copy(update={"replayed": True})
        try:
            answer = await self._launch(clean)
        except BaseException:
            if key is not None:
                self.keys.release(key)
            raise
        job_id = int(answer["job"])
        if key is not None:
            self.keys.bind(key, job_id)
        unsafe = sorted(UNSAFE_IGNORED & set(answer.get("ignored_fields") or {}))
        if unsafe:
            with suppress(BlockError):
                await self._api().cancel(job_id)
            if key is not None:
                self.keys.release(key)
            raise InvalidArgument(
                f"AWX ignored {', '.join(unsafe)} when launching job {job_id}, so netorch canceled it at once: "
                "turn on 'Prompt on launch' for them in the job template"
            )
        return (await self._snapshot(job_id, answer)).job

    async def _launch(self, request: LaunchRequest) -> dict[str, Any]:
        api = self._api()
        template = await self._template(request.template)
        template_id = int(template["id"])
        info = await api.launch_info(template_id)
        survey = None
        if request.extra_vars and info.get("survey_enabled") and not info.get("ask_variables_on_launch"):
            survey = survey_variables(await api.survey_spec(template_id))
        body = launch_body(request, template, info, survey)
        if self.options.check_hosts:
            await self._check_hosts(template, request.limit)
        return await api.launch(template_id, body)

    async def _check_hosts(self, template: dict[str, Any], names: list[str]) -> None:
        inventory = template.get("inventory")
        if not inventory:
            raise InvalidArgument(f"job template '{template.get('name')}' has no inventory to run on")
        known = await self._api().inventory_hosts(int(inventory), names)
        missing = [n for n in names if n not in known]
        if missing:
            inv = ((template.get("summary_fields") or {}).get("inventory") or {}).get("name") or inventory
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise NotFound(f"unknown device '{missing[0]}'{more} (not in AWX inventory '{inv}')")

    # -- reading jobs ------------------------------------------------------------------------

    async def _job(self, job_id: int) -> dict[str, Any]:
        try:
            return await self._api().job(job_id)
        except NotFound:
            raise NotFound(f"unknown job {job_id} (AWX at {self.options.url} has no such job)") from None

    async def _job_or_none(self, job_id: int) -> dict[str, Any] | None:
        try:
            return await self._api().job(job_id)
        except NotFound:
            return None

    def _settled(self, awx: dict[str, Any]) -> bool:
        """Finished and every event saved — or finished for longer than the settle time, as seen from here."""
        if awx.get("status") not in AWX_SETTLED:
            return False
        job_id = int(awx["id"])
        if awx.get("event_processing_finished", True):
            self._settling.pop(job_id, None)
            return True
        first = self._settling.setdefault(job_id, self._clock())
        return self._clock() - first >= self._settle_s

    async def _snapshot(self, job_id: int, awx: dict[str, Any] | None = None) -> _Snapshot:
        api = self._api()
        awx = awx if awx is not None else await self._job(job_id)
        settled = self._settled(awx)
        summaries: dict[str, dict[str, Any]] = {}
        if awx.get("status") in AWX_SETTLED:  # AWX writes summaries when the playbook's stats arrive
            summaries = {str(s.get("host_name")): s for s in await api.host_summaries(job_id)}
        devices = limit_hosts(str(awx.get("limit") or "")) or sorted(summaries)
        started: set[str] = set()
        if settled and awx.get("status") == "canceled":
            missing = [d for d in devices if d not in summaries]
            if missing:
                events = await api.events(job_id, missing, {"event": "runner_on_start"})
                started = {str(e.get("host_name")) for e in events}
        dry_run = awx.get("job_type") == "check"
        outcomes = [
            host_status(awx, summaries.get(d), settled=settled, started=d in started, dry_run=dry_run) for d in devices
        ]
        job = build_job(
            awx,
            template=self._netorch_name(awx),
            devices=devices,
            counts=counts_of(outcomes),
            settled=settled,
            idempotency_key=self.keys.key_of(job_id),
        )
        return _Snapshot(awx, job, devices, outcomes, frozenset(summaries))

    async def get_job(self, job_id: int, status: DeviceStatus | None, page: PageRequest) -> JobDetail:
        """The job and one page of per-device results, with diffs and errors from that page's events only."""
        snap = await self._snapshot(job_id)
        rows = [(d, o) for d, o in zip(snap.devices, snap.outcomes, strict=True) if status in (None, o.status)]
        chunk = rows[page.offset : page.offset + page.limit]
        facts = await self._facts(job_id, chunk, snap)
        items = [device_result(d, o, facts.get(d), self._patterns) for d, o in chunk]
        end = page.offset + page.limit
        return JobDetail(
            job=snap.job,
            items=items,
            status="ok" if rows else "no_data",
            total=len(rows),
            offset=page.offset,
            next_offset=end if end < len(rows) else None,
        )

    async def _facts(self, job_id: int, chunk: list[tuple[str, Outcome]], snap: _Snapshot) -> dict[str, HostFacts]:
        """Diffs of the changed hosts and the first failure of the failed ones, among ``chunk``."""
        cut_off = {d for d, o in chunk if o.status == "failed" and d not in snap.summarised and o.applied == "unknown"}
        changed = [d for d, o in chunk if o.changed or d in cut_off]
        failed = [d for d, o in chunk if o.status == "failed" and (d in snap.summarised or d in cut_off)]
        facts: dict[str, HostFacts] = {}
        api = self._api()
        if changed:
            for event in await api.events(job_id, changed, {"changed": "true"}):
                host = facts.setdefault(str(event.get("host_name")), HostFacts())
                host.changed = True
                text = event_diff(event)
                if text:
                    host.diffs.append(text)
        if failed:
            for event in await api.events(job_id, failed, {"failed": "true"}):
                host = facts.setdefault(str(event.get("host_name")), HostFacts())
                if host.failure is None:
                    host.failure = event
        return facts

    async def wait_job(self, job_id: int, timeout_s: float) -> Job:
        """Poll (slowing down to max_poll_interval_s) until the job settled or the timeout passed.

        A transient AWX error while polling is waited out until the deadline, then raised.
        """
        deadline = self._clock() + timeout_s
        delay = self.options.poll_interval_s
        awx: dict[str, Any] | None = None
        while True:
            try:
                awx = await self._job(job_id)
            except BlockError as exc:
                if not is_transient(exc) or self._clock() >= deadline:
                    raise
                awx = None
            if awx is not None and self._settled(awx):
                break
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            await self._sleep(min(delay, remaining))
            delay = min(delay * 1.5, self.options.max_poll_interval_s)
        return (await self._snapshot(job_id, awx)).job

    async def cancel_job(self, job_id: int) -> Job:
        """Ask AWX to cancel a pending or running job (a canceled one is returned as it is)."""
        awx = await self._job(job_id)
        status = awx.get("status")
        if status in ("successful", "failed", "error"):
            raise InvalidArgument(f"job {job_id} cannot be canceled: it already finished ({status})")
        if status != "canceled":
            try:
                await self._api().cancel(job_id)
            except InvalidArgument:  # 405: it finished (or was canceled) between our two requests
                awx = await self._job(job_id)
                if awx.get("status") in ("successful", "failed", "error"):
                    raise InvalidArgument(
                        f"job {job_id} cannot be canceled: it already finished ({awx.get('status')})"
                    ) from None
        return (await self._snapshot(job_id)).job

    async def relaunch(self, job_id: int, hosts: str = "failed") -> Job:
        """Relaunch a finished job on its failed and unreachable hosts (``failed``) or on all of them (``all``).

        Not an MCP tool: the guardrails decide on the targets a call names, and a relaunch names none.
        Workflows retry with launch_job on the failed devices instead; this serves operators' tooling.
        """
        if hosts not in ("failed", "all"):
            raise InvalidArgument(f"relaunch hosts={hosts!r}: expected 'failed' or 'all'")
        await self._job(job_id)
        answer = await self._api().relaunch(job_id, hosts)
        return (await self._snapshot(int(answer["id"]), answer)).job

    # -- config check ------------------------------------------------------------------------

    async def check(self) -> BackendCheck:
        """Reachable (ping), token accepted (me), and each mapped template present and safe to launch."""
        target = f"{self.options.url}{self.options.api_path}"
        api = self._api()
        try:
            ping = await api.ping()
        except BlockError as exc:
            return BackendCheck("executor", "awx", target, reachable=False, error=str(exc))
        version = f"v2 (AWX {ping.get('version', 'unknown')})"
        try:
            user = await api.me()
        except BlockError as exc:
            auth = exc.code.value != "auth_failed"
            return BackendCheck(
                "executor", "awx", target, reachable=True, auth_ok=auth, api_version=version, error=str(exc)
            )
        missing: list[str] = []
        details: dict[str, Any] = {"user": user.get("username"), "token": self._secret.source}
        try:
            if self._to_awx is None:
                visible = await api.job_templates()
                details["templates"] = len(visible)
                if not visible:
                    missing.append("no job templates visible to this token")
            else:
                for name, awx_name in self._to_awx.items():
                    missing.extend(await self._template_gaps(name, awx_name))
                details["templates"] = len(self._to_awx)
        except BlockError as exc:
            return BackendCheck(
                "executor", "awx", target, True, True, version, tuple(missing), str(exc), details=details
            )
        return BackendCheck("executor", "awx", target, True, True, version, tuple(missing), details=details)

    async def _template_gaps(self, name: str, awx_name: str) -> list[str]:
        api = self._api()
        template = await api.template_by_name(awx_name)
        if template is None:
            return [f"job template '{awx_name}' (for {name}) is not in AWX"]
        info = await api.launch_info(int(template["id"]))
        gaps = []
        if not info.get("ask_limit_on_launch"):
            gaps.append(f"job template '{awx_name}': turn on 'Prompt on launch' for Limit")
        if not info.get("ask_job_type_on_launch"):
            gaps.append(f"job template '{awx_name}': turn on 'Prompt on launch' for Job Type (dry runs need it)")
        if info.get("passwords_needed_to_start"):
            gaps.append(f"job template '{awx_name}': needs passwords to start (netorch sends none)")
        return gaps
