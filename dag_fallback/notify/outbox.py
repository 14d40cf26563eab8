"""The default notifier: one JSON line per notification in a file under NETORCH_HOME."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from audit.redact import Redactor
from dag_fallback.notify.base import Notification, NotifyError

__all__ = ["OutboxNotifier"]


class OutboxNotifier:
    """Appends notifications to a JSONL outbox another process (or a human) can read; secrets redacted."""

    def __init__(self, path: Path, *, redactor: Redactor | None = None) -> None:
        self.path = Path(path)
        self._redactor = redactor if redactor is not None else Redactor()

    async def send(self, note: Notification) -> dict[str, Any]:
        """Append one line; the receipt names the file."""
        # default=str first, so whatever a notification carries is text the redactor can see.
        record = self._redactor.redact(json.loads(json.dumps({"sent_at": time.time(), **note.to_dict()}, default=str)))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        except OSError as exc:
            raise NotifyError(f"outbox '{self.path}' is not writable: {exc.strerror}") from exc
        return {"backend": "outbox", "path": str(self.path)}

    def read(self) -> list[dict[str, Any]]:
        """Every notification in the outbox, oldest first."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
