"""Sub-commands loaded when they are used, so that `netorch --help` does not import the whole stack.

Each command area lives in its own module (`runs_cmd`, `mcp_cmd`, ...); importing them all pulls
the MCP SDK, LangGraph and pydantic models and cost ~0.7 s of CPU before any help was printed.
The root group lists the names below and imports a module only when one of its commands is
resolved. The short help shown by `netorch --help` is kept here; a test checks that it still
matches each command's own docstring.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Literal

import typer
from typer import _click
from typer.core import TyperGroup
from typer.main import get_command, get_group

__all__ = ["LAZY_COMMANDS", "LazyCommand", "LazyCommands"]


@dataclass(frozen=True)
class LazyCommand:
    """Where a root sub-command lives: a Typer group (`app`) or a `register(app)` module."""

    module: str
    kind: Literal["group", "command"]
    help: str


_G: Literal["group"] = "group"
_C: Literal["command"] = "command"

LAZY_COMMANDS: Mapping[str, LazyCommand] = {
    "approvals": LazyCommand(
        "orchestrator.cli.approvals_cmd", _C, "List approval requests (timeouts are applied first)."
    ),
    "approve": LazyCommand(
        "orchestrator.cli.approvals_cmd", _C, "Approve a pending request; it then allows exactly that call, once."
    ),
    "reject": LazyCommand(
        "orchestrator.cli.approvals_cmd", _C, "Reject a pending request; the call it covers is refused."
    ),
    "run": LazyCommand(
        "orchestrator.cli.run_cmd",
        _C,
        "Run a workflow here until it ends or waits for an approval (`--wait` keeps waiting).",
    ),
    "demo": LazyCommand(
        "orchestrator.cli.demo_cmd",
        _C,
        "The main job: deploy a VLAN service with a partial failure, watch the saga undo only the failed scope.",
    ),
    "investigate": LazyCommand(
        "orchestrator.cli.investigate_cmd",
        _C,
        "Investigate a question or an alert: live trace (tool calls, decisions, approvals), then the Finding.",
    ),
    "serve": LazyCommand(
        "orchestrator.cli.serve_cmd",
        _C,
        "Serve the HTTP API (OpenAPI at /docs and /openapi.json), run schedules and consume the queue.",
    ),
    "chat": LazyCommand(
        "orchestrator.cli.chat_cmd",
        _C,
        "Chat with the agent: ask in plain words, follow tool calls live, approve writes inline.",
    ),
    "config": LazyCommand("orchestrator.cli.config_cmd", _G, "Inspect the effective configuration."),
    "lab": LazyCommand(
        "orchestrator.cli.lab_cmd",
        _G,
        "The embedded network twin: init, status, show, inject and clear faults, metrics.",
    ),
    "audit": LazyCommand(
        "orchestrator.cli.audit_cmd",
        _G,
        "The tamper-evident audit log: verify it, read it, export it, prove records to third parties.",
    ),
    "mcp": LazyCommand(
        "orchestrator.cli.mcp_cmd", _G, "Serve the Source of Truth, Observability and Executor blocks over MCP."
    ),
    "policy": LazyCommand("orchestrator.cli.policy_cmd", _G, "Check guardrails policy files and explain decisions."),
    "runs": LazyCommand("orchestrator.cli.runs_cmd", _G, "Inspect, cancel and resume runs."),
    "workflows": LazyCommand(
        "orchestrator.cli.workflows_cmd",
        _G,
        "Workflow definitions: versions and states, promotion, definition rollback, tests, canary, shadow.",
    ),
    "sot": LazyCommand(
        "orchestrator.cli.sot_cmd", _G, "The Source of Truth: load the lab's intent into a real Nautobot."
    ),
    "eval": LazyCommand("orchestrator.cli.eval_cmd", _G, "Offline evals: scenarios, trials, graders, pass^k."),
}


def load(name: str, entry: LazyCommand) -> _click.Command:
    """Import the command's module and build its click command, named ``name``."""
    module = importlib.import_module(entry.module)
    if entry.kind == "group":
        command = get_group(module.app)
        command.name = name
        return command
    scratch = typer.Typer()
    module.register(scratch)
    built = get_command(scratch)
    if isinstance(built, TyperGroup):
        found = built.commands.get(name)
        if found is None:
            raise LookupError(f"{entry.module}.register() added no command '{name}'")
        return found
    return built


class LazyCommands(MutableMapping[str, _click.Command]):
    """A group's command table whose lazy entries are built on first lookup.

    Iterating lists every name without importing anything, so `--help` and "did you mean"
    suggestions stay cheap; `loaded(name)` tells the help formatter whether to ask the command.
    """

    def __init__(self, eager: Mapping[str, _click.Command], lazy: Mapping[str, LazyCommand]) -> None:
        self._built = dict(eager)
        # A name is in exactly one of the two tables: built (eager or used) or still lazy.
        self._lazy = {k: v for k, v in lazy.items() if k not in self._built}

    def loaded(self, name: str) -> bool:
        """True when the command is built (eager, or already used)."""
        return name in self._built

    def short_help(self, name: str) -> str:
        """The static short help of a lazy command that has not been built."""
        return self._lazy[name].help

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._lazy

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._built:
            entry = self._lazy.pop(name)  # KeyError for an unknown command, as a dict would raise
            self._built[name] = load(name, entry)
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._built[name] = command
        self._lazy.pop(name, None)

    def __delitem__(self, name: str) -> None:
        if self._built.pop(name, None) is None and self._lazy.pop(name, None) is None:
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from self._built
        yield from self._lazy

    def __len__(self) -> int:
        return len(self._built) + len(self._lazy)
