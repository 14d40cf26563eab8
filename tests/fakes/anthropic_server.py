"""A fake Anthropic Messages API on 127.0.0.1, strict about the request shapes the real API enforces.

It answers ``POST /v1/messages`` from a script: each entry is a reply (``{"text": ..., "tool_use":
[{"name", "input"}]}``), a callable that builds one from the request body (to read tool results the
agent sent back), or ``{"status": 529, "error_type": "overloaded_error"}`` to fail. Every request is
validated the way the real API does (auth header, alternating roles, each ``tool_use`` answered by a
``tool_result`` first in the next user turn, tool definitions, ``cache_control`` shapes); a request
that breaks a rule gets a 400 ``invalid_request_error`` and is recorded in ``violations``.

Usage is reported like the real API: with ``cache_control`` on the tools, the first request writes
the cached prefix (``cache_creation_input_tokens``) and later ones read it (``cache_read_input_tokens``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_USER_BLOCKS = {"text", "tool_result", "image", "document"}
_ASSISTANT_BLOCKS = {"text", "tool_use", "thinking", "redacted_thinking"}


class InvalidRequest(Exception):
    """The request breaks a rule of the Messages API."""


def _tokens(obj: Any) -> int:
    return max(1, len(json.dumps(obj, sort_keys=True)) // 4)


def validate_request(body: dict[str, Any]) -> None:
    """Raise InvalidRequest naming the first rule the body breaks."""
    for key in ("model", "max_tokens", "messages"):
        if key not in body:
            raise InvalidRequest(f"{key}: Field required")
    if not isinstance(body["model"], str) or not body["model"]:
        raise InvalidRequest("model: must be a non-empty string")
    if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
        raise InvalidRequest("max_tokens: must be a positive integer")
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        for block in system:
            if block.get("type") != "text" or not isinstance(block.get("text"), str):
                raise InvalidRequest("system: blocks must be text blocks")
            _check_cache_control(block, "system")
    tool_names = set()
    for index, tool in enumerate(body.get("tools") or []):
        name = tool.get("name", "")
        if not _TOOL_NAME.match(name):
            raise InvalidRequest(f"tools.{index}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        if name in tool_names:
            raise InvalidRequest(f"tools: Tool names must be unique ('{name}')")
        tool_names.add(name)
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise InvalidRequest(f"tools.{index}.input_schema.type: Input should be 'object'")
        extra = set(tool) - {"name", "description", "input_schema", "cache_control", "type"}
        if extra:
            raise InvalidRequest(f"tools.{index}.{sorted(extra)[0]}: Extra inputs are not permitted")
        _check_cache_control(tool, f"tools.{index}")
    _check_messages(body["messages"], tool_names)


def _check_cache_control(block: dict[str, Any], where: str) -> None:
    cc = block.get("cache_control")
    if cc is not None and cc.get("type") != "ephemeral":
        raise InvalidRequest(f"{where}.cache_control.type: Input should be 'ephemeral'")


def _check_messages(messages: Any, tool_names: set[str]) -> None:
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: at least one message is required")
    if messages[0].get("role") != "user":
        raise InvalidRequest("messages: first message must use the 'user' role")
    open_calls: set[str] = set()
    previous = None
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise InvalidRequest(f"messages.{index}.role: Input should be 'user' or 'assistant'")
        if role == previous:
            raise InvalidRequest(f"messages.{index}: roles must alternate between 'user' and 'assistant'")
        previous = role
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list) or not blocks:
            raise InvalidRequest(f"messages.{index}.content: must be a string or a non-empty list")
        allowed = _USER_BLOCKS if role == "user" else _ASSISTANT_BLOCKS
        if role == "user":
            answered = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
            if open_calls:
                leading = [b.get("type") for b in blocks[: len(open_calls)]]
                if any(t != "tool_result" for t in leading) or set(answered) != open_calls:
                    raise InvalidRequest(
                        f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately "
                        f"after: {', '.join(sorted(open_calls - set(answered))) or 'order'}"
                    )
            elif answered:
                raise InvalidRequest(f"messages.{index}: unexpected `tool_use_id` found in `tool_result` blocks")
            open_calls = set()
        for position, block in enumerate(blocks):
            kind = block.get("type")
            if kind not in allowed:
                raise InvalidRequest(f"messages.{index}.content.{position}.type: '{kind}' not allowed for {role}")
            if kind == "text" and not isinstance(block.get("text"), str):
                raise InvalidRequest(f"messages.{index}.content.{position}.text: Field required")
            if kind == "tool_use":
                if block.get("name") not in tool_names:
                    raise InvalidRequest(
                        f"messages.{index}.content.{position}: tool '{block.get('name')}' not in tools"
                    )
                if not isinstance(block.get("input"), dict) or not block.get("id"):
                    raise InvalidRequest(f"messages.{index}.content.{position}: tool_use needs id and input object")
                open_calls.add(block["id"])
            if kind == "tool_result":
                inner = block.get("content")
                if not isinstance(inner, str | list):
                    raise InvalidRequest(f"messages.{index}.content.{position}.content: must be string or blocks")
            _check_cache_control(block, f"messages.{index}.content.{position}")
    if previous != "user":
        raise InvalidRequest("messages: the last message must use the 'user' role (no prefill with tools here)")


class FakeAnthropic:
    """The server: start it with ``serve()``; point the SDK at ``base_url`` with ``api_key``."""

    def __init__(self, script: list[Reply], *, api_key: str = "test-key", model: str = "claude-fake-1") -> None:
        self.script = list(script)
        self.api_key = api_key
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.violations: list[str] = []
        self._cached_prefix: str | None = None
        self._lock = threading.Lock()
        self.base_url = ""

    def _respond(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, _error("authentication_error", "invalid x-api-key")
        if not headers.get("anthropic-version"):
            return 400, _error("invalid_request_error", "anthropic-version: header is required")
        try:
            body = json.loads(raw)
            validate_request(body)
        except (ValueError, InvalidRequest) as exc:
            self.violations.append(str(exc))
            return 400, _error("invalid_request_error", str(exc))
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            index = len(self.requests) - 1
            if index >= len(self.script):
                self.violations.append(f"request {index + 1} beyond the script ({len(self.script)} replies)")
                return 500, _error("api_error", "fake server script exhausted")
            entry = self.script[index]
            reply = entry(body) if callable(entry) else entry
            if "status" in reply:
                return int(reply["status"]), _error(reply.get("error_type", "api_error"), reply.get("message", "fail"))
            return 200, self._message(index, body, reply)

    def _message(self, index: int, body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.get("text"):
            content.append({"type": "text", "text": reply["text"]})
        for position, call in enumerate(reply.get("tool_use") or []):
            content.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{index + 1:02d}_{position + 1}",
                    "name": call["name"],
                    "input": call.get("input", {}),
                }
            )
        tools = body.get("tools") or []
        prefix = json.dumps([body.get("system"), tools], sort_keys=True)
        cached = any("cache_control" in t for t in tools)
        prefix_tokens = _tokens(prefix)
        total = _tokens(body)
        usage = {
            "input_tokens": total,
            "output_tokens": _tokens(content),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        if cached:
            key = "cache_read_input_tokens" if prefix == self._cached_prefix else "cache_creation_input_tokens"
            usage[key] = prefix_tokens
            usage["input_tokens"] = max(1, total - prefix_tokens)
            self._cached_prefix = prefix
        return {
            "id": f"msg_fake_{index + 1:04d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }

    @contextmanager
    def serve(self) -> Iterator[FakeAnthropic]:
        """Run on an ephemeral loopback port in a thread; stop on exit."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                if self.path.split("?")[0] != "/v1/messages":
                    status, payload = 404, _error("not_found_error", f"no route {self.path}")
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status, payload = fake._respond(headers, raw)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", f"req_fake_{len(fake.requests)}")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}
