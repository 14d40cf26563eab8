"""Prometheus text exposition parsing and instant-vector selectors, for the lab's query_metrics.

A selector is what PromQL calls an instant vector selector: ``name``, ``name{label="v"}`` or
``{label=~"re"}``, with the matchers ``=``, ``!=``, ``=~`` and ``!~`` (regexes fully anchored).
Functions and operators are left to a real Prometheus.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mcp_servers.errors import InvalidArgument
from mcp_servers.observability.models import MetricSample

__all__ = ["Selector", "parse_exposition", "parse_selector"]

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL_VALUE = r'"((?:[^"\\]|\\.)*)"'
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})?\s+(\S+)(?:\s+\S+)?$")
_LABEL = re.compile(rf"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*{_LABEL_VALUE}\s*,?")
_SELECTOR = re.compile(rf"^\s*({_NAME})?\s*(?:\{{(.*)\}})?\s*$", re.DOTALL)
_MATCHER = re.compile(rf"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*{_LABEL_VALUE}\s*(,|$)")


def _unescape(value: str) -> str:
    return value.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def parse_exposition(text: str) -> list[MetricSample]:
    """Every sample of a text exposition (comments and unparsable lines are skipped)."""
    samples: list[MetricSample] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line.strip())
        if not match:
            continue
        name, raw_labels, raw_value = match.groups()
        labels = {k: _unescape(v) for k, v in _LABEL.findall(raw_labels or "")}
        try:
            value = float(raw_value)
        except ValueError:
            continue
        if math.isnan(value):
            continue
        samples.append(MetricSample(name=name, labels=labels, value=value))
    return samples


@dataclass(frozen=True)
class Selector:
    """A parsed instant-vector selector."""

    name: str | None
    matchers: tuple[tuple[str, Callable[[str], bool]], ...]
    equalities: tuple[tuple[str, str], ...] = ()

    def equals(self, label: str) -> str | None:
        """The value an `=` matcher pins a label to, if any (lets a backend narrow what it reads)."""
        return next((value for name, value in self.equalities if name == label), None)

    def matches(self, sample: MetricSample) -> bool:
        """Whether a sample belongs to the selected series."""
        if self.name is not None and sample.name != self.name:
            return False
        for label, test in self.matchers:
            value = sample.name if label == "__name__" else sample.labels.get(label, "")
            if not test(value):
                return False
        return True

    def select(self, samples: Iterable[MetricSample]) -> list[MetricSample]:
        """The matching samples, in input order."""
        return [s for s in samples if self.matches(s)]


def _matcher(op: str, expected: str, query: str) -> Callable[[str], bool]:
    if op in ("=", "!="):
        return (lambda v: v == expected) if op == "=" else (lambda v: v != expected)
    try:
        pattern = re.compile(expected)
    except re.error as exc:
        raise InvalidArgument(f"bad regex {expected!r} in query {query!r}: {exc}") from None
    if op == "=~":
        return lambda v: pattern.fullmatch(v) is not None
    return lambda v: pattern.fullmatch(v) is None


def parse_selector(query: str) -> Selector:
    """Parse ``name{label op "value", ...}`` (InvalidArgument naming the query when it is not one)."""
    match = _SELECTOR.match(query)
    if not match or (match.group(1) is None and match.group(2) is None):
        raise InvalidArgument(
            f"query {query!r} is not a selector: the lab backend takes a metric name with optional "
            "label matchers, e.g. 'netlab_interface_up{device=\"a-acc-01\"}'"
        )
    name, body = match.group(1), (match.group(2) or "").strip()
    matchers: list[tuple[str, Callable[[str], bool]]] = []
    equalities: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        m = _MATCHER.match(body, pos)
        if not m or m.end() == pos:
            raise InvalidArgument(f"bad label matcher at {body[pos:]!r} in query {query!r}")
        label, op, raw, _ = m.groups()
        matchers.append((label, _matcher(op, _unescape(raw), query)))
        if op == "=":
            equalities.append((label, _unescape(raw)))
        pos = m.end()
    if name is None and not matchers:
        raise InvalidArgument(f"query {query!r} selects nothing: give a metric name or a label matcher")
    return Selector(name=name, matchers=tuple(matchers), equalities=tuple(equalities))
