"""Models, created by name: ``create_model("stan", num_classes, audio_dim, visual_dim)``."""
from explorer.models import baselines, comparison, intrinsic, stan  # noqa: F401  (registers the models)
from explorer.models.base import AVModel, Explanation
from explorer.models.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from explorer.models.registry import create_model, list_models, register_model

# The paper's tables, in their row order: Table 1 (ablations) and Table 2 (comparison with STAN last).
ABLATION_MODELS = ("audio_baseline", "stan_audio", "visual_baseline", "stan_visual", "stan")
COMPARISON_MODELS = (
    "cam", "abn", "av_cam", "av_abn", "relationship", "average_ensemble", "film", "attention_fusion", "stan",
)

__all__ = [
    "ABLATION_MODELS",
    "COMPARISON_MODELS",
    "AVModel",
    "Explanation",
    "create_model",
    "list_checkpoints",
    "list_models",
    "load_checkpoint",
    "register_model",
    "save_checkpoint",
]
