"""Audio-visual learners compared in paper §4.2: Relationship, Average Ensemble, FiLM, Attention Fusion.

The paper adapts the image-text models (Relationship, FiLM) by putting audio
where the text was and averaging over time to get one feature per video.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from explorer.models.base import AVModel, Explanation, mlp
from explorer.models.blocks import (
    AudioClassifier,
    VisualClassifier,
    pointwise,
    segment_embedding,
    space_time_mean,
    tile_over_space,
)
from explorer.models.registry import register_model


@register_model(
    "relationship",
    label="Relationship network",
    family="fusion",
    explains=("space_attention",),
    tables={"comparison": 5},
)
class Relationship(AVModel):
    """Audio-visual relationship module (the paper's [35]): audio-guided visual attention, then an MLP fuses both.

    Per segment the audio embedding scores every location (softmax over H×W)
    to pool the visual map; audio and attended visual interact by concatenation
    with their product, an MLP fuses them, and time is averaged. The returned
    ``space_attention`` is that softmax divided by its per-frame maximum, so the
    most attended location is 1 and the 0.5 relevance threshold is meaningful.
    """

    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.visual_maps = pointwise(visual_dim, hidden)
        self.audio_embedding = segment_embedding(audio_dim, hidden)
        self.query = nn.Linear(hidden, hidden)
        self.fusion = nn.Sequential(mlp(3 * hidden, hidden, hidden), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(hidden, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        maps = self.visual_maps(visual)  # N×T×H×W×d
        sound = self.audio_embedding(audio)  # N×T×d
        if attention is None:
            scores = torch.einsum("nthwd,ntd->nthw", maps, self.query(sound)) / math.sqrt(maps.shape[-1])
            weights = scores.flatten(2).softmax(dim=-1).view_as(scores)
        else:  # the held attention is max-normalised; rescaling to sum 1 recovers the softmax exactly
            weights = attention.space_attention / attention.space_attention.sum(dim=(2, 3), keepdim=True)
        attended = torch.einsum("nthw,nthwd->ntd", weights, maps)
        fused = self.fusion(torch.cat([sound, attended, sound * attended], dim=-1))
        logits = self.classifier(fused.mean(dim=1))
        space_attention = weights / weights.amax(dim=(2, 3), keepdim=True)
        return Explanation(logits=logits, probs=torch.sigmoid(logits), space_attention=space_attention)


@register_model("average_ensemble", label="Average ensemble", family="fusion", tables={"comparison": 6})
class AverageEnsemble(AVModel):
    """The audio and visual baselines trained jointly, predicting the mean of their probabilities (the paper's [32]).

    Each branch keeps its own BCE (``aux_logits``) so both learn on their own.
    """

    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.audio_branch = AudioClassifier(audio_dim, hidden, num_classes)
        self.visual_branch = VisualClassifier(visual_dim, hidden, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        audio_logits, visual_logits = self.audio_branch(audio), self.visual_branch(visual)
        probs = (torch.sigmoid(audio_logits) + torch.sigmoid(visual_logits)) / 2
        return Explanation(
            logits=torch.logit(probs, eps=1e-6),
            probs=probs,
            aux_logits={"audio": audio_logits, "visual": visual_logits},
        )


@register_model("film", label="FiLM", family="fusion", tables={"comparison": 7})
class FiLM(AVModel):
    """Feature-wise linear modulation (Perez et al. 2018): audio sets per-channel γ, β of the visual conv features."""

    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.visual_maps = pointwise(visual_dim, hidden)
        self.film_generator = mlp(audio_dim, hidden, 2 * hidden)
        self.classifier = nn.Linear(hidden, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        maps = self.visual_maps(visual)
        height, width = visual.shape[2:4]
        # γ = 1 + Δγ, as in the FiLM paper, so an untrained generator leaves the features nearly unchanged.
        delta_gamma, beta = tile_over_space(self.film_generator(audio), height, width).chunk(2, dim=-1)
        modulated = torch.relu((1 + delta_gamma) * maps + beta)
        logits = self.classifier(space_time_mean(modulated))
        return Explanation(logits=logits, probs=torch.sigmoid(logits))


@register_model("attention_fusion", label="Attention fusion", family="fusion", tables={"comparison": 8})
class AttentionFusion(AVModel):
    """Attention-based fusion (the paper's [13]): a learned softmax over the two modalities weights their embeddings.

    Its modality weights are not attention over space or time, so it has none.
    """

    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, hidden: int = 128, **config):
        super().__init__(num_classes, audio_dim, visual_dim, hidden=hidden, **config)
        self.audio_embedding = segment_embedding(audio_dim, hidden)
        self.visual_embedding = segment_embedding(visual_dim, hidden)
        self.modality_score = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.classifier = nn.Linear(hidden, num_classes)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        embeddings = torch.stack(
            [self.audio_embedding(audio), self.visual_embedding(visual.mean(dim=(2, 3)))], dim=2
        )  # N×T×2×d
        weights = self.modality_score(embeddings).softmax(dim=2)  # N×T×2×1
        fused = (weights * embeddings).sum(dim=2)
        logits = self.classifier(fused.mean(dim=1))
        return Explanation(logits=logits, probs=torch.sigmoid(logits))
