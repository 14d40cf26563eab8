"""Benchmark the incident agent: time, tool calls and turns per investigation, and the model loop's overhead.

Run: .venv/bin/python bench/bench_agent.py [--quick]

1. The rule-based reasoner on each fault kind (real lab, in-process MCP servers, real gateway and
   audit log, instant device changes): median wall and CPU seconds per investigation, tool calls, turns.
2. The same on a ~800-device lab: an investigation's cost should not grow with the network.
3. The loop alone: a scripted model that concludes at once (intake + sense + conclude).
4. The anthropic backend against the fake Messages API on loopback: seconds per turn spent in the SDK
   and HTTP (the model's own latency excluded), and the share of input tokens read from the cache.

Prints wall-clock and CPU seconds and the 1-minute load average, so that figures from a loaded
machine can be recognised as such.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from agent.investigation import Investigator  # noqa: E402
from agent.models.base import ModelBackend  # noqa: E402
from agent.models.registry import create_model  # noqa: E402
from guardrails.approval_store import SqliteApprovalStore  # noqa: E402
from guardrails.gateway import ToolGateway  # noqa: E402
from guardrails.locks import SqliteLockStore  # noqa: E402
from guardrails.policy_loader import default_policy  # noqa: E402
from guardrails.sqlite import Database  # noqa: E402
from guardrails.usage import SqliteUsageStore  # noqa: E402
from orchestrator.config import Settings  # noqa: E402

CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "admin_down (fix)": (
        [{"kind": "admin_down", "device": "a-acc-01", "interface": "GigabitEthernet1/0/4"}],
        {"question": "why is GigabitEthernet1/0/4 on a-acc-01 down?"},
    ),
    "err_disabled (fix)": (
        [{"kind": "err_disabled", "device": "b-acc-02", "interface": "Ethernet9"}],
        {"question": "b-acc-02 Ethernet9 is down"},
    ),
    "link_flap (fix fails)": (
        [{"kind": "link_flap", "device": "a-acc-01", "interface": "GigabitEthernet1/0/8"}],
        {"question": "a-acc-01 GigabitEthernet1/0/8 is down"},
    ),
    "crc_errors (escalate)": (
        [{"kind": "crc_errors", "device": "b-acc-04", "interface": "Ethernet3"}],
        {"question": "b-acc-04 Ethernet3 drops packets"},
    ),
    "unreachable (escalate)": (
        [{"kind": "device_unreachable", "device": "b-acc-03"}],
        {"question": "what is wrong with b-acc-03?"},
    ),
    "vlan_missing (restore)": (
        [{"kind": "vlan_missing", "device": "b-dist-01", "vid": 10}],
        {"question": "check b-dist-01"},
    ),
}


def load() -> str:
    """The 1-minute load average."""
    return f"{os.getloadavg()[0]:.2f}"


def _world(home: Path, buildings: int, access: int, faults: list[dict[str, Any]]) -> tuple[Settings, Any, Any, Any]:
    """A fresh home: settings, the lab with its faults, the audit log, the guardrails database."""
    from audit.log import AuditLog
    from netlab.lab import Lab

    home.mkdir(parents=True)
    settings = Settings.model_validate(
        {"home": str(home), "lab": {"buildings": buildings, "access_per_building": access, "time_factor": 0.0}}
    )
    lab = Lab.create(settings.lab_db, buildings=buildings, access_per_building=access, seed=1, time_factor=0.0)
    for fault in faults:
        lab.inject(**fault)
    return settings, lab, AuditLog.open(home / "audit.db"), Database(home / "guardrails.db")


async def investigate(
    home: Path, buildings: int, access: int, faults: list[dict[str, Any]], trigger: dict[str, Any], model: ModelBackend
) -> tuple[float, float, int, int]:
    """One investigation on a fresh lab: (wall s, CPU s, tool calls, turns)."""
    from orchestrator.mcp_wiring import open_clients

    settings, lab, audit, db = _world(home, buildings, access, faults)
    try:
        async with open_clients(settings) as clients:
            gateway = ToolGateway(
                clients,
                audit=audit,
                policy=default_policy(),
                approvals=SqliteApprovalStore(db),
                locks=SqliteLockStore(db),
                usage=SqliteUsageStore(db),
            )
            agent = Investigator(gateway, model, history=audit)
            wall, cpu = time.perf_counter(), time.process_time()
            result = await agent.start(trigger, run_id="bench")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        audit.close(checkpoint=False)
        lab.close()
    assert result.finding is not None
    spent = result.finding.budget.spent
    return wall, cpu, spent.tool_calls, spent.steps


def report(name: str, samples: list[tuple[float, float, int, int]]) -> None:
    """One line: medians over the samples."""
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    calls, turns = samples[0][2], samples[0][3]
    print(
        f"  {name:26s} {wall * 1000:7.0f} ms wall {cpu * 1000:7.0f} ms cpu  {calls:3d} tool calls  {turns:2d} turns"
        f"  ({wall * 1000 / max(calls, 1):5.1f} ms/call)"
    )


async def heuristic_suite(tmp: Path, repeats: int, size: tuple[int, int], label: str) -> None:
    """Part 1/2: every case, ``repeats`` times each."""
    print(f"\nheuristic reasoner, {label} (median of {repeats}; load {load()})")
    for index, (name, (faults, trigger)) in enumerate(CASES.items()):
        samples = [
            await investigate(tmp / f"{label}-{index}-{r}", *size, faults, trigger, create_model("heuristic"))
            for r in range(repeats)
        ]
        report(name, samples)


async def loop_overhead(tmp: Path, repeats: int) -> None:
    """Part 3: intake + sense + one scripted turn + conclude."""
    conclude = {"summary": "ok", "root_cause": "no_fault_found", "confidence": 0.5, "escalation_needed": False}
    turns = [{"tool_calls": [{"name": "conclude", "arguments": conclude}]}]
    samples = [
        await investigate(
            tmp / f"loop-{r}", 2, 4, [], {"question": "is a-acc-01 ok?"}, create_model("scripted", {"turns": turns})
        )
        for r in range(repeats)
    ]
    print(f"\nloop alone (sense + one scripted turn + conclude; median of {repeats}; load {load()})")
    report("scripted conclude", samples)


async def anthropic_overhead(turns: int) -> None:
    """Part 4: the SDK and HTTP cost of one turn, and the cache share, against the fake server."""
    from fakes.anthropic_server import FakeAnthropic

    from agent.conversation import Conversation, Message, ToolSpec
    from agent.intake import incident_from_question
    from agent.local_tools import CONCLUDE

    tools = [
        ToolSpec(name=f"tool_{i}", description="x" * 200, input_schema={"type": "object", "properties": {}})
        for i in range(20)
    ] + [CONCLUDE]
    fake = FakeAnthropic([{"text": "thinking"}] * turns)
    with fake.serve():
        os.environ["BENCH_FAKE_KEY"] = fake.api_key
        model = create_model(
            "anthropic", {"base_url": fake.base_url, "api_key_env": "BENCH_FAKE_KEY", "max_retries": 0}
        )
        conv = Conversation(incident=incident_from_question("is a-acc-01 ok?"))
        conv.messages.append(Message(role="user", kind="incident", text="is a-acc-01 ok?"))
        times, cached, total = [], 0, 0
        for _ in range(turns):
            start = time.perf_counter()
            turn = await model.next_turn(conv, tools)
            times.append(time.perf_counter() - start)
            cached += turn.usage.cache_read_input_tokens
            total += (
                turn.usage.input_tokens + turn.usage.cache_read_input_tokens + turn.usage.cache_creation_input_tokens
            )
        await model.aclose()
    first, rest = times[0], statistics.median(times[1:])
    print(f"\nanthropic backend vs fake Messages API on loopback ({turns} turns, 21 tools; load {load()})")
    print(
        f"  first turn {first * 1000:6.1f} ms (client set-up), then median {rest * 1000:5.1f} ms/turn;"
        f" input tokens read from cache: {cached / total:.0%}"
    )


async def main() -> None:
    """Run the agent benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, skip the ~800-device lab")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # each fresh home announces its new audit signing key
    repeats = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        await heuristic_suite(base, repeats, (2, 4), "14-device lab")
        if not args.quick:
            await heuristic_suite(base, 1, (8, 98), "~800-device lab")
        await loop_overhead(base, repeats)
        await anthropic_overhead(10 if args.quick else 30)


if __name__ == "__main__":
    asyncio.run(main())
