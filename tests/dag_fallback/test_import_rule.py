"""ARCHITECTURE.md: dag_fallback sees the network only through MCP tools behind the gateway."""

from __future__ import annotations

import ast
from pathlib import Path

ALLOWED_OURS = ("dag_fallback", "guardrails", "audit", "mcp_servers.client", "mcp_servers.errors")
OURS = ("orchestrator", "agent", "netlab", "mcp_servers", "guardrails", "audit", "evals", "dag_fallback")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_dag_fallback_imports_only_allowed_packages() -> None:
    root = Path(__file__).resolve().parents[2] / "dag_fallback"
    assert (root / "base.py").is_file()
    bad = []
    for path in sorted(root.rglob("*.py")):
        for name in imported_modules(path):
            ours = name.split(".")[0] in OURS
            if ours and not any(name == a or name.startswith(a + ".") for a in ALLOWED_OURS):
                bad.append(f"{path.relative_to(root)}: {name}")
    assert bad == []
