"""`netorch chat`: talk to the agent; tool calls stream compactly, writes ask `approve? [y/N]` inline."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.common import console, fail, state


def register(app: typer.Typer) -> None:
    """Add the top-level `chat` command."""

    @app.command("chat")
    def chat(
        ctx: typer.Context,
        script: Annotated[
            Path | None, typer.Option("--script", help="Read lines from FILE instead of the terminal (for tests).")
        ] = None,
        identity: Annotated[
            str | None, typer.Option("--as", help="Your identity for approvals and the audit (default $NETORCH_USER).")
        ] = None,
    ) -> None:
        """Chat with the agent: ask in plain words, follow tool calls live, approve writes inline.

        Slash commands: /runs /show ID /approve ID /reject ID /audit [RUN] /model [NAME] /help /exit.
        Ctrl-C cancels the current step, not the session; history is kept in $NETORCH_HOME/chat_history.

        Example: netorch chat   |   printf 'b-acc-03 is down\\n/runs\\n' | netorch chat
        """
        from orchestrator.chat import BackgroundLoop, ChatSession, script_reader, tty_reader
        from orchestrator.intake.wiring import open_front_door

        settings = state(ctx).settings
        who = identity or os.environ.get("NETORCH_USER") or getpass.getuser()
        if script is not None:
            if not script.is_file():
                fail(f"script file '{script}' not found")
            read = script_reader(iter(script.read_text(encoding="utf-8").splitlines()), console)
        elif not sys.stdin.isatty():
            read = script_reader(iter(sys.stdin.read().splitlines()), console)
        else:
            read = tty_reader(settings.home_path / "chat_history")
        loop = BackgroundLoop()
        try:
            door = loop.enter(lambda: open_front_door(settings))
            code = ChatSession(door, console, read, who, loop).run()
        finally:
            loop.close()
        raise typer.Exit(code)
