"""Benchmark netlab: `lab init` time at ~800 and ~5,000 devices, and the CPU cost of a device change.

Run: .venv/bin/python bench/bench_lab.py [--quick] [--ops 500] [--repeat 3]

CPU time is the stable figure on a busy machine (wall time is printed too, with the 1-minute load
average, so that numbers from a loaded machine can be recognised as such). The fan-out targets in
/work/shared/STACK-NOTES.md need a device change to cost at most ~0.15 ms of CPU inside a group
commit ("commit(), batches of N"); the diff is rendered on first read only, and its cost is shown
apart ("OpResult.diff").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netlab import Lab
from netlab.changes import Change

SIZES = {"~800": (8, 98), "~5,000": (26, 190)}


class Timer:
    """Wall-clock and CPU time of a block."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _measure(what: str, count: int, note: str, repeat: int, run: Callable[[int], object]) -> None:
    """Run ``run(round)`` ``repeat`` times; print CPU per device change for each round and the median."""
    cpus, walls = [], []
    for attempt in range(repeat):
        with Timer() as timer:
            run(attempt)
        cpus.append(timer.cpu / count * 1000)
        walls.append(timer.wall / count * 1000)
    rounds = " ".join(f"{c:.3f}" for c in cpus)
    print(
        f"  {what:30s} {statistics.median(cpus):6.3f} ms cpu/change (rounds {rounds}; "
        f"wall {statistics.median(walls):.3f}) {count} devices, {note}"
    )


def bench_size(label: str, buildings: int, access: int, directory: Path, ops: int, repeat: int) -> None:
    """Init time, then CPU per device change on each entry point, for one lab size."""
    with Timer() as init:
        lab = Lab.create(
            directory / f"lab-{buildings}x{access}.db", buildings=buildings, access_per_building=access, time_factor=0
        )
    info = lab.info()
    print(f"{label} devices ({info.devices} devices, {info.interfaces} interfaces)")
    print(f"  lab init                       {init.wall:6.2f} s wall  {init.cpu:6.2f} s cpu")
    everything = lab.device_names()
    step = max(1, len(everything) // ops)
    targets = everything[::step][:ops]  # every role, in the lab's proportions
    with Timer() as cold:
        lab.prepare([Change("vlan_create", d, {"vid": 300}) for d in everything])
    print(f"  first read of every device     {cold.cpu / len(everything) * 1000:6.3f} ms cpu/device (decode, once)")
    vid = iter(range(301, 4000))

    def single(_: int) -> None:
        number = next(vid)
        for n, device in enumerate(targets):
            lab.apply("vlan_create", device, {"vid": number, "name": "bench"}, idempotency_key=f"s{number}/{n}")

    _measure("apply() vlan_create", len(targets), "one transaction each, keyed", repeat, single)

    ports = {i.device: i.name for d in targets for i in lab.intent_interfaces(d)[1:2]}

    def shutdown(attempt: int) -> None:
        op = "interface_shutdown" if attempt % 2 == 0 else "interface_no_shutdown"
        for device in targets:
            lab.apply(op, device, {"interface": ports[device]})

    _measure("apply() shut/no shut", len(targets), "link status, events", repeat, shutdown)
    for size in (8, 32):

        def grouped(_: int, size: int = size) -> None:
            number = next(vid)
            items = lab.prepare([Change("vlan_create", d, {"vid": number}, f"g{number}/{d}") for d in targets])
            for start in range(0, len(items), size):
                lab.commit(items[start : start + size])

        _measure(f"prepare + commit, batches of {size}", len(targets), "as the group commit runs it", repeat, grouped)
    render_cpu: list[float] = []

    def with_diffs(_: int) -> None:
        number = next(vid)
        results = lab.apply_batch("vlan_create", targets, {"vid": number}, idempotency_key=f"b{number}")
        with Timer() as rendering:
            text = [result.diff for result in results]
        assert any(text)
        render_cpu.append(rendering.cpu / len(targets) * 1000)

    _measure("apply_batch() + every diff", len(targets), "one transaction, diffs read", repeat, with_diffs)
    print(f"  of which OpResult.diff         {statistics.median(render_cpu):6.3f} ms cpu/change (rendered on read)")

    def fan_out(_: int) -> None:
        number = next(vid)

        async def run() -> None:
            queue = iter(targets)

            async def worker() -> None:
                for device in queue:
                    await lab.apply_async("vlan_create", device, {"vid": number})

            await asyncio.gather(*(worker() for _ in range(50)))

        asyncio.run(run())

    _measure("apply_async(), 50 tasks", len(targets), "group commit, latency 0", repeat, fan_out)

    def replays(_: int) -> None:
        for n, device in enumerate(targets):
            lab.apply("vlan_create", device, {"vid": 301, "name": "bench"}, idempotency_key=f"s301/{n}")

    _measure("apply() replayed key", len(targets), "idempotency replay", repeat, replays)
    with Timer() as alerts:
        found = lab.active_alerts()
    print(f"  active_alerts()                {alerts.wall:6.3f} s wall  ({len(found)} alerts)")
    with Timer() as metrics:
        page = lab.metrics_text()
    print(f"  metrics_text()                 {metrics.wall:6.2f} s wall  ({len(page) / 1e6:.1f} MB)")
    with Timer() as building:
        lab.metrics_text(location="building-a")
    print(f"  metrics_text(building)         {building.wall:6.3f} s wall")
    lab.close()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the ~800-device lab")
    parser.add_argument("--ops", type=int, default=500, help="device changes per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per figure (the machine may be shared)")
    args = parser.parse_args()
    print(
        f"netlab benchmark, python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, (buildings, access) in SIZES.items():
            if args.quick and label != "~800":
                continue
            bench_size(label, buildings, access, Path(tmp), args.ops, args.repeat)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
