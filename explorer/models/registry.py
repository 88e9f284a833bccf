"""Create any model by name, as timm's ``create_model`` does."""
from __future__ import annotations

from explorer.models.base import AVModel
from explorer.registry import Registry

_MODELS: Registry[type[AVModel]] = Registry("model")
register_model = _MODELS.register


def list_models() -> list[str]:
    return _MODELS.names()


def create_model(name: str, num_classes: int, audio_dim: int, visual_dim: int, **config) -> AVModel:
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(_MODELS.names())}")
    return _MODELS[name](num_classes=num_classes, audio_dim=audio_dim, visual_dim=visual_dim, **config)
