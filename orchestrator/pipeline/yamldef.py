"""YAML workflow definitions: a new version of a workflow composed from an existing one.

    name: vlan_deploy            # the workflow this is a version of (or a new name)
    semver: 1.1.0
    description: vlan_deploy with a canary wave of two switches by default
    extends: vlan_deploy         # the graph it runs: an installed workflow or a Python one beside it
    defaults: {canary: 2, precheck_max_failed_pct: 0}
    tests: [...]                 # orchestrator.pipeline.scenario.DefinitionTest; default: those of `extends`

Its code is the YAML text plus the code of what it extends, so the content hash moves with either.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from dag_fallback.definition import WorkflowDefinition
from orchestrator.pipeline.errors import PipelineError
from orchestrator.pipeline.scenario import DefinitionTest

__all__ = ["load_yaml_definition"]


class _YamlDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    semver: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    description: str = ""
    extends: str
    defaults: dict[str, Any] = Field(default_factory=dict)
    tests: list[DefinitionTest] | None = None


def _params(base: type[BaseModel], name: str, defaults: Mapping[str, Any], where: str) -> type[BaseModel]:
    """``base`` with other defaults; an unknown parameter or a value of the wrong type is named."""
    fields: dict[str, Any] = {}
    for key, value in defaults.items():
        info = base.model_fields.get(key)
        if info is None:
            known = ", ".join(base.model_fields)
            raise PipelineError(f"{where}: unknown parameter '{key}' in defaults (known: {known})")
        try:
            TypeAdapter(info.annotation or Any).validate_python(value)
        except ValidationError as exc:
            raise PipelineError(f"{where}: bad default {key}={value!r}: {exc.errors()[0]['msg']}") from None
        changed = copy.copy(info)
        changed.default = value
        fields[key] = (info.annotation, changed)
    if not fields:
        return base
    model: type[BaseModel] = create_model(f"{name.title().replace('_', '')}Params", __base__=base, **fields)
    model.__doc__ = f"Input of {name} (defaults from {where})."
    return model


def load_yaml_definition(text: str, where: str, known: Mapping[str, WorkflowDefinition]) -> WorkflowDefinition:
    """The definition a YAML document describes; ``known`` holds what it may extend."""
    try:
        data = yaml.safe_load(text)
        spec = _YamlDefinition.model_validate(data)
    except yaml.YAMLError as exc:
        raise PipelineError(f"{where}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "document"
        raise PipelineError(f"{where}: {loc}: {err['msg']}") from None
    base = known.get(spec.extends)
    if base is None:
        raise PipelineError(f"{where}: extends unknown workflow '{spec.extends}' (known: {', '.join(sorted(known))})")
    files = {**base.source_files(), where: text}
    tests = tuple(t.model_dump(mode="json") for t in spec.tests) if spec.tests is not None else base.tests
    return dataclasses.replace(
        base,
        name=spec.name,
        semver=spec.semver,
        description=spec.description or base.description,
        params=_params(base.params, spec.name, spec.defaults, where),
        tests=tests,
        files=tuple(sorted(files.items())),
    )
