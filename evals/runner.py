"""Run a suite: every scenario k times, independent trials in parallel, progress as trials finish.

Each trial owns a fresh temporary NETORCH_HOME (lab, runs, audit, checkpoints), so trials share
nothing and run in worker processes: the work is CPU-bound Python and the machine has few cores.
A trial that crashes is a failed trial with its reason, never an aborted suite.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from evals.errors import EvalError
from evals.gates import Gate, check_gates
from evals.graders import TrialGrade, grade_trial
from evals.metrics import summarise
from evals.observation import TrialObservation
from evals.report import Report
from evals.scenario import Scenario
from orchestrator.config import Settings

__all__ = ["ModelSpec", "Progress", "SuiteOptions", "parse_model", "run_suite"]

Progress = Callable[[TrialGrade, int, int], None]
"""Called in the parent process as each trial finishes: (graded trial, done, total)."""


@dataclass(frozen=True)
class ModelSpec:
    """Which model backend the agent runs with, and its options."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """``heuristic``, ``anthropic`` or ``scripted:FILE``."""
        file = self.options.get("file")
        return f"{self.name}:{file}" if file else self.name


def parse_model(spec: str) -> ModelSpec:
    """``heuristic`` | ``anthropic`` | ``scripted:FILE`` (EvalError naming the value otherwise)."""
    name, _, rest = spec.partition(":")
    if name == "scripted":
        if not rest:
            raise EvalError(f"invalid model {spec!r}: scripted needs a turns file, e.g. scripted:turns.yaml")
        return ModelSpec("scripted", {"file": rest})
    if name in ("heuristic", "anthropic") and not rest:
        return ModelSpec(name)
    raise EvalError(f"invalid model {spec!r} (expected heuristic, anthropic or scripted:FILE)")


@dataclass(frozen=True)
class SuiteOptions:
    """How to run a suite."""

    model: ModelSpec
    trials: int = 1
    workers: int = 2
    gates: Sequence[Gate] = ()
    keep_homes: bool = False


def _job(scenario_data: dict[str, Any], trial: int, settings_data: dict[str, Any], model: ModelSpec, keep: bool) -> str:
    """Worker entry point: plain data in, the graded trial as JSON out (cheap to pickle)."""
    from evals.trial import run_trial

    scenario = Scenario.model_validate(scenario_data)
    settings = Settings.model_validate(settings_data)
    return run_trial(scenario, trial, settings, model, keep_home=keep).model_dump_json()


def run_suite(
    scenarios: Sequence[Scenario],
    base: Settings,
    options: SuiteOptions,
    *,
    progress: Progress | None = None,
) -> Report:
    """Run every scenario ``options.trials`` times and return the graded, summarised report."""
    if options.trials < 1:
        raise EvalError(f"invalid trial count {options.trials} (expected at least 1)")
    if options.workers < 1:
        raise EvalError(f"invalid worker count {options.workers} (expected at least 1)")
    started = time.perf_counter()
    jobs = [(s, t) for s in scenarios for t in range(1, options.trials + 1)]
    settings_data = base.model_dump(mode="json")
    results: list[TrialGrade] = []

    def finished(grade: TrialGrade) -> None:
        results.append(grade)
        if progress is not None:
            progress(grade, len(results), len(jobs))

    if options.workers == 1 or len(jobs) == 1:
        from evals.trial import run_trial

        for scenario, trial in jobs:
            finished(run_trial(scenario, trial, base, options.model, keep_home=options.keep_homes))
    else:
        # Not plain fork: the parent may hold threads and open SQLite handles a fork would copy. A
        # forkserver imports netorch once and forks each worker from that clean process.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["evals.trial"])
        with ProcessPoolExecutor(max_workers=options.workers, mp_context=context) as pool:
            futures: dict[Future[str], tuple[Scenario, int]] = {}
            for s, t in jobs:
                data = s.model_dump(mode="json")
                futures[pool.submit(_job, data, t, settings_data, options.model, options.keep_homes)] = (s, t)
            for future in as_completed(futures):
                scenario, trial = futures[future]
                try:
                    raw = future.result()
                except Exception as exc:  # a worker that died: this trial failed, the suite goes on
                    obs = TrialObservation(scenario=scenario.name, trial=trial, error=f"worker: {exc!r}")
                    finished(grade_trial(scenario, obs))
                    continue
                finished(TrialGrade.model_validate_json(raw))
    order = {(s.name, t): i for i, (s, t) in enumerate(jobs)}
    results.sort(key=lambda g: order[(g.scenario, g.trial)])
    rows, suite = summarise(results, {s.name: s.tags for s in scenarios}, wall_s=time.perf_counter() - started)
    return Report(
        model=options.model.label(),
        workers=options.workers,
        suite=suite,
        scenarios=rows,
        gates=check_gates(options.gates, suite),
        trials=results,
    )
