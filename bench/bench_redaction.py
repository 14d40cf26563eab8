"""Measure what redaction costs on the write paths: strings, documents, checkpoints, run-store rows.

Run: .venv/bin/python bench/bench_redaction.py [--devices 800] [--repeat 20]

Prints one line per figure (median of ``--repeat`` runs). "clean" inputs hold no secret (the common
case: the keyword prefilter answers), "dirty" ones hold one configuration secret per device.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from audit.redact import Redactor
from orchestrator.checkpoints import RedactingSerializer
from orchestrator.runs import DeviceState, SqliteRunStore


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _config(lines: int, secret: bool) -> str:
    body = []
    for i in range(lines // 5):
        body += [f"interface GigabitEthernet1/0/{i}", f" description uplink to b-acc-{i:02d}",
                 " switchport mode access", f" switchport access vlan {i % 100}", "!"]  # fmt: skip
    if secret:
        body.append("username admin privilege 15 secret 0 S3cret!")
    return "\n".join(body)


def _state(devices: int, secret: bool) -> dict[str, Any]:
    """A workflow state after a fan-out step: one result per device, each with its diff."""
    diff = "+vlan 120\n+ name users\n" + ("-username admin secret 0 S3cret!\n" if secret else "")
    results = {
        f"b-acc-{i:03d}": {"outcome": "succeeded", "changed": True, "diff": diff, "attempts": 1, "job": i}
        for i in range(devices)
    }
    return {"run_id": "r-1", "params": {"service": "users"}, "results": {"deploy": results}}


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=800)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    redactor, n, r = Redactor(), args.devices, args.repeat

    for lines in (100, 10_000):
        for secret in (False, True):
            text = _config(lines, secret)
            ms = _median_ms(lambda text=text: redactor.scrub(text), r)
            print(f"scrub {lines:>6}-line config {'dirty' if secret else 'clean'}: {ms:8.3f} ms")
    names = [f"b-acc-{i:03d}" for i in range(10_000)]
    cold = _median_ms(lambda: [redactor._scrub(s) for s in names], r)  # the scan itself, no memory
    warm = _median_ms(lambda: [redactor.scrub(s) for s in names], r)
    print(f"scrub 10,000 short strings: first time {cold:6.3f} ms ({cold / 10:.2f} us each), "
          f"remembered {warm:6.3f} ms ({warm / 10:.2f} us each)")  # fmt: skip

    plain, redacting = JsonPlusSerializer(), RedactingSerializer(redactor)
    for secret in (False, True):
        state = _state(n, secret)
        base = _median_ms(lambda state=state: plain.dumps_typed(state), r)
        red = _median_ms(lambda state=state: redacting.dumps_typed(state), r)
        label = "dirty" if secret else "clean"
        print(f"checkpoint of {n} device results {label}: JsonPlus {base:7.2f} ms, redacting {red:7.2f} ms "
              f"(+{red - base:.2f} ms, {(red - base) / n * 1000:.1f} us/device)")  # fmt: skip

    now = datetime(2026, 11, 28, tzinfo=UTC)
    devices = [
        DeviceState(step="deploy", device=f"b-acc-{i:03d}", outcome="succeeded", detail={"job": i, "at": str(now)})
        for i in range(n)
    ]
    base = _median_ms(lambda: [d.model_dump_json() for d in devices], r)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteRunStore(Path(tmp) / "runs.db", redactor=redactor)
        from orchestrator.runs.sqlite_store import _redacted

        red = _median_ms(lambda: [_redacted(d, redactor) for d in devices], r)
        write = _median_ms(lambda: store.put_devices("r-1", devices), r)
        store.close()
    print(f"run-store rows for {n} devices: model_dump_json {base:6.2f} ms, redacted documents {red:6.2f} ms "
          f"(+{(red - base) / n * 1000:.1f} us/device); put_devices total {write:6.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
