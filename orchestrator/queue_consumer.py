"""NATS JetStream trigger consumer: one run per message, acked only once the intake row is committed.

A message body is a start request (``{"workflow": ..., "input": {...}}`` or
``{"investigation": ..., "input": {...}}``). Its dedup key is the ``Nats-Msg-Id`` header when the
publisher set one (so a publisher's own retries dedup too), else ``<stream>:<stream sequence>``
(so JetStream's redeliveries dedup). Outcomes per message:

- committed (new or duplicate) → ``ack``; the run starts right after, or at recovery;
- malformed → ``term``: redelivering a poison message cannot help, and it is logged and counted;
- our store failed → ``nak`` with a delay, so JetStream redelivers it later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from orchestrator.config import QueueConfig
from orchestrator.intake.dispatcher import IntakeDispatcher
from orchestrator.intake.errors import IntakeStorageError, PayloadError
from orchestrator.intake.requests import parse_start_request

__all__ = ["QUEUE", "QueueConsumer", "QueueStats"]

QUEUE = "queue"
log = logging.getLogger(__name__)


@dataclass
class QueueStats:
    """Counters for /metrics and tests."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)


class QueueConsumer:
    """A durable pull consumer on ``queue.subject`` that feeds the intake dispatcher."""

    def __init__(self, config: QueueConfig, dispatcher: IntakeDispatcher) -> None:
        self.config = config
        self.dispatcher = dispatcher
        self.stats = QueueStats()
        self._nc: Any = None
        self._sub: Any = None

    async def connect(self) -> None:
        """Connect, make sure the stream exists, and bind the durable pull consumer."""
        import nats
        from nats.js.api import ConsumerConfig
        from nats.js.errors import NotFoundError

        self._nc = await nats.connect(self.config.url, connect_timeout=self.config.connect_timeout_seconds)
        js = self._nc.jetstream()
        try:
            await js.stream_info(self.config.stream)
        except NotFoundError:
            if not self.config.create_stream:
                raise
            await js.add_stream(name=self.config.stream, subjects=[self.config.subject])
        self._sub = await js.pull_subscribe(
            self.config.subject,
            durable=self.config.durable,
            stream=self.config.stream,
            config=ConsumerConfig(ack_wait=self.config.ack_wait_seconds, max_deliver=self.config.max_deliver),
        )

    async def close(self) -> None:
        """Close the connection; unacked messages are redelivered to the next worker after ack_wait."""
        # No drain(): a pull subscription has no in-flight deliveries to drain, and nats-py's drain
        # waits its full 30 s drain timeout on one.
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
            self._nc = None

    async def handle(self, msg: Any) -> str:
        """Process one message; returns ``accepted``, ``duplicate``, ``rejected`` or ``retry``."""
        self.stats.received += 1
        meta = msg.metadata
        headers = msg.headers or {}
        dedup_key = headers.get("Nats-Msg-Id") or f"{meta.stream}:{meta.sequence.stream}"
        try:
            request = parse_start_request(msg.data, what=f"queue message {dedup_key}")
            actor = f"queue:{msg.subject}"
            [outcome] = await self.dispatcher.accept([request.item(QUEUE, dedup_key, actor)])
        except PayloadError as exc:
            self.stats.rejected += 1
            self.stats.errors.append(str(exc))
            log.warning("%s; terminated", exc)
            await msg.term()
            return "rejected"
        except IntakeStorageError as exc:
            self.stats.retried += 1
            log.error("queue message %s not accepted (%s); will be redelivered", dedup_key, exc)
            await msg.nak(delay=self.config.retry_delay_seconds)
            return "retry"
        await msg.ack_sync()
        if outcome.duplicate:
            self.stats.duplicates += 1
            return "duplicate"
        self.stats.accepted += 1
        await self.dispatcher.dispatch(outcome.row)
        return "accepted"

    async def poll(self) -> int:
        """Fetch one batch and handle it; returns how many messages were handled."""
        from nats.errors import TimeoutError as NatsTimeout

        try:
            messages = await self._sub.fetch(self.config.batch, timeout=self.config.fetch_timeout_seconds)
        except (NatsTimeout, TimeoutError):
            return 0
        for msg in messages:
            await self.handle(msg)
        return len(messages)

    async def run(self, stop: asyncio.Event) -> None:
        """Connect and consume until ``stop`` is set; reconnects after errors."""
        while not stop.is_set():
            try:
                if self._sub is None:
                    await self.connect()
                await self.poll()
            except Exception as exc:
                log.error("queue consumer error (%s); reconnecting", exc)
                await self.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.config.retry_delay_seconds)
        await self.close()
