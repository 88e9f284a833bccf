"""How far a clip lies from a model's training clips, per sense: a warning the probabilities cannot give.

A model can be confidently wrong on a clip unlike anything it was trained on: the demo models learned each class
from one or two cut-outs pasted on photos, and on real footage they name the wrong class with p ≥ 0.5 about as often
as the right one (docs/DEMO.md). The features can tell such a clip apart where the probabilities cannot. Each sense's
clip-mean feature (audio over seconds, visual over seconds and locations) is compared with those of the training
clips by its Mahalanobis distance, with the covariance shrunk towards its mean variance (a few hundred dimensions
from about a thousand clips), and a clip is *unfamiliar* in a sense when its distance passes the 99th percentile of
the validation clips' distances: 1% of clips like the training ones are flagged by chance.

The reference is stored beside the checkpoints it describes as ``feature_reference.json`` + ``.safetensors``
(:mod:`explorer.artifacts`), and it applies to a model whose card names the same encoder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from explorer.artifacts import read_description, read_weights, save_artifact
from explorer.errors import CheckpointError, InvalidInputError

REFERENCE_NAME = "feature_reference"
SENSES = ("audio", "visual")
QUANTILE = 0.99
SHRINKAGE = 0.1  # weight of the mean variance in the shrunk covariance


def encoder_identity(card_encoder: object) -> str:
    """The card's encoder entry as one string, its weights paths left out (a checkout can move; the packaged weights'
    hashes stay in): models whose entries match read the same features."""

    def without_paths(value: object) -> object:
        if isinstance(value, dict):
            return {key: without_paths(item) for key, item in value.items() if key != "weights"}
        if isinstance(value, (list, tuple)):
            return [without_paths(item) for item in value]
        return value

    return json.dumps(without_paths(card_encoder), sort_keys=True)


def clip_means(audio: Tensor | np.ndarray, visual: Tensor | np.ndarray) -> dict[str, Tensor]:
    """Each sense's mean feature per clip: audio N×T×Da → N×Da, visual N×T×H×W×Dv → N×Dv (one clip: no N)."""
    audio, visual = (torch.as_tensor(part, dtype=torch.float64) for part in (audio, visual))
    if audio.dim() == 2 and visual.dim() == 4:
        audio, visual = audio[None], visual[None]
    if audio.dim() != 3 or visual.dim() != 5 or audio.shape[:2] != visual.shape[:2]:
        raise InvalidInputError(
            "features must be audio (N×)T×Da and visual (N×)T×H×W×Dv with the same clips and seconds, "
            f"got {tuple(audio.shape)} and {tuple(visual.shape)}"
        )
    return {"audio": audio.mean(dim=1), "visual": visual.flatten(1, 3).mean(dim=1)}


@dataclass(frozen=True)
class SenseReference:
    """One sense's training mean, shrunk precision matrix and the validation clips' distance quantile."""

    mean: Tensor  # D
    precision: Tensor  # D×D
    threshold: float

    @classmethod
    def fit(cls, train: Tensor, val: Tensor) -> SenseReference:
        covariance = torch.cov(train.T)
        size = covariance.shape[0]
        shrunk = (1 - SHRINKAGE) * covariance + SHRINKAGE * covariance.trace() / size * torch.eye(size)
        fitted = cls(train.mean(dim=0), torch.linalg.inv(shrunk), 0.0)
        return cls(fitted.mean, fitted.precision, float(torch.quantile(fitted.distance(val), QUANTILE)))

    def distance(self, means: Tensor) -> Tensor:
        """Mahalanobis distance of each N×D clip mean to the training mean."""
        if means.shape[-1] != self.mean.shape[0]:
            raise InvalidInputError(
                f"features of size {means.shape[-1]} do not fit a reference of size {self.mean.shape[0]}"
            )
        offset = means.double() - self.mean.double()
        return torch.einsum("ni,ij,nj->n", offset, self.precision.double(), offset).clamp(min=0).sqrt()


