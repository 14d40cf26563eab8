"""Helpers shared by the netlab tests (a module with a unique name, importable from any test)."""

from __future__ import annotations

import re

START = 1_800_000_000.0  # a fixed epoch so that uptimes and counters are exact


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")


def apply_patch(old: str, diff: str) -> str:
    """Apply a unified diff to text, checking every context and removed line (a tiny `patch`)."""
    source = old.splitlines()
    out: list[str] = []
    pos = 0
    lines = diff.splitlines()
    assert lines[0].startswith("--- ") and lines[1].startswith("+++ ")
    i = 2
    while i < len(lines):
        match = _HUNK.match(lines[i])
        assert match, f"not a hunk header: {lines[i]!r}"
        start, count = int(match.group(1)), int(match.group(2) or 1)
        begin = start if count == 0 else start - 1
        out += source[pos:begin]
        pos = begin
        i += 1
        while i < len(lines) and not lines[i].startswith("@@"):
            tag, text = lines[i][0], lines[i][1:]
            if tag in " -":
                assert source[pos] == text, f"context mismatch at line {pos + 1}: {source[pos]!r} != {text!r}"
                pos += 1
            if tag in " +":
                out.append(text)
            i += 1
    out += source[pos:]
    return "\n".join(out) + "\n"


def parse_exposition(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Parse Prometheus text format strictly: HELP/TYPE before samples, valid names, labels, values."""
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (\S+)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')
    typed: dict[str, str] = {}
    seen_families: list[str] = []
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("gauge", "counter"), line
            assert name not in typed, f"family {name} declared twice"
            typed[name] = kind
            seen_families.append(name)
            continue
        match = sample.match(line)
        assert match, f"bad sample line: {line!r}"
        name = match.group(1)
        assert seen_families and name == seen_families[-1], f"sample {name} outside its family block"
        labels = frozenset(label.findall(match.group(3) or ""))
        key = (name, labels)
        assert key not in samples, f"duplicate series {key}"
        samples[key] = float(match.group(4))
    return samples
