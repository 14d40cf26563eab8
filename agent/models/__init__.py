"""Model backends: the Protocol, the registry, and the heuristic, anthropic and scripted backends."""

from agent.models.base import ModelBackend, ModelTurn, StopReason
from agent.models.registry import MODEL_BACKENDS, create_model

__all__ = ["MODEL_BACKENDS", "ModelBackend", "ModelTurn", "StopReason", "create_model"]
