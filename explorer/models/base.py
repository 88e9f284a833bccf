"""The one result type and the one interface that every model shares.

Inputs are feature tensors, channels last, as the feature stores keep them:
audio ``N×T×Da`` and visual ``N×T×H×W×Dv``. Every model accepts both (a
unimodal model ignores the one it does not use), so callers never branch on
the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explorer.errors import FeatureShapeError, FeatureTypeError

PREDICTION_THRESHOLD = 0.5  # sigmoid outputs: a class is predicted when its probability reaches this


@dataclass
class Explanation:
    """What a model says about a batch.

    ``probs`` is what the model predicts. The attention fields are in [0, 1];
    a model that has no such piece leaves it ``None`` rather than faking it.
    ``aux_logits`` holds the logits of extra heads that take part in the loss
    (STAN's CAM and CAV classifiers, ABN's attention branch).
    """

    logits: Tensor  # N×K
    probs: Tensor  # N×K
    space_attention: Tensor | None = None  # N×T×H×W
    time_attention: Tensor | None = None  # N×T
    cam: Tensor | None = None  # N×T×H×W×K, per-class class activation maps
    cav: Tensor | None = None  # N×T×K, per-class class activation values
    aux_logits: dict[str, Tensor] = field(default_factory=dict)

    def _map(self, apply) -> "Explanation":
        def mapped(value):
            if isinstance(value, Tensor):
                return apply(value)
            if isinstance(value, dict):
                return {key: apply(tensor) for key, tensor in value.items()}
            return value

        return replace(self, **{f.name: mapped(getattr(self, f.name)) for f in fields(self)})

    def detach(self) -> "Explanation":
        return self._map(Tensor.detach)

    def cpu(self) -> "Explanation":
        return self._map(Tensor.cpu)

    # -- one clip (the first of the batch), as the app and the CLI read it -----------------------------------------
    def numpy(self, name: str, index: int = 0) -> np.ndarray | None:
        """Field ``name`` of clip ``index`` as a float numpy array (batch dimension dropped), or None when the model
        has no such piece. ``"space_time_attention"`` gives A^s·A^t."""
        value = getattr(self, name)
        return None if value is None else value[index].detach().float().cpu().numpy()

    @property
    def num_segments(self) -> int:
        """T of the explained clips (every model sees T segments; its pieces have them, logits do not)."""
        pieces = (self.time_attention, self.space_attention, self.cav, self.cam)
        return next((int(piece.shape[1]) for piece in pieces if piece is not None), 0)

    def to_json(self, classes: Sequence[str], index: int = 0) -> dict:
        """The one JSON layout of an explanation of clip ``index``, written by ``explorer explain`` and by the app's
        export: every class's probability (most probable first), the predicted classes, and every attention value."""
        if len(classes) != self.probs.shape[1]:
            raise ValueError(f"{len(classes)} class names for a model with {self.probs.shape[1]} classes")
        probs = self.numpy("probs", index)
        order = [int(k) for k in np.argsort(-probs, kind="stable")]

        def listed(name: str):
            value = self.numpy(name, index)
            return None if value is None else np.round(value, 6).tolist()

        return {
            "classes": list(classes),
            "predictions": [{"class": classes[k], "probability": round(float(probs[k]), 6)} for k in order],
            "predicted": [classes[k] for k in order if probs[k] >= PREDICTION_THRESHOLD] or [classes[order[0]]],
            "time_attention": listed("time_attention"),
            "space_attention": listed("space_attention"),
            "cav": listed("cav"),
            "space_peaks": map_peaks(self.space_attention[index]) if self.space_attention is not None else None,
        }

    @property
    def space_time_attention(self) -> Tensor | None:
        """Class-agnostic A^s·A^t (N×T×H×W), or whichever of the two exists."""
        if self.space_attention is None:
            return None
        if self.time_attention is None:
            return self.space_attention
        return self.space_attention * self.time_attention[:, :, None, None]


