"""The ``netorch chat`` loop: questions become investigations, followed live, approved inline.

Threads: an asyncio loop runs in a background thread for the whole session (the runs started from
the chat execute there and keep going while the operator types); the main thread reads lines with
``input()`` (readline history) and waits on that loop. So Ctrl-C arrives in the main thread: while a
step is being followed it cancels that run and returns to the prompt; at the prompt it does nothing
but say how to leave.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orchestrator.chat.commands import HELP, Command, parse_line
from orchestrator.chat.render import render_record, short
from orchestrator.intake.frontdoor import FrontDoor
from orchestrator.runs import TERMINAL, RunKind

__all__ = ["BackgroundLoop", "ChatSession", "LineReader", "script_reader", "tty_reader"]

T = TypeVar("T")
LineReader = Callable[[str], str]
"""Returns the next line for a prompt; raises EOFError at the end."""


def tty_reader(history: Path) -> LineReader:
    """``input()`` with a readline history file (created under NETORCH_HOME)."""
    try:
        import readline
    except ImportError:  # pragma: no cover - readline exists on Linux and macOS
        return input
    history.parent.mkdir(parents=True, exist_ok=True)
    if history.exists():
        readline.read_history_file(history)
    readline.set_history_length(2000)

    def read(prompt: str) -> str:
        line = input(prompt)
        readline.write_history_file(history)
        return line

    return read


def script_reader(lines: Iterator[str], console: Console) -> LineReader:
    """Read from a script (a file or piped stdin), echoing each line after its prompt."""

    def read(prompt: str) -> str:
        line = next(lines, None)
        if line is None:
            raise EOFError
        console.print(prompt + line.rstrip("\n"), markup=False, highlight=False)
        return line.rstrip("\n")

    return read


class BackgroundLoop:
    """An asyncio loop on its own thread, alive for the whole session."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="netorch-chat-loop", daemon=True)
        self._thread.start()
        self._release: asyncio.Event | None = None
        self._holders: list[concurrent.futures.Future[None]] = []

    def wait(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for it; Ctrl-C cancels it and re-raises."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            raise

    def enter(self, factory: Callable[[], AbstractAsyncContextManager[T]]) -> T:
        """Enter an async context manager in one task of the loop and hold it open until close().

        anyio (under the MCP clients) requires a context to be exited by the task that entered it.
        """
        ready: concurrent.futures.Future[T] = concurrent.futures.Future()

        async def hold() -> None:
            self._release = asyncio.Event()
            try:
                async with factory() as value:
                    ready.set_result(value)
                    await self._release.wait()
            except BaseException as exc:
                if not ready.done():
                    ready.set_exception(exc)
                raise

        self._holders.append(asyncio.run_coroutine_threadsafe(hold(), self.loop))
        return ready.result()

    def close(self) -> None:
        """Leave held contexts, cancel what still runs on the loop, and stop it."""
        if self._release is not None:
            self.loop.call_soon_threadsafe(self._release.set)
            for holder in self._holders:
                with contextlib.suppress(Exception):
                    holder.result(timeout=30)

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


@dataclass
class ChatSession:
    """One operator's conversation; ``identity`` is who approves and who is audited as the actor."""

    door: FrontDoor
    console: Console
    read: LineReader
    identity: str
    loop: BackgroundLoop
    poll_seconds: float = 0.1
    model: str | None = None
    turns: list[dict[str, Any]] = field(default_factory=list)

    def _wait(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.wait(coro)

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> int:
        """Read and handle lines until /exit or end of input; returns the exit code."""
        self.console.print(f"netorch chat as [bold]{escape(self.identity)}[/] — /help for commands, /exit to leave")
        while True:
            try:
                line = self.read("netorch> ")
            except EOFError:
                self.console.print()
                return 0
            except KeyboardInterrupt:
                self.console.print("\n[dim](Ctrl-C cancels a running step; /exit or Ctrl-D leaves)[/]")
                continue
            command = parse_line(line)
            if command.name == "exit":
                return 0
            try:
                self.handle(command)
            except KeyboardInterrupt:
                self.console.print("[yellow]cancelled[/]")

    def handle(self, command: Command) -> None:
        """Dispatch one parsed line."""
        if command.error:
            self.console.print(f"[red]{escape(command.error)}[/]")
        elif command.name == "ask":
            self.ask(command.arg)
        elif command.name == "help":
            self.console.print(HELP, markup=False)
        elif command.name == "runs":
            self.show_runs()
        elif command.name == "show":
            self.show_run(command.arg)
        elif command.name in ("approve", "reject"):
            self.decide(command.arg, approve=command.name == "approve")
        elif command.name == "audit":
            self.show_audit(command.arg or None)
        elif command.name == "model":
            self.set_model(command.arg)

    # -- asking the agent -----------------------------------------------------------------------

    def ask(self, text: str) -> None:
        """Start an investigation of ``text`` (with the earlier turns as context) and follow it."""
        from orchestrator.intake.requests import StartRequest

        context: dict[str, Any] = {"conversation": self.turns[-5:], "channel": "chat"}
        if self.model:
            context["model"] = self.model
        request = StartRequest(investigation=text, input=context)
        item = request.item("chat", f"{self.identity}:{uuid.uuid4().hex}", f"chat:{self.identity}")
        [submitted] = self._wait(self.door.dispatcher.submit([item]))
        if submitted.run_id is None:
            self.console.print(f"[red]not started: {escape(submitted.error or submitted.status)}[/]")
            return
        self.console.print(f"[dim]run {submitted.run_id}[/]")
        try:
            status = self.follow(submitted.run_id)
        except KeyboardInterrupt:
            self._cancel(submitted.run_id)
            status = "cancelled"
        self.turns.append({"question": text, "run_id": submitted.run_id, "status": status})

    def _cancel(self, run_id: str) -> None:
        from orchestrator.runs.errors import RunError

        try:
            self.door.runs.cancel(run_id, actor=self.identity, reason="cancelled from chat (Ctrl-C)")
            self.console.print(f"[yellow]cancelled run {run_id}[/] (the session goes on)")
        except RunError as exc:
            self.console.print(f"[yellow]{escape(str(exc))}[/]")

    def follow(self, run_id: str) -> str:
        """Print the run's audit trail as it grows; ask inline for approvals; return the final status."""
        after = 0
        asked: set[str] = set()
        while True:
            run = self.door.runs.get(run_id)
            records = self.door.audit.records(run_id=run_id, after_seq=after, limit=500)
            for record in records:
                after = record.seq
                line = render_record(record)
                if line:
                    self.console.print(line, highlight=False)
            if run.status in TERMINAL:
                self._conclude(run)
                return run.status.value
            approval_id = (run.waiting_on or {}).get("approval_id")
            if approval_id and approval_id not in asked:
                asked.add(approval_id)
                self._ask_approval(str(approval_id))
            self._wait(asyncio.sleep(self.poll_seconds))

    def _conclude(self, run: Any) -> None:
        colour = {"succeeded": "green", "failed": "red", "cancelled": "yellow"}.get(run.status.value, "white")
        self.console.print(f"[{colour}]{run.status.value}[/] {escape(run.id)}")
        outcome = run.outcome or {}
        summary = outcome.get("summary") or outcome.get("finding", {}).get("summary") if outcome else None
        if summary:
            self.console.print(escape(str(summary)))
        elif outcome:
            self.console.print(escape(short(outcome, 200)))
        if run.failure is not None:
            self.console.print(f"[red]{escape(run.failure.message)}[/]")

    def _ask_approval(self, approval_id: str) -> None:
        approval = self.door.approvals.store.get(approval_id)
        if approval is None or not approval.is_open:
            return
        self.console.print(
            f"[yellow]approval {approval.id}[/]: {escape(approval.tool)} on {escape(', '.join(approval.targets))}"
            f" — {escape(approval.reason)}"
        )
        answer = self.read("approve? [y/N] ").strip().lower()
        self.decide(approval_id, approve=answer in ("y", "yes"))

    # -- slash commands -------------------------------------------------------------------------

    def decide(self, approval_id: str, *, approve: bool) -> None:
        """Approve or reject as this session's identity, under the policy's approval rules; the run resumes."""
        from guardrails.errors import ApprovalError

        try:
            # Through the front door, so the run waiting on it (workflow or investigation) resumes.
            done = self._wait(self.door.decide(approval_id, approve=approve, approver=self.identity))
        except ApprovalError as exc:
            self.console.print(f"[red]{escape(str(exc))}[/]")
            return
        self.console.print(f"{done.status} {done.id} by {escape(self.identity)}")

    def show_runs(self) -> None:
        """A table of recent runs."""
        table = Table("id", "kind", "name", "status", "created")
        for run in self.door.runs.list_runs(limit=15):
            name = run.name if run.kind is RunKind.WORKFLOW else short(run.name, 40)
            table.add_row(run.id, run.kind.value, name, run.status.value, run.created_at.strftime("%H:%M:%S"))
        self.console.print(table)

    def show_run(self, run_id: str) -> None:
        """A run's status, steps and devices."""
        from orchestrator.runs.errors import UnknownRun

        try:
            run = self.door.runs.get(run_id)
        except UnknownRun as exc:
            self.console.print(f"[red]{escape(str(exc))}[/]")
            return
        self.console.print(f"[bold]{run.id}[/] {run.kind.value} {escape(run.name)}: {run.status.value}")
        for step in self.door.runs.steps(run_id):
            self.console.print(f"  step {escape(step.step)}: {step.status} {escape(short(step.summary, 80))}")
        for device in self.door.runs.devices(run_id):
            error = f" ({escape(device.error)})" if device.error else ""
            self.console.print(f"    {escape(device.device)}: {device.outcome}{error}")

    def show_audit(self, run_id: str | None) -> None:
        """The last audit records (of one run)."""
        records = self.door.audit.records(run_id=run_id, limit=20, newest_first=True)  # type: ignore[call-arg]
        for record in reversed(list(records)):
            payload = escape(short(record.payload, 60))
            self.console.print(
                f"{record.seq:>6} {escape(record.kind):<20} {escape(record.actor):<24} {payload}", highlight=False
            )

    def set_model(self, name: str) -> None:
        """Show the model backend, or choose one for the next questions (the runtime may honour it)."""
        if name:
            self.model = name
        configured = self.door.settings.agent.model
        self.console.print(f"model: {self.model or configured} (configured: {configured})")
