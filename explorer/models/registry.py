"""Create any model by name, as timm's ``create_model`` does."""
from __future__ import annotations

from typing import Callable

from explorer.models.base import AVModel

_MODELS: dict[str, type[AVModel]] = {}


def register_model(name: str) -> Callable[[type[AVModel]], type[AVModel]]:
    def decorator(cls: type[AVModel]) -> type[AVModel]:
        if name in _MODELS:
            raise ValueError(f"model {name!r} is registered twice")
        cls.name = name
        _MODELS[name] = cls
        return cls

    return decorator


def list_models() -> list[str]:
    return list(_MODELS)


def create_model(name: str, num_classes: int, audio_dim: int, visual_dim: int, **config) -> AVModel:
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(_MODELS)}")
    return _MODELS[name](num_classes=num_classes, audio_dim=audio_dim, visual_dim=visual_dim, **config)
