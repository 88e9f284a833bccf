"""Does an encoder give the features a trained model expects?"""

from __future__ import annotations

from torch import nn

from explorer.encoders.base import Encoder
from explorer.errors import CheckpointError


def _expected(model_or_card: nn.Module | dict) -> tuple[int, int, str]:
    """(audio_dim, visual_dim, encoder name) from a model or a checkpoint description / card."""
    if isinstance(model_or_card, nn.Module):
        source, card = vars(model_or_card), getattr(model_or_card, "card", None) or {}
    elif isinstance(model_or_card, dict):
        source, card = model_or_card, model_or_card.get("card") or model_or_card
    else:
        raise CheckpointError(
            f"check_compatible needs a model or a checkpoint card, got {type(model_or_card).__name__}."
        )
    try:
        audio_dim, visual_dim = int(source["audio_dim"]), int(source["visual_dim"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(
            "this checkpoint does not say which feature dimensions it expects (audio_dim, visual_dim)."
        ) from None
    encoder = card.get("encoder") if isinstance(card, dict) else None
    if isinstance(encoder, dict):
        encoder = encoder.get("encoder") or encoder.get("name")
    return audio_dim, visual_dim, str(encoder or "unknown")


def check_compatible(encoder: Encoder, model_or_card: nn.Module | dict) -> None:
    """Raise a CheckpointError when ``encoder``'s feature dimensions are not the ones the model was trained on."""
    audio_dim, visual_dim, expected_encoder = _expected(model_or_card)
    if (audio_dim, visual_dim) != (encoder.audio_dim, encoder.visual_dim):
        raise CheckpointError(
            f"this STAN checkpoint expects audio {audio_dim}-d / visual {visual_dim}-d features from encoder "
            f"{expected_encoder}, but encoder {encoder.name} gives audio {encoder.audio_dim}-d / visual "
            f"{encoder.visual_dim}-d; extract features with {expected_encoder} or pick a checkpoint trained on "
            f"{encoder.name}."
        )
