"""The unimodal baselines of the paper's ablation (§4.2, Table 1)."""

from __future__ import annotations

import torch
from torch import Tensor

from explorer.models.base import AVModel, Explanation
from explorer.models.blocks import AudioClassifier, VisualClassifier
from explorer.models.registry import register_model


def _prediction(logits: Tensor) -> Explanation:
    return Explanation(logits=logits, probs=torch.sigmoid(logits))


@register_model("audio_baseline", label="Audio baseline", family="baseline", tables={"ablations": 1})
class AudioBaseline(AVModel):
    """An MLP and a classifier on the audio features, per segment then averaged over time (paper §4.2)."""

    uses_visual = False

    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.body = AudioClassifier(audio_dim, hidden, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        return _prediction(self.body(audio))


@register_model("visual_baseline", label="Visual baseline", family="baseline", tables={"ablations": 3})
class VisualBaseline(AVModel):
    """A conv layer and a classifier on the space-time average pooled visual features (paper §4.2)."""

    uses_audio = False

    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.body = VisualClassifier(visual_dim, hidden, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        return _prediction(self.body(visual))
