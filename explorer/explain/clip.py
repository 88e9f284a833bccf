"""The one path from a clip to an Explanation: ``explain_clip(model, encoder, clip)``.

The CLI's ``explorer explain``, the app and the README's example all go through here, and
``Explanation.to_json`` is the one JSON layout they write.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from explorer.data.features import RELEASED_FEATURES
from explorer.encoders import Encoder, check_compatible, create_encoder
from explorer.errors import CheckpointError
from explorer.media import Clip, load_clip
from explorer.models.base import AVModel, Explanation


def explain_features(model: AVModel, audio: Tensor, visual: Tensor) -> Explanation:
    """One clip's features (audio T×Da, visual T×H×W×Dv) through ``model`` in eval mode: an Explanation of a batch
    of one, detached and on the CPU."""
    with torch.no_grad():
        result = model.eval()(audio[None].float(), visual[None].float())
    return result.detach().cpu()


def explain_clip(model: AVModel, encoder: Encoder, clip: Clip) -> Explanation:
    """Encode ``clip`` with ``encoder`` (frozen) and explain it with ``model``."""
    return explain_features(model, *encoder.encode(clip))


def reads_released_features(model: AVModel) -> bool:
    """Whether the model was trained on a released feature set (AVE's h5, LLP's .npy), whose encoders are not here:
    it explains stored samples only, and no changed or uploaded video."""
    spec = (getattr(model, "card", None) or {}).get("encoder")
    return isinstance(spec, dict) and spec.get("name") in RELEASED_FEATURES


def checkpoint_encoder(model: AVModel) -> Encoder:
    """The encoder named in the model card, checked to give the feature sizes the model was trained on.

    The card's ``encoder`` is ``{"name": ..., "weights": ...}``. Relative weights paths are relative to the
    checkpoint's folder, so a checkpoint folder can move.
    """
    card = getattr(model, "card", None) or {}
    spec = card.get("encoder")
    if not isinstance(spec, dict) or not spec.get("name"):
        raise CheckpointError(
            "the checkpoint's card does not name the encoder of its features, so clips cannot be encoded for it."
        )
    if reads_released_features(model):
        raise CheckpointError(
            f"this model was trained on {RELEASED_FEATURES[spec['name']]}, made by encoders whose weights are not "
            "here, so it cannot encode a new video; it explains the samples whose features are in the dataset root "
            "(the sidebar's root)."
        )
    config = spec.get("config") if isinstance(spec.get("config"), dict) else {}
    encoder = create_encoder(spec["name"], weights=_weights_path(spec.get("weights"), model), **config)
    check_compatible(encoder, model)
    return encoder


def _weights_path(weights: str | None, model: AVModel) -> str | None:
    """An encoder weights path from a card, resolved against the checkpoint's folder when relative."""
    if not weights or weights == "random" or Path(weights).is_absolute():
        return weights
    folder = getattr(model, "checkpoint_path", None)
    return str(Path(folder).parent / weights) if folder is not None else weights


def encode_clip(encoder: Encoder, path: str | Path) -> tuple[Tensor, Tensor]:
    """Decode a video file and encode it: (audio T×Da, visual T×H×W×Dv)."""
    return encoder.encode(load_clip(path, frames_per_segment=encoder.frames_per_segment))
