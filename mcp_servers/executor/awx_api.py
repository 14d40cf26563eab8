"""The AWX REST API v2 calls the AWX executor makes, over one :class:`HttpBackend`.

Endpoints (AWX ``awx/api/urls/job.py`` and ``job_template.py``): ``ping/``, ``me/``,
``job_templates/`` (``?name=``), ``job_templates/{id}/launch/`` (GET: prompts; POST: launch),
``job_templates/{id}/survey_spec/``, ``inventories/{id}/hosts/``, ``jobs/{id}/``,
``jobs/{id}/job_host_summaries/``, ``jobs/{id}/job_events/``, ``jobs/{id}/cancel/`` and
``jobs/{id}/relaunch/``. Lists are DRF pages (``count``, ``next``, ``previous``, ``results``) whose
``next`` is a path on the same host; filters use AWX's field lookups (``host_name__in=a,b``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from mcp_servers.errors import DependencyDegraded
from mcp_servers.http_backend import HttpBackend

__all__ = ["AwxApi"]

_MAX_PAGES = 10_000  # a server whose `next` never ends must not hold a call forever
_NAMES_PER_QUERY = 50  # names per `__in` filter, so that URLs stay well under proxies' limits


class AwxApi:
    """Typed-enough access to the AWX endpoints netorch uses; errors are BlockErrors from HttpBackend."""

    def __init__(self, http: HttpBackend, api_path: str, page_size: int = 200) -> None:
        self.http = http
        self.api = api_path
        self.page_size = page_size

    def path(self, tail: str) -> str:
        """The absolute path of an API resource (``jobs/5/`` → ``/api/v2/jobs/5/``)."""
        return f"{self.api}/{tail}"

    async def get(self, tail: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET one JSON object."""
        body = await self.http.get(self.path(tail), params)
        if not isinstance(body, dict):
            raise DependencyDegraded(f"awx GET {self.path(tail)}: expected a JSON object")
        return body

    async def list_all(self, tail: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a paginated list, following ``next`` links."""
        query = {"page_size": self.page_size, **(params or {})}
        page = await self.get(tail, query)
        items = _results(page, tail)
        for _ in range(_MAX_PAGES):
            link = page.get("next")
            if not link:
                return items
            page = await self._follow(str(link))
            items.extend(_results(page, tail))
        raise DependencyDegraded(f"awx GET {self.path(tail)}: more than {_MAX_PAGES} pages")

    async def _follow(self, link: str) -> dict[str, Any]:
        parts = urlsplit(link)  # AWX gives a path; tolerate an absolute URL on the same host
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = await self.http.get(target)
        if not isinstance(body, dict):
            raise DependencyDegraded(f"awx GET {parts.path}: expected a JSON object")
        return body

    async def list_in(
        self, tail: str, field: str, names: Sequence[str], params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every item whose ``field`` is one of ``names`` (``field__in`` filters, a few names per request)."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(names), _NAMES_PER_QUERY):
            chunk = names[start : start + _NAMES_PER_QUERY]
            items.extend(await self.list_all(tail, {**(params or {}), f"{field}__in": ",".join(chunk)}))
        return items

    async def ping(self) -> dict[str, Any]:
        """``ping/``: the version, without credentials."""
        return await self.get("ping/")

    async def me(self) -> dict[str, Any]:
        """``me/``: the user the token belongs to (401 when AWX refuses it)."""
        page = await self.get("me/")
        users = _results(page, "me/")
        return users[0] if users else {}

    async def job_templates(self, name: str | None = None) -> list[dict[str, Any]]:
        """Job templates the token may see (only the one named ``name``, if given)."""
        return await self.list_all("job_templates/", {"name": name} if name is not None else None)

    async def template_by_name(self, name: str) -> dict[str, Any] | None:
        """The job template with exactly this name, or None."""
        for template in await self.job_templates(name):
            if template.get("name") == name:
                return template
        return None

    async def launch_info(self, template_id: int) -> dict[str, Any]:
        """What a launch may override (``ask_*_on_launch``) and what it needs."""
        return await self.get(f"job_templates/{template_id}/launch/")

    async def survey_spec(self, template_id: int) -> dict[str, Any]:
        """The template's survey (``spec``: one entry per variable)."""
        return await self.get(f"job_templates/{template_id}/survey_spec/")

    async def launch(self, template_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Start a job (201): never retried, since a lost answer may hide a started job."""
        answer = await self.http.post(self.path(f"job_templates/{template_id}/launch/"), body)
        if not isinstance(answer, dict) or "job" not in answer:
            raise DependencyDegraded("awx launch: the answer names no job")
        return answer

    async def job(self, job_id: int) -> dict[str, Any]:
        """``jobs/{id}/``: status, limit, extra_vars, event_processing_finished..."""
        return await self.get(f"jobs/{job_id}/")

    async def host_summaries(self, job_id: int) -> list[dict[str, Any]]:
        """One summary per host that finished the playbook (written when its stats are processed)."""
        return await self.list_all(f"jobs/{job_id}/job_host_summaries/")

    async def events(self, job_id: int, hosts: Sequence[str], params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The job's events of these hosts matching ``params`` (e.g. ``failed=true``), in order."""
        query = {**params, "order_by": "counter"}
        return await self.list_in(f"jobs/{job_id}/job_events/", "host_name", list(hosts), query)

    async def cancel(self, job_id: int) -> None:
        """``jobs/{id}/cancel/`` (202; 405 once the job can no longer be canceled)."""
        await self.http.request("POST", self.path(f"jobs/{job_id}/cancel/"), json={}, retry=False)

    async def relaunch(self, job_id: int, hosts: str) -> dict[str, Any]:
        """``jobs/{id}/relaunch/`` with ``hosts`` = ``all`` or ``failed`` (failed and unreachable hosts)."""
        answer = await self.http.post(self.path(f"jobs/{job_id}/relaunch/"), {"hosts": hosts})
        if not isinstance(answer, dict) or "id" not in answer:
            raise DependencyDegraded("awx relaunch: the answer names no job")
        return answer

    async def inventory_hosts(self, inventory_id: int, names: Sequence[str]) -> set[str]:
        """Which of ``names`` are hosts of the inventory."""
        hosts = await self.list_in(f"inventories/{inventory_id}/hosts/", "name", list(names))
        return {str(h.get("name")) for h in hosts}


def _results(page: dict[str, Any], tail: str) -> list[dict[str, Any]]:
    results = page.get("results")
    if not isinstance(results, list):
        raise DependencyDegraded(f"awx GET {tail}: the answer is not a list page")
    return [item for item in results if isinstance(item, dict)]
