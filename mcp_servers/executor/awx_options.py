"""`executor.options` of the AWX backend, validated; the token is read from its env var or file here.

Example::

    executor:
      backend: awx
      options:
        url: https://awx.example.net          # the host; the API lives under api_path
        token_env: AWX_TOKEN                  # or token_file: /run/secrets/awx (never token: ...)
        templates:                            # netorch template name -> AWX job template name
          vlan_deploy: "Campus - VLAN deploy"
          interface_bounce: "Campus - interface bounce"
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mcp_servers.credentials import Secret, read_secret
from mcp_servers.errors import McpSetupError
from mcp_servers.retry import RetryPolicy

__all__ = ["AwxOptions", "parse_awx_options"]

_SECRET_KEYS = ("token", "token_env", "token_file")
_RETRY_KEYS = ("retries", "retry_base_delay_s")


class AwxOptions(BaseModel):
    """The AWX backend's options, without the credential (see :func:`parse_awx_options`)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="AWX (or AAP controller) base URL, e.g. https://awx.example.net.")
    api_path: str = Field("/api/v2", description="API root under url (AAP 2.5 gateway: /api/controller/v2).")
    templates: dict[str, str] | list[str] | None = Field(
        None,
        description="netorch template name -> AWX job template name (a list: the same names); "
        "unset: every job template the token can see, under its AWX name.",
    )
    timeout_s: float = Field(10.0, gt=0, le=300, description="Timeout of one HTTP request.")
    verify_tls: bool | str = Field(True, description="Verify the server certificate; a path names a CA bundle.")
    poll_interval_s: float = Field(1.0, gt=0, le=60, description="First delay between two polls of a running job.")
    max_poll_interval_s: float = Field(10.0, gt=0, le=300, description="Polls slow down to at most this delay.")
    page_size: int = Field(200, ge=1, le=200, description="Items per AWX list request (AWX caps it at 200).")
    check_hosts: bool = Field(
        True, description="Refuse a launch naming a host that is not in the template's inventory."
    )
    transient_patterns: list[str] = Field(
        default_factory=list, description="Extra regexes: a failed host whose message matches may succeed on retry."
    )
    db: str | None = Field(None, description="Idempotency key store (default: <home>/awx-keys.db).")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("api_path")
    @classmethod
    def _api_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("expected a path starting with /")
        return value.rstrip("/")

    @field_validator("transient_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
        return value

    def template_map(self) -> dict[str, str] | None:
        """netorch name -> AWX name, or None when every visible template is offered under its own name."""
        if self.templates is None:
            return None
        if isinstance(self.templates, list):
            return {name: name for name in self.templates}
        return dict(self.templates)

    def key_db(self, home: Path) -> Path:
        """Where the idempotency keys of launches are kept."""
        return Path(self.db).expanduser() if self.db else home / "awx-keys.db"


def parse_awx_options(
    options: dict[str, Any], *, environ: dict[str, str] | None = None
) -> tuple[AwxOptions, Secret, RetryPolicy]:
    """Validate `executor.options`; McpSetupError names the bad key (and never shows the token)."""
    secret = read_secret(options, "token", section="executor", environ=environ)
    if secret is None:  # read_secret raises first when required; kept for the type checker
        raise McpSetupError("executor.options: the awx backend needs token_env or token_file")
    retry = RetryPolicy.from_options(options, section="executor")
    rest = {k: v for k, v in options.items() if k not in _SECRET_KEYS and k not in _RETRY_KEYS}
    try:
        parsed = AwxOptions.model_validate(rest)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise McpSetupError(f"unknown executor.options key '{key}' (the awx backend does not take it)") from None
        if err["type"] == "missing":
            raise McpSetupError(f"executor.options.{key} is required by the awx backend") from None
        raise McpSetupError(
            f"invalid executor.options.{key}={err.get('input')!r}: {err['msg'].removeprefix('Value error, ')}"
        ) from None
    if parsed.max_poll_interval_s < parsed.poll_interval_s:
        raise McpSetupError(
            f"invalid executor.options.max_poll_interval_s={parsed.max_poll_interval_s}: "
            f"smaller than poll_interval_s={parsed.poll_interval_s}"
        )
    return parsed, secret, retry
