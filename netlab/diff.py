"""Unified diffs of rendered configurations, fast enough to run on every operation.

difflib over a whole 350-line configuration costs about half a millisecond; a configuration is a
sequence of keyed blocks (``vlan 30``, ``interface Gi1/0/5``), so blocks are aligned by key first
and difflib only runs inside the few blocks whose lines differ. The output is a standard unified
diff (three lines of context, ``@@ -a,b +c,d @@`` hunks).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

__all__ = ["Block", "block_diff"]

Block = tuple[str, list[str]]
Opcode = tuple[str, int, int, int, int]


def _align(a: list[str], b: list[str]) -> list[Opcode]:
    """Block-key opcodes; keys are unique, so trimming the common ends leaves difflib little to do."""
    if a == b:
        return [("equal", 0, len(a), 0, len(b))]
    p = 0
    while p < len(a) and p < len(b) and a[p] == b[p]:
        p += 1
    s = 0
    while s < len(a) - p and s < len(b) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    middle = difflib.SequenceMatcher(None, a[p : len(a) - s], b[p : len(b) - s], autojunk=False).get_opcodes()
    codes: list[Opcode] = [("equal", 0, p, 0, p)]
    codes += [(t, p + i1, p + i2, p + j1, p + j2) for t, i1, i2, j1, j2 in middle]
    codes.append(("equal", len(a) - s, len(a), len(b) - s, len(b)))
    return codes


def _opcodes(a: list[Block], b: list[Block]) -> list[Opcode]:
    """Line-level opcodes (as difflib's get_opcodes, merged), computed block by block."""
    starts_a = [0]
    for _, lines in a:
        starts_a.append(starts_a[-1] + len(lines))
    starts_b = [0]
    for _, lines in b:
        starts_b.append(starts_b[-1] + len(lines))
    out: list[Opcode] = []

    def emit(tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if i1 == i2 and j1 == j2:
            return
        if tag == "equal" and out and out[-1][0] == "equal":
            out[-1] = ("equal", out[-1][1], i2, out[-1][3], j2)
        else:
            out.append((tag, i1, i2, j1, j2))

    for tag, i1, i2, j1, j2 in _align([k for k, _ in a], [k for k, _ in b]):
        if tag != "equal":
            emit(tag, starts_a[i1], starts_a[i2], starts_b[j1], starts_b[j2])
            continue
        run_i, run_j = i1, j1  # start of the current run of identical blocks
        for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
            la, lb = a[i][1], b[j][1]
            if la is lb or la == lb:
                continue
            emit("equal", starts_a[run_i], starts_a[i], starts_b[run_j], starts_b[j])
            inner = difflib.SequenceMatcher(None, la, lb, autojunk=False)
            for t, x1, x2, y1, y2 in inner.get_opcodes():
                emit(t, starts_a[i] + x1, starts_a[i] + x2, starts_b[j] + y1, starts_b[j] + y2)
            run_i, run_j = i + 1, j + 1
        emit("equal", starts_a[run_i], starts_a[i2], starts_b[run_j], starts_b[j2])
    return out


def _grouped(codes: list[Opcode], n: int = 3) -> Iterator[list[Opcode]]:
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


def _range(start: int, stop: int) -> str:
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def block_diff(a: list[Block], b: list[Block], *, fromfile: str, tofile: str) -> str:
    """The unified diff between two block renderings ('' when equal)."""
    lines_a = [line for _, block in a for line in block]
    lines_b = [line for _, block in b for line in block]
    if lines_a == lines_b:
        return ""
    out = [f"--- {fromfile}", f"+++ {tofile}"]
    for group in _grouped(_opcodes(a, b)):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in lines_a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                out.extend("-" + line for line in lines_a[i1:i2])
            if tag in ("replace", "insert"):
                out.extend("+" + line for line in lines_b[j1:j2])
    return "\n".join(out) + "\n"
