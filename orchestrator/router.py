"""Routing between the two brains: a known operation goes to its workflow, anything else to the agent.

Rules live in YAML (``orchestrator/routes.yaml`` is the built-in default; ``agent.routes`` in
netorch.yaml names another file). The first rule that matches wins. Rules match structured fields
only — kind, alert name, labels, ITSM category, named fields — never free text such as alert
annotations, so nobody can steer routing by writing into a description.

    router = load_router(settings, workflows=runtime.workflows)
    route = router.route(alert)                 # Route(kind="workflow", name="drift_remediation", ...)
    route = router.route_trigger(RouteInput.from_question("why is b-acc-03 down?"))
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orchestrator.config import Settings

__all__ = ["DEFAULT_ROUTES", "Route", "RouteInput", "RouteRule", "Router", "RouterError", "load_router"]

DEFAULT_ROUTES = Path(__file__).with_name("routes.yaml")
TriggerKind = Literal["alert", "itsm", "question", "workflow_failure", "api"]
Patterns = str | list[str]
_REF = re.compile(r"\{([A-Za-z0-9_.]+)\}")


class RouterError(Exception):
    """A routing file or rule is invalid; the message names the file, the rule and the bad value."""


class RuleMatch(BaseModel):
    """Conditions of a rule; all given ones must hold, a list means any of its patterns."""

    model_config = ConfigDict(extra="forbid")

    kind: TriggerKind | list[TriggerKind] | None = None
    alertname: Patterns | None = None
    labels: dict[str, Patterns] = Field(default_factory=dict)
    category: Patterns | None = None
    fields: dict[str, Patterns] = Field(default_factory=dict)


class RouteRule(BaseModel):
    """One rule: a match, then a workflow (with params built from the trigger), an investigation, or nothing."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    match: RuleMatch = Field(default_factory=RuleMatch)
    workflow: str | None = None
    params: dict[str, Any] | str = Field(default_factory=dict)
    investigate: bool = False
    ignore: bool = Field(False, description="Start nothing (e.g. an ITSM change that is not approved yet).")

    @model_validator(mode="after")
    def _one_target(self) -> RouteRule:
        if bool(self.workflow) + self.investigate + self.ignore != 1:
            raise ValueError("give exactly one of 'workflow', 'investigate: true' or 'ignore: true'")
        return self


class _RoutesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    rules: list[RouteRule]


@dataclass(frozen=True)
class Route:
    """Where a trigger goes: a workflow with its params, an investigation with the agent's trigger, or nowhere."""

    kind: Literal["workflow", "investigation", "ignore"]
    name: str
    input: dict[str, Any] = field(default_factory=dict)
    rule: str = ""


@dataclass(frozen=True)
class RouteInput:
    """A trigger as rules see it: its kind, structured fields, and what an investigation would start from."""

    kind: TriggerKind
    fields: dict[str, Any]
    investigation: dict[str, Any]
    subject: str

    @classmethod
    def from_alert(cls, alert: Mapping[str, Any]) -> RouteInput:
        """One Alertmanager alert, or a v4 payload (its first firing alert decides)."""
        one = alert
        if isinstance(alert.get("alerts"), list) and alert["alerts"]:
            firing = [a for a in alert["alerts"] if a.get("status", "firing") == "firing"] or alert["alerts"]
            one = firing[0]
        labels = {str(k): str(v) for k, v in (one.get("labels") or {}).items()}
        # Annotations are free text anyone can write: kept for the investigation, never matched on.
        structured = {k: v for k, v in one.items() if k != "annotations"}
        name = labels.get("alertname", "alert")
        where = " ".join(x for x in (labels.get("device"), labels.get("interface")) if x)
        return cls(
            "alert",
            {**structured, "alertname": name, "labels": labels},
            {"alert": dict(alert)},
            f"{name} on {where}" if where else name,
        )

    @classmethod
    def from_itsm(cls, event: Mapping[str, Any]) -> RouteInput:
        """An ITSM change event (or the intake's request built from one)."""
        data = dict(event)
        given = data.get("variables") if isinstance(data.get("variables"), dict) else data.get("input") or {}
        variables = dict(given) if isinstance(given, Mapping) else {}
        # The catalogue category chooses the rule; it is not workflow input, so params never carry it.
        data["category"] = variables.pop("category", None) or data.get("category")
        data["variables"] = variables
        if isinstance(data.get("input"), Mapping):
            data["input"] = {k: v for k, v in data["input"].items() if k != "category"}
        ticket = data.get("ticket") or data.get("number") or "ticket"
        subject = f"ITSM {ticket}: {data.get('short_description') or 'request'}"
        return cls("itsm", data, {"question": subject}, subject)

    @classmethod
    def from_question(cls, question: str) -> RouteInput:
        """An operator's question (always the agent unless a rule says otherwise)."""
        return cls("question", {"text": question}, {"question": question}, question[:80])

    @classmethod
    def from_workflow_failure(
        cls, workflow: str, *, run_id: str, error: str, devices: Sequence[str] = (), step: str | None = None
    ) -> RouteInput:
        """A workflow that met a failure it has no branch for."""
        spec = {"workflow": workflow, "run_id": run_id, "error": error, "devices": list(devices), "step": step}
        return cls("workflow_failure", dict(spec), {"workflow": spec}, f"{workflow} escalated: {error[:60]}")


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def _matches(value: Any, patterns: Patterns | Sequence[str]) -> bool:
    if value is None:
        return False
    options = [patterns] if isinstance(patterns, str) else list(patterns)
    return any(fnmatch.fnmatchcase(str(value), p) for p in options)


