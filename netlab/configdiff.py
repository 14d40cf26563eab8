"""Compare two configurations of one device from their models: changed or not, and the unified diff.

Rendering a whole configuration to diff it costs far more than the change that produced it. Both
models come from one device, so they share most interface dicts with each other and with the
configuration the device was deployed with (``configmodel``). The interface section is therefore
laid out once per deployed configuration (``base``: block sizes and first lines, cached); a model's
line numbers are the base's, corrected by the few interfaces it changed. Runs of interfaces that
neither side changed are one block; blocks are aligned section by section (VLANs by id, interfaces
by position, extra lines by text) and only the blocks that differ, plus a few lines of context
around them, are ever rendered.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from netlab.configmodel import Model
from netlab.diff import Opcode, hunk_range, opcodes
from netlab.render import (
    FOOTER_SIZE,
    footer_lines,
    header_lines,
    interface_lines,
    interface_size,
    mgmt_lines,
    render,
    vlan_lines,
)

__all__ = ["config_diff", "layout", "renders_differently"]

_HEADER_FIELDS = ("hostname", "platform", "model", "os_version")
_HEADER_SIZE = {True: 8, False: 6}  # lines header_lines() renders, for IOS-XE (True) and EOS


def renders_differently(before: Model, after: Model) -> bool:
    """Whether the two configurations render to different text, without rendering them."""
    if before is after:
        return False
    for key in (*_HEADER_FIELDS, "mgmt", "extra"):
        if before[key] != after[key]:
            return True
    if list(before["vlans"].items()) != list(after["vlans"].items()):
        return True
    old, new = before["interfaces"], after["interfaces"]
    if old is new:
        return False
    if len(old) != len(new):
        return True
    ios = after["platform"] == "ios-xe"
    for name, iface in new.items():
        was = old.get(name)
        if was is None:
            return True
        if was is not iface and interface_lines(ios, name, was) != interface_lines(ios, name, iface):
            return True
    return list(old) != list(new)


class _Base:
    """The interface section of a deployed configuration: names, block sizes, first lines.

    Tuples of strings and ints, which the garbage collector stops tracking (one layout per device).
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.ios = model["platform"] == "ios-xe"
        self.names = tuple(model["interfaces"])
        self.sizes = tuple(interface_size(self.ios, i) for i in model["interfaces"].values())
        prefix = [0]
        for size in self.sizes:
            prefix.append(prefix[-1] + size)
        self.prefix = tuple(prefix)


_BASES: dict[int, _Base] = {}
_BASES_MAX = 30_000


def layout(model: Model) -> None:
    """Compute and cache the diff layout of a deployed configuration ahead of its first diff."""
    _base(model)


def _base(model: Model) -> _Base:
    """The layout of a deployed configuration, cached by identity (the entry keeps the model alive)."""
    hit = _BASES.get(id(model))
    if hit is not None and hit.model is model:
        return hit
    if len(_BASES) >= _BASES_MAX:
        _BASES.clear()
    found = _BASES[id(model)] = _Base(model)
    return found


# A block: (kind, key, payload, size). Kinds: h header, v VLAN, i interface, r run of base
# interfaces (key = first index, payload = end index), m management, x extra line, f footer.
_Block = tuple[str, Any, Any, int]