class AVModel(nn.Module):
    """Base class: validates inputs, defines the loss and the relevance masks.

    Subclasses implement :meth:`explain`. ``attention`` lets a caller hold a
    model's attention fixed while the inputs change, as the paper's
    perturbation test does (supplementary, Algorithms A and B).
    """

    name: str = "base"
    preset: str | None = None  # set by create_model for a preset name such as "stan.mean_pooling"
    uses_audio: bool = True
    uses_visual: bool = True

    def __init__(self, num_classes: int, audio_dim: int, visual_dim: int, **config):
        super().__init__()
        if num_classes < 1 or audio_dim < 1 or visual_dim < 1:
            raise ValueError(
                f"num_classes, audio_dim and visual_dim must be positive, got {num_classes}, {audio_dim}, {visual_dim}"
            )
        self.num_classes = num_classes
        self.audio_dim = audio_dim
        self.visual_dim = visual_dim
        self.config = dict(config)

    # -- the interface --------------------------------------------------------
    def forward(self, audio: Tensor, visual: Tensor, attention: Explanation | None = None) -> Explanation:
        self.check_inputs(audio, visual)
        return self.explain(audio, visual, attention)

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        raise NotImplementedError

    def perturbed_logits(
        self,
        audio: Tensor,
        visual: Tensor,
        attention: Explanation,
        audio_noise: Tensor | None,
        visual_noise: Tensor | None,
        sigmas: Tensor,
    ) -> Tensor:
        """Logits (S×N×K) of ``audio + σ·audio_noise`` and ``visual + σ·visual_noise`` for each σ in ``sigmas``,
        with ``attention`` held fixed: the inner step of the perturbation test. ``None`` noise leaves that input
        alone. A model may override this with an equal but cheaper computation.

        The noise may also be a ``MaskedNoise`` (explorer.explain.masked_noise, ``sampling="fast"``): ``count`` draws
        per clip, not drawn yet. Then the inputs and ``attention`` hold the N clips once and the logits are
        S×(count·N)×K, draw-major. Here it is drawn as tensors, at most ``chunk_size`` perturbed clips at a time; an
        override may draw it more cheaply, in distribution."""
        sampled = [noise for noise in (audio_noise, visual_noise) if not isinstance(noise, (Tensor, type(None)))]
        if sampled:
            count, clips = sampled[0].count, audio.shape[0]
            step = max(1, sampled[0].chunk_size // clips)
            chunks = []
            for first in range(0, count, step):
                copies = min(step, count - first)

                def repeat(value: Tensor, copies: int = copies) -> Tensor:
                    return value.repeat(copies, *[1] * (value.dim() - 1))

                chunks.append(
                    self.perturbed_logits(
                        repeat(audio),
                        repeat(visual),
                        attention._map(repeat),
                        None if audio_noise is None else audio_noise.dense(copies),
                        None if visual_noise is None else visual_noise.dense(copies),
                        sigmas,
                    )
                )
            return torch.cat(chunks, dim=1)

        def noisy(features: Tensor, noise: Tensor | None, sigma: Tensor) -> Tensor:
            return features if noise is None else torch.add(features, noise, alpha=float(sigma))

        return torch.stack(
            [
                self(noisy(audio, audio_noise, sigma), noisy(visual, visual_noise, sigma), attention=attention).logits
                for sigma in sigmas
            ]
        )

    def loss_terms(self, result: Explanation, targets: Tensor) -> dict[str, Tensor]:
        """Multi-label BCE of the final classifier plus one term per auxiliary head."""
        targets = targets.to(result.logits.dtype)
        terms = {"bce": F.binary_cross_entropy_with_logits(result.logits, targets)}
        for head, logits in result.aux_logits.items():
            terms[f"bce_{head}"] = F.binary_cross_entropy_with_logits(logits, targets)
        return terms

    def loss(self, result: Explanation, targets: Tensor) -> Tensor:
        return sum(self.loss_terms(result, targets).values())

    def relevance(self, result: Explanation) -> tuple[Tensor | None, Tensor | None]:
        """The attention that says how relevant each input feature is.

        Returns ``(audio N×T, visual N×T×H×W)``; ``None`` where the model has no
        attention over that input. The perturbation test thresholds these at 0.5.
        """
        audio = result.time_attention if self.uses_audio else None
        visual = result.space_time_attention if self.uses_visual else None
        return audio, visual

    # -- helpers ---------------------------------------------------------------
    def check_inputs(self, audio: Tensor, visual: Tensor) -> None:
        if not isinstance(audio, Tensor) or not isinstance(visual, Tensor):
            raise FeatureTypeError(
                "audio and visual features must be torch tensors, "
                f"got {type(audio).__name__} and {type(visual).__name__}"
            )
        if audio.dim() != 3 or audio.shape[-1] != self.audio_dim:
            raise FeatureShapeError(
                f"{self.name}: audio features must be N×T×{self.audio_dim}, got {tuple(audio.shape)}"
            )
        if visual.dim() != 5 or visual.shape[-1] != self.visual_dim:
            raise FeatureShapeError(
                f"{self.name}: visual features must be N×T×H×W×{self.visual_dim}, got {tuple(visual.shape)}"
            )
        if audio.shape[:2] != visual.shape[:2]:
            raise FeatureShapeError(
                f"{self.name}: audio and visual features disagree on N×T: "
                f"{tuple(audio.shape[:2])} vs {tuple(visual.shape[:2])}"
            )
        if audio.shape[1] < 1:
            raise FeatureShapeError(f"{self.name}: a clip needs at least one 1-second segment, got T=0")

    def describe(self) -> dict:
        """What a checkpoint needs to rebuild this model."""
        return {
            "model": self.name,
            **({"preset": self.preset} if self.preset else {}),
            "num_classes": self.num_classes,
            "audio_dim": self.audio_dim,
            "visual_dim": self.visual_dim,
            "config": self.config,
        }


def map_peaks(maps: Tensor) -> list[dict]:
    """Per second: the grid cell (row, column) where a T×H×W map is highest, and its value."""
    width = maps.shape[-1]
    values, cells = maps.flatten(1).max(dim=1)
    return [
        {"second": t, "row": int(cell) // width, "column": int(cell) % width, "value": round(float(value), 6)}
        for t, (value, cell) in enumerate(zip(values, cells))
    ]


def mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out_dim))


def with_global_audio(audio: Tensor) -> Tensor:
    """[a_t, ā]: each segment next to the clip's mean audio (paper Eq. 1)."""
    return torch.cat([audio, audio.mean(dim=1, keepdim=True).expand_as(audio)], dim=-1)


def to_maps(visual: Tensor) -> Tensor:
    """N×T×H×W×C → (N·T)×C×H×W for 2-D convolutions."""
    n, t, h, w, c = visual.shape
    return visual.reshape(n * t, h, w, c).permute(0, 3, 1, 2)


def from_maps(maps: Tensor, n: int, t: int) -> Tensor:
    """(N·T)×C×H×W → N×T×H×W×C."""
    _, c, h, w = maps.shape
    return maps.permute(0, 2, 3, 1).reshape(n, t, h, w, c)
