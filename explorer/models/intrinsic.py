"""Intrinsic explanation models compared in paper §4.2: CAM, ABN and their audio-visual variants.

The visual variants see only the visual conv features; the AV variants see the
audio-visual space feature of STAN's Eq. 1 (visual conv maps next to the tiled
audio MLP([a_t, ā])), as the paper's AV-CAM and AV-ABN do.
"""

from __future__ import annotations

import torch
from torch import Tensor

from explorer.models.base import AVModel, Explanation
from explorer.models.blocks import ABNHead, CAMHead, SpaceFeature
from explorer.models.registry import register_model


class _CAMModel(AVModel):
    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.space_feature = SpaceFeature(audio_dim, visual_dim, hidden, with_audio=self.uses_audio)
        self.cam_head = CAMHead(self.space_feature.channels, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        cam, logits = self.cam_head(self.space_feature(audio, visual))
        return Explanation(logits=logits, probs=torch.sigmoid(logits), cam=cam)


class _ABNModel(AVModel):
    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.space_feature = SpaceFeature(audio_dim, visual_dim, hidden, with_audio=self.uses_audio)
        self.abn_head = ABNHead(self.space_feature.channels, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        fixed = attention.space_attention if attention is not None else None
        return self.abn_head(self.space_feature(audio, visual), fixed)


@register_model("cam", label="CAM", family="intrinsic", explains=("cam",), tables={"comparison": 1})
class CAM(_CAMModel):
    """Class activation maps on the visual features; predicts their space-time mean (Zhou et al. 2016)."""

    uses_audio = False


@register_model("av_cam", label="AV-CAM", family="intrinsic", explains=("cam",), tables={"comparison": 3})
class AVCAM(_CAMModel):
    """CAM over the audio-visual space feature (paper §4.2, AV-CAM)."""


@register_model("abn", label="ABN", family="intrinsic", explains=("space_attention", "cam"), tables={"comparison": 2})
class ABN(_ABNModel):
    """Attention Branch Network on the visual features (Fukui et al. 2019); relevance is its attention map M."""

    uses_audio = False


@register_model(
    "av_abn", label="AV-ABN", family="intrinsic", explains=("space_attention", "cam"), tables={"comparison": 4}
)
class AVABN(_ABNModel):
    """ABN over the audio-visual space feature (paper §4.2, AV-ABN).

    Relevance: visual = M; audio = the mean of M over space per segment,
    because each audio segment is tiled over every location of its frame and
    so matters as much as its average location.
    """

    def relevance(self, result: Explanation) -> tuple[Tensor | None, Tensor | None]:
        return result.space_attention.mean(dim=(2, 3)), result.space_attention
