"""A workflow definition: name, version (semver + content hash), typed params, graph, tests.

The version recorded in every run and audit record is ``<semver>+<hash10>``, where the content hash
covers the code (the sources of the definition's modules, or the files it was loaded from), its
parameters schema and the tests it ships, so an edited definition that forgot to bump its semver
still shows up as a different version. ``source`` and ``commit`` say where it came from: the
installed package, or a git repository at a commit (orchestrator.pipeline loads those).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from langgraph.graph import StateGraph
from pydantic import BaseModel, ValidationError

__all__ = ["InvalidParams", "WorkflowDefinition"]


class InvalidParams(ValueError):
    """Workflow input that does not match the definition's parameters; names the parameter."""


@dataclass(frozen=True)
class WorkflowDefinition:
    """Everything the runner needs to start, version and describe a workflow."""

    name: str
    semver: str
    description: str
    params: type[BaseModel]
    build: Callable[[], StateGraph[Any, Any, Any, Any]]
    modules: tuple[str, ...] = field(default_factory=tuple)  # modules whose source defines its behaviour
    tests: tuple[Mapping[str, Any], ...] = ()  # scenario-style inputs and expected plans (`netorch workflows test`)
    source: str = "package"  # package, or git (orchestrator.pipeline.gitsource)
    commit: str | None = None  # the git commit it was loaded from
    origin: str | None = None  # where: ``<repo>@<ref>:<path>`` for git
    files: tuple[tuple[str, str], ...] | None = None  # (name, text) of its code when not installed modules

    def source_files(self) -> dict[str, str]:
        """The code this definition runs, by module or file name (what ``workflows show|diff`` print)."""
        if self.files is not None:
            return dict(self.files)
        return {name: inspect.getsource(importlib.import_module(name)) for name in sorted(set(self.modules))}

    @cached_property
    def content_hash(self) -> str:
        """sha256 over its code, its parameters schema and its tests."""
        digest = hashlib.sha256()
        for name, text in sorted(self.source_files().items()):
            digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        schema = json.dumps(self.params.model_json_schema(), sort_keys=True, separators=(",", ":"))
        digest.update(b"params\0" + schema.encode() + b"\0")
        tests = json.dumps([dict(t) for t in self.tests], sort_keys=True, separators=(",", ":"), default=str)
        digest.update(b"tests\0" + tests.encode())
        return digest.hexdigest()

    @property
    def version(self) -> str:
        """``semver+hash10``."""
        return f"{self.semver}+{self.content_hash[:10]}"

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Checked, defaulted parameters as a plain dict (InvalidParams naming the first bad one)."""
        try:
            return self.params.model_validate(dict(params)).model_dump(mode="json")
        except ValidationError as exc:
            errors = exc.errors()
            # A misspelt name also makes the real one "missing": name the misspelling first.
            err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
            where = ".".join(str(p) for p in err["loc"]) or "params"
            if err["type"] == "extra_forbidden":
                known = ", ".join(self.params.model_fields)
                raise InvalidParams(f"unknown parameter '{where}' for workflow {self.name} (known: {known})") from None
            if err["type"] == "missing":
                raise InvalidParams(f"workflow {self.name} needs parameter '{where}'") from None
            raise InvalidParams(
                f"invalid parameter {where}={err.get('input')!r} for workflow {self.name}: {err['msg']}"
            ) from None

    def describe(self) -> dict[str, Any]:
        """What ``definition.first_use`` records: description, hash, modules and the parameter schema."""
        return {
            "description": self.description,
            "semver": self.semver,
            "content_hash": self.content_hash,
            "modules": sorted(self.modules),
            "params": self.params.model_json_schema(),
            "source": self.source,
            **({"commit": self.commit} if self.commit else {}),
            **({"origin": self.origin} if self.origin else {}),
        }
