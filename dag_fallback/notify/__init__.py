"""Notifiers: outbox file (default), generic webhook (Slack-style JSON), ServiceNow Table API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from audit.redact import Redactor
from dag_fallback.notify.base import Notification, Notifier, NotifyError
from dag_fallback.notify.outbox import OutboxNotifier
from dag_fallback.notify.servicenow import ServiceNowNotifier
from dag_fallback.notify.webhook import WebhookNotifier

__all__ = [
    "NOTIFIER_BACKENDS",
    "Notification",
    "Notifier",
    "NotifyError",
    "OutboxNotifier",
    "ServiceNowNotifier",
    "WebhookNotifier",
    "build_notifier",
]

NOTIFIER_BACKENDS: tuple[str, ...] = ("outbox", "webhook", "servicenow")


def build_notifier(
    backend: str,
    options: dict[str, Any],
    *,
    home: Path,
    client: httpx.AsyncClient | None = None,
    redactor: Redactor | None = None,
) -> Notifier:
    """The notifier named in ``notifier.backend`` with its ``options``; ValueError names a bad one.

    ``redactor`` cleans what the outbox file keeps (the default one when not given).
    """
    opts = dict(options)
    if backend == "outbox":
        return OutboxNotifier(Path(opts.get("path") or home / "outbox.jsonl"), redactor=redactor)
    if backend == "webhook":
        if not opts.get("url"):
            raise ValueError("notifier backend 'webhook' needs options.url")
        return WebhookNotifier(opts["url"], headers=opts.get("headers"), client=client)
    if backend == "servicenow":
        if not opts.get("instance"):
            raise ValueError("notifier backend 'servicenow' needs options.instance (e.g. https://acme.service-now.com)")
        return ServiceNowNotifier(
            opts["instance"],
            table=opts.get("table", "change_request"),
            # Secrets may stay out of netorch.yaml: token_env / password_env name environment variables.
            token=opts.get("token") or (os.environ.get(opts["token_env"]) if opts.get("token_env") else None),
            user=opts.get("user"),
            password=opts.get("password")
            or (os.environ.get(opts["password_env"]) if opts.get("password_env") else None),
            client=client,
        )
    raise ValueError(f"unknown notifier backend '{backend}' (expected one of {', '.join(NOTIFIER_BACKENDS)})")
