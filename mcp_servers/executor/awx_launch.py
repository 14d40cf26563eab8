"""What netorch sends to AWX's launch endpoint, and the checks that keep a launch from doing more than asked.

AWX *ignores* a launch field the job template does not prompt for (it lands in the answer's
``ignored_fields`` and the job starts anyway; ``JobLaunchSerializer.validate`` in
``awx/api/serializers.py``). An ignored ``limit`` runs the template on its whole inventory and an
ignored ``job_type: check`` turns a dry run into a change, so netorch refuses such a launch before
sending it, from the template's launch prompts (``GET job_templates/{id}/launch/``), and cancels
the job at once should AWX still report one of them ignored.
"""

from __future__ import annotations

import re
from typing import Any

from mcp_servers.errors import InvalidArgument
from mcp_servers.executor.models import ExtraVar, JobTemplate, LaunchRequest

__all__ = ["UNSAFE_IGNORED", "checked_limit", "launch_body", "public_template", "survey_variables"]

# Launch fields whose silent loss would change what the job does.
UNSAFE_IGNORED = frozenset({"limit", "job_type", "extra_vars"})

# A limit is a host *pattern* in Ansible: ',' and ':' separate, '!' and '&' combine, '~' is a regex,
# '*' and '?' match, '@' reads a file. netorch names hosts exactly, so a name must be none of those.
_HOST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


def checked_limit(limit: list[str]) -> list[str]:
    """The target hosts without duplicates; InvalidArgument for a name AWX would read as a pattern."""
    names = list(dict.fromkeys(limit))
    if not names:
        raise InvalidArgument("limit is empty: name at least one target device")
    for name in names:
        if not _HOST_NAME.match(name):
            raise InvalidArgument(
                f"device name {name!r} cannot be sent in an AWX limit: it would be read as a host pattern"
            )
    return names


def survey_variables(survey: dict[str, Any]) -> list[dict[str, Any]]:
    """The survey's questions (``spec``), each with at least ``variable``."""
    spec = survey.get("spec")
    return [q for q in spec if isinstance(q, dict) and q.get("variable")] if isinstance(spec, list) else []


def launch_body(
    request: LaunchRequest, template: dict[str, Any], info: dict[str, Any], survey: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """The POST body of ``job_templates/{id}/launch/``; InvalidArgument when AWX would drop part of it.

    ``survey`` is the template's survey questions when it has a survey and takes no free extra vars.
    """
    name = template.get("name")
    needed = info.get("passwords_needed_to_start") or []
    if needed:
        raise InvalidArgument(
            f"job template '{name}' needs passwords to start ({', '.join(map(str, needed))}): "
            "netorch sends none; keep them in the template's credentials"
        )
    if not info.get("ask_limit_on_launch"):
        raise InvalidArgument(
            f"job template '{name}' does not prompt for a limit on launch, so AWX would run it on its whole "
            "inventory: turn on 'Prompt on launch' for Limit"
        )
    body: dict[str, Any] = {"limit": ",".join(request.limit)}
    if request.extra_vars:
        if not info.get("ask_variables_on_launch"):
            allowed = {str(q["variable"]) for q in survey or []}
            unknown = sorted(set(request.extra_vars) - allowed)
            if unknown:
                where = "its survey" if survey else "a survey or 'Prompt on launch' for Variables"
                raise InvalidArgument(
                    f"job template '{name}' does not take extra var(s) {', '.join(unknown)}: AWX would ignore "
                    f"them (add them to {where})"
                )
        body["extra_vars"] = dict(request.extra_vars)
    current = str(template.get("job_type") or "run")
    wanted = "check" if request.dry_run else "run"
    if wanted != current:
        if not info.get("ask_job_type_on_launch"):
            what = "a dry run" if request.dry_run else "a change"
            raise InvalidArgument(
                f"job template '{name}' runs as job type '{current}' and does not prompt for the job type: "
                f"{what} needs 'Prompt on launch' for Job Type"
            )
        body["job_type"] = wanted
    if request.dry_run and info.get("ask_diff_mode_on_launch"):
        body["diff_mode"] = True  # without the prompt, the template's own diff_mode decides
    return body


def public_template(name: str, template: dict[str, Any], survey: list[dict[str, Any]]) -> JobTemplate:
    """The JobTemplate netorch shows for an AWX job template (its extra vars from its survey)."""
    extra = []
    for question in survey:
        hints = [str(question.get("question_name") or "")]
        if question.get("question_description"):
            hints.append(str(question["question_description"]))
        if question.get("min") not in (None, "") or question.get("max") not in (None, ""):
            hints.append(f"range {question.get('min', '')}..{question.get('max', '')}")
        if question.get("choices"):
            hints.append(f"one of {question['choices']}")
        extra.append(
            ExtraVar(
                name=str(question["variable"]),
                type="int" if question.get("type") == "integer" else "str",
                required=bool(question.get("required")),
                description="; ".join(h for h in hints if h) or "survey question",
            )
        )
    awx_name = str(template.get("name"))
    description = str(template.get("description") or "") or f"AWX job template '{awx_name}'"
    if awx_name != name:
        description = f"{description} (AWX job template '{awx_name}')"
    return JobTemplate(name=name, description=description, extra_vars=extra)
