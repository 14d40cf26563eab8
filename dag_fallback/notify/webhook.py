"""A generic webhook notifier posting Slack-style JSON (``text`` plus Block Kit ``blocks``)."""

from __future__ import annotations

from typing import Any

import httpx

from dag_fallback.notify.base import Notification, NotifyError

__all__ = ["WebhookNotifier", "slack_payload"]

_EMOJI = {"info": ":white_check_mark:", "warning": ":warning:", "critical": ":rotating_light:"}


def slack_payload(note: Notification) -> dict[str, Any]:
    """The body Slack incoming webhooks (and most chat tools) accept."""
    fields = [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in sorted(note.counts.items())]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": note.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": note.summary}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    for outcome, names in sorted(note.devices.items()):
        if names:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{outcome}*: {', '.join(names[:30])}"}}
            )
    context = f"run `{note.run_id}` · {note.workflow}" + (f" · ticket {note.ticket}" if note.ticket else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": f"{_EMOJI[note.severity]} {note.title}", "blocks": blocks}


class WebhookNotifier:
    """POSTs :func:`slack_payload` to one URL."""

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self._client = client
        self._timeout = timeout_s

    async def send(self, note: Notification) -> dict[str, Any]:
        """Post; a non-2xx answer or a network error is a NotifyError naming the URL."""
        client = self._client or httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await client.post(self.url, json=slack_payload(note), headers=self.headers)
        except httpx.HTTPError as exc:
            raise NotifyError(f"webhook {self.url} unreachable: {exc}") from exc
        finally:
            if self._client is None:
                await client.aclose()
        if response.status_code >= 300:
            raise NotifyError(f"webhook {self.url} answered HTTP {response.status_code}: {response.text[:200]}")
        return {"backend": "webhook", "url": self.url, "status": response.status_code}