class _File:
    """One side of the diff: its blocks in order and their first lines, rendered on demand.

    ``memo`` is shared by both sides of one diff: interface blocks rendered once per diff, by the
    identity of their dict (most are the very same dicts on both sides).
    """

    def __init__(self, model: Model, base: _Base, cuts: list[int], memo: dict[int, tuple[str, ...]]) -> None:
        self.model, self.base, self.ios, self.memo = model, base, base.ios, memo
        blocks: list[_Block] = [("h", None, model, _HEADER_SIZE[base.ios])]
        blocks.extend(("v", vid, name, 3) for vid, name in model["vlans"].items())
        self.first_if = len(blocks)
        ifaces = model["interfaces"]
        done = 0
        for index in cuts:  # interfaces that either side changed get a block each
            if index > done:
                blocks.append(("r", done, index, base.prefix[index] - base.prefix[done]))
            name = base.names[index]
            iface = ifaces[name]
            size = base.sizes[index] if iface is base.model["interfaces"][name] else interface_size(self.ios, iface)
            blocks.append(("i", name, iface, size))
            done = index + 1
        if done < len(base.names):
            blocks.append(("r", done, len(base.names), base.prefix[-1] - base.prefix[done]))
        self.first_extra = len(blocks) + 1
        blocks.append(("m", None, model["mgmt"], 3))
        blocks.extend(("x", line, line, 1) for line in model["extra"])
        blocks.append(("f", None, None, FOOTER_SIZE))
        self.blocks = blocks
        starts = [0]
        for block in blocks:
            starts.append(starts[-1] + block[3])
        self.starts = starts

    def interface(self, name: str, iface: dict[str, Any]) -> tuple[str, ...]:
        """An interface block's lines, rendered at most once per diff."""
        lines = self.memo.get(id(iface))
        if lines is None:
            lines = self.memo[id(iface)] = interface_lines(self.ios, name, iface)
        return lines

    def block_lines(self, index: int, start: int = 0, stop: int | None = None) -> Sequence[str]:
        """Lines [start, stop) of one block."""
        kind, key, payload, size = self.blocks[index]
        stop = size if stop is None else stop
        if kind == "r":
            base, out = self.base, list[str]()
            ifaces = base.model["interfaces"]
            pos, end = base.prefix[key] + start, base.prefix[key] + stop  # lines of the interface section
            i = bisect_right(base.prefix, pos) - 1
            while pos < end:
                block = self.interface(base.names[i], ifaces[base.names[i]])
                take = block[pos - base.prefix[i] : end - base.prefix[i]]
                out.extend(take)
                pos += len(take)
                i += 1
            return out
        lines: Sequence[str]
        if kind == "i":
            lines = self.interface(key, payload)
        elif kind == "v":
            lines = vlan_lines(self.ios, key, payload)
        elif kind == "x":
            lines = [payload]
        elif kind == "h":
            lines = header_lines(payload)
        else:
            lines = mgmt_lines(self.model) if kind == "m" else footer_lines(self.model)
        return lines[start:stop]

    def lines(self, start: int, stop: int) -> list[str]:
        """Lines [start, stop) of the rendered file."""
        out: list[str] = []
        index = bisect_right(self.starts, start) - 1
        while start < stop:
            first = self.starts[index]
            take = self.block_lines(index, start - first, min(stop, self.starts[index + 1]) - first)
            out.extend(take)
            start += len(take)
            index += 1
        return out


def _same(a: _File, b: _File, i: int, j: int) -> bool:
    """Whether block i of a renders like block j of b (their keys already match)."""
    kind, key, pa, _ = a.blocks[i]
    pb = b.blocks[j][2]
    if kind == "i":
        return pa is pb or a.interface(key, pa) == b.interface(key, pb)
    if kind == "h":
        return all(pa[field] == pb[field] for field in _HEADER_FIELDS)
    if kind in ("v", "m"):
        return bool(pa == pb)
    if kind == "f":
        return a.model["platform"] == b.model["platform"]
    return True  # a run of base interfaces, or an extra line (its own key)


def _block_opcodes(a: _File, b: _File) -> list[Opcode]:
    """Block-level opcodes, section by section (sections never move relative to each other)."""
    out: list[Opcode] = [("equal", 0, 1, 0, 1)]
    vlans = opcodes(list(a.model["vlans"]), list(b.model["vlans"]))
    out.extend((t, 1 + i1, 1 + i2, 1 + j1, 1 + j2) for t, i1, i2, j1, j2 in vlans)
    # Both sides cut the interface section at the same places, so its blocks pair up one to one.
    out.append(("equal", a.first_if, a.first_extra, b.first_if, b.first_extra))
    extras = opcodes(a.model["extra"], b.model["extra"])
    ax, bx = a.first_extra, b.first_extra
    out.extend((t, ax + i1, ax + i2, bx + j1, bx + j2) for t, i1, i2, j1, j2 in extras)
    out.append(("equal", len(a.blocks) - 1, len(a.blocks), len(b.blocks) - 1, len(b.blocks)))
    return out


