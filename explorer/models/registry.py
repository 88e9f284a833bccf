"""Everything about a model, said once at its registration, and the one way to build it (as timm's registry).

``register_model`` records a model's display name, its family, its rows in the paper's tables, the explanation
pieces it returns and its named presets. ``create_model("stan.mean_pooling", ...)`` builds the ``stan`` architecture
with that preset's settings, as timm's ``architecture.tag`` names do; the checkpoint records the preset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from explorer.models.base import AVModel

# The paper's tables the demo report reproduces: key -> title. A model's ``tables`` give its row in each.
PAPER_TABLES = {"ablations": "Table 1: ablations", "comparison": "Table 2: comparison models"}
EXPLANATION_PIECES = ("space_attention", "time_attention", "cam", "cav")


@dataclass(frozen=True)
class Preset:
    label: str
    config: dict


@dataclass(frozen=True)
class ModelSpec:
    name: str
    cls: type[AVModel]
    label: str  # as people read it
    family: str  # "stan", "baseline", "intrinsic" or "fusion": settings a recipe gives a family apply to all of it
    tables: dict[str, int]  # paper table key -> row, from 1
    explains: frozenset[str]  # the EXPLANATION_PIECES its Explanation fills
    presets: dict[str, Preset] = field(default_factory=dict)


_SPECS: dict[str, ModelSpec] = {}


def register_model(
    name: str,
    label: str,
    family: str,
    explains: tuple[str, ...] = (),
    tables: dict | None = None,
    presets: dict[str, Preset] | None = None,
) -> Callable[[type[AVModel]], type[AVModel]]:
    unknown = set(explains) - set(EXPLANATION_PIECES) or set(tables or {}) - set(PAPER_TABLES)
    if unknown:
        raise ValueError(f"model {name!r} registers unknown pieces or tables: {sorted(unknown)}")

    def decorator(cls: type[AVModel]) -> type[AVModel]:
        if name in _SPECS:
            raise ValueError(f"model {name!r} is registered twice")
        cls.name = name
        _SPECS[name] = ModelSpec(name, cls, label, family, dict(tables or {}), frozenset(explains), dict(presets or {}))
        return cls

    return decorator


def list_models() -> list[str]:
    return list(_SPECS)


def list_presets() -> list[str]:
    return [f"{spec.name}.{tag}" for spec in _SPECS.values() for tag in spec.presets]


def model_spec(name: str) -> ModelSpec:
    """The spec of a model or of a preset's architecture (``stan.mean_pooling`` → ``stan``)."""
    architecture = name.partition(".")[0]
    if architecture not in _SPECS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join([*_SPECS, *list_presets()])}")
    return _SPECS[architecture]


def preset_config(name: str) -> dict:
    """The settings a preset name adds ({} for a plain model name)."""
    spec, _, tag = model_spec(name), *name.partition(".")[1:]
    if not tag:
        return {}
    if tag not in spec.presets:
        raise ValueError(f"unknown preset {name!r}; {spec.name} has: {', '.join(spec.presets) or 'none'}")
    return dict(spec.presets[tag].config)


def model_label(name: str, preset: str | None = None) -> str:
    """``av_abn`` → ``AV-ABN``, ``stan`` with preset ``stan.mean_pooling`` → ``STAN (mean pooling)``; names that
    are not registered are shown as they are."""
    try:
        spec = model_spec(preset or name)
    except ValueError:
        return name
    tag = (preset or "").partition(".")[2]
    return spec.presets[tag].label if tag in spec.presets else spec.label


def table_models(table: str) -> tuple[str, ...]:
    """The models of one of the paper's tables, in its row order."""
    rows = sorted((spec.tables[table], spec.name) for spec in _SPECS.values() if table in spec.tables)
    return tuple(name for _, name in rows)


def create_model(name: str, num_classes: int, audio_dim: int, visual_dim: int, **config) -> AVModel:
    """A model by name or preset name; ``config`` overrides the preset's settings."""
    spec = model_spec(name)
    model = spec.cls(
        num_classes=num_classes, audio_dim=audio_dim, visual_dim=visual_dim, **{**preset_config(name), **config}
    )
    model.preset = name if "." in name else None
    return model


def display_name(model: AVModel) -> str:
    """A built or loaded model's name as people read it (its preset's, if it has one)."""
    return model_label(model.name, model.preset)
