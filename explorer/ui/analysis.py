"""Pure logic behind the app's views: run a model on one clip and shape its answer.

Nothing here imports streamlit, so every function is tested directly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from explorer.models.base import AVModel

PREDICTION_THRESHOLD = 0.5  # sigmoid outputs: a class is predicted when its probability reaches this


@dataclass(frozen=True)
class ClipResult:
    """One model's explanation of one clip, as numpy arrays (batch dimension dropped)."""

    probs: np.ndarray  # K
    space_attention: np.ndarray | None  # T×H×W
    time_attention: np.ndarray | None  # T
    cam: np.ndarray | None  # T×H×W×K
    cav: np.ndarray | None  # T×K

    @property
    def num_segments(self) -> int:
        return len(self.time_attention) if self.time_attention is not None else 0


def _numpy(value: Tensor | None) -> np.ndarray | None:
    return None if value is None else value[0].detach().float().cpu().numpy()


def explain_features(model: AVModel, audio: Tensor, visual: Tensor) -> ClipResult:
    """Run ``model`` on one clip's features (audio T×Da, visual T×H×W×Dv)."""
    with torch.no_grad():
        result = model.eval()(audio[None].float(), visual[None].float())
    return ClipResult(
        probs=_numpy(result.probs),
        space_attention=_numpy(result.space_attention),
        time_attention=_numpy(result.time_attention),
        cam=_numpy(result.cam),
        cav=_numpy(result.cav),
    )


def unit_range(values: np.ndarray) -> np.ndarray:
    """Rescale to [0, 1] so raw CAM / CAV scores share the attention's colour scale."""
    low, high = float(values.min()), float(values.max())
    return np.zeros_like(values) if high - low < 1e-12 else (values - low) / (high - low)


def space_maps(result: ClipResult, class_index: int | None) -> np.ndarray | None:
    """T×H×W maps in [0, 1]: class-agnostic A^s·A^t, or the CAM of ``class_index``."""
    if class_index is not None:
        return None if result.cam is None else unit_range(result.cam[..., class_index])
    if result.space_attention is None:
        return None
    if result.time_attention is None:
        return result.space_attention
    return result.space_attention * result.time_attention[:, None, None]


def class_activation_values(result: ClipResult, class_index: int) -> np.ndarray | None:
    """The CAV of one class over time (T), rescaled to [0, 1]."""
    return None if result.cav is None else unit_range(result.cav[:, class_index])


def predicted_classes(probs: np.ndarray) -> list[int]:
    """Indices of predicted classes, most probable first; always at least the top one."""
    order = [int(i) for i in np.argsort(-probs)]
    chosen = [i for i in order if probs[i] >= PREDICTION_THRESHOLD]
    return chosen or order[:1]


def prediction_rows(probs: np.ndarray, classes: Sequence[str], labels: np.ndarray | None = None, top: int = 5) -> list[dict]:
    """The ``top`` most probable classes as table rows, with the ground truth when known."""
    rows = []
    for index in [int(i) for i in np.argsort(-probs)[:top]]:
        row = {"class": classes[index], "probability": float(probs[index]), "predicted": bool(probs[index] >= PREDICTION_THRESHOLD)}
        if labels is not None:
            row["true label"] = bool(labels[index])
        rows.append(row)
    return rows


def is_correct(probs: np.ndarray, labels: np.ndarray) -> bool:
    """The paper's top-1 rule: the most probable class is one of the true labels."""
    return bool(labels[int(np.argmax(probs))])


def export_json(result: ClipResult, classes: Sequence[str], source: str, model_name: str) -> str:
    """Predictions and every attention value of one clip, for download."""

    def listed(value: np.ndarray | None):
        return None if value is None else np.round(value.astype(float), 5).tolist()

    document = {
        "source": source,
        "model": model_name,
        "classes": list(classes),
        "probabilities": {name: round(float(p), 5) for name, p in zip(classes, result.probs)},
        "predicted": [classes[i] for i in predicted_classes(result.probs)],
        "time_attention": listed(result.time_attention),
        "space_attention": listed(result.space_attention),
        "cav": listed(result.cav),
    }
    return json.dumps(document, indent=1)


def noisy_waveform(audio: np.ndarray, sample_rate: int, time_attention: np.ndarray, sigma2: float,
                   relevant: bool, rng: np.random.Generator) -> np.ndarray:
    """Raw-audio analogue of the perturbation test: N(0, σ²) noise on the seconds whose attention is ≥ 0.5
    (``relevant``) or < 0.5, clipped to [-1, 1]."""
    chosen = (time_attention >= 0.5) if relevant else (time_attention < 0.5)
    mask = np.repeat(chosen, sample_rate)[: len(audio)]
    noise = rng.normal(0.0, np.sqrt(sigma2), size=len(audio)).astype(np.float32)
    return np.clip(audio + noise * mask, -1.0, 1.0)


def noisy_frame(frame: np.ndarray, attention: np.ndarray, sigma2: float, relevant: bool,
                rng: np.random.Generator) -> np.ndarray:
    """A frame with N(0, σ²) pixel noise (pixels in [0, 1]) where the frame-sized attention is ≥ 0.5 (or < 0.5)."""
    chosen = (attention >= 0.5) if relevant else (attention < 0.5)
    noise = rng.normal(0.0, np.sqrt(sigma2), size=frame.shape) * chosen[..., None]
    return np.uint8(255 * np.clip(frame / 255.0 + noise, 0.0, 1.0))
