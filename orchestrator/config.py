"""netorch configuration: one pydantic model per section of ``netorch.yaml``.

Precedence, highest first: command-line flag, ``NETORCH_<SECTION>__<KEY>`` environment variable,
the YAML file (``--config`` or ``NETORCH_CONFIG``, else ``./netorch.yaml`` if present), defaults.
Every default selects an embedded backend, so an empty file (or none) runs with no network at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from orchestrator.config_secrets import mask_secrets

__all__ = [
    "AgentConfig",
    "ApiConfig",
    "AuditConfig",
    "ConfigError",
    "ExecutorConfig",
    "GuardrailsConfig",
    "LabConfig",
    "LoadedConfig",
    "McpConfig",
    "NotifierConfig",
    "ObservabilityConfig",
    "PipelineConfig",
    "QueueConfig",
    "RunsConfig",
    "ScheduleEntry",
    "Settings",
    "SotConfig",
    "load_config",
]

ENV_PREFIX = "NETORCH_"


class ConfigError(Exception):
    """The configuration file or a value in it is invalid."""


class _Section(BaseModel):
    """Base for sections: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid")


class LabConfig(_Section):
    """The embedded network twin (netlab)."""

    buildings: int = Field(3, ge=1, le=26, description="Number of buildings (a, b, c, ...).")
    access_per_building: int = Field(8, ge=1, le=999, description="Access switches per building.")
    seed: int = Field(1, description="Seed for deterministic topology and state.")
    time_factor: float = Field(
        1.0, ge=0.0, description="Multiplier on simulated device latency (0 = instant, for tests)."
    )
    latency_ms: float = Field(100.0, ge=0.0, description="Default simulated latency of one device change.")


class SotConfig(_Section):
    """Source of Truth backend."""

    backend: Literal["lab", "nautobot"] = "lab"
    options: dict[str, Any] = Field(default_factory=dict, description="Backend-specific options.")


class ObservabilityConfig(_Section):
    """Observability backend."""

    backend: Literal["lab", "prometheus"] = "lab"
    options: dict[str, Any] = Field(default_factory=dict)


class ExecutorConfig(_Section):
    """Executor backend."""

    backend: Literal["lab", "awx"] = "lab"
    options: dict[str, Any] = Field(default_factory=dict)


class McpServerLink(_Section):
    """How netorch reaches one MCP server."""

    transport: Literal["inprocess", "stdio", "http"] = "inprocess"
    url: str | None = Field(None, description="Streamable HTTP URL when transport is http.")
    token: str | None = Field(
        None,
        description="Bearer token sent to an http server (one of that server's api.tokens; a raw block server "
        "wants the role service).",
    )


class McpConfig(_Section):
    """Transports used to reach each building block's MCP server."""

    sot: McpServerLink = Field(default_factory=McpServerLink)
    observability: McpServerLink = Field(default_factory=McpServerLink)
    executor: McpServerLink = Field(default_factory=McpServerLink)


