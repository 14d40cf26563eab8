"""Load scenario files and directories, turning every schema problem into one line that names
the file, the key and the value."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from evals.errors import ScenarioError
from evals.lab_names import check_scenario
from evals.scenario import Scenario

__all__ = ["BUILTIN_SCENARIOS", "describe_validation_error", "load_scenario", "load_scenarios", "scenario_files"]

BUILTIN_SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def _dotted(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _one_error(err: ErrorDetails) -> str:
    key = _dotted(err["loc"])
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    if err["type"] == "missing":
        return f"missing key '{key}'"
    if not key:
        return message
    return f"{key}={_short(err.get('input'))}: {message}"


def describe_validation_error(exc: ValidationError) -> str:
    """The first schema error as ``key=value: why`` (plus how many more there are)."""
    errors = exc.errors()
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return _one_error(errors[0]) + more


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file.

    Raises:
        ScenarioError: ``<file>: <key>=<value>: <why>`` for the first problem found.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read scenario ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{file}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{file}: a scenario must be a mapping of keys, not {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{file}: {describe_validation_error(exc)}") from None
    if scenario.name != file.stem:
        raise ScenarioError(f"{file}: name={scenario.name!r}: must equal the file name '{file.stem}'")
    problem = check_scenario(scenario)
    if problem is not None:
        raise ScenarioError(f"{file}: {problem}")
    return scenario


def scenario_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files and directories (their ``*.yaml``, sorted); no paths means the built-in suite."""
    chosen = [Path(p) for p in paths] or [BUILTIN_SCENARIOS]
    files: list[Path] = []
    for path in chosen:
        if path.is_dir():
            found = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
            if not found:
                raise ScenarioError(f"{path}: no scenario files (*.yaml) in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ScenarioError(f"{path}: no such scenario file or directory")
    return files


def load_scenarios(paths: Sequence[str | Path] = ()) -> list[Scenario]:
    """Load every scenario under ``paths``; names must be unique across the set."""
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    for file in scenario_files(paths):
        scenario = load_scenario(file)
        if scenario.name in seen:
            raise ScenarioError(f"{file}: name={scenario.name!r}: already used by {seen[scenario.name]}")
        seen[scenario.name] = file
        scenarios.append(scenario)
    return scenarios
