"""Model backends by name; ``netorch.yaml`` picks one with ``agent.model`` plus ``agent.options``."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from agent.errors import UnknownModel
from agent.models.base import ModelBackend

__all__ = ["MODEL_BACKENDS", "create_model"]

# Imported lazily: the anthropic SDK costs start-up time that the offline default never needs.
MODEL_BACKENDS: dict[str, str] = {
    "heuristic": "agent.models.heuristic:HeuristicModel",
    "anthropic": "agent.models.anthropic_backend:AnthropicModel",
    "scripted": "agent.models.scripted:ScriptedModel",
}


def create_model(name: str, options: Mapping[str, Any] | None = None) -> ModelBackend:
    """The backend registered as ``name``, built from its options.

    Raises:
        UnknownModel: nothing is registered under ``name``.
        ModelConfigError: the options are invalid for that backend.
    """
    target = MODEL_BACKENDS.get(name)
    if target is None:
        raise UnknownModel(f"unknown model backend '{name}' (expected one of {', '.join(MODEL_BACKENDS)})")
    module_name, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    backend: ModelBackend = factory.from_options(dict(options or {}))
    return backend
