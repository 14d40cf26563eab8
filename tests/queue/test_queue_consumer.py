"""The NATS JetStream consumer against the real nats-server on 127.0.0.1:4222."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import QueueConfig
from orchestrator.intake import IntakeDispatcher, IntakeRow, SqliteIntakeStore
from orchestrator.intake.requests import parse_start_request
from orchestrator.queue_consumer import QueueConsumer

NATS_URL = "nats://127.0.0.1:4222"


def _nats_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.nats,
    pytest.mark.skipif(not _nats_up(), reason="no nats-server on 127.0.0.1:4222 (.ci/run starts one)"),
]


class Harness:
    """A consumer on a stream and subject unique to one test, feeding a real intake store."""

    def __init__(self, tmp_path: Path) -> None:
        tag = uuid.uuid4().hex[:10]
        self.config = QueueConfig(
            enabled=True,
            url=NATS_URL,
            stream=f"T_{tag}",
            subject=f"netorch.test.{tag}",
            durable=f"d_{tag}",
            fetch_timeout_seconds=0.1,
            retry_delay_seconds=0.0,
        )
        self.store = SqliteIntakeStore(tmp_path / "intake.db", busy_timeout_ms=50)
        self.started: list[IntakeRow] = []
        self.dispatcher = IntakeDispatcher(self.store, self.starter)
        self.consumer = QueueConsumer(self.config, self.dispatcher)
        self.nc: Any = None

    async def starter(self, row: IntakeRow) -> str:
        self.started.append(row)
        return f"r-{len(self.started)}"

    async def publish(self, body: Any, msg_id: str | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        await self.nc.jetstream().publish(
            self.config.subject, data, headers={"Nats-Msg-Id": msg_id} if msg_id else None
        )

    async def drain(self, rounds: int = 2) -> None:
        """Poll until a few empty fetches in a row."""
        empty = 0
        while empty < rounds:
            empty = empty + 1 if await self.consumer.poll() == 0 else 0

    async def pending(self) -> tuple[int, int]:
        """(messages not yet delivered, delivered but not acked) for the durable consumer."""
        info = await self.nc.jetstream().consumer_info(self.config.stream, self.config.durable)
        return info.num_pending, info.num_ack_pending


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    import nats

    harness = Harness(tmp_path)
    harness.nc = await nats.connect(NATS_URL)
    await harness.consumer.connect()
    yield harness
    await harness.consumer.close()
    await harness.nc.jetstream().delete_stream(harness.config.stream)
    await harness.nc.close()


async def test_one_run_per_message_and_all_acked(h: Harness) -> None:
    await h.publish({"workflow": "compliance_scan"})
    await h.publish({"workflow": "vlan_deploy", "input": {"service": "guest-b"}}, msg_id="ticket-7")
    await h.publish({"investigation": "b-acc-03 is unreachable"})
    await h.drain()
    assert [r.kind for r in h.started] == ["workflow", "workflow", "investigation"]
    assert h.started[1].dedup_key == "ticket-7"
    assert h.started[0].dedup_key == f"{h.config.stream}:1"
    assert h.started[1].request == {"workflow": "vlan_deploy", "input": {"service": "guest-b"}}
    assert await h.pending() == (0, 0)


async def test_redelivery_after_commit_is_a_duplicate(h: Harness) -> None:
    await h.publish({"workflow": "compliance_scan"})
    [msg] = await h.consumer._sub.fetch(1, timeout=1)
    # The worker committed the intake row but died before acking: JetStream redelivers.
    request = parse_start_request(msg.data)
    await h.dispatcher.accept([request.item("queue", f"{h.config.stream}:1", "queue:test")])
    await msg.nak()
    await h.drain()
    assert h.consumer.stats.duplicates == 1 and h.consumer.stats.accepted == 0
    assert h.started == []  # the committed row is started by recovery, exactly once
    assert [r.run_id for r in await h.dispatcher.recover()] == ["r-1"]
    assert await h.pending() == (0, 0)


async def test_malformed_message_is_terminated_not_redelivered(h: Harness) -> None:
    await h.publish(b"{not json")
    await h.publish({"workflow": "x", "investigation": "y"})
    await h.drain()
    assert h.consumer.stats.rejected == 2 and h.started == []
    assert "give exactly one of 'workflow' or 'investigation'" in h.consumer.stats.errors[1]
    assert await h.pending() == (0, 0)


async def test_message_is_not_acked_until_the_store_commits(h: Harness, tmp_path: Path) -> None:
    await h.publish({"workflow": "compliance_scan"})
    holder = sqlite3.connect(tmp_path / "intake.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    assert await h.consumer.poll() == 1
    assert h.consumer.stats.retried == 1 and h.started == []
    holder.execute("ROLLBACK")
    await h.drain()
    assert len(h.started) == 1 and h.consumer.stats.accepted == 1
    assert await h.pending() == (0, 0)


async def test_run_loop_consumes_until_stopped(tmp_path: Path) -> None:
    import nats

    harness = Harness(tmp_path)
    harness.nc = await nats.connect(NATS_URL)
    stop = asyncio.Event()
    task = asyncio.create_task(harness.consumer.run(stop))
    try:
        for _ in range(100):  # the loop creates the stream on its first connect
            if harness.consumer._sub is not None:
                break
            await asyncio.sleep(0.02)
        await harness.publish({"workflow": "compliance_scan"})
        for _ in range(200):
            if harness.started:
                break
            await asyncio.sleep(0.02)
        assert len(harness.started) == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await harness.nc.jetstream().delete_stream(harness.config.stream)
        await harness.nc.close()