@dataclass(frozen=True)
class Familiarity:
    """One clip's distance to the training clips per sense, beside the distance 99% of validation clips stay under."""

    distances: dict[str, float]
    thresholds: dict[str, float]

    @property
    def unfamiliar(self) -> tuple[str, ...]:
        """The senses in which the clip lies farther than the threshold, in :data:`SENSES` order."""
        return tuple(sense for sense in SENSES if self.distances[sense] > self.thresholds[sense])

    def ratio(self, sense: str) -> float:
        return self.distances[sense] / self.thresholds[sense]

    def to_json(self) -> dict:
        return {"distances": self.distances, "thresholds": self.thresholds, "unfamiliar": list(self.unfamiliar)}


@dataclass(frozen=True)
class FeatureReference:
    """The training clips' feature statistics of the models that share one encoder."""

    encoder: str  # :func:`encoder_identity` of the models' card entry
    senses: dict[str, SenseReference]
    train_clips: int
    val_clips: int
    source: str  # which clips, in words

    @classmethod
    def fit(cls, encoder: str, train: tuple[Tensor, Tensor], val: tuple[Tensor, Tensor], source: str):
        """From (audio, visual) features of the training and validation clips."""
        train_means, val_means = clip_means(*train), clip_means(*val)
        senses = {sense: SenseReference.fit(train_means[sense], val_means[sense]) for sense in SENSES}
        return cls(encoder, senses, len(train_means["audio"]), len(val_means["audio"]), source)

    def assess(self, audio: Tensor | np.ndarray, visual: Tensor | np.ndarray) -> Familiarity:
        """One clip's :class:`Familiarity` (features T×Da and T×H×W×Dv)."""
        means = clip_means(audio, visual)
        if len(means["audio"]) != 1:
            raise InvalidInputError(f"assess takes one clip's features, got {len(means['audio'])} clips")
        distances = {sense: float(self.senses[sense].distance(means[sense])[0]) for sense in SENSES}
        return Familiarity(distances, {sense: self.senses[sense].threshold for sense in SENSES})

    def save(self, folder: str | os.PathLike) -> Path:
        description = {
            "kind": "feature reference",
            "encoder": self.encoder,
            "train_clips": self.train_clips,
            "val_clips": self.val_clips,
            "source": self.source,
            "quantile": QUANTILE,
            "shrinkage": SHRINKAGE,
            "thresholds": {sense: self.senses[sense].threshold for sense in SENSES},
        }
        state = {}
        for sense in SENSES:
            state[f"{sense}.mean"] = self.senses[sense].mean.float()
            state[f"{sense}.precision"] = self.senses[sense].precision.float()
        return save_artifact(Path(folder) / REFERENCE_NAME, description, state)


def load_reference(folder: str | os.PathLike) -> FeatureReference | None:
    """The reference stored in a checkpoint folder; None when the folder has none. A damaged one is one sentence."""
    base = Path(folder) / REFERENCE_NAME
    json_path = base.with_name(base.name + ".json")
    if not json_path.is_file():
        return None
    what = "feature reference"
    description = read_description(json_path, what, keys=("encoder", "thresholds", "train_clips", "val_clips"))
    state = read_weights(base.with_name(base.name + ".safetensors"), f"{what}'s weights file")
    try:
        senses = {}
        for sense in SENSES:
            mean, precision = state[f"{sense}.mean"], state[f"{sense}.precision"]
            if mean.dim() != 1 or precision.shape != (len(mean), len(mean)):
                raise ValueError(f"{sense} mean {tuple(mean.shape)} and precision {tuple(precision.shape)} differ")
            senses[sense] = SenseReference(mean, precision, float(description["thresholds"][sense]))
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"the {what} {base} is damaged ({error}); rerun explorer demo reproduce.") from None
    source = str(description.get("source", ""))
    return FeatureReference(
        str(description["encoder"]), senses, int(description["train_clips"]), int(description["val_clips"]), source
    )


def reference_for(model) -> FeatureReference | None:
    """The reference in the model's checkpoint folder, if it describes the encoder the model's card names."""
    checkpoint = getattr(model, "checkpoint_path", None)
    card = getattr(model, "card", None) or {}
    if checkpoint is None or "encoder" not in card:
        return None
    reference = load_reference(Path(checkpoint).parent)
    if reference is None or reference.encoder != encoder_identity(card["encoder"]):
        return None
    return reference
