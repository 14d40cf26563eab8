"""The import rule that holds the design together, checked on the source (ARCHITECTURE.md, layout).

`agent/` and `dag_fallback/` reach the network only through the guardrails gateway: they never
import netlab, the MCP servers or their backends, nor an MCP client of their own. guardrails may
use only audit and the MCP client/error vocabulary; mcp_servers only netlab (the lab backends) and
``audit.redact`` (the executor's job records are redacted like every other store); netlab and audit
import nothing of ours.
Imports inside functions and ``importlib.import_module("...")`` with a literal name count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("orchestrator", "agent", "dag_fallback", "guardrails", "mcp_servers", "netlab", "audit", "evals")

# MCP SDK entry points that would open a session around the gateway.
_MCP_CLIENT_NAMES = {"Client", "ClientSession", "ClientSessionGroup", "stdio_client", "StdioServerParameters"}


def imported_modules(source: str, filename: str = "<src>") -> Iterator[tuple[int, str]]:
    """Every module a source file imports, as (line, dotted name); ``from x import y`` yields x and x.y."""
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield node.lineno, first.value


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violation(package: str, module: str) -> str | None:
    """Why ``package`` may not import ``module``, or None if it may."""
    if _under(module, package):
        return None
    if package in ("agent", "dag_fallback"):
        if _under(module, "netlab"):
            return "netlab is reached only through MCP tools behind the gateway"
        if _under(module, "mcp_servers") and not _under(module, "mcp_servers.errors"):
            return "MCP servers, backends and clients are reached only through guardrails.ToolGateway"
        if _under(module, "mcp.client") or _under(module, "mcp.server"):
            return "an own MCP session would bypass the gateway"
        if module.startswith("mcp.") and module.split(".", 1)[1] in _MCP_CLIENT_NAMES:
            return "an own MCP session would bypass the gateway"
        if any(_under(module, p) for p in ("orchestrator", "evals")):
            return "orchestrator and evals sit above the workflows and the agent"
        return None
    if package == "guardrails":
        allowed = ("audit", "mcp_servers.client", "mcp_servers.errors")
        if any(_under(module, p) for p in OURS) and not any(_under(module, p) for p in allowed):
            return "guardrails may import only audit, mcp_servers.client and mcp_servers.errors"
        return None
    if package == "mcp_servers":
        allowed = ("netlab", "audit.redact")
        if any(_under(module, p) for p in OURS) and not any(_under(module, p) for p in allowed):
            return "mcp_servers may import only netlab and audit.redact"
        return None
    if package in ("netlab", "audit") and any(_under(module, p) for p in OURS):
        return f"{package} imports nothing of ours"
    return None


def _violations(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imported_modules(path.read_text(encoding="utf-8"), str(path)):
            why = violation(package, module)
            if why:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}: {why}")
    return found


@pytest.mark.parametrize("package", ["agent", "dag_fallback", "guardrails", "mcp_servers", "netlab", "audit"])
def test_package_respects_the_import_rule(package: str) -> None:
    assert _violations(package) == []


@pytest.mark.parametrize(
    ("package", "source", "bad"),
    [
        ("agent", "from netlab import Lab\n", "netlab"),
        ("agent", "def f():\n    import netlab.world\n", "netlab.world"),
        ("dag_fallback", "from mcp_servers.executor.lab import LabExecutor\n", "mcp_servers.executor.lab"),
        ("dag_fallback", "from mcp_servers.client import open_clients\n", "mcp_servers.client"),
        ("agent", "from mcp import Client\n", "mcp.Client"),
        ("agent", "import importlib\nimportlib.import_module('netlab')\n", "netlab"),
        ("guardrails", "from netlab.errors import LabError\n", "netlab.errors"),
        ("guardrails", "from mcp_servers.sot.server import build\n", "mcp_servers.sot.server"),
        ("audit", "from guardrails import Caller\n", "guardrails"),
        ("mcp_servers", "from audit.log import AuditLog\n", "audit.log"),
        ("mcp_servers", "from orchestrator.config import Settings\n", "orchestrator.config"),
        ("mcp_servers", "from guardrails.gateway import ToolGateway\n", "guardrails.gateway"),
        ("netlab", "from audit.redact import Redactor\n", "audit.redact"),
    ],
)
def test_the_checker_catches_a_forbidden_import(package: str, source: str, bad: str) -> None:
    modules = [m for _, m in imported_modules(source)]
    assert bad in modules
    assert violation(package, bad) is not None


@pytest.mark.parametrize(
    ("package", "module"),
    [
        ("agent", "guardrails"),
        ("agent", "mcp_servers.errors"),
        ("dag_fallback", "mcp_types"),
        ("guardrails", "mcp_servers.client"),
        ("guardrails", "audit.record"),
        ("agent", "langgraph.types"),
        ("mcp_servers", "audit.redact"),
        ("mcp_servers", "netlab.changes"),
    ],
)
def test_allowed_imports_pass(package: str, module: str) -> None:
    assert violation(package, module) is None
