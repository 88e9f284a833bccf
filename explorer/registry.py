"""A name → class registry, as timm's ``create_model`` uses; the encoders keep theirs in it (the models, which
register more facts, have :mod:`explorer.models.registry`)."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

Registered = TypeVar("Registered", bound=type)


class Registry(Generic[Registered]):
    """Classes by name, in registration order. ``kind`` ("model", "encoder") words the errors."""

    def __init__(self, kind: str):
        self.kind = kind
        self._classes: dict[str, Registered] = {}

    def register(self, name: str) -> Callable[[Registered], Registered]:
        def decorator(cls: Registered) -> Registered:
            if name in self._classes:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            cls.name = name
            self._classes[name] = cls
            return cls

        return decorator

    def names(self) -> list[str]:
        return list(self._classes)

    def __contains__(self, name: str) -> bool:
        return name in self._classes

    def __getitem__(self, name: str) -> Registered:
        return self._classes[name]
