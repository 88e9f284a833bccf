"""Models, created by name: ``create_model("stan", num_classes, audio_dim, visual_dim)``."""
from explorer.models import baselines, comparison, intrinsic, stan  # noqa: F401  (registers the models)
from explorer.models.base import AVModel, Explanation
from explorer.models.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from explorer.models.registry import create_model, list_models, register_model

__all__ = [
    "AVModel",
    "Explanation",
    "create_model",
    "list_checkpoints",
    "list_models",
    "load_checkpoint",
    "register_model",
    "save_checkpoint",
]
