"""ServiceNow: update the triggering ticket through the Table API (``PATCH /api/now/table/<table>/<sys_id>``)."""

from __future__ import annotations

from typing import Any

import httpx

from dag_fallback.notify.base import Notification, NotifyError

__all__ = ["ServiceNowNotifier", "servicenow_body"]

# Change request states of the out-of-the-box "change_request" table.
_CHANGE_STATE = {"success": "3", "partial": "3", "aborted": "4", "rejected": "4", "escalated": "-1", "failed": "4"}


def servicenow_body(note: Notification, *, table: str) -> dict[str, Any]:
    """The PATCH body: work notes with the per-device outcome, plus the close state on change requests."""
    body: dict[str, Any] = {"work_notes": note.text()}
    if table == "change_request":
        body["state"] = _CHANGE_STATE.get(note.result, "-1")
        body["close_notes"] = note.summary
        body["close_code"] = "successful" if note.result == "success" else "unsuccessful"
    return body


class ServiceNowNotifier:
    """Writes the outcome onto the ticket named by the run's trigger (``notification.ticket``)."""

    def __init__(
        self,
        instance: str,
        *,
        table: str = "change_request",
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not token and not (user and password):
            raise ValueError("servicenow notifier needs options.token or options.user and options.password")
        self.base = instance.rstrip("/")
        self.table = table
        self._auth = None if token else httpx.BasicAuth(user or "", password or "")
        self._headers = {"Accept": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        self._client = client
        self._timeout = timeout_s

    async def send(self, note: Notification) -> dict[str, Any]:
        """PATCH the ticket; without a ticket there is nothing to update (receipt says so)."""
        if not note.ticket:
            return {"backend": "servicenow", "skipped": "the run has no ticket (trigger event id)"}
        url = f"{self.base}/api/now/table/{self.table}/{note.ticket}"
        client = self._client or httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await client.patch(
                url,
                json=servicenow_body(note, table=self.table),
                headers=self._headers,
                auth=self._auth or httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise NotifyError(f"servicenow {self.base} unreachable: {exc}") from exc
        finally:
            if self._client is None:
                await client.aclose()
        if response.status_code == 404:
            raise NotifyError(f"servicenow ticket '{note.ticket}' not found in table '{self.table}'")
        if response.status_code >= 300:
            raise NotifyError(f"servicenow {url} answered HTTP {response.status_code}: {response.text[:200]}")
        result = response.json().get("result", {})
        return {"backend": "servicenow", "table": self.table, "sys_id": result.get("sys_id", note.ticket)}
