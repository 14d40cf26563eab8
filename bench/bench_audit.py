"""Measure the audit store: durable appends, group commit, checkpoints, verify and proofs.

Run: .venv/bin/python bench/bench_audit.py [--records 100000]

Prints one line per figure. Every append is durable (WAL, synchronous=FULL): the baseline line shows
what a bare SQLite commit costs on this disk, so the audit overhead on top of it is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from audit.keys import generate_key_file
from audit.log import AuditLog


def _payload(n: int) -> dict[str, Any]:
    """A realistic tool-call record body (~350 bytes of canonical JSON)."""
    return {
        "tool": "launch_job",
        "block": "executor",
        "arguments": {
            "template": "vlan_deploy",
            "limit": [f"b-acc-{n % 24:02d}"],
            "extra_vars": {"vid": 120 + n % 10, "name": "users", "subnet": "10.20.0.0/24"},
            "dry_run": False,
            "idempotency_key": f"run-42/deploy/b-acc-{n % 24:02d}",
        },
        "decision": {"outcome": "allow", "rule": "default.write", "blast_radius": 1},
        "duration_ms": 101.5,
    }


def _entry(n: int) -> dict[str, Any]:
    return {"kind": "tool.call", "actor": "workflow:vlan_deploy", "run_id": "run-42", "payload": _payload(n)}


def _line(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"{name:<48} {value:>12,.1f} {unit:<10} {note}")


def bench_sqlite_floor(tmp: Path, count: int) -> None:
    """A bare durable SQLite commit: the floor under every single append."""
    conn = sqlite3.connect(tmp / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    started = time.perf_counter()
    for _ in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", ("x" * 350,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    _line("baseline: bare SQLite durable commit", elapsed / count * 1e6, "us/commit")


def bench_single(log: AuditLog, count: int) -> None:
    """One record per transaction, each fsynced before append() returns."""
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        log.append("tool.call", actor="workflow:vlan_deploy", run_id="run-42", payload=_payload(n))
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    total = sum(latencies)
    _line("single durable append: throughput", count / total, "records/s")
    _line("single durable append: p50 latency", statistics.median(latencies) * 1e6, "us")
    _line("single durable append: p99 latency", latencies[int(len(latencies) * 0.99) - 1] * 1e6, "us")


def bench_batches(log: AuditLog, total: int) -> None:
    """append_many: one transaction (one fsync) per batch."""
    for size in (10, 100, 1000):
        batches = max(1, total // size)
        entries = [_entry(n) for n in range(size)]
        started = time.perf_counter()
        for _ in range(batches):
            log.append_many(entries)
        elapsed = time.perf_counter() - started
        _line(f"append_many batch={size}: throughput", batches * size / elapsed, "records/s")
        _line(f"append_many batch={size}: per record", elapsed / (batches * size) * 1e6, "us")


def bench_group_commit(log: AuditLog, callers: int) -> None:
    """A fan-out's tool calls finishing over 100 ms, each awaiting its durable record (aappend)."""
    rng = random.Random(1)
    latencies: list[float] = []

    async def one_call(n: int) -> None:
        await asyncio.sleep(rng.uniform(0, 0.1))  # the tool call itself
        started = time.perf_counter()
        await log.aappend("tool.result", actor="workflow:fanout", run_id="run-43", payload=_payload(n))
        latencies.append(time.perf_counter() - started)

    async def fan_out() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(one_call(n) for n in range(callers)))
        return time.perf_counter() - started

    before = log._group.commits
    elapsed = asyncio.run(fan_out())
    commits = log._group.commits - before
    latencies.sort()
    note = f"({callers} records in {commits} transactions, {elapsed * 1e3:.0f} ms wall)"
    _line(f"aappend x{callers} over 100 ms: p50 wait", statistics.median(latencies) * 1e6, "us", note)
    _line(f"aappend x{callers} over 100 ms: p99 wait", latencies[int(len(latencies) * 0.99) - 1] * 1e6, "us")


def bench_checkpoint(log: AuditLog) -> None:
    """An incremental checkpoint re-verifies the records since the previous one, then signs."""
    log.checkpoint(reason="bench")
    log.append_many([_entry(n) for n in range(1000)])
    started = time.perf_counter()
    log.checkpoint(reason="bench")
    _line("checkpoint after 1000 new records", (time.perf_counter() - started) * 1e3, "ms")


def bench_verify_and_prove(log: AuditLog) -> None:
    """Full verification and proof generation at the log's current size."""
    size = log.count()
    started = time.perf_counter()
    report = log.verify()
    elapsed = time.perf_counter() - started
    _line(f"verify {size} records ({report.status})", size / elapsed, "records/s", f"({elapsed:.2f} s)")
    started = time.perf_counter()
    log.prove(size // 2)
    _line(f"prove one record of {size}", (time.perf_counter() - started) * 1e3, "ms")
    sizes = [cp.tree_size for cp in log.checkpoints()]
    started = time.perf_counter()
    log.prove_consistency(sizes[0], sizes[-1])
    _line(f"consistency proof {sizes[0]} -> {sizes[-1]}", (time.perf_counter() - started) * 1e3, "ms")


def main() -> None:
    """Run every measurement in a temporary directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records appended before verify/prove")
    parser.add_argument("--single", type=int, default=1000, help="single durable appends to time")
    args = parser.parse_args()
    logging.getLogger("audit.keys").setLevel(logging.ERROR)  # the bench's throwaway key needs no warning
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        generate_key_file(tmp / "audit.key")
        bench_sqlite_floor(tmp, args.single)
        log = AuditLog.open(tmp / "audit.db", key_file=tmp / "audit.key", checkpoint_every_records=10**9)
        bench_single(log, args.single)
        bench_batches(log, 20_000)
        bench_group_commit(log, 800)
        remaining = args.records - log.count()
        for _ in range(max(0, remaining) // 5000):
            log.append_many([_entry(n) for n in range(5000)])
        bench_checkpoint(log)
        bench_verify_and_prove(log)
        log.close(checkpoint=False)


if __name__ == "__main__":
    main()
