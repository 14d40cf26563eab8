"""Measure where an eval trial spends its time, and how the suite scales with worker processes.

    python bench/bench_eval_trial.py                 # 5 trials per phase sample, 12-scenario suite subset
    python bench/bench_eval_trial.py --trials 10 --scenarios 20

Prints numbers only; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import statistics
import time

from evals.loader import load_scenarios
from evals.runner import ModelSpec, SuiteOptions, run_suite
from evals.trial import run_trial
from orchestrator.config import Settings

PHASES = ("setup_s", "open_s", "run_s", "close_s", "observe_s", "total_s")


def _phases(trials: int) -> None:
    scenario = next(s for s in load_scenarios() if s.name == "err-disabled-port-security")
    model = ModelSpec("heuristic")
    run_trial(scenario, 0, Settings(), model)  # warm imports and caches
    samples = [run_trial(scenario, i, Settings(), model).observation.phases for i in range(1, trials + 1)]
    print(f"one trial of {scenario.name} (heuristic, 14-device lab), median of {trials}:")
    for phase in PHASES:
        values = [s[phase] for s in samples if phase in s]
        print(f"  {phase:<10} {statistics.median(values) * 1000:8.1f} ms")


def _suite(count: int) -> None:
    scenarios = load_scenarios()[:count]
    walls: dict[int, float] = {}
    for workers in (1, 2):
        started = time.perf_counter()
        report = run_suite(scenarios, Settings(), SuiteOptions(model=ModelSpec("heuristic"), workers=workers))
        walls[workers] = time.perf_counter() - started
        print(
            f"suite of {len(scenarios)} trials, {workers} worker(s): {walls[workers]:.1f} s "
            f"({len(scenarios) / walls[workers]:.2f} trials/s, pass rate {report.suite.pass_rate:.2f})"
        )
    print(f"speed-up with 2 workers: {walls[1] / walls[2]:.2f}x")


def main() -> None:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5, help="trials sampled for the phase breakdown")
    parser.add_argument("--scenarios", type=int, default=12, help="scenarios in the suite-scaling run")
    args = parser.parse_args()
    _phases(args.trials)
    _suite(args.scenarios)


if __name__ == "__main__":
    main()