def _render(template: Any, data: Mapping[str, Any]) -> Any:
    """Fill ``{path}`` references; a string that is exactly one reference keeps the value's type."""
    if isinstance(template, dict):
        return {k: _render(v, data) for k, v in template.items()}
    if isinstance(template, list):
        return [_render(v, data) for v in template]
    if not isinstance(template, str):
        return template
    whole = _REF.fullmatch(template)
    if whole:
        return _lookup(data, whole.group(1))
    return _REF.sub(lambda m: str(_lookup(data, m.group(1))), template)


class Router:
    """Ordered rules; ``workflows`` (name → version), when given, is what may be started."""

    def __init__(self, rules: Sequence[RouteRule], *, source: str, workflows: Mapping[str, str] | None = None) -> None:
        self.rules = list(rules)
        self.source = source
        self.workflows = dict(workflows) if workflows is not None else None

    @classmethod
    def load(cls, path: str | Path | None = None, *, workflows: Mapping[str, str] | None = None) -> Router:
        """Read a routes file (the built-in default when ``path`` is None).

        Raises:
            RouterError: one line naming the file and the bad rule or key.
        """
        file = Path(path) if path is not None else DEFAULT_ROUTES
        if not file.is_file():
            raise RouterError(f"routes file '{file}' not found")
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            parsed = _RoutesFile.model_validate(raw)
        except yaml.YAMLError:
            raise RouterError(f"routes file '{file}' is not valid YAML") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = list(err["loc"])
            where = ".".join(str(p) for p in loc)
            if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(raw, dict):
                rule = (raw.get("rules") or [{}])[loc[1]]
                rule_id = rule.get("id") if isinstance(rule, dict) else None
                where = f"rule '{rule_id or loc[1]}'" + (f" key {'.'.join(map(str, loc[2:]))}" if loc[2:] else "")
            raise RouterError(f"routes file '{file}': {where}: {err['msg']} (got {err.get('input')!r})") from None
        ids = [r.id for r in parsed.rules]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate:
            raise RouterError(f"routes file '{file}': duplicate rule id '{duplicate}'")
        return cls(parsed.rules, source=str(file), workflows=workflows)

    def _rule_matches(self, rule: RouteRule, trig: RouteInput) -> bool:
        m = rule.match
        if m.kind is not None and trig.kind not in ([m.kind] if isinstance(m.kind, str) else m.kind):
            return False
        if m.alertname is not None and not _matches(trig.fields.get("alertname"), m.alertname):
            return False
        labels = trig.fields.get("labels") or {}
        if any(not _matches(labels.get(k), p) for k, p in m.labels.items()):
            return False
        if m.category is not None and not _matches(trig.fields.get("category"), m.category):
            return False
        for dotted, patterns in m.fields.items():
            try:
                value = _lookup(trig.fields, dotted)
            except KeyError:
                return False
            if not _matches(value, patterns):
                return False
        return True

    def route_trigger(self, trig: RouteInput) -> Route:
        """The first matching rule's route; with no match at all, an investigation."""
        for rule in self.rules:
            if not self._rule_matches(rule, trig):
                continue
            if rule.investigate:
                return Route("investigation", trig.subject, trig.investigation, rule.id)
            if rule.ignore:
                return Route("ignore", trig.subject, {}, rule.id)
            try:
                name = str(_render(rule.workflow, trig.fields))
                params = _render(rule.params, trig.fields)
            except KeyError:
                continue  # the trigger lacks a field the workflow needs: let a later rule decide
            if self.workflows is not None and name not in self.workflows:
                continue  # not installed here: fall through rather than start something unknown
            if not isinstance(params, dict):
                raise RouterError(f"route '{rule.id}': params must render to a mapping, got {type(params).__name__}")
            return Route("workflow", name, params, rule.id)
        return Route("investigation", trig.subject, trig.investigation, "")

    def route(self, alert: Mapping[str, Any]) -> Route:
        """The route of one Alertmanager alert (same call as ``orchestrator.runs.routing.AlertRouter``)."""
        return self.route_trigger(RouteInput.from_alert(alert))


def load_router(settings: Settings, *, workflows: Mapping[str, str] | None = None) -> Router:
    """The router configured by ``agent.routes`` (or the built-in rules)."""
    return Router.load(settings.agent.routes, workflows=workflows)