class AuditConfig(_Section):
    """The append-only audit store and its external anchoring."""

    backend: Literal["sqlite", "postgres"] = Field(
        "sqlite", description="Where the records live: the SQLite file audit.db, or PostgreSQL at audit.url."
    )
    url: str | None = Field(
        None,
        validate_default=True,
        description="PostgreSQL URL or conninfo (backend postgres); a member of netorch_audit_writer suffices.",
    )
    admin_url: str | None = Field(
        None, description="A PostgreSQL role that may create and migrate the audit schema (backend postgres)."
    )
    db: str | None = Field(None, description="Audit database path (default: $NETORCH_HOME/audit.db).")
    checkpoint_sink: Literal["jsonl", "syslog", "http"] = "jsonl"
    checkpoint_path: str | None = Field(
        None, description="JSONL checkpoint file (default: $NETORCH_HOME/audit-checkpoints.jsonl)."
    )
    checkpoint_url: str | None = None
    key_file: str | None = Field(None, description="Signing key file (default: $NETORCH_HOME/audit.key).")
    key_env: str = Field("NETORCH_AUDIT_KEY", description="Environment variable holding the signing key.")
    checkpoint_every_records: int = Field(1000, ge=1)
    checkpoint_every_seconds: float = Field(300.0, gt=0)
    redact_patterns: list[str] = Field(default_factory=list, description="Extra regexes whose matches are redacted.")

    @field_validator("url")
    @classmethod
    def _url_for_postgres(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("backend") == "postgres":
            raise ValueError("audit.url is required when audit.backend is postgres")
        return value


class GuardrailsConfig(_Section):
    """Where the policy lives and global switches."""

    policy: str | None = Field(None, description="policy.yaml path (default: built-in safe policy).")
    dry_run: bool = Field(False, description="Force every write to a dry run.")
    db: str | None = Field(
        None, description="Approvals, device locks and write counters (default: $NETORCH_HOME/guardrails.db)."
    )


class AgentConfig(_Section):
    """The incident agent: model backend and budgets."""

    model: Literal["heuristic", "anthropic", "scripted"] = "heuristic"
    options: dict[str, Any] = Field(default_factory=dict, description="Model backend options.")
    max_steps: int = Field(20, ge=1)
    max_tool_calls: int = Field(40, ge=1)
    max_tokens: int = Field(200_000, ge=1)
    max_seconds: float = Field(300.0, gt=0)
    settle_seconds: float = Field(
        0.0, ge=0, description="Wait before a second re-observation after a fix (catches fixes that do not hold)."
    )
    routes: str | None = Field(None, description="Routing rules file (default: the built-in orchestrator/routes.yaml).")


class RunsConfig(_Section):
    """Run store and durability."""

    db: str | None = Field(None, description="Runs database (default: $NETORCH_HOME/runs.db).")
    dedup_window_seconds: float = Field(
        3600.0, ge=0, description="After a run ends, a trigger with its dedup key returns it for this long."
    )
    checkpoints: str | None = Field(
        None, description="LangGraph checkpoints of every run thread (default: $NETORCH_HOME/checkpoints.db)."
    )
    max_branches: int = Field(64, ge=1, le=10_000, description="Graph branches (fan-out lanes) run at once.")
    approval_poll_seconds: float = Field(
        1.0, gt=0, description="How often a run waiting in-process (`run --wait`) looks at its approval."
    )
    lease_seconds: float = Field(
        30.0, ge=1, le=3600, description="A run's owner lease; renewed every third of it while the run executes."
    )
    escalate_to_agent: bool = Field(
        True, description="A workflow ending with a failure it cannot classify starts a linked investigation."
    )


class NotifierConfig(_Section):
    """Where workflow notifications go."""

    backend: Literal["outbox", "webhook", "servicenow"] = "outbox"
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="outbox: path (default $NETORCH_HOME/outbox.jsonl); webhook: url, headers; "
        "servicenow: instance, table, token or user+password.",
    )


class GitWorkflowSource(_Section):
    """A git repository holding workflow definitions (Python modules or YAML) under ``path`` at ``ref``."""

    repo: str = Field(min_length=1, description="Path of the git repository (a clone, or a bare repository).")
    ref: str = Field("main", min_length=1, description="Branch, tag or commit whose definitions are loaded.")
    path: str = Field("workflows", min_length=1, description="Folder inside the repository.")


class PipelineConfig(_Section):
    """Workflow pipeline management: where definitions come from and what promotion requires."""

    db: str | None = Field(None, description="Registry database (default: $NETORCH_HOME/pipeline.db).")
    sources: list[GitWorkflowSource] = Field(
        default_factory=list, description="Git repositories of workflow definitions, besides the installed ones."
    )
    require_tests: bool = Field(
        False, description="Promotion needs a passing `netorch workflows test` of that exact version."
    )


