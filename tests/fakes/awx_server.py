"""A contract fake of the AWX REST API v2: the endpoints netorch's AWX executor uses, with AWX's JSON shapes.

AWX cannot run on this machine, so its behaviour is taken from its source (ansible/awx, devel at
commit e21dd0a093), not guessed:

* routes: ``awx/api/urls/job.py``, ``job_template.py``; ``ping/`` from ``awx/api/views/root.py``
  (``ApiV2PingView``: ha, version, active_node, install_uuid, instances, instance_groups; no auth);
* object shapes: the serializers of ``awx/api/serializers.py``, see tests/fakes/awx_shapes.py;
* launch (``JobTemplateLaunch.post`` in ``awx/api/views/__init__.py``): 201 with ``job``,
  ``ignored_fields`` and the job; a field the template does not prompt for is *ignored*, not
  refused (``JobLaunchSerializer.validate`` runs ``_accept_or_ignore_job_kwargs`` with
  ``_exclude_errors=['prompts']``); survey errors are a 400 ``variables_needed_to_start`` with the
  messages of ``awx/main/models/mixins.py`` (``'vid' value missing`` ...);
* cancel (``GenericCancelView``): GET ``can_cancel``; POST 202, or 405 once it cannot be canceled;
* relaunch (``JobRelaunch.post``): ``hosts`` = all | failed (failed = summaries with ``failed``,
  ``Job.retry_qs`` in ``awx/main/models/jobs.py``), with its three 400 messages;
* lists: ``awx/api/pagination.py`` (``page``, ``page_size``: 25 by default, at most 200;
  ``next``/``previous`` are paths); job events with ``limit`` drop count/next/previous
  (``UnifiedJobEventPagination``); filters are field lookups (``_list_common.md``: ``__in`` takes
  a comma list, ``__startswith``, booleans as true/false); an unknown field is a 400;
* statuses (``awx/main/models/unified_jobs.py``) and event types (``awx/main/models/events.py``:
  runner_on_ok/failed/unreachable/start, playbook_on_stats...); host summaries appear only once the
  stats event is processed, and a canceled job (ansible killed) has none;
* 401 body of DRF for a missing or bad token.

A job advances one step per GET of its detail (pending → running → done → events saved), so tests
never wait on a clock. ``outcomes`` scripts hosts: ok, changed, failed, unreachable, timeout,
changed_then_failed. ``fail_next`` injects 5xx answers; ``hold`` keeps jobs running. Use
``transport()`` for httpx.MockTransport, or ``serve()`` for a loopback HTTP server.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from fakes.awx_shapes import API, Job, Template, event_json, job_json, launch_info_json, summary_json, template_json

__all__ = ["FakeAwx", "Template"]

_RESERVED = {"page", "page_size", "order_by", "limit", "format", "search", "count_disabled", "no_truncate"}
_UNAUTHORIZED = {
    "detail": "Authentication credentials were not provided. To establish a login session, visit /api/login/."
}
Answer = tuple[int, bytes, dict[str, str]]
_DIFF = {
    "vlan_deploy": "+vlan {vid}\n+ name {name}\n",
    "interface_bounce": " interface {interface}\n+ shutdown\n- shutdown\n",
}
_FAILED_MSG = "VLAN {vid} conflicts with an existing VLAN of another name"
_TIMEOUT_MSG = "command timeout triggered, timeout value is 30 secs.\nSee the timeout setting options."
_UNREACHABLE_MSG = "Failed to connect to the host via network_cli: ssh connect failed: No route to host"


@dataclass
class _Failure:
    prefix: str
    status: int
    times: int
    method: str | None


class FakeAwx:
    """In-memory AWX: templates, one inventory, jobs; scripted host outcomes and injected failures."""

    def __init__(self, hosts: list[str], *, token: str = "awx-test-token", version: str = "24.6.1") -> None:
        self.token = token
        self.version = version
        self.url = "http://awx.test"
        self.inventory = {"id": 2, "name": "campus", "hosts": list(hosts)}
        self.templates: dict[int, Template] = {}
        self.jobs: dict[int, Job] = {}
        self.outcomes: dict[str, str] = {}  # host -> ok | changed | failed | unreachable | timeout | ...
        self.hold = False  # running jobs stay running (to cancel them mid-way)
        self.hosts_per_tick: int | None = None  # hosts finished per GET of a running job (None: all)
        self.error_next: str | None = None  # the next launched job ends in status "error" with this text
        self.requests: list[tuple[str, str]] = []
        self.launches: list[dict[str, Any]] = []
        self.auth_headers: set[str] = set()
        self._failures: list[_Failure] = []
        self._clock = 1
        self._next_job = 101
        self._lock = threading.Lock()

    # -- set-up ------------------------------------------------------------------------------

    def add_template(self, name: str, **fields: Any) -> Template:
        """A job template on the fake's inventory."""
        template = Template(id=len(self.templates) + 11, name=name, inventory=self.inventory["id"], **fields)
        self.templates[template.id] = template
        return template

    def fail_next(self, prefix: str, status: int = 502, times: int = 1, method: str | None = None) -> None:
        """Answer the next ``times`` requests (of ``method``) under ``API + prefix`` with ``status``."""
        self._failures.append(_Failure(f"{API}/{prefix}", status, times, method))

    def host_id(self, host: str) -> int:
        """The id of an inventory host."""
        return 1000 + self.inventory["hosts"].index(host)

    # -- transports --------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An httpx transport answering from this fake (for HttpBackend's ``transport=``)."""

        def handler(request: httpx.Request) -> httpx.Response:
            status, body, headers = self.respond(
                request.method, request.url.raw_path.decode(), dict(request.headers), request.content
            )
            return httpx.Response(status, content=body, headers=headers)

        return httpx.MockTransport(handler)

    @contextmanager
    def serve(self) -> Iterator[FakeAwx]:
        """Run on an ephemeral loopback port; ``url`` points at it until the block ends."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = fake.respond(self.command, self.path, dict(self.headers.items()), raw)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        previous, self.url = self.url, f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            self.url = previous

    # -- dispatch ----------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        """One request → (status, body, headers)."""
        with self._lock:
            parts = urlsplit(target)
            path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
            self.requests.append((method, target))
            auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            self.auth_headers.add(auth)
            for failure in self._failures:
                if failure.times > 0 and path.startswith(failure.prefix) and failure.method in (None, method):
                    failure.times -= 1
                    html = f"<html><body><h1>{failure.status} Bad Gateway</h1></body></html>"
                    return failure.status, html.encode(), {"content-type": "text/html"}
            if path != f"{API}/ping/" and auth != f"Bearer {self.token}":
                return _json(401, _UNAUTHORIZED)
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return _json(400, {"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"})
            return self._route(method, path, query, body)

    def _route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> Answer:
        rest = path.removeprefix(API)
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"/ping/", self._ping),
            ("GET", r"/me/", self._me),
            ("GET", r"/job_templates/", self._templates),
            ("GET", r"/job_templates/(\d+)/launch/", self._launch_info),
            ("POST", r"/job_templates/(\d+)/launch/", self._launch),
            ("GET", r"/job_templates/(\d+)/survey_spec/", self._survey),
            ("GET", r"/inventories/(\d+)/hosts/", self._hosts),
            ("GET", r"/jobs/(\d+)/", self._job),
            ("GET", r"/jobs/(\d+)/job_host_summaries/", self._summaries),
            ("GET", r"/jobs/(\d+)/job_events/", self._events),
            ("GET", r"/jobs/(\d+)/cancel/", self._can_cancel),
            ("POST", r"/jobs/(\d+)/cancel/", self._cancel),
            ("POST", r"/jobs/(\d+)/relaunch/", self._relaunch),
        ]
        allowed = False
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, rest)
            if match and verb == method:
                args = [int(g) for g in match.groups()]
                result: Answer = handler(*args, query=query, body=body)
                return result
            allowed = allowed or match is not None
        if allowed:
            return _json(405, {"detail": f'Method "{method}" not allowed.'})
        return _json(404, {"detail": "Not found."})

    # -- endpoints ---------------------------------------------------------------------------

    def _ping(self, **_: Any) -> Any:
        return _json(
            200,
            {
                "ha": False,
                "version": self.version,
                "active_node": "awx-task-1",
                "install_uuid": "3f4a2c3e-7d1b-4a7e-9d55-5f1c0d1e2b3a",
                "instances": [
                    {
                        "node": "awx-task-1",
                        "node_type": "hybrid",
                        "uuid": "1",
                        "heartbeat": "2026-11-28T10:00:00Z",
                        "capacity": 57,
                        "version": self.version,
                    }
                ],
                "instance_groups": [{"name": "default", "capacity": 57, "instances": ["awx-task-1"]}],
            },
        )

    def _me(self, query: dict[str, str], **_: Any) -> Any:
        user = {"id": 1, "type": "user", "url": f"{API}/users/1/", "username": "netorch", "is_superuser": False}
        return self._page([user], query, f"{API}/me/")

    def _templates(self, query: dict[str, str], **_: Any) -> Any:
        items = [template_json(t, self.inventory["name"]) for t in self.templates.values()]
        return self._page(items, query, f"{API}/job_templates/")

    def _template_or_404(self, template_id: int) -> Template | None:
        return self.templates.get(template_id)

    def _launch_info(self, template_id: int, **_: Any) -> Any:
        template = self._template_or_404(template_id)
        if template is None:
            return _json(404, {"detail": "Not found."})
        return _json(200, launch_info_json(template, self.inventory["name"]))

    def _survey(self, template_id: int, **_: Any) -> Any:
        template = self._template_or_404(template_id)
        if template is None:
            return _json(404, {"detail": "Not found."})
        return _json(200, {"name": "", "description": "", "spec": template.survey} if template.survey else {})

    def _hosts(self, inventory_id: int, query: dict[str, str], **_: Any) -> Any:
        if inventory_id != self.inventory["id"]:
            return _json(404, {"detail": "Not found."})
        items = [
            {
                "id": self.host_id(h),
                "type": "host",
                "url": f"{API}/hosts/{self.host_id(h)}/",
                "name": h,
                "inventory": inventory_id,
                "enabled": True,
                "variables": "",
                "description": "",
            }
            for h in self.inventory["hosts"]
        ]
        return self._page(items, query, f"{API}/inventories/{inventory_id}/hosts/")

    def _launch(self, template_id: int, body: dict[str, Any], **_: Any) -> Any:
        template = self._template_or_404(template_id)
        if template is None:
            return _json(404, {"detail": "Not found."})
        self.launches.append(body)
        if template.passwords_needed_to_start:
            return _json(400, {"passwords_needed_to_start": template.passwords_needed_to_start})
        extra = body.get("extra_vars") or {}
        if isinstance(extra, str):
            extra = json.loads(extra or "{}")
        errors, accepted, ignored = _survey_check(template, extra)
        if errors:
            return _json(400, {"variables_needed_to_start": errors})
        fields: dict[str, Any] = {
            "limit": template.limit,
            "job_type": template.job_type,
            "diff_mode": template.diff_mode,
        }
        asks = {
            "limit": template.ask_limit_on_launch,
            "job_type": template.ask_job_type_on_launch,
            "diff_mode": template.ask_diff_mode_on_launch,
        }
        for name, asked in asks.items():
            if name in body and body[name] != fields[name]:
                if asked:
                    fields[name] = body[name]
                else:
                    ignored[name] = body[name]
        job = self._new_job(template, fields["limit"], accepted, fields["job_type"], fields["diff_mode"])
        return _json(
            201,
            {"job": job.id, "ignored_fields": ignored, **job_json(job, self.inventory["name"])},
            {"location": f"{API}/jobs/{job.id}/"},
        )

    def _new_job(self, template: Template, limit: str, extra: dict[str, Any], job_type: str, diff: bool) -> Job:
        wanted = [p.strip() for p in limit.split(",") if p.strip()]
        inventory = self.inventory["hosts"]
        hosts = [h for h in inventory if h in wanted] if wanted else list(inventory)  # unmatched names run nothing
        job = Job(
            id=self._next_job,
            template=template,
            limit=limit,
            hosts=hosts,
            extra_vars=extra,
            job_type=job_type,
            diff_mode=diff,
            created=self._tick(),
        )
        job.outcome = {h: self.outcomes.get(h, "changed") for h in hosts}
        job.error, self.error_next = self.error_next, None
        self._next_job += 1
        self.jobs[job.id] = job
        return job

    def _job(self, job_id: int, **_: Any) -> Any:
        job = self.jobs.get(job_id)
        if job is None:
            return _json(404, {"detail": "Not found."})
        self._advance(job)
        return _json(200, job_json(job, self.inventory["name"]))

    def _summaries(self, job_id: int, query: dict[str, str], **_: Any) -> Any:
        job = self.jobs.get(job_id)
        if job is None:
            return _json(404, {"detail": "Not found."})
        return self._page(job.summaries, query, f"{API}/jobs/{job_id}/job_host_summaries/")

    def _events(self, job_id: int, query: dict[str, str], **_: Any) -> Any:
        job = self.jobs.get(job_id)
        if job is None:
            return _json(404, {"detail": "Not found."})
        if "limit" in query:  # UnifiedJobEventPagination's LimitPagination: results only
            found = _filtered(job.events, query)
            if isinstance(found, tuple):
                return found
            return _json(200, {"results": found[: int(query["limit"])]})
        return self._page(job.events, query, f"{API}/jobs/{job_id}/job_events/")

    def _can_cancel(self, job_id: int, **_: Any) -> Any:
        job = self.jobs.get(job_id)
        if job is None:
            return _json(404, {"detail": "Not found."})
        return _json(200, {"can_cancel": job.status in ("new", "pending", "waiting", "running")})

    def _cancel(self, job_id: int, **_: Any) -> Any:
        job = self.jobs.get(job_id)
        if job is None:
            return _json(404, {"detail": "Not found."})
        if job.status not in ("new", "pending", "waiting", "running"):
            return _json(405, {"detail": 'Method "POST" not allowed.'})
        job.cancel_flag = True
        return 202, b"", {}

    def _relaunch(self, job_id: int, body: dict[str, Any], **_: Any) -> Any:
        job = self.jobs.get(job_id)
        if job is None:
            return _json(404, {"detail": "Not found."})
        hosts = body.get("hosts", "all")
        if hosts not in ("all", "failed"):
            return _json(400, {"hosts": [f'"{hosts}" is not a valid choice.']})
        limit = job.limit
        if hosts == "failed":
            if job.status in ("new", "pending", "waiting", "running"):
                return _json(400, {"hosts": ["Wait until job finishes before retrying on failed hosts."]})
            if not any(e["event"] == "playbook_on_stats" for e in job.events):
                return _json(400, {"hosts": ["Cannot retry on failed hosts, playbook stats not available."]})
            failed = sorted(s["host_name"] for s in job.summaries if s["failed"])
            if not failed:
                return _json(400, {"hosts": ["Cannot relaunch because previous job had 0 failed hosts."]})
            limit = ",".join(failed)
        new = self._new_job(job.template, limit, dict(job.extra_vars), job.job_type, job.diff_mode)
        new.launch_type = "relaunch"
        return _json(
            201, {**job_json(new, self.inventory["name"]), "job": new.id}, {"location": f"{API}/jobs/{new.id}/"}
        )

    # -- the job's life ----------------------------------------------------------------------

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    def _advance(self, job: Job) -> None:
        """One step: pending → running → (hosts) → finished → events saved (summaries written)."""
        if job.status in ("successful", "failed", "error", "canceled"):
            if not job.event_processing_finished:
                if job.status in ("successful", "failed"):
                    self._write_stats(job)
                job.event_processing_finished = True
            return
        if job.cancel_flag:
            job.status, job.finished = "canceled", self._tick()
            job.job_explanation = ""
            return
        if job.status == "pending":
            if job.error is not None:
                job.status, job.finished, job.job_explanation = "error", self._tick(), job.error
                job.event_processing_finished = True
                return
            job.status, job.started = "running", self._tick()
            self._emit(job, "playbook_on_start")
            self._emit(job, "playbook_on_play_start")
            self._emit(job, "playbook_on_task_start", task=f"Apply {job.template.name}")
            return
        if self.hold:
            return
        todo = [h for h in job.hosts if h not in job.ran]
        for host in todo[: self.hosts_per_tick or len(todo)]:
            self._run_host(job, host)
        if len(job.ran) == len(job.hosts):
            bad = any(job.outcome[h] != "ok" and job.outcome[h] != "changed" for h in job.hosts)
            job.status, job.finished = ("failed" if bad else "successful"), self._tick()

    def _emit(self, job: Job, event: str, **kwargs: Any) -> None:
        job.events.append(event_json(job, len(job.events) + 1, event, **kwargs))

    def _run_host(self, job: Job, host: str) -> None:
        job.ran.append(host)
        outcome, hid, task = job.outcome[host], self.host_id(host), f"Apply {job.template.name}"
        self._emit(job, "runner_on_start", host=host, host_id=hid, task=task)
        diff_text = _DIFF.get(job.template.name, "+changed\n").format(
            vid=job.extra_vars.get("vid", ""),
            name=job.extra_vars.get("name", ""),
            interface=job.extra_vars.get("interface", ""),
        )
        changed_res: dict[str, Any] = {"changed": True, "_ansible_no_log": False}
        if job.diff_mode:
            changed_res["diff"] = {"prepared": diff_text}
        if outcome in ("changed", "changed_then_failed"):
            self._emit(job, "runner_on_ok", host=host, host_id=hid, task=task, res=changed_res, changed=True)
        if outcome == "ok":
            self._emit(job, "runner_on_ok", host=host, host_id=hid, task=task, res={"changed": False})
        elif outcome == "unreachable":
            res = {"unreachable": True, "changed": False, "msg": _UNREACHABLE_MSG}
            self._emit(job, "runner_on_unreachable", host=host, host_id=hid, task=task, res=res, failed=True)
        elif outcome in ("failed", "timeout", "changed_then_failed"):
            msg = _TIMEOUT_MSG if outcome == "timeout" else _FAILED_MSG.format(vid=job.extra_vars.get("vid", "?"))
            step = "Verify" if outcome == "changed_then_failed" else task
            res = {"failed": True, "changed": False, "msg": msg}
            self._emit(job, "runner_on_failed", host=host, host_id=hid, task=step, res=res, failed=True)

    def _write_stats(self, job: Job) -> None:
        stats: dict[str, dict[str, int]] = {
            k: {} for k in ("ok", "changed", "dark", "failures", "processed", "skipped", "ignored", "rescued")
        }
        for host in job.ran:
            outcome = job.outcome[host]
            counts = {
                "ok": int(outcome in ("ok", "changed", "changed_then_failed")),
                "changed": int(outcome in ("changed", "changed_then_failed")),
                "dark": int(outcome == "unreachable"),
                "failures": int(outcome in ("failed", "timeout", "changed_then_failed")),
            }
            for key, value in counts.items():
                if value:
                    stats[key][host] = value
            stats["processed"][host] = 1
            job.summaries.append(summary_json(job, host, self.host_id(host), len(job.summaries) + 1, counts))
        self._emit(job, "playbook_on_stats", extra=stats)

    # -- lists -------------------------------------------------------------------------------

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], path: str) -> Any:
        found = _filtered(items, query)
        if isinstance(found, tuple):
            return found
        order = query.get("order_by")
        if order:
            found = sorted(found, key=lambda i: i.get(order.lstrip("-")) or 0, reverse=order.startswith("-"))
        try:
            size = min(int(query.get("page_size", 25)), 200)
            number = int(query.get("page", 1))
        except ValueError:
            return _json(400, {"detail": "Invalid page."})
        start = (number - 1) * size
        if number < 1 or (start >= len(found) and number != 1):
            return _json(404, {"detail": "Invalid page."})

        def link(n: int) -> str:
            return f"{path}?{urlencode({**query, 'page': n})}"

        return _json(
            200,
            {
                "count": len(found),
                "next": link(number + 1) if start + size < len(found) else None,
                "previous": link(number - 1) if number > 1 else None,
                "results": found[start : start + size],
            },
        )


def _survey_check(template: Template, extra: dict[str, Any]) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """(errors, accepted, ignored) for a launch's extra_vars, as AWX's survey validation does."""
    errors: list[str] = []
    accepted: dict[str, Any] = {}
    rest = dict(extra)
    for q in template.survey:
        var = q["variable"]
        if var not in extra:
            if q.get("required"):
                errors.append(f"'{var}' value missing")
            continue
        value = rest.pop(var)
        if q["type"] == "integer":
            if type(value) is not int:
                errors.append(f"Value {value} for '{var}' expected to be an integer.")
                continue
            if q.get("min") not in (None, "") and value < int(q["min"]):
                errors.append(f"'{var}' value {value} is too small (must be at least {q['min']}).")
            if q.get("max") not in (None, "") and value > int(q["max"]):
                errors.append(f"'{var}' value {value} is too large (must be no more than {q['max']}).")
        elif not isinstance(value, str):
            errors.append(f"Value {value} for '{var}' expected to be a string.")
        accepted[var] = value
    ignored: dict[str, Any] = {}
    if template.ask_variables_on_launch:
        accepted.update(rest)
    elif rest:
        ignored["extra_vars"] = rest
    return errors, accepted, ignored


def _filtered(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]] | Answer:
    """AWX field lookups: ``field``, ``field__in`` (comma list), ``field__startswith``; unknown field → 400."""
    found = items
    for key, value in query.items():
        if key in _RESERVED:
            continue
        name, _, lookup = key.partition("__")
        if items and name not in items[0]:
            return _json(400, {"detail": f"Invalid field name: {name}"})
        if lookup == "in":
            wanted = set(value.split(","))
            found = [i for i in found if str(i.get(name)) in wanted]
        elif lookup == "startswith":
            found = [i for i in found if str(i.get(name, "")).startswith(value)]
        elif lookup:
            return _json(400, {"detail": f"Unsupported lookup in the fake: {lookup}"})
        elif isinstance(items[0].get(name) if items else None, bool):
            flag = value.lower() in ("true", "1")
            found = [i for i in found if bool(i.get(name)) is flag]
        else:
            found = [i for i in found if str(i.get(name)) == value]
    return found


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    return status, json.dumps(payload).encode(), {"content-type": "application/json", **(headers or {})}