# A change: lines [i1, i2) of the old file become lines [j1, j2) of the new one.
_Edit = tuple[int, int, int, int, Sequence[str], Sequence[str]]


def _edits(a: _File, b: _File) -> list[_Edit]:
    """Every changed range, in order, with its old and new lines (only differing blocks are rendered)."""
    out: list[_Edit] = []
    sa, sb = a.starts, b.starts
    for tag, i1, i2, j1, j2 in _block_opcodes(a, b):
        if tag != "equal":
            out.append((sa[i1], sa[i2], sb[j1], sb[j2], a.lines(sa[i1], sa[i2]), b.lines(sb[j1], sb[j2])))
            continue
        for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
            if _same(a, b, i, j):
                continue
            old, new = a.block_lines(i), b.block_lines(j)
            for t, x1, x2, y1, y2 in opcodes(old, new):
                if t != "equal":
                    out.append((sa[i] + x1, sa[i] + x2, sb[j] + y1, sb[j] + y2, old[x1:x2], new[y1:y2]))
    return out


def _unified(a: _File, edits: list[_Edit], fromfile: str, tofile: str, n: int = 3) -> str:
    """The unified diff of the edits, grouped into hunks as difflib groups them (n lines of context)."""
    out = [f"--- {fromfile}", f"+++ {tofile}"]
    end_a = a.starts[-1]
    k = 0
    while k < len(edits):
        m = k  # edits separated by at most 2n unchanged lines share a hunk
        while m + 1 < len(edits) and edits[m + 1][0] - edits[m][1] <= 2 * n:
            m += 1
        first, last = edits[k], edits[m]
        start, stop = max(0, first[0] - n), min(end_a, last[1] + n)
        b_start, b_stop = first[2] - (first[0] - start), last[3] + (stop - last[1])
        out.append(f"@@ -{hunk_range(start, stop)} +{hunk_range(b_start, b_stop)} @@")
        at = start
        for i1, i2, _, _, minus, plus in edits[k : m + 1]:
            out += [" " + line for line in a.lines(at, i1)]
            out += ["-" + line for line in minus]
            out += ["+" + line for line in plus]
            at = i2
        out += [" " + line for line in a.lines(at, stop)]
        k = m + 1
    return "\n".join(out) + "\n"


def _cuts(base: _Base, before: Model, after: Model) -> list[int] | None:
    """Indices of the interfaces that either side changed from the base (None: not the same device).

    Every model of a device keeps the interfaces in the order it was deployed with (configmodel
    replaces dicts in place and copies keep the order), so interfaces pair up by position.
    """
    old, new = before["interfaces"], after["interfaces"]
    if not len(base.names) == len(old) == len(new):
        return None
    cuts = [
        k
        for k, (x, y, z) in enumerate(zip(base.model["interfaces"].values(), old.values(), new.values(), strict=True))
        if x is not y or y is not z
    ]
    if any(base.names[k] not in old or base.names[k] not in new for k in cuts):
        return None
    return cuts


def config_diff(before: Model, after: Model, *, fromfile: str, tofile: str, base: Model | None = None) -> str:
    """Unified diff of two configurations of one device ('' when they render the same).

    ``base`` is the configuration both derive from (the device as deployed); without it, ``before``
    plays that part, which costs a full pass over its interfaces.
    """
    if not renders_differently(before, after):
        return ""
    layout = _base(base if base is not None else before)
    cuts = _cuts(layout, before, after)
    if cuts is None or list(before["interfaces"]) != list(after["interfaces"]):
        # Not two configurations of one device: compare the whole texts.
        return "".join(
            line + "\n"
            for line in difflib.unified_diff(
                render(before).splitlines(), render(after).splitlines(), fromfile, tofile, lineterm=""
            )
        )
    memo: dict[int, tuple[str, ...]] = {}
    a, b = _File(before, layout, cuts, memo), _File(after, layout, cuts, memo)
    edits = _edits(a, b)
    return _unified(a, edits, fromfile, tofile) if edits else ""