class ApiToken(_Section):
    """A bearer token and the roles it carries."""

    name: str
    token: str
    # ide: the guarded block MCP servers over HTTP; service: a netorch worker reaching a raw block server
    # over HTTP (unguarded on that side: give it to netorch processes only).
    roles: list[Literal["operator", "approver", "auditor", "webhook", "ide", "service"]]


class ApiConfig(_Section):
    """The HTTP API (`netorch serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    tokens: list[ApiToken] = Field(default_factory=list)
    webhook_hmac_secret: str | None = None
    max_wait_seconds: float = Field(300.0, ge=0, description="Upper bound on POST /v1/runs?wait=.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request or webhook body accepted.")
    max_json_depth: int = Field(
        32, ge=4, le=1000, description="Deepest nesting of arrays/objects in a JSON body, checked before parsing."
    )
    ide_may_approve: bool = Field(
        False, description="Whether the orchestrator MCP server's `approve` tool may decide approvals."
    )
    authorization_servers: list[str] = Field(
        default_factory=list,
        description="OAuth authorization servers named in the MCP servers' protected-resource metadata "
        "(RFC 9728); empty with static api.tokens.",
    )

    @field_validator("tokens")
    @classmethod
    def _distinct_token_values(cls, tokens: list[ApiToken]) -> list[ApiToken]:
        # A bearer token is an identity: two names sharing one value make the caller ambiguous.
        seen: dict[str, str] = {}
        for token in tokens:
            if token.token in seen:
                raise ValueError(
                    f"tokens '{seen[token.token]}' and '{token.name}' have the same value: give every token its own"
                )
            seen[token.token] = token.name
        return tokens


class ScheduleEntry(_Section):
    """A cron schedule that starts a workflow."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    cron: str = Field(description="Five-field cron expression, e.g. '0 2 * * *' (parsed by croniter).")
    workflow: str
    params: dict[str, Any] = Field(default_factory=dict)
    missed: Literal["skip", "catch_up_once"] = Field(
        "skip", description="Slots missed while netorch was down: skip them, or run once for the latest."
    )
    timezone: str = Field("UTC", description="IANA zone the cron expression is read in.")
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value


class QueueConfig(_Section):
    """NATS JetStream trigger consumer."""

    enabled: bool = False
    url: str = "nats://127.0.0.1:4222"
    stream: str = "NETORCH"
    subject: str = "netorch.triggers"
    durable: str = "netorch-workers"
    create_stream: bool = Field(True, description="Create the stream (on `subject`) if it does not exist.")
    batch: int = Field(10, ge=1, le=1000, description="Messages fetched per pull.")
    fetch_timeout_seconds: float = Field(1.0, gt=0)
    ack_wait_seconds: float = Field(30.0, gt=0, description="JetStream redelivers a message not acked in this time.")
    max_deliver: int = Field(20, ge=1)
    retry_delay_seconds: float = Field(
        2.0, ge=0, description="Delay before a message we failed to store is redelivered."
    )
    connect_timeout_seconds: float = Field(2.0, gt=0)


