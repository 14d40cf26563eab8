"""Front-door figures: intake commit rate, webhook latency (new and duplicate), POST /v1/runs latency.

    .venv/bin/python bench/bench_front_door.py [--n 500]

Runs the real stack (open_front_door → runtime on the embedded lab, time_factor 0) behind a real
uvicorn on loopback, in a temporary NETORCH_HOME. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from orchestrator.api import create_app
from orchestrator.config import Settings
from orchestrator.intake import IntakeItem, SqliteIntakeStore
from orchestrator.intake.wiring import open_front_door

FIRING = {
    "receiver": "webhook",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "InterfaceDown", "device": "b-acc-03", "interface": "GigabitEthernet1/0/5"},
            "annotations": {"summary": "b-acc-03 Gi1/0/5 is down"},
            "startsAt": "2026-11-28T13:02:23.731Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": "669336a1f64ca8b0",
        }
    ],
    "groupLabels": {},
    "commonLabels": {},
    "commonAnnotations": {},
    "externalURL": "http://am:9093",
    "version": "4",
    "groupKey": '{}:{alertname="InterfaceDown"}',
    "truncatedAlerts": 0,
}


def pct(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def bench_store(home: Path, n: int) -> None:
    """Intake store throughput: new items and duplicates, one commit each and grouped."""
    store = SqliteIntakeStore(home / "bench-intake.db")
    t0 = time.perf_counter()
    for i in range(n):
        store.accept([IntakeItem("bench", f"k{i}", "workflow", "bench", {"i": i})])
    new = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(n):
        store.accept([IntakeItem("bench", f"k{i}", "workflow", "bench", {"i": i})])
    dup = time.perf_counter() - t0
    batch = [IntakeItem("bench", f"b{i}", "workflow", "bench", {"i": i}) for i in range(n)]
    t0 = time.perf_counter()
    store.accept(batch)
    grouped = time.perf_counter() - t0
    print(
        f"intake store, one transaction per item (synchronous=FULL): {n / new:,.0f} new/s, {n / dup:,.0f} duplicates/s"
    )
    print(f"intake store, {n} items in one transaction (a grouped webhook): {n / grouped:,.0f} items/s")


def bench_http(home: Path, n: int) -> None:
    """Webhook and POST /v1/runs latency against a real uvicorn on loopback."""
    settings = Settings.model_validate({"home": str(home), "lab": {"time_factor": 0}})
    ready: dict[str, Any] = {}

    async def main() -> None:
        async with open_front_door(settings) as door:
            app = create_app(settings, door)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
            ready["server"] = server
            await server.serve()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    while "server" not in ready or not ready["server"].started:
        time.sleep(0.02)
    port = ready["server"].servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
        new: list[float] = []
        for i in range(n):
            body = copy.deepcopy(FIRING)
            body["alerts"][0]["fingerprint"] = f"{i:016x}"
            t0 = time.perf_counter()
            r = c.post("/v1/webhooks/alertmanager", content=json.dumps(body))
            new.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
        dup: list[float] = []
        body = json.dumps(FIRING)
        c.post("/v1/webhooks/alertmanager", content=body)
        for _ in range(n):
            t0 = time.perf_counter()
            c.post("/v1/webhooks/alertmanager", content=body)
            dup.append(time.perf_counter() - t0)
        starts: list[float] = []
        for _ in range(min(n, 200)):
            t0 = time.perf_counter()
            r = c.post("/v1/runs", json={"investigation": "b-acc-03 Gi1/0/5 is down"})
            starts.append(time.perf_counter() - t0)
            assert r.status_code in (200, 202), r.text
    print(
        f"webhook, new alert → run stored and started: p50 {pct(new, 0.5):.1f} ms, p95 {pct(new, 0.95):.1f} ms"
        f" ({n / sum(new):,.0f}/s sequential)"
    )
    print(f"webhook, duplicate delivery (nothing started): p50 {pct(dup, 0.5):.1f} ms, p95 {pct(dup, 0.95):.1f} ms")
    print(f"POST /v1/runs → 202 with run id: p50 {pct(starts, 0.5):.1f} ms, p95 {pct(starts, 0.95):.1f} ms")
    print(f"(investigations run in the background meanwhile; mean {statistics.mean(new) * 1000:.1f} ms)")
    ready["server"].should_exit = True
    thread.join(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_store(Path(tmp), args.n * 4)
        bench_http(Path(tmp) / "home", args.n)
