"""Unified-diff primitives: sequence opcodes with cheap fast paths, hunk grouping, hunk headers.

difflib over a whole 350-line configuration costs about half a millisecond; a configuration is a
sequence of keyed blocks (``vlan 30``, ``interface Gi1/0/5``), so ``configdiff`` aligns blocks by
key and only compares lines inside the few blocks that differ. The output is a standard unified
diff (three lines of context, ``@@ -a,b +c,d @@`` hunks).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["Opcode", "grouped", "hunk_range", "opcodes"]

Opcode = tuple[str, int, int, int, int]


def opcodes(a: Sequence[Any], b: Sequence[Any]) -> list[Opcode]:
    """difflib-style opcodes; the common ends are trimmed first and difflib runs only when needed.

    When what is left on the two sides shares no element, it is one insert, delete or replace —
    what difflib would find too; otherwise difflib decides, so ambiguous cases match it exactly.
    """
    if a == b:
        return [("equal", 0, len(a), 0, len(b))] if a else []
    p = 0
    while p < len(a) and p < len(b) and a[p] == b[p]:
        p += 1
    s = 0
    while s < len(a) - p and s < len(b) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    mid_a, mid_b = a[p : len(a) - s], b[p : len(b) - s]
    if mid_a and mid_b and not set(mid_a).isdisjoint(mid_b):
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        return [(t, i1, i2, j1, j2) for t, i1, i2, j1, j2 in matcher.get_opcodes()]
    tag = "replace" if mid_a and mid_b else ("delete" if mid_a else "insert")
    codes: list[Opcode] = []
    if p:
        codes.append(("equal", 0, p, 0, p))
    codes.append((tag, p, len(a) - s, p, len(b) - s))
    if s:
        codes.append(("equal", len(a) - s, len(a), len(b) - s, len(b)))
    return codes


def grouped(codes: list[Opcode], n: int = 3) -> Iterator[list[Opcode]]:
    """difflib.SequenceMatcher.get_grouped_opcodes, over precomputed opcodes."""
    if not codes:
        codes = [("equal", 0, 1, 0, 1)]
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)
    nn = n + n
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > nn:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def hunk_range(start: int, stop: int) -> str:
    """The ``a,b`` part of a hunk header for lines [start, stop), as difflib writes it."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"
