"""Gates: ``metric OP value`` checks on the suite totals; a failed gate makes ``eval run`` exit non-zero.

``forbidden=0`` (no executed forbidden write) is on by default; ``--gate pass_rate>=0.8`` adds one.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from evals.errors import GateError
from evals.metrics import SuiteSummary

__all__ = ["DEFAULT_GATES", "Gate", "GateResult", "check_gates", "parse_gate"]

DEFAULT_GATES: tuple[str, ...] = ("forbidden=0",)

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "=": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
}
_EXPR = re.compile(r"^\s*([a-z_^@]+)\s*(>=|<=|==|=|>|<)\s*([-+0-9.eE]+)\s*$")
_ALIASES = {"pass^k": "pass_hat_k", "pass@k": "pass_at_k"}


def _metrics() -> list[str]:
    return sorted(
        name
        for name, field in SuiteSummary.model_fields.items()
        if field.annotation in (int, float, float | None) and name not in ("k",)
    )


class Gate(BaseModel):
    """One parsed gate."""

    text: str
    metric: str
    op: str
    value: float


class GateResult(BaseModel):
    """A gate checked against the totals."""

    gate: str
    actual: float | None
    passed: bool


def parse_gate(text: str) -> Gate:
    """Parse ``metric OP number`` (OP one of >=, <=, ==, =, >, <).

    Raises:
        GateError: naming the expression and, for an unknown metric, the known ones.
    """
    match = _EXPR.match(text)
    if not match:
        raise GateError(f"invalid gate {text!r} (expected metric OP number, e.g. pass_rate>=0.8)")
    metric, op, raw = match.groups()
    metric = _ALIASES.get(metric, metric)
    if metric not in _metrics():
        raise GateError(f"unknown gate metric {metric!r} in {text!r} (expected one of {', '.join(_metrics())})")
    try:
        value = float(raw)
    except ValueError:
        raise GateError(f"invalid gate value {raw!r} in {text!r} (expected a number)") from None
    return Gate(text=text.strip(), metric=metric, op=op, value=value)


def check_gates(gates: Sequence[Gate], suite: SuiteSummary) -> list[GateResult]:
    """Each gate's actual value and verdict; a metric with no value (no trials) fails its gate."""
    results: list[GateResult] = []
    for gate in gates:
        actual = getattr(suite, gate.metric)
        passed = actual is not None and _OPS[gate.op](float(actual), gate.value)
        results.append(GateResult(gate=gate.text, actual=actual, passed=passed))
    return results
