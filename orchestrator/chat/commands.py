"""Parse one line typed at the ``netorch chat`` prompt: a slash command or a message for the agent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["COMMANDS", "HELP", "Command", "parse_line"]

CommandName = Literal["ask", "runs", "show", "approve", "reject", "audit", "model", "help", "exit", "empty", "unknown"]

COMMANDS: dict[str, str] = {
    "/runs": "list recent runs",
    "/show ID": "show a run: status, steps, devices",
    "/approve ID": "approve a pending approval (as you)",
    "/reject ID": "reject a pending approval",
    "/audit [RUN]": "recent audit records (of one run)",
    "/model [NAME]": "show the model backend, or use NAME for the next questions",
    "/help": "this list",
    "/exit": "leave (Ctrl-D works too; Ctrl-C only cancels the current step)",
}
HELP = "\n".join(f"  {name:<14} {text}" for name, text in COMMANDS.items())
_NEEDS_ARG = {"show", "approve", "reject"}
_ALIASES = {"quit": "exit", "q": "exit", "?": "help"}


@dataclass(frozen=True)
class Command:
    """A parsed line: ``name`` plus its argument (the message itself for ``ask``), or an error."""

    name: CommandName
    arg: str = ""
    error: str | None = None


def parse_line(line: str) -> Command:
    """Parse a prompt line; anything not starting with ``/`` is a question for the agent."""
    text = line.strip()
    if not text:
        return Command("empty")
    if not text.startswith("/"):
        return Command("ask", text)
    word, _, rest = text[1:].partition(" ")
    name = _ALIASES.get(word.lower(), word.lower())
    arg = rest.strip()
    known = {"runs", "show", "approve", "reject", "audit", "model", "help", "exit"}
    if name not in known:
        return Command("unknown", text, error=f"unknown command '/{word}' (try /help)")
    if name in _NEEDS_ARG and not arg:
        return Command(
            "unknown",
            text,
            error=f"/{name} needs an id, e.g. /{name} {'apr-1a2b' if name != 'show' else 'r-20261128T140512-3f9a1c'}",
        )
    return Command(name, arg)  # type: ignore[arg-type]
