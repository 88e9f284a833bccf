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

    def perturbed_logits(
        self,
        audio: Tensor,
        visual: Tensor,
        attention: Explanation,
        audio_noise: Tensor | None,
        visual_noise: Tensor | None,
        sigmas: Tensor,
    ) -> Tensor:
        """Noise tensors: the generic forward per σ. ``MaskedNoise`` (``sampling="fast"``): with M held fixed the
        logits are the perception layer of Σ_p (1 + M_p)/P · x_p, x = [ReLU(W·v + b) ; tile(MLP([a_t, ā]))], so the
        visual half goes through ``MaskedNoise.pooled_relu`` (the noise drawn after the 1×1 conv) and the audio half
        through the first layer of its MLP, the second applied to the pooled hidden units; the attention branch is
        not needed."""
        sampled = [noise for noise in (audio_noise, visual_noise) if not isinstance(noise, (Tensor, type(None)))]
        if not sampled:
            return super().perturbed_logits(audio, visual, attention, audio_noise, visual_noise, sigmas)
        from explorer.models.base import with_global_audio

        self.check_inputs(audio, visual)
        linear = torch.nn.functional.linear
        count, levels = sampled[0].count, len(sigmas)
        feature = self.space_feature
        weights = (1 + attention.space_attention) / attention.space_attention[0].numel()  # the mean of (1 + M)·x

        def clean_sum(pre: Tensor, pool: Tensor) -> Tensor:  # levels × (count·N) × D
            pooled = (torch.relu(pre) * pool.unsqueeze(-1)).flatten(1, -2).sum(dim=1)
            return pooled.repeat(count, 1).expand(levels, -1, -1)

        pooled = []
        if feature.audio is not None:  # audio first: the noise is drawn in the generic path's order
            first, second = feature.audio[0], feature.audio[2]
            segment_weights = weights.sum(dim=(2, 3))  # N×T: every location of a frame holds its segment's audio
            pre = first(with_global_audio(audio))
            if audio_noise is None:
                hidden = clean_sum(pre, segment_weights)
            else:
                shift = linear(with_global_audio(audio_noise.dense()), first.weight)
                hidden = audio_noise.pooled_relu(pre, segment_weights, sigmas, shift=shift)
            bias = second.bias * segment_weights.sum(dim=1).repeat(count)[:, None]
            pooled.append(linear(hidden, second.weight) + bias)
        conv = feature.visual[0]
        pre = linear(visual, conv.weight, conv.bias)
        if visual_noise is None:
            pooled.insert(0, clean_sum(pre, weights))
        else:
            pooled.insert(0, visual_noise.pooled_relu(pre, weights, sigmas, weight=conv.weight))
        return self.abn_head.perception(torch.cat(pooled, dim=-1))


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
