"""Building blocks shared by the comparison models of paper §4.2.

Features stay channels last (N×T×H×W×C), so a 1×1 convolution is a linear
map over the last axis: ``nn.Linear`` applied at every location.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from explorer.models.base import Explanation, mlp, with_global_audio


def pointwise(in_dim: int, out_dim: int) -> nn.Sequential:
    """A 1×1 convolution + ReLU (channels last); STAN's F^st_conv."""
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(inplace=True))


def segment_embedding(in_dim: int, hidden: int) -> nn.Sequential:
    """Per-segment MLP + ReLU, so embeddings are non-negative like the visual conv features."""
    return nn.Sequential(mlp(in_dim, hidden, hidden), nn.ReLU(inplace=True))


def tile_over_space(feature: Tensor, height: int, width: int) -> Tensor:
    """N×T×C → N×T×H×W×C, the same vector at every location."""
    return feature[:, :, None, None, :].expand(-1, -1, height, width, -1)


def space_time_mean(feature: Tensor) -> Tensor:
    """N×T×H×W×C → N×C: global average pooling over space and time."""
    return feature.mean(dim=(1, 2, 3))


class SpaceFeature(nn.Module):
    """Visual conv maps, next to the tiled audio MLP([a_t, ā]) when ``with_audio`` (STAN's Eq. 1)."""

    def __init__(self, audio_dim: int, visual_dim: int, hidden: int, with_audio: bool):
        super().__init__()
        self.visual = pointwise(visual_dim, hidden)
        self.audio = mlp(2 * audio_dim, hidden, hidden) if with_audio else None
        self.channels = hidden * (2 if with_audio else 1)

    def forward(self, audio: Tensor, visual: Tensor) -> Tensor:
        maps = self.visual(visual)
        if self.audio is None:
            return maps
        height, width = visual.shape[2:4]
        return torch.cat([maps, tile_over_space(self.audio(with_global_audio(audio)), height, width)], dim=-1)


class CAMHead(nn.Module):
    """1×1 conv to K class activation maps per segment; their space-time mean is a logit (Zhou et al. 2016)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.maps = nn.Linear(channels, num_classes)

    def forward(self, feature: Tensor) -> tuple[Tensor, Tensor]:
        """N×T×H×W×C → (cam N×T×H×W×K, logits N×K)."""
        cam = self.maps(feature)
        return cam, space_time_mean(cam)


class ABNHead(nn.Module):
    """Attention Branch Network head (Fukui et al. 2019).

    The attention branch turns K class activation maps (trained by their own
    BCE) into one attention map M by a 1×1 conv + sigmoid; the perception
    branch classifies the pooled g'(x) = (1 + M(x)) · g(x).
    """

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.attention_branch = CAMHead(channels, num_classes)
        self.attention_gate = nn.Linear(num_classes, 1)
        self.perception = nn.Linear(channels, num_classes)

    def forward(self, feature: Tensor, fixed_attention: Tensor | None = None) -> Explanation:
        """M is the explanation's ``space_attention``; ``fixed_attention`` replaces it (perturbation test)."""
        cam, branch_logits = self.attention_branch(feature)
        attention = torch.sigmoid(self.attention_gate(cam)).squeeze(-1)
        if fixed_attention is not None:
            attention = fixed_attention
        logits = self.perception(space_time_mean(feature * (1 + attention.unsqueeze(-1))))
        return Explanation(
            logits=logits,
            probs=torch.sigmoid(logits),
            space_attention=attention,
            cam=cam,
            aux_logits={"attention_branch": branch_logits},
        )


class AudioClassifier(nn.Module):
    """Audio baseline's body: per-segment MLP, mean over T, linear classifier."""

    def __init__(self, audio_dim: int, hidden: int, num_classes: int):
        super().__init__()
        self.embedding = segment_embedding(audio_dim, hidden)
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, audio: Tensor) -> Tensor:
        return self.classifier(self.embedding(audio).mean(dim=1))


class VisualClassifier(nn.Module):
    """Visual baseline's body: 1×1 conv, space-time average pooling, linear classifier."""

    def __init__(self, visual_dim: int, hidden: int, num_classes: int):
        super().__init__()
        self.conv = pointwise(visual_dim, hidden)
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, visual: Tensor) -> Tensor:
        return self.classifier(space_time_mean(self.conv(visual)))