class Settings(_Section):
    """The whole effective configuration."""

    home: str = Field(".netorch", description="Data directory: lab state, runs, checkpoints, audit.")
    lab: LabConfig = Field(default_factory=LabConfig)
    sot: SotConfig = Field(default_factory=SotConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    guardrails: GuardrailsConfig = Field(default_factory=GuardrailsConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    runs: RunsConfig = Field(default_factory=RunsConfig)
    notifier: NotifierConfig = Field(default_factory=NotifierConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    schedules: list[ScheduleEntry] = Field(default_factory=list)
    queue: QueueConfig = Field(default_factory=QueueConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)

    @property
    def home_path(self) -> Path:
        """The data directory as an absolute path."""
        return Path(self.home).expanduser().resolve()

    def data_path(self, explicit: str | None, default_name: str) -> Path:
        """Resolve an optional configured path, defaulting to a file under the home directory."""
        return Path(explicit).expanduser().resolve() if explicit else self.home_path / default_name

    @property
    def lab_db(self) -> Path:
        """The netlab database."""
        return self.home_path / "lab.db"


class LoadedConfig(BaseModel):
    """Effective settings plus where every leaf value came from."""

    settings: Settings
    sources: dict[str, str]
    path: str | None

    def flat(self, *, masked: bool = False) -> dict[str, Any]:
        """The effective settings as dotted keys; ``masked`` hides every secret (for printing)."""
        items = _flatten(self.settings.model_dump(mode="json"))
        if masked:
            return {key: mask_secrets(value, key) for key, value in items}
        return dict(items)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not dotted.endswith("options"):
            items.extend(_flatten(value, dotted + "."))
        else:
            items.append((dotted, value))
    return items


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _merge(base: dict[str, Any], layer: Mapping[str, Any], source: str, sources: dict[str, str]) -> None:
    for dotted, value in _flatten(layer):
        _set_dotted(base, dotted, value)
        sources[dotted] = source


def _env_layer(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Read ``NETORCH_SECTION__KEY=value``; values are parsed as YAML scalars (so 3 is an int)."""
    layer: dict[str, Any] = {}
    names: dict[str, str] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :]
        if rest == "HOME":
            dotted = "home"
        elif "__" in rest:
            dotted = ".".join(part.lower() for part in rest.split("__"))
        else:
            continue  # NETORCH_CONFIG and secrets such as NETORCH_AUDIT_KEY are not settings
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        if dotted == "home":
            value = raw
        _set_dotted(layer, dotted, value)
        names[dotted] = f"env {name}"
    return layer, names


def _describe_error(exc: ValidationError, merged: Mapping[str, Any], sources: Mapping[str, str]) -> str:
    err = exc.errors()[0]
    dotted = ".".join(str(p) for p in err["loc"])
    value = mask_secrets(err.get("input"), dotted)  # the message is printed: never with a token in it
    origin = sources.get(dotted, "default")
    if err["type"] == "extra_forbidden":
        return f"unknown config key '{dotted}' (from {origin})"
    return f"invalid config value {dotted}={value!r} (from {origin}): {err['msg']}"


def load_config(
    path: str | Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Load the effective configuration.

    Args:
        path: the YAML file; ``None`` means ``NETORCH_CONFIG`` or ``./netorch.yaml`` if it exists.
        overrides: dotted keys set by command-line flags (highest precedence).
        environ: the environment to read (default ``os.environ``).

    Raises:
        ConfigError: one line naming the bad key and value.
    """
    env = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    chosen: Path | None = None
    if path is not None:
        chosen = Path(path)
        if not chosen.is_file():
            raise ConfigError(f"config file '{chosen}' not found")
    elif env.get("NETORCH_CONFIG"):
        chosen = Path(env["NETORCH_CONFIG"])
        if not chosen.is_file():
            raise ConfigError(f"config file '{chosen}' not found (from NETORCH_CONFIG)")
    elif Path("netorch.yaml").is_file():
        chosen = Path("netorch.yaml")
    if chosen is not None:
        try:
            data = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"config file '{chosen}' is not valid YAML{where}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"config file '{chosen}' must hold a mapping of sections, not {type(data).__name__}")
        _merge(merged, data, f"file {chosen}", sources)
    env_layer, env_sources = _env_layer(env)
    _merge(merged, env_layer, "env", sources)
    sources.update(env_sources)
    if overrides:
        for dotted, value in overrides.items():
            if value is None:
                continue
            _set_dotted(merged, dotted, value)
            sources[dotted] = "flag"
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe_error(exc, merged, sources)) from None
    return LoadedConfig(settings=settings, sources=sources, path=str(chosen) if chosen else None)
