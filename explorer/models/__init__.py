"""Models, created by name or preset: ``create_model("stan", num_classes, audio_dim, visual_dim)``."""

from explorer.models import baselines, comparison, intrinsic, stan  # noqa: F401  (registers the models)
from explorer.models.base import AVModel, Explanation
from explorer.models.checkpoint import list_checkpoints, load_checkpoint, read_checkpoint_description, save_checkpoint
from explorer.models.registry import (
    PAPER_TABLES,
    ModelSpec,
    Preset,
    create_model,
    display_name,
    list_models,
    list_presets,
    model_label,
    model_spec,
    preset_config,
    register_model,
    table_models,
)

__all__ = [
    "PAPER_TABLES",
    "AVModel",
    "Explanation",
    "ModelSpec",
    "Preset",
    "create_model",
    "list_checkpoints",
    "list_models",
    "list_presets",
    "load_checkpoint",
    "display_name",
    "model_label",
    "model_spec",
    "preset_config",
    "read_checkpoint_description",
    "register_model",
    "save_checkpoint",
    "table_models",
]
