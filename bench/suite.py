"""The benchmark suite: run named benchmarks, repeat them, print a table and write JSON rows.

    .venv/bin/python -m bench [NAME...] [--quick] [--repeat N] [--json OUT]

Each benchmark module offers ``measure(quick: bool) -> list[dict]``: one row per measured case
(``case``, and where they apply ``N``, ``C``, ``layer``, ``efficiency``, ``median_s``, ``p99_s``,
``per_s`` ...). The suite runs it ``repeat`` times and reports, per case, the median of every
numeric field and its spread (min and max) — the machine may be shared, so a single run is
not a figure. A comparison (an efficiency, an overhead) is computed inside one run, never across
runs. Benchmarks never assert; they measure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# name -> module; each module's measure(quick) returns rows.
BENCHES: dict[str, str] = {
    "fanout": "bench.bench_fanout",
    "toolcall": "bench.bench_toolcall",
    "audit": "bench.bench_audit",
    "intake": "bench.bench_front_door",
    "resume": "bench.bench_resume",
    "cli": "bench.bench_cli",
    "agent": "bench.bench_agent",
}

_KEY_FIELDS = ("case", "N", "C", "layer")
_SHOWN = ("efficiency", "median_s", "p99_s", "per_s", "overhead_ms", "duplicates")

Measure = Callable[[bool], list[dict[str, Any]]]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
    }


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(k) for k in _KEY_FIELDS)


def aggregate(bench: str, runs: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per case: the median of each numeric field over the runs, with its min and max."""
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for rows in runs:
        for row in rows:
            grouped.setdefault(_key(row), []).append(row)
    out: list[dict[str, Any]] = []
    for rows in grouped.values():
        merged: dict[str, Any] = {"bench": bench, **{k: rows[0][k] for k in _KEY_FIELDS if k in rows[0]}}
        spread: dict[str, list[float]] = {}
        for field in rows[0]:
            if field in _KEY_FIELDS:
                continue
            values = [r[field] for r in rows if field in r]
            numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
            if numeric and len(numeric) == len(values):
                merged[field] = statistics.median(numeric)
                if len(numeric) > 1:
                    spread[field] = [min(numeric), max(numeric)]
            else:
                merged[field] = values[-1]
        merged["repeats"] = len(rows)
        if spread:
            merged["spread"] = spread
        out.append(merged)
    return out


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def render(rows: list[dict[str, Any]]) -> str:
    """A plain table of the rows' key and headline fields."""
    columns = ["bench", *_KEY_FIELDS, *(f for f in _SHOWN if any(f in r for r in rows))]
    table = [columns] + [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table)


def load(name: str) -> Measure:
    """The measure function of a benchmark, by name."""
    module = importlib.import_module(BENCHES[name])
    found = getattr(module, "measure", None)
    if not callable(found):
        raise LookupError(f"benchmark '{name}' ({BENCHES[name]}) has no measure(quick) function")
    return found  # type: ignore[no-any-return]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; exit 2 for an unknown benchmark name."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all: {', '.join(BENCHES)})"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke run, not figures")
    parser.add_argument("--repeat", type=int, default=None, help="runs per benchmark (default 3, 1 with --quick)")
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write {machine, results} to this file")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"error: unknown benchmark '{unknown[0]}' (expected one of: {', '.join(BENCHES)})", file=sys.stderr)
        return 2
    repeat = args.repeat or (1 if args.quick else 3)
    if repeat < 1:
        print(f"error: --repeat must be at least 1, got {repeat}", file=sys.stderr)
        return 2
    info = machine()
    results: list[dict[str, Any]] = []
    failed = 0
    for name in names:
        started = time.perf_counter()
        print(f"== {name} ({repeat} run{'s' if repeat > 1 else ''})", file=sys.stderr, flush=True)
        try:
            measure = load(name)
            runs = [measure(args.quick) for _ in range(repeat)]
        except Exception as exc:  # one benchmark failing must not lose the others' figures
            failed += 1
            results.append({"bench": name, "error": f"{type(exc).__name__}: {exc}"})
            print(f"   {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            continue
        rows = aggregate(name, runs)
        results.extend(rows)
        print(render(rows), flush=True)
        print(f"   {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"machine": info, "results": results}, indent=2) + "\n")
        print(f"wrote {args.json_out}", file=sys.stderr)
    return 1 if failed else 0
