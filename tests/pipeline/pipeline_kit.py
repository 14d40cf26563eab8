"""Real git repositories of workflow definitions, made in the test, and a runtime that loads them."""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.config import Settings
from orchestrator.runs import Run, RunStatus
from orchestrator.runtime import Runtime, open_runtime

# A tiny workflow kept in git: ask for approval of a plan, then record which code ran (MARK).
MARKER = '''"""marker: wait for approval of a one-switch plan, then record which code ran."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict

from dag_fallback.approval import ApprovalGate
from dag_fallback.context import WorkflowContext
from dag_fallback.definition import WorkflowDefinition
from dag_fallback.state import WorkflowState
from dag_fallback.workflows.common import finish

MARK = "{mark}"


class MarkerParams(BaseModel):
    """Input of marker."""

    model_config = ConfigDict(extra="forbid")
    device: str = "b-acc-01"


async def done(state: Any, runtime: Runtime[WorkflowContext]) -> dict[str, Any]:
    """Record the code's mark."""
    ctx, run_id = runtime.context, state["run_id"]
    ctx.recorder.step_started(run_id, "marker")
    ctx.recorder.step_finished(run_id, "marker", status="succeeded", summary={{"code": MARK}})
    return await finish(ctx, state, workflow="marker", result="success", title="marker", summary=MARK)


def _plan(state: Any) -> dict[str, Any]:
    args = {{"template": "vlan_deploy", "extra_vars": {{"vid": 1214}}, "limit": [state["params"]["device"]]}}
    return {{"tool": "launch_job", "arguments": args, "reason": "marker"}}


def build() -> StateGraph[Any, Any, Any, Any]:
    """The marker graph."""
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(WorkflowState, context_schema=WorkflowContext)
    ApprovalGate("approval", plan=_plan, next="done", on_reject="done").add_to(graph)
    graph.add_node("done", done)
    graph.set_entry_point("approval")
    graph.add_edge("done", END)
    return graph


DEFINITION = WorkflowDefinition(
    name="marker",
    semver="{semver}",
    description="records which code ran ({mark})",
    params=MarkerParams,
    build=build,
    modules=("dag_fallback.approval",),
)
'''


def marker(mark: str, semver: str) -> str:
    """The marker module with its mark and semver."""
    return MARKER.format(mark=mark, semver=semver)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; its output."""
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=pytest", "-c", "user.email=pytest@example.invalid", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def make_repo(path: Path) -> Path:
    """An empty repository on branch main."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    """Write ``files`` (path → text), commit them; the commit id."""
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@dataclass
class FakeWall:
    """Real time plus an offset the test moves; sleeping only moves the offset."""

    offset: float = 0.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return time.time() + self.offset

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += seconds


def settings(tmp_path: Path, *, sources: list[dict[str, Any]] | None = None, **pipeline: Any) -> Settings:
    """A 2-building lab with instant changes, and these git sources."""
    data: dict[str, Any] = {
        "home": str(tmp_path / "home"),
        "lab": {"buildings": 2, "access_per_building": 4, "time_factor": 0.0},
        "pipeline": {"sources": sources or [], **pipeline},
    }
    return Settings.model_validate(data)


@asynccontextmanager
async def runtime(cfg: Settings, *, service: bool = True) -> AsyncIterator[Runtime]:
    """An open runtime (registry included) with app-payments recorded for building-b access switches."""
    async with open_runtime(cfg, clock=FakeWall()) as rt:
        if service:
            rt.lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="building-b", role="access")
        yield rt


def approve(rt: Runtime, run: Run) -> None:
    """Approve what the run waits for, as a second person."""
    assert run.status is RunStatus.WAITING, run
    approval_id = run.waiting_on["approval_id"]  # type: ignore[index]
    rt.approvals.approve(approval_id, approver="alice", policy=rt.policy.approvals, now=rt.runner.clock.now())
