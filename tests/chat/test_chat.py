"""`netorch chat` driven by a script, and once in a real terminal under tmux."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from orchestrator.chat import BackgroundLoop, ChatSession, parse_line, script_reader
from orchestrator.config import Settings
from tests.api.api_harness import build_door


@pytest.mark.parametrize(
    ("line", "name", "arg", "error"),
    [
        ("b-acc-03 is down", "ask", "b-acc-03 is down", None),
        ("  /show r-1 ", "show", "r-1", None),
        ("/APPROVE apr-1", "approve", "apr-1", None),
        ("/audit", "audit", "", None),
        ("/q", "exit", "", None),
        ("", "empty", "", None),
        ("/show", "unknown", "/show", "/show needs an id, e.g. /show r-20261128T140512-3f9a1c"),
        ("/frobnicate x", "unknown", "/frobnicate x", "unknown command '/frobnicate' (try /help)"),
    ],
)
def test_parse_line(line: str, name: str, arg: str, error: str | None) -> None:
    parsed = parse_line(line)
    assert (parsed.name, parsed.arg, parsed.error) == (name, arg, error)


class Chat:
    """A chat session on real stores, reading a script and printing into a buffer."""

    def __init__(self, home: Path, lines: list[str]) -> None:
        self.out = io.StringIO()
        self.console = Console(file=self.out, width=200, color_system=None)
        self.loop = BackgroundLoop()
        settings = Settings.model_validate({"home": str(home)})

        async def make() -> object:
            return build_door(settings)

        self.door, self.launcher = self.loop.wait(make())  # type: ignore[misc]
        self.session = ChatSession(
            self.door,
            self.console,
            script_reader(iter(lines), self.console),
            "dana",
            self.loop,
            poll_seconds=0.02,
        )

    def run(self) -> str:
        try:
            assert self.session.run() == 0
        finally:
            self.loop.close()
        return self.out.getvalue()


@pytest.fixture
def chat_factory(home: Path) -> Iterator[type[Chat]]:
    yield Chat


def test_scripted_conversation(home: Path) -> None:
    chat = Chat(
        home, ["/help", "b-acc-03 Gi1/0/5 is down", "is it fixed now?", "/runs", "/model claude", "/nope", "/exit"]
    )
    out = chat.run()
    assert "/approve ID" in out and "netorch> b-acc-03 Gi1/0/5 is down" in out
    runs = chat.door.runs.list_runs()
    assert [r.name for r in runs] == ["is it fixed now?", "b-acc-03 Gi1/0/5 is down"]
    assert all(r.status.value == "succeeded" and r.trigger.actor == "chat:dana" for r in runs)
    # the second turn carries the first as context: multi-turn
    assert runs[0].input["conversation"] == [
        {"question": "b-acc-03 Gi1/0/5 is down", "run_id": runs[1].id, "status": "succeeded"}
    ]
    assert out.count("succeeded r-") == 2 and "step apply: succeeded" in out
    assert "model: claude (configured: heuristic)" in out
    assert "unknown command '/nope' (try /help)" in out


@pytest.mark.parametrize(("answer", "final"), [("y", "succeeded"), ("", "failed")])
def test_inline_approval_is_bound_to_the_rules_and_the_identity(home: Path, answer: str, final: str) -> None:
    chat = Chat(home, ["core change needs approval", answer, "/exit"])
    out = chat.run()
    assert "approve? [y/N] " + answer in out
    [run] = chat.door.runs.list_runs()
    assert run.status.value == final
    [approval] = chat.door.approvals.store.find(run_id=run.id)
    assert approval.decided_by == "dana" and approval.status == ("approved" if answer == "y" else "rejected")


def test_end_of_input_leaves_cleanly(home: Path) -> None:
    out = Chat(home, ["/runs"]).run()
    assert "netorch> /runs" in out


def _pane(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def _wait_for(session: str, text: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pane = _pane(session)
        if text in pane:
            return pane
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not on screen:\n{_pane(session)}")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed (apt-get install tmux)")
def test_in_a_real_terminal_under_tmux(home: Path) -> None:
    session = f"netorch-chat-{time.time_ns()}"
    app = Path(__file__).with_name("chat_app.py")
    command = f"{sys.executable} {app} {home}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "48", command], check=True)
    try:
        _wait_for(session, "netorch>")
        subprocess.run(["tmux", "send-keys", "-t", session, "the slow link in building b", "Enter"], check=True)
        _wait_for(session, "run r-")
        time.sleep(0.3)
        subprocess.run(["tmux", "send-keys", "-t", session, "C-c"], check=True)  # cancels the step only
        _wait_for(session, "cancelled run r-")
        subprocess.run(["tmux", "send-keys", "-t", session, "/runs", "Enter"], check=True)
        pane = _wait_for(session, "cancelled │")
        assert "the slow link in building b" in pane
        subprocess.run(["tmux", "send-keys", "-t", session, "/exit", "Enter"], check=True)
        deadline = time.monotonic() + 10
        while subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0:
            assert time.monotonic() < deadline, _pane(session)
            time.sleep(0.1)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    assert (home / "chat_history").read_text().splitlines()[-2:] == ["/runs", "/exit"] or "/runs" in (
        home / "chat_history"
    ).read_text()


def test_chat_approve_resumes_a_run_waiting_elsewhere(home: Path) -> None:
    from orchestrator.runs import RunStatus
    from tests.api.api_harness import park_waiting_run, wait_for_status

    chat = Chat(home, [])
    run_id, approval_id = park_waiting_run(chat.door)
    lines = iter([f"/approve {approval_id}"])

    def read(prompt: str) -> str:
        line = next(lines, None)
        if line is None:  # leave only once the resumed run has ended (or fail after a few seconds)
            wait_for_status(chat.door, run_id, RunStatus.SUCCEEDED)
            raise EOFError
        return line

    chat.session.read = read
    assert f"approved {approval_id} by dana" in chat.run()
