"""Benchmark netlab: `lab init` time at ~800 and ~5,000 devices, and operations per second.

Run: .venv/bin/python bench/bench_lab.py [--quick]

Prints wall-clock and CPU seconds (CPU time is the stabler figure on a busy machine) and the
1-minute load average, so that numbers from a loaded machine can be recognised as such.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netlab import Lab

SIZES = {"~800": (8, 98), "~5,000": (26, 190)}


class Timer:
    """Wall-clock and CPU time of a block."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _rate(what: str, count: int, timer: Timer, note: str) -> None:
    wall, cpu = count / timer.wall, count / timer.cpu if timer.cpu else float("inf")
    print(f"  {what:26s} {wall:7.0f} ops/s wall {cpu:7.0f} ops/s cpu  ({count} devices, {note})")


def bench_size(label: str, buildings: int, access: int, directory: Path, ops: int) -> None:
    """Init time, single and batch apply rates, alerts and metrics time for one lab size."""
    with Timer() as init:
        lab = Lab.create(
            directory / f"lab-{buildings}x{access}.db", buildings=buildings, access_per_building=access, time_factor=0
        )
    info = lab.info()
    print(f"{label} devices ({info.devices} devices, {info.interfaces} interfaces)")
    print(f"  lab init                 {init.wall:7.2f} s wall  {init.cpu:7.2f} s cpu")
    targets = [d.name for d in lab.intent_devices(role="access")][:ops]
    with Timer() as cold:
        for n, device in enumerate(targets):
            lab.apply("vlan_create", device, {"vid": 300, "name": "bench"}, idempotency_key=f"single/{n}")
    _rate("apply() vlan_create", len(targets), cold, "first touch of each device")
    with Timer() as warm:
        for n, device in enumerate(targets):
            lab.apply("interface_shutdown", device, {"interface": "Gi1/0/2" if n % 2 == 0 else "Et2"})
    _rate("apply() shutdown", len(targets), warm, "link status changes, events")
    with Timer() as batch:
        results = lab.apply_batch("vlan_create", targets, {"vid": 301, "name": "bench2"}, idempotency_key="batch")
    assert not any(r.failed for r in results)
    _rate("apply_batch() vlan_create", len(targets), batch, "one transaction")
    with Timer() as replay:
        for n, device in enumerate(targets):
            lab.apply("vlan_create", device, {"vid": 300, "name": "bench"}, idempotency_key=f"single/{n}")
    _rate("apply() replayed key", len(targets), replay, "idempotency replay")
    with Timer() as alerts:
        found = lab.active_alerts()
    print(f"  active_alerts()          {alerts.wall:7.3f} s wall  ({len(found)} alerts)")
    with Timer() as metrics:
        page = lab.metrics_text()
    print(f"  metrics_text()           {metrics.wall:7.2f} s wall  ({len(page) / 1e6:.1f} MB)")
    with Timer() as building:
        lab.metrics_text(location="building-a")
    print(f"  metrics_text(building)   {building.wall:7.3f} s wall")
    lab.close()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the ~800-device lab")
    parser.add_argument("--ops", type=int, default=500, help="operations per measurement")
    args = parser.parse_args()
    print(
        f"netlab benchmark, python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, (buildings, access) in SIZES.items():
            if args.quick and label != "~800":
                continue
            bench_size(label, buildings, access, Path(tmp), args.ops)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
