"""A workflow definition: name, version (semver + content hash of its source), typed params, graph.

The version recorded in every run and audit record is ``<semver>+<sha256 of the module sources>``,
so an edited definition that forgot to bump its semver still shows up as a different version.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
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

    @cached_property
    def content_hash(self) -> str:
        """sha256 over the source of the definition's modules (and the shared pattern modules)."""
        digest = hashlib.sha256()
        for name in sorted(set(self.modules)):
            digest.update(name.encode())
            digest.update(inspect.getsource(importlib.import_module(name)).encode())
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
        }
