"""Load and check ``policy.yaml``: one line per problem, each naming the key and the bad value."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guardrails.errors import PolicyError
from guardrails.policy import Policy

__all__ = ["check_policy_file", "default_policy", "load_policy", "parse_policy"]

BUILT_IN = "built-in"


def _hash(text: bytes) -> str:
    return "sha256:" + hashlib.sha256(text).hexdigest()


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        where = _where(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{where}'")
        elif err["type"] == "missing":
            problems.append(f"missing key '{where}'")
        elif err["loc"] and err["type"] not in ("value_error", "assertion_error"):
            problems.append(f"{where}={err.get('input')!r}: {msg}")
        else:
            problems.append(f"{where}: {msg}" if err["loc"] else msg)
    return problems


def _parse(raw: bytes, source: str) -> tuple[Policy | None, list[str]]:
    try:
        data: Any = yaml.safe_load(raw.decode("utf-8")) or {}
    except UnicodeDecodeError:
        return None, ["not UTF-8 text"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return None, [f"not valid YAML{where}"]
    if not isinstance(data, dict):
        return None, [f"must be a mapping of sections, not {type(data).__name__}"]
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        return None, _problems(exc)
    return policy.stamped(_hash(raw), source), []


def parse_policy(text: str | bytes, source: str = "<text>") -> Policy:
    """Validate policy text; raises :class:`PolicyError` with the first problem on one line."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    policy, problems = _parse(raw, source)
    if policy is None:
        raise PolicyError(
            f"policy '{source}': {problems[0]}" + (f" (+{len(problems) - 1} more)" if problems[1:] else "")
        )
    return policy


def load_policy(path: str | Path | None) -> Policy:
    """Load a policy file, or the built-in default when ``path`` is None."""
    if path is None:
        return default_policy()
    file = Path(path).expanduser()
    if not file.is_file():
        raise PolicyError(f"policy file '{file}' not found")
    return parse_policy(file.read_bytes(), str(file))


def check_policy_file(path: str | Path) -> list[str]:
    """Every problem in a policy file, one line each; an empty list means it is valid."""
    file = Path(path).expanduser()
    if not file.is_file():
        return [f"policy file '{file}' not found"]
    _, problems = _parse(file.read_bytes(), str(file))
    return problems


def default_policy() -> Policy:
    """The built-in policy, safe for the embedded lab (see ``guardrails/default_policy.yaml``)."""
    # Beside this module (not importlib.resources: a tests/guardrails folder can shadow the package name).
    raw = (Path(__file__).parent / "default_policy.yaml").read_bytes()
    return parse_policy(raw, BUILT_IN)
