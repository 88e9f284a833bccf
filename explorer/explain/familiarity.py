"""How far a clip lies from a model's training clips, per sense: a warning the probabilities cannot give.

A model can be confidently wrong on a clip unlike anything it was trained on: the demo models learned each class
from one or two cut-outs pasted on photos, and on real footage they name the wrong class with p ≥ 0.5 about as often
as the right one (docs/DEMO.md). The features can tell such a clip apart where the probabilities cannot.

Each second's feature (audio as it is, visual averaged over the grid) is compared with the training clips' seconds
by its Mahalanobis distance, with the covariance shrunk towards its mean variance (a few hundred dimensions), and a
clip's score is the mean over its seconds. A clip of k seconds is *unfamiliar* in a sense when its score passes the
99th percentile of the scores of the validation clips' first k seconds: whatever its length, about 1% of clips like
the training ones are flagged by chance. (A mean over the whole clip's features would not do: a one-second window of
a demo clip lies far from the ten-second means, and 87% of them were flagged.)

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

from explorer.artifacts import description_path, read_description, read_weights, save_artifact, weights_path
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


def seconds(audio: Tensor | np.ndarray, visual: Tensor | np.ndarray) -> dict[str, Tensor]:
    """Each sense's feature per second: audio N×T×Da as it is, visual N×T×H×W×Dv averaged over the grid to N×T×Dv
    (one clip: no N)."""
    audio, visual = (torch.as_tensor(part, dtype=torch.float64) for part in (audio, visual))
    if audio.dim() == 2 and visual.dim() == 4:
        audio, visual = audio[None], visual[None]
    if audio.dim() != 3 or visual.dim() != 5 or audio.shape[:2] != visual.shape[:2] or audio.shape[1] == 0:
        raise InvalidInputError(
            "features must be audio (N×)T×Da and visual (N×)T×H×W×Dv with the same clips and seconds, T ≥ 1, "
            f"got {tuple(audio.shape)} and {tuple(visual.shape)}"
        )
    return {"audio": audio, "visual": visual.mean(dim=(2, 3))}


@dataclass(frozen=True)
class SenseReference:
    """One sense's training mean and shrunk precision over seconds, and per clip length k = 1, 2, … the validation
    clips' score quantile for their first k seconds (a longer clip uses the last)."""

    mean: Tensor  # D
    precision: Tensor  # D×D
    thresholds: Tensor  # K

    @classmethod
    def fit(cls, train: Tensor, val: Tensor) -> SenseReference:
        """From N×T×D training and validation seconds."""
        rows = train.flatten(0, 1)
        covariance = torch.cov(rows.T)
        size = covariance.shape[0]
        shrunk = (1 - SHRINKAGE) * covariance + SHRINKAGE * covariance.trace() / size * torch.eye(size).double()
        mean, precision = rows.mean(dim=0), torch.linalg.inv(shrunk)
        distances = _distances(val, mean, precision)  # N×T
        lengths = range(1, val.shape[1] + 1)
        thresholds = torch.stack([torch.quantile(distances[:, :k].mean(dim=1), QUANTILE) for k in lengths])
        return cls(mean, precision, thresholds)

    def score(self, clip_seconds: Tensor) -> tuple[float, float]:
        """One clip's (score, threshold for its length) from its T×D seconds."""
        if clip_seconds.shape[-1] != self.mean.shape[0]:
            raise InvalidInputError(
                f"features of size {clip_seconds.shape[-1]} do not fit a reference of size {self.mean.shape[0]}"
            )
        length = min(len(clip_seconds), len(self.thresholds))
        score = float(_distances(clip_seconds, self.mean, self.precision).mean())
        return score, float(self.thresholds[length - 1])


def _distances(rows: Tensor, mean: Tensor, precision: Tensor) -> Tensor:
    """Mahalanobis distance of each …×D row to ``mean``."""
    offset = rows.double() - mean.double()
    return torch.einsum("...i,ij,...j->...", offset, precision.double(), offset).clamp(min=0).sqrt()


@dataclass(frozen=True)
class Familiarity:
    """One clip's score per sense (its seconds' mean distance to the training seconds), beside the score 99% of the
    validation clips of its length stay under."""

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
        train_seconds, val_seconds = seconds(*train), seconds(*val)
        senses = {sense: SenseReference.fit(train_seconds[sense], val_seconds[sense]) for sense in SENSES}
        return cls(encoder, senses, len(train_seconds["audio"]), len(val_seconds["audio"]), source)

    def assess(self, audio: Tensor | np.ndarray, visual: Tensor | np.ndarray) -> Familiarity:
        """One clip's :class:`Familiarity` (features T×Da and T×H×W×Dv)."""
        clip = seconds(audio, visual)
        if len(clip["audio"]) != 1:
            raise InvalidInputError(f"assess takes one clip's features, got {len(clip['audio'])} clips")
        scores = {sense: self.senses[sense].score(clip[sense][0]) for sense in SENSES}
        return Familiarity({sense: scores[sense][0] for sense in SENSES}, {sense: scores[sense][1] for sense in SENSES})

    def save(self, folder: str | os.PathLike) -> Path:
        description = {
            "kind": "feature reference",
            "encoder": self.encoder,
            "train_clips": self.train_clips,
            "val_clips": self.val_clips,
            "source": self.source,
            "quantile": QUANTILE,
            "shrinkage": SHRINKAGE,
            "thresholds": {sense: self.senses[sense].thresholds.tolist() for sense in SENSES},
        }
        state = {}
        for sense in SENSES:
            state[f"{sense}.mean"] = self.senses[sense].mean.float()
            state[f"{sense}.precision"] = self.senses[sense].precision.float()
        return save_artifact(Path(folder) / REFERENCE_NAME, description, state)


def load_reference(folder: str | os.PathLike) -> FeatureReference | None:
    """The reference stored in a checkpoint folder; None when the folder has none. A damaged one is one sentence."""
    base = Path(folder) / REFERENCE_NAME
    json_path = description_path(base)
    if not json_path.is_file():
        return None
    what = "feature reference"
    description = read_description(json_path, what, keys=("encoder", "thresholds", "train_clips", "val_clips"))
    state = read_weights(weights_path(base), f"{what}'s weights file")
    try:
        senses = {}
        for sense in SENSES:
            mean, precision = state[f"{sense}.mean"], state[f"{sense}.precision"]
            if mean.dim() != 1 or precision.shape != (len(mean), len(mean)):
                raise ValueError(f"{sense} mean {tuple(mean.shape)} and precision {tuple(precision.shape)} differ")
            thresholds = torch.tensor([float(value) for value in description["thresholds"][sense]])
            if thresholds.dim() != 1 or len(thresholds) == 0:
                raise ValueError(f"{sense} thresholds must be a non-empty list of numbers")
            senses[sense] = SenseReference(mean, precision, thresholds)
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
