"""Backend credentials: read from an environment variable or a file, never from netorch.yaml itself.

A backend option ``token`` is given as ``token_env: NAUTOBOT_TOKEN`` (the variable's name) or
``token_file: /run/secrets/nautobot`` (a file holding it; surrounding whitespace is dropped). A
literal ``token:`` in the config is refused: config files are copied, committed and printed
(`netorch config show`), secrets must not be. The value comes back as a :class:`Secret`, whose
``repr``/``str`` never show it, so that logging a backend's options or an exception cannot leak it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcp_servers.errors import McpSetupError

__all__ = ["Secret", "read_secret"]


class Secret:
    """A credential whose text is only available through :meth:`reveal`."""

    __slots__ = ("_source", "_value")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self._source = source

    def reveal(self) -> str:
        """The secret itself, for the one place that sends it (an Authorization header)."""
        return self._value

    @property
    def source(self) -> str:
        """Where it came from (``env NAUTOBOT_TOKEN``, ``file /run/secrets/x``), safe to show."""
        return self._source

    def __repr__(self) -> str:
        return f"Secret(<from {self._source}>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


def read_secret(
    options: Mapping[str, Any],
    name: str,
    *,
    section: str,
    required: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Secret | None:
    """The credential ``name`` of a backend, from ``<name>_env`` or ``<name>_file`` in its options.

    Raises McpSetupError naming the option when the value is literal, the variable is unset or
    empty, the file is unreadable or empty, or (``required``) nothing is configured.
    """
    env = os.environ if environ is None else environ
    where = f"{section}.options"
    if name in options:
        raise McpSetupError(
            f"{where}.{name}: do not put credentials in the config file; "
            f"use {name}_env (an environment variable's name) or {name}_file (a file holding it)"
        )
    var = options.get(f"{name}_env")
    path = options.get(f"{name}_file")
    if var is not None and path is not None:
        raise McpSetupError(f"{where}: give {name}_env or {name}_file, not both")
    if var is not None:
        if not isinstance(var, str) or not var:
            raise McpSetupError(f"invalid {where}.{name}_env={var!r}: expected an environment variable name")
        value = env.get(var, "")
        if not value.strip():
            raise McpSetupError(f"{where}.{name}_env: environment variable {var} is not set or empty")
        return Secret(value.strip(), f"env {var}")
    if path is not None:
        if not isinstance(path, str) or not path:
            raise McpSetupError(f"invalid {where}.{name}_file={path!r}: expected a file path")
        file = Path(path).expanduser()
        try:
            value = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise McpSetupError(f"{where}.{name}_file: cannot read '{file}': {exc.strerror or exc}") from None
        if not value:
            raise McpSetupError(f"{where}.{name}_file: '{file}' is empty")
        return Secret(value, f"file {file}")
    if required:
        raise McpSetupError(f"{where}: the {section} backend needs {name}_env or {name}_file")
    return None
