"""JSON shapes of the AWX REST API v2 objects the AWX contract fake answers with.

Every field list below is the field list of the serializer named beside it in ansible/awx
``awx/api/serializers.py`` (devel at commit e21dd0a093, read for this fake): ``BaseSerializer``
(id, type, url, related, summary_fields, created, modified, name, description), then
``JobTemplateSerializer`` (+ ``UnifiedJobTemplateSerializer``, ``JobOptionsSerializer``),
``JobLaunchSerializer`` (the GET of ``launch/``), ``JobSerializer`` + ``JobDetailSerializer``
(+ ``UnifiedJobSerializer``), ``JobHostSummarySerializer`` and ``JobEventSerializer`` (``-name``,
``-description`` removed). Values are what a small AWX 24 install shows; timestamps are fixed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

API = "/api/v2"


def ts(n: int) -> str:
    """A fixed, increasing timestamp (the fake has no clock)."""
    return f"2026-11-28T10:{n // 60 % 60:02d}:{n % 60:02d}.000000Z"


@dataclass
class Template:
    """A job template as the fake stores it."""

    id: int
    name: str
    inventory: int
    description: str = ""
    job_type: str = "run"
    limit: str = ""
    diff_mode: bool = False
    ask_limit_on_launch: bool = True
    ask_variables_on_launch: bool = False
    ask_job_type_on_launch: bool = True
    ask_diff_mode_on_launch: bool = True
    survey: list[dict[str, Any]] = field(default_factory=list)
    passwords_needed_to_start: list[str] = field(default_factory=list)


@dataclass
class Job:
    """A job as the fake runs it (one tick per GET of its detail)."""

    id: int
    template: Template
    limit: str
    hosts: list[str]
    extra_vars: dict[str, Any]
    job_type: str
    diff_mode: bool
    created: int
    status: str = "pending"
    started: int | None = None
    finished: int | None = None
    event_processing_finished: bool = False
    cancel_flag: bool = False
    job_explanation: str = ""
    launch_type: str = "manual"
    ran: list[str] = field(default_factory=list)
    outcome: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # the job ends in status "error" with this explanation


def template_json(t: Template, inventory_name: str) -> dict[str, Any]:
    """JobTemplateSerializer."""
    base = f"{API}/job_templates/{t.id}/"
    return {
        "id": t.id,
        "type": "job_template",
        "url": base,
        "related": {
            "launch": f"{base}launch/",
            "jobs": f"{base}jobs/",
            "survey_spec": f"{base}survey_spec/",
            "inventory": f"{API}/inventories/{t.inventory}/",
            "project": f"{API}/projects/7/",
        },
        "summary_fields": {
            "inventory": {"id": t.inventory, "name": inventory_name, "kind": "", "total_hosts": 0},
            "project": {"id": 7, "name": "network-playbooks", "status": "successful", "scm_type": "git"},
            "user_capabilities": {"edit": True, "delete": True, "start": True, "schedule": True, "copy": True},
        },
        "created": ts(0),
        "modified": ts(0),
        "name": t.name,
        "description": t.description,
        "job_type": t.job_type,
        "inventory": t.inventory,
        "project": 7,
        "playbook": f"{t.name.lower().replace(' ', '_')}.yml",
        "scm_branch": "",
        "forks": 0,
        "limit": t.limit,
        "verbosity": 0,
        "extra_vars": "---",
        "job_tags": "",
        "force_handlers": False,
        "skip_tags": "",
        "start_at_task": "",
        "timeout": 0,
        "use_fact_cache": False,
        "organization": 1,
        "last_job_run": None,
        "last_job_failed": False,
        "next_job_run": None,
        "status": "never updated",
        "execution_environment": None,
        "host_config_key": "",
        "ask_scm_branch_on_launch": False,
        "ask_diff_mode_on_launch": t.ask_diff_mode_on_launch,
        "ask_variables_on_launch": t.ask_variables_on_launch,
        "ask_limit_on_launch": t.ask_limit_on_launch,
        "ask_tags_on_launch": False,
        "ask_skip_tags_on_launch": False,
        "ask_job_type_on_launch": t.ask_job_type_on_launch,
        "ask_verbosity_on_launch": False,
        "ask_inventory_on_launch": False,
        "ask_credential_on_launch": False,
        "ask_execution_environment_on_launch": False,
        "ask_labels_on_launch": False,
        "ask_forks_on_launch": False,
        "ask_job_slice_count_on_launch": False,
        "ask_timeout_on_launch": False,
        "ask_instance_groups_on_launch": False,
        "survey_enabled": bool(t.survey),
        "become_enabled": False,
        "diff_mode": t.diff_mode,
        "allow_simultaneous": False,
        "custom_virtualenv": None,
        "job_slice_count": 1,
        "webhook_service": "",
        "webhook_credential": None,
        "prevent_instance_group_fallback": False,
    }


def launch_info_json(t: Template, inventory_name: str) -> dict[str, Any]:
    """JobLaunchSerializer, read side (GET job_templates/{id}/launch/)."""
    needed = [q["variable"] for q in t.survey if q.get("required")]
    return {
        "can_start_without_user_input": not needed and not t.passwords_needed_to_start,
        "passwords_needed_to_start": list(t.passwords_needed_to_start),
        "ask_scm_branch_on_launch": False,
        "ask_variables_on_launch": t.ask_variables_on_launch,
        "ask_tags_on_launch": False,
        "ask_diff_mode_on_launch": t.ask_diff_mode_on_launch,
        "ask_skip_tags_on_launch": False,
        "ask_job_type_on_launch": t.ask_job_type_on_launch,
        "ask_limit_on_launch": t.ask_limit_on_launch,
        "ask_verbosity_on_launch": False,
        "ask_inventory_on_launch": False,
        "ask_credential_on_launch": False,
        "ask_execution_environment_on_launch": False,
        "ask_labels_on_launch": False,
        "ask_forks_on_launch": False,
        "ask_job_slice_count_on_launch": False,
        "ask_timeout_on_launch": False,
        "ask_instance_groups_on_launch": False,
        "survey_enabled": bool(t.survey),
        "variables_needed_to_start": needed,
        "credential_needed_to_start": False,
        "inventory_needed_to_start": False,
        "job_template_data": {"name": t.name, "id": t.id, "description": t.description},
        "defaults": {
            "extra_vars": "",
            "diff_mode": t.diff_mode,
            "limit": t.limit,
            "job_tags": "",
            "skip_tags": "",
            "job_type": t.job_type,
            "verbosity": 0,
            "inventory": {"name": inventory_name, "id": t.inventory},
            "credentials": [{"id": 3, "name": "network", "credential_type": 2, "passwords_needed": []}],
            "scm_branch": "",
        },
    }


def job_json(job: Job, inventory_name: str) -> dict[str, Any]:
    """JobSerializer + JobDetailSerializer (the detail view; the list view drops a few fields)."""
    base = f"{API}/jobs/{job.id}/"
    t = job.template
    elapsed = float((job.finished or job.started or job.created) - (job.started or job.created))
    return {
        "id": job.id,
        "type": "job",
        "url": base,
        "related": {
            "job_events": f"{base}job_events/",
            "job_host_summaries": f"{base}job_host_summaries/",
            "cancel": f"{base}cancel/",
            "relaunch": f"{base}relaunch/",
            "stdout": f"{base}stdout/",
            "job_template": f"{API}/job_templates/{t.id}/",
            "inventory": f"{API}/inventories/{t.inventory}/",
        },
        "summary_fields": {
            "inventory": {"id": t.inventory, "name": inventory_name},
            "job_template": {"id": t.id, "name": t.name, "description": t.description},
            "unified_job_template": {"id": t.id, "name": t.name, "unified_job_type": "job"},
            "user_capabilities": {"delete": True, "start": True},
            "credentials": [{"id": 3, "name": "network", "description": "", "kind": "net", "cloud": False}],
        },
        "created": ts(job.created),
        "modified": ts(job.finished or job.started or job.created),
        "name": t.name,
        "description": t.description,
        "job_type": job.job_type,
        "inventory": t.inventory,
        "project": 7,
        "playbook": f"{t.name.lower().replace(' ', '_')}.yml",
        "scm_branch": "",
        "forks": 0,
        "limit": job.limit,
        "verbosity": 0,
        "extra_vars": json.dumps(job.extra_vars),
        "job_tags": "",
        "force_handlers": False,
        "skip_tags": "",
        "start_at_task": "",
        "timeout": 0,
        "use_fact_cache": False,
        "organization": 1,
        "unified_job_template": t.id,
        "launch_type": job.launch_type,
        "status": job.status,
        "execution_environment": 1,
        "failed": job.status in ("failed", "error"),
        "started": ts(job.started) if job.started is not None else None,
        "finished": ts(job.finished) if job.finished is not None else None,
        "canceled_on": ts(job.finished) if job.status == "canceled" and job.finished is not None else None,
        "elapsed": elapsed,
        "job_args": "",
        "job_cwd": "/runner/project",
        "job_env": {},
        "job_explanation": job.job_explanation,
        "execution_node": "awx-task-1",
        "controller_node": "",
        "result_traceback": "",
        "event_processing_finished": job.event_processing_finished,
        "launched_by": {"id": 1, "name": "netorch", "type": "user", "url": f"{API}/users/1/"},
        "work_unit_id": f"wu{job.id:06d}",
        "job_template": t.id,
        "passwords_needed_to_start": [],
        "allow_simultaneous": False,
        "artifacts": {},
        "scm_revision": "4f1c2ab",
        "instance_group": 1,
        "diff_mode": job.diff_mode,
        "job_slice_number": 0,
        "job_slice_count": 1,
        "webhook_service": "",
        "webhook_credential": None,
        "webhook_guid": "",
        "host_status_counts": _host_status_counts(job),
        "playbook_counts": {"play_count": 1 if job.events else 0, "task_count": 1 if job.events else 0},
        "custom_virtualenv": None,
    }


def _host_status_counts(job: Job) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in job.summaries:
        key = "dark" if s["dark"] else "failures" if s["failures"] else "changed" if s["changed"] else "ok"
        counts[key] = counts.get(key, 0) + 1
    return counts


def summary_json(job: Job, host: str, host_id: int, n: int, counts: dict[str, int]) -> dict[str, Any]:
    """JobHostSummarySerializer."""
    return {
        "id": n,
        "type": "job_host_summary",
        "url": f"{API}/job_host_summaries/{n}/",
        "related": {"job": f"{API}/jobs/{job.id}/", "host": f"{API}/hosts/{host_id}/"},
        "summary_fields": {
            "host": {"id": host_id, "name": host, "description": ""},
            "job": {
                "id": job.id,
                "name": job.template.name,
                "status": job.status,
                "failed": job.status in ("failed", "error"),
                "elapsed": 0.0,
                "type": "job",
                "job_template_id": job.template.id,
                "job_template_name": job.template.name,
            },
        },
        "created": ts(job.finished or 0),
        "modified": ts(job.finished or 0),
        "job": job.id,
        "host": host_id,
        "constructed_host": None,
        "host_name": host,
        "changed": counts.get("changed", 0),
        "dark": counts.get("dark", 0),
        "failures": counts.get("failures", 0),
        "ok": counts.get("ok", 0),
        "processed": 1,
        "skipped": 0,
        "failed": bool(counts.get("dark") or counts.get("failures")),
        "ignored": 0,
        "rescued": 0,
    }


def event_json(
    job: Job,
    n: int,
    event: str,
    *,
    host: str = "",
    host_id: int | None = None,
    task: str = "",
    res: dict[str, Any] | None = None,
    failed: bool = False,
    changed: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """JobEventSerializer."""
    data: dict[str, Any] = {"playbook": job.template.name, "play": "Campus", "task": task, **(extra or {})}
    if host:
        data.update({"host": host, "remote_addr": host, "task_action": "cisco.ios.ios_config", "res": res or {}})
    stdout = f"{event}: [{host}]" if host else event
    return {
        "id": 10_000 + n,
        "type": "job_event",
        "url": f"{API}/job_events/{10_000 + n}/",
        "related": {"job": f"{API}/jobs/{job.id}/", "children": f"{API}/job_events/{10_000 + n}/children/"},
        "summary_fields": {
            "host": {"id": host_id, "name": host} if host else {},
            "job": {"id": job.id, "name": job.template.name, "job_template_id": job.template.id},
        },
        "created": ts(job.started or 0),
        "modified": ts(job.started or 0),
        "job": job.id,
        "event": event,
        "counter": n,
        "event_display": event.replace("_", " ").title(),
        "event_data": data,
        "event_level": 3 if event.startswith("runner") else 1,
        "failed": failed,
        "changed": changed,
        "uuid": f"00000000-0000-0000-0000-{job.id:06d}{n:06d}",
        "parent_uuid": "",
        "host": host_id,
        "host_name": host,
        "playbook": job.template.name,
        "play": "Campus",
        "task": task,
        "role": "",
        "stdout": stdout,
        "start_line": n,
        "end_line": n + 1,
        "verbosity": 0,
    }
